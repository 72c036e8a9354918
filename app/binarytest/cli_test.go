package binarytest

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// With nothing configured, convene serves on localhost, creates
// convene.db in the current folder and prints a one-time link that opens
// the owner form. (The port is the only thing this test chooses, so that
// it does not collide with a developer's running instance.)
func TestZeroConfigurationStart(t *testing.T) {
	dir := t.TempDir()
	addr := freePort(t)
	cmd := exec.Command(conveneBinary(t), "--listen", addr)
	cmd.Dir = dir
	cmd.Env = withoutEnv(os.Environ(), "CONVENE_DATA", "CONVENE_BASE_URL", "CONVENE_DOMAIN")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	links := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if l := regexp.MustCompile(`http://\S+/setup/\S+`).FindString(sc.Text()); l != "" {
				links <- l
			}
		}
	}()
	var link string
	select {
	case link = <-links:
	case <-time.After(20 * time.Second):
		t.Fatal("no one-time setup link printed at first start")
	}
	if !strings.HasPrefix(link, "http://localhost:") {
		t.Errorf("setup link %q is not on localhost", link)
	}
	if _, err := os.Stat(filepath.Join(dir, "convene.db")); err != nil {
		t.Fatalf("convene.db not created in the current folder: %v", err)
	}
	res, err := http.Get(strings.Replace(link, "localhost", "127.0.0.1", 1))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`name="password"`)) {
		t.Fatalf("the setup link answers %d without the owner form", res.StatusCode)
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"version"}} {
		out, err := exec.Command(conveneBinary(t), args...).CombinedOutput()
		if err != nil {
			t.Errorf("convene %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		want := "Usage:"
		if args[0] == "version" {
			want = "convene "
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("convene %s printed %q, want %q in it", strings.Join(args, " "), out, want)
		}
	}
	if out, err := exec.Command(conveneBinary(t), "frobnicate").CombinedOutput(); err == nil || !strings.Contains(string(out), "unknown command") {
		t.Errorf("an unknown command: %v %s", err, out)
	}
}

func withoutEnv(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		keep := true
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}
