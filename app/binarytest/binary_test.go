package binarytest

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	binaryDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binaryDir != "" {
		os.RemoveAll(binaryDir)
	}
	os.Exit(code)
}

// buildBinary builds the real program once per test run.
func buildBinary() (string, error) {
	binaryOnce.Do(func() {
		binaryDir, binaryErr = os.MkdirTemp("", "convene-bin-")
		if binaryErr != nil {
			return
		}
		os.Chmod(binaryDir, 0o755) // so a test may run it as another user
		binaryPath = filepath.Join(binaryDir, "convene")
		out, err := exec.Command("go", "build", "-o", binaryPath, "convene").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	return binaryPath, binaryErr
}

// conveneBinary is buildBinary for a test.
func conveneBinary(t testing.TB) string {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// server is the real binary serving a database on loopback.
type server struct {
	cmd    *exec.Cmd
	addr   string
	stderr *bytes.Buffer
	exited chan error
}

func startServer(t testing.TB, data, addr string) *server {
	t.Helper()
	cmd := exec.Command(conveneBinary(t), "serve", "--data", data, "--listen", addr, "--verbose")
	s := &server{cmd: cmd, addr: addr, stderr: &bytes.Buffer{}, exited: make(chan error, 1)}
	cmd.Stdout = io.Discard
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-s.exited
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case err := <-s.exited:
			t.Fatalf("convene exited at start: %v\n%s", err, s.stderr)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("convene did not answer /healthz:\n%s", s.stderr)
	return nil
}

// createUser makes an account with the CLI and sets its password through
// the one-time link, like an administrator would; it returns a logged-in
// client.
func createUser(t *testing.T, data, addr, email, username string) *http.Client {
	t.Helper()
	base := "http://" + addr
	out, errOut, err := runCLI("admin", "create-user", "--data", data, "--email", email, "--username", username, "--base-url", base)
	if err != nil {
		t.Fatalf("create-user: %v %s", err, errOut)
	}
	link := regexp.MustCompile(`http://\S+/password/\S+`).FindString(out)
	if link == "" {
		t.Fatalf("no link in %q", out)
	}
	return clientWithPassword(t, link)
}

func clientWithPassword(t *testing.T, link string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(link, url.Values{"password": {"a long enough password"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set password: %d", res.StatusCode)
	}
	return c
}

func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func integrity(t *testing.T, path string) string {
	t.Helper()
	var res string
	if err := openDB(t, path).QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

// slowBodyReader hands out a form body a few bytes at a time, the way a
// phone on a bad line uploads; it tells when the first bytes have gone.
type slowBodyReader struct {
	data    []byte
	started chan struct{}
	once    sync.Once
}

func (s *slowBodyReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	s.once.Do(func() { close(s.started) })
	time.Sleep(150 * time.Millisecond)
	n := copy(p[:min(len(p), 8)], s.data)
	s.data = s.data[n:]
	return n, nil
}

// SIGTERM in the middle of a slowly sent request lets the request finish
// and saves it, then the process exits 0.
func TestGracefulShutdownFinishesSlowRequest(t *testing.T) {
	data := filepath.Join(t.TempDir(), "convene.db")
	addr := freePort(t)
	srv := startServer(t, data, addr)
	c := createUser(t, data, addr, "ada@example.org", "ada")

	body := url.Values{"display_name": {"Ada"}, "bio": {"saved during shutdown"}}.Encode()
	slow := &slowBodyReader{data: []byte(body), started: make(chan struct{})}
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/me/identities/ada", slow)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.ContentLength = int64(len(body))
	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		res, err := c.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		res.Body.Close()
		done <- result{status: res.StatusCode}
	}()
	<-slow.started
	time.Sleep(300 * time.Millisecond) // the server is now reading the body
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.status != http.StatusSeeOther {
		t.Fatalf("request in flight during SIGTERM: status %d, err %v\n%s", r.status, r.err, srv.stderr)
	}
	select {
	case err := <-srv.exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, srv.stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("convene did not exit after SIGTERM")
	}
	var bio string
	if err := openDB(t, data).QueryRow(`SELECT bio FROM actors WHERE username = 'ada'`).Scan(&bio); err != nil || bio != "saved during shutdown" {
		t.Fatalf("bio after shutdown: %q %v", bio, err)
	}
	// A clean stop folds the write-ahead log into the database file.
	if st, err := os.Stat(data + "-wal"); err == nil && st.Size() > 0 {
		t.Errorf("the WAL still holds %d bytes after a clean stop", st.Size())
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("the port still accepts connections after exit")
	}
}

// SIGKILL at random moments while writes go on loses no write that was
// answered as done, and leaves a sound database.
func TestCrashSafetyUnderSIGKILL(t *testing.T) {
	data := filepath.Join(t.TempDir(), "convene.db")
	addr := freePort(t)
	srv := startServer(t, data, addr)
	c := createUser(t, data, addr, "grace@example.org", "grace")

	acked := map[string]bool{} // identities created with a success answer
	lastBio := 0               // highest bio number answered as saved
	n := 0
	for round := 0; round < 3; round++ {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				n++
				i := n
				mu.Unlock()
				var form url.Values
				path := "/me/identities/grace"
				if i%5 == 0 && len(acked) < 15 {
					path = "/me/identities"
					form = url.Values{"username": {fmt.Sprintf("grace%d", i)}}
				} else {
					form = url.Values{"display_name": {"Grace"}, "bio": {fmt.Sprintf("write %d", i)}}
				}
				res, err := c.PostForm("http://"+addr+path, form)
				if err != nil {
					continue // killed mid-request: this one may or may not be there
				}
				res.Body.Close()
				if res.StatusCode != http.StatusSeeOther {
					continue
				}
				mu.Lock()
				if path == "/me/identities" {
					acked[form.Get("username")] = true
				} else if i > lastBio {
					lastBio = i
				}
				mu.Unlock()
			}
		})
		time.Sleep(time.Duration(200+round*170) * time.Millisecond)
		srv.cmd.Process.Kill()
		<-srv.exited
		close(stop)
		wg.Wait()
		srv = startServer(t, data, addr)
	}
	srv.cmd.Process.Signal(syscall.SIGTERM)
	<-srv.exited

	if lastBio == 0 || len(acked) == 0 {
		t.Fatalf("too few writes went through to prove anything: bio %d, identities %d", lastBio, len(acked))
	}
	if res := integrity(t, data); res != "ok" {
		t.Fatalf("integrity_check after crashes: %s", res)
	}
	db := openDB(t, data)
	for name := range acked {
		var id int64
		if err := db.QueryRow(`SELECT id FROM actors WHERE username = ?`, name).Scan(&id); err != nil {
			t.Errorf("identity %s was answered as created but is gone: %v", name, err)
		}
	}
	var bio string
	db.QueryRow(`SELECT bio FROM actors WHERE username = 'grace'`).Scan(&bio)
	var got int
	fmt.Sscanf(bio, "write %d", &got)
	if got < lastBio {
		t.Fatalf("the bio answered as saved last was write %d, the database has %q", lastBio, bio)
	}
	t.Logf("%d writes answered as done across 3 kills (%d identities, last bio %d)", len(acked)+lastBio, len(acked), lastBio)
}

// runCLI runs the real program and returns its output; when it fails, the
// error is its "convene: ..." line, the one a person reads.
func runCLI(args ...string) (string, string, error) {
	bin, err := buildBinary()
	if err != nil {
		return "", "", err
	}
	var out, errOut bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		line := err.Error()
		for _, l := range strings.Split(errOut.String(), "\n") {
			if strings.HasPrefix(l, "convene: ") {
				line = strings.TrimPrefix(l, "convene: ")
			}
		}
		return out.String(), errOut.String(), errors.New(line)
	}
	return out.String(), errOut.String(), nil
}

func TestCorruptDatabaseRefusedUntouched(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, bytes.Repeat([]byte("not a database "), 500), 0o644)

	// A real database damaged inside: its header is fine, a page is not.
	damaged := filepath.Join(dir, "damaged.db")
	if _, _, err := runCLI("admin", "create-user", "--data", damaged, "--email", "x@example.org", "--username", "x"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(damaged)
	for i := 4096 + 100; i < 4096*3 && i < len(b); i++ {
		b[i] = 0xA5
	}
	os.WriteFile(damaged, b, 0o644)

	for _, path := range []string{garbage, damaged} {
		before, _ := os.ReadFile(path)
		_, _, err := runCLI("serve", "--data", path, "--listen", freePort(t))
		if err == nil {
			t.Fatalf("%s: served a corrupt database", filepath.Base(path))
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || !(strings.Contains(msg, "damaged") || strings.Contains(msg, "not a Convene database")) || !strings.Contains(msg, "backup") {
			t.Errorf("%s: message %q does not say what happened and what to do in one line", filepath.Base(path), msg)
		}
		after, _ := os.ReadFile(path)
		if !bytes.Equal(before, after) {
			t.Errorf("%s: the file was changed", filepath.Base(path))
		}
	}
}

// A database the user running convene cannot write is refused with one
// line, nothing changed. As root, file modes do not stop writes, so the
// program runs as nobody then.
func TestReadOnlyDatabaseRefused(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "convene.db")
	if _, _, err := runCLI("admin", "create-user", "--data", data, "--email", "x@example.org", "--username", "x"); err != nil {
		t.Fatal(err)
	}
	os.Chmod(data, 0o444)
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	before, _ := os.ReadFile(data)
	cmd := exec.Command(conveneBinary(t), "serve", "--data", data, "--listen", freePort(t))
	if os.Getuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("served a read-only database: %s", out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "read-only") {
		t.Fatalf("want one line saying the database is read-only, got:\n%s", out)
	}
	after, _ := os.ReadFile(data)
	if !bytes.Equal(before, after) {
		t.Fatal("the read-only database was changed")
	}
}

func TestStartFaultsGiveOneLine(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	data := filepath.Join(t.TempDir(), "convene.db")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--data", data, "--listen", busy.Addr().String()}, "another program is using that port"},
		{[]string{"--data", data, "--domain", "https://events.example.org/"}, "bare host name"},
		{[]string{"--data", data, "--domain", "localhost"}, "--domain"},
		{[]string{"--data", data, "--behind-proxy", "proxy.lan"}, "not an IP address"},
		{[]string{"--data", filepath.Join(t.TempDir(), "missing", "x.db")}, "does not exist"},
	}
	for _, c := range cases {
		_, _, err := runCLI(append([]string{"serve"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: got %v, want one line with %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(data); err == nil {
		t.Error("a refused start created the database")
	}
}

func TestBackupAndExportCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "convene.db")
	if _, _, err := runCLI("admin", "create-user", "--data", data, "--email", "lin@example.org", "--username", "lin"); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(dir, "backup.db")
	out, _, err := runCLI("backup", dest, "--data", data)
	if err != nil || !strings.Contains(out, "Backup written") {
		t.Fatalf("backup: %v %s", err, out)
	}
	if res := integrity(t, dest); res != "ok" {
		t.Fatalf("backup integrity: %s", res)
	}
	var email string
	openDB(t, dest).QueryRow(`SELECT email FROM accounts`).Scan(&email)
	if email != "lin@example.org" {
		t.Fatalf("backup holds %q", email)
	}
	before, _ := os.ReadFile(dest)
	if _, _, err := runCLI("backup", dest, "--data", data); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second backup to the same file: %v", err)
	}
	if after, _ := os.ReadFile(dest); !bytes.Equal(before, after) {
		t.Fatal("an existing backup was overwritten")
	}
	if _, _, err := runCLI("backup", filepath.Join(dir, "nope", "b.db"), "--data", data); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("backup into a missing folder: %v", err)
	}

	out, _, err = runCLI("export", "--data", data, "--email", "LIN@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"email": "lin@example.org"`) || !strings.Contains(out, `"username": "lin"`) || strings.Contains(out, "password") {
		t.Fatalf("export:\n%s", out)
	}
	if _, _, err := runCLI("export", "--data", data, "--email", "nobody@example.org"); err == nil {
		t.Fatal("export of an unknown account succeeded")
	}
}

func TestDoctorDatabaseChecks(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "convene.db")
	if _, _, err := runCLI("admin", "create-user", "--data", data, "--email", "x@example.org", "--username", "x"); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI("doctor", "--data", data)
	if err != nil || !regexp.MustCompile(`(?m)^ok\s+database .*sound and writable`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^skip\s+clock .*no --domain`).MatchString(out) || !strings.Contains(out, "Nothing to fix.") {
		t.Fatalf("doctor on a good database: %v\n%s", err, out)
	}

	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, []byte("definitely not SQLite, but long enough to have a header"), 0o644)
	out, _, err = runCLI("doctor", "--data", garbage)
	if err == nil || !regexp.MustCompile(`(?m)^FIX\s+database .*not a Convene database`).MatchString(out) {
		t.Fatalf("doctor on a garbage file: %v\n%s", err, out)
	}

	// Read-only for the user running convene (nobody, when tests run as root).
	os.Chmod(data, 0o444)
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	before, _ := os.ReadFile(data)
	cmd := exec.Command(conveneBinary(t), "doctor", "--data", data)
	if os.Getuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	b, err := cmd.CombinedOutput()
	if err == nil || !regexp.MustCompile(`(?m)^FIX\s+database .*read-only`).MatchString(string(b)) {
		t.Fatalf("doctor on a read-only database: %v\n%s", err, b)
	}
	if after, _ := os.ReadFile(data); !bytes.Equal(before, after) {
		t.Fatal("doctor changed the database")
	}
}
