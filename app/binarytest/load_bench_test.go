package binarytest

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"convene/app/store"
)

// The load benchmark: logged-in visitors browsing the real binary at once.
// A benchmark, never a pass/fail timing:
//
//	go test ./app/binarytest -run '^$' -bench BrowsingLoad -benchtime 1x -load.duration 30s -load.visitors 200
var (
	loadDuration = flag.Duration("load.duration", 30*time.Second, "how long BenchmarkBrowsingLoad's visitors browse")
	loadVisitors = flag.Int("load.visitors", 200, "how many logged-in visitors BenchmarkBrowsingLoad runs at once")
	loadPause    = flag.Duration("load.pause", time.Second, "the mean pause of a reading visitor between two requests in BenchmarkBrowsingLoad")
)

var searchWords = []string{"music", "park", "event", "gathering", "friends", "food", "number 12", "Lyon"}

var eventLink = regexp.MustCompile(`/events/([0-9a-f-]{36})`)

// seedVisitors gives n accounts an identity and a session each, and
// returns the session secrets (the cookie a browser would hold).
func seedVisitors(b *testing.B, path string, n int) []string {
	b.Helper()
	ctx := context.Background()
	schema, err := os.ReadFile("../../schema.sql")
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, path, string(schema))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var secrets []string
	for i := range n {
		acc, id, err := st.CreateAccountWithIdentity(ctx, fmt.Sprintf("visitor%d@example.org", i), "", false,
			store.NewIdentity{Username: fmt.Sprintf("visitor%d", i)})
		if err != nil {
			b.Fatal(err)
		}
		secret, err := st.CreateSession(ctx, acc.ID, id.ID, 24*time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		secrets = append(secrets, secret)
	}
	return secrets
}

// procStatusKiB reads one field (VmHWM, VmRSS) of a process's status.
func procStatusKiB(b *testing.B, pid int, field string) int64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field+":" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}

// visitorLog is what one visitor saw.
type visitorLog struct {
	latencies map[string][]time.Duration // by kind of request
	failures  int                        // transport errors and 5xx answers
	refused   int                        // 4xx answers
}

// The kinds of request a visitor makes.
var visitKinds = []string{"event", "home", "search", "join"}

// browse is one logged-in visitor until the deadline: mostly event pages,
// then the home page, searches, and now and then "I'm coming". With a
// pause, the visitor reads each page for a random time between none and
// twice pause (starting at a random moment in it too); without, it asks
// for the next page as soon as it has the last one.
func browse(client *http.Client, base, secret string, events []string, seed uint64, deadline time.Time, pause time.Duration) visitorLog {
	rnd := rand.New(rand.NewPCG(seed, 7))
	log := visitorLog{latencies: map[string][]time.Duration{}}
	read := func() {
		if pause > 0 {
			time.Sleep(min(time.Duration(rnd.Int64N(int64(2*pause))), time.Until(deadline)))
		}
	}
	for read(); time.Now().Before(deadline); read() {
		var req *http.Request
		var kind string
		switch n := rnd.IntN(100); {
		case n < 50:
			kind = "event"
			req, _ = http.NewRequest(http.MethodGet, base+"/events/"+events[rnd.IntN(len(events))], nil)
		case n < 70:
			kind = "home"
			req, _ = http.NewRequest(http.MethodGet, base+"/", nil)
		case n < 90:
			kind = "search"
			req, _ = http.NewRequest(http.MethodGet, base+"/search?q="+url.QueryEscape(searchWords[rnd.IntN(len(searchWords))]), nil)
		default:
			kind = "join"
			req, _ = http.NewRequest(http.MethodPost, base+"/events/"+events[rnd.IntN(len(events))]+"/join",
				strings.NewReader(""))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("Cookie", "convene_session="+secret)
		req.Header.Set("Accept", "text/html")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			log.failures++
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		log.latencies[kind] = append(log.latencies[kind], time.Since(start))
		switch {
		case resp.StatusCode >= 500:
			log.failures++
		case resp.StatusCode >= 400:
			log.refused++
		}
	}
	return log
}

// BenchmarkBrowsingLoad starts the binary on a database of 10,000 events
// and load.visitors logged-in people, lets them all browse at once for
// load.duration, and reports requests per second, median and p99 latency
// and the server's peak resident memory (VmHWM). The visitors browse
// twice: "reading", each pausing about load.pause between two pages, and
// "flat-out", each asking for the next page as soon as it has the last
// (so the server's capacity, and its queue). It runs with the machine's
// cores, and with GOMAXPROCS=1 as an estimate for a small single-core
// board; "static" is the baseline of the same run: the same visitors
// against a handler in the test process writing an event page's bytes,
// which is what the load generator, loopback and the machine's other work
// cost by themselves. Each run starts with 5 s of the same browsing,
// unmeasured, to warm the server up.
func BenchmarkBrowsingLoad(b *testing.B) {
	dir := b.TempDir()
	data := filepath.Join(dir, "load.db")
	makeDatabase(b, data, 10_000)
	secrets := seedVisitors(b, data, *loadVisitors)
	conveneBinary(b)
	modes := []struct {
		name  string
		pause time.Duration
	}{{"reading", *loadPause}, {"flat-out", 0}}
	for _, procs := range []string{"static", "", "1"} {
		name := procs
		switch procs {
		case "":
			name = "cores=all"
		case "1":
			name = "GOMAXPROCS=" + procs
		}
		for _, mode := range modes {
			b.Run(name+"/"+mode.name, func(b *testing.B) {
				for range b.N {
					runBrowsingLoad(b, data, procs, secrets, mode.pause)
				}
			})
		}
	}
}

// staticServer answers every request on loopback with the bytes of an
// event page the binary rendered for a logged-in visitor.
// It also returns the events the binary's home page links to.
func staticServer(b *testing.B, data string, secret string) (base string, events []string, stop func()) {
	addr := freePort(b)
	cmd := exec.Command(conveneBinary(b), "serve", "--data", data, "--listen", addr)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	var page []byte
	var home string
	for start := time.Now(); time.Since(start) < 30*time.Second && page == nil; time.Sleep(5 * time.Millisecond) {
		resp, err := client.Get("http://" + addr + "/")
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		home = string(body)
		if m := eventLink.FindStringSubmatch(home); m != nil {
			req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/events/"+m[1], nil)
			req.Header.Set("Cookie", "convene_session="+secret)
			if resp, err := client.Do(req); err == nil {
				page, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
		}
	}
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	if page == nil {
		b.Fatal("no event page to serve")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	})}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), homeEvents(home), func() { srv.Close() }
}

// homeEvents lists the events a home page links to.
func homeEvents(home string) []string {
	var events []string
	for _, m := range eventLink.FindAllStringSubmatch(home, -1) {
		if !slices.Contains(events, m[1]) {
			events = append(events, m[1])
		}
	}
	return events
}

func runBrowsingLoad(b *testing.B, data, procs string, secrets []string, pause time.Duration) {
	var base string
	var events []string
	pid := 0
	if procs == "static" {
		var stop func()
		base, events, stop = staticServer(b, data, secrets[0])
		defer stop()
		pid = os.Getpid()
	} else {
		addr := freePort(b)
		cmd := exec.Command(conveneBinary(b), "serve", "--data", data, "--listen", addr)
		cmd.Env = os.Environ()
		if procs != "" {
			cmd.Env = append(cmd.Env, "GOMAXPROCS="+procs)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		defer func() {
			cmd.Process.Signal(os.Interrupt)
			cmd.Wait()
		}()
		base = "http://" + addr
		pid = cmd.Process.Pid
	}
	client := &http.Client{Timeout: 30 * time.Second,
		Transport:     &http.Transport{MaxIdleConnsPerHost: len(secrets), DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for start := time.Now(); events == nil && time.Since(start) < 30*time.Second; time.Sleep(5 * time.Millisecond) {
		if resp, err := client.Get(base + "/"); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				events = homeEvents(string(body))
				break
			}
		}
	}
	if len(events) == 0 {
		b.Fatal("no event on the home page")
	}
	// A few seconds of the same browsing first, unmeasured: a server that
	// has just started has empty caches (SQLite's pages, prepared
	// statements, Go's heap) that a running one has filled long ago.
	warm := time.Now().Add(min(*loadDuration, 5*time.Second))
	var wg sync.WaitGroup
	for i, secret := range secrets {
		wg.Go(func() { browse(client, base, secret, events, uint64(i)+1e6, warm, pause) })
	}
	wg.Wait()
	logs := make([]visitorLog, len(secrets))
	deadline := time.Now().Add(*loadDuration)
	start := time.Now()
	for i, secret := range secrets {
		wg.Go(func() { logs[i] = browse(client, base, secret, events, uint64(i), deadline, pause) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	peak := procStatusKiB(b, pid, "VmHWM")
	var all []time.Duration
	byKind := map[string][]time.Duration{}
	failures, refused := 0, 0
	for _, l := range logs {
		for kind, ls := range l.latencies {
			all = append(all, ls...)
			byKind[kind] = append(byKind[kind], ls...)
		}
		failures += l.failures
		refused += l.refused
	}
	if len(all) == 0 {
		b.Fatal("no request answered")
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(percentileMs(all, 0.5), "p50-ms")
	b.ReportMetric(percentileMs(all, 0.99), "p99-ms")
	for _, kind := range visitKinds {
		if ls := byKind[kind]; len(ls) > 0 {
			b.ReportMetric(percentileMs(ls, 0.99), kind+"-p99-ms")
			b.ReportMetric(float64(len(ls)), kind+"-requests")
		}
	}
	if procs != "static" { // the test process's own peak means nothing here
		b.ReportMetric(float64(peak)/1024, "MiB-VmHWM")
	}
	if l, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(l)); len(f) > 0 {
			if v, err := strconv.ParseFloat(f[0], 64); err == nil {
				b.ReportMetric(v, "loadavg-1min")
			}
		}
	}
	b.ReportMetric(float64(failures), "failures")
	b.ReportMetric(float64(refused), "refused-4xx")
	b.ReportMetric(0, "ns/op")
}

// percentileMs is the p-th latency of ls, in milliseconds.
func percentileMs(ls []time.Duration, p float64) float64 {
	slices.Sort(ls)
	return float64(ls[int(float64(len(ls)-1)*p)].Microseconds()) / 1000
}
