package admit

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func all(*http.Request) bool { return true }

var client = &http.Client{Timeout: 10 * time.Second}

// get asks for path and returns the body; it fails the test on an error.
func get(t *testing.T, url string) string {
	t.Helper()
	res, err := client.Get(url)
	if err != nil {
		t.Error(err)
		return ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// Fifty visitors at once: never more than the limiter's size being worked
// on, and every one of them answered.
func TestAtMostNRequestsRunAtOnce(t *testing.T) {
	var running, most atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(5 * time.Millisecond)
		running.Add(-1)
		io.WriteString(w, "ok")
	})
	srv := httptest.NewServer(New(3, 1<<20).Wrap(h, all))
	defer srv.Close()
	var wg sync.WaitGroup
	var answered atomic.Int32
	for range 50 {
		wg.Go(func() {
			if get(t, srv.URL) == "ok" {
				answered.Add(1)
			}
		})
	}
	wg.Wait()
	if most.Load() > 3 || answered.Load() != 50 {
		t.Errorf("at most %d at once (want ≤ 3), %d of 50 answered", most.Load(), answered.Load())
	}
}

// Requests waiting for a slot are worked on in the order they came.
func TestWaitingRequestsGoInArrivalOrder(t *testing.T) {
	gate := make(chan struct{})
	var mu sync.Mutex
	var order []int
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if n == 0 {
			<-gate // holds the only slot until every other one waits
		}
		mu.Lock()
		order = append(order, n)
		mu.Unlock()
	})
	l := New(1, 1<<20)
	var arrived atomic.Int32
	inner := l.Wrap(h, all)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()
	var wg sync.WaitGroup
	wg.Go(func() { get(t, srv.URL+"?n=0") })
	waitFor(t, func() bool { return len(l.slots) == 1 })
	for i := 1; i <= 10; i++ {
		wg.Go(func() { get(t, srv.URL+"?n="+strconv.Itoa(i)) })
		// The next one leaves only once this one is at the limiter.
		waitFor(t, func() bool { return arrived.Load() == int32(i+1) })
		time.Sleep(20 * time.Millisecond)
	}
	close(gate)
	wg.Wait()
	if got := strings.Join(strings.Fields(fmtInts(order)), ","); got != "0,1,2,3,4,5,6,7,8,9,10" {
		t.Errorf("worked on in the order %s, want 0,1,…,10", got)
	}
}

// A visitor who gives up while waiting is never worked on, and the slots
// stay free for the others.
func TestAVisitorWhoLeavesWhileWaitingIsDropped(t *testing.T) {
	gate := make(chan struct{})
	var ran atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("hold") != "" {
			<-gate
			return
		}
		ran.Add(1)
		io.WriteString(w, "ok")
	})
	l := New(1, 1<<20)
	srv := httptest.NewServer(l.Wrap(h, all))
	defer srv.Close()
	var wg sync.WaitGroup
	wg.Go(func() { get(t, srv.URL+"?hold=1") })
	waitFor(t, func() bool { return len(l.slots) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Error("answered while the only slot was held")
	}
	time.Sleep(50 * time.Millisecond) // the server sees the connection closed
	close(gate)
	wg.Wait()
	if got := get(t, srv.URL); got != "ok" || ran.Load() != 1 {
		t.Errorf("after: %q, worked on %d times (want once, the last request)", got, ran.Load())
	}
}

// A large answer frees its slot once it has written the limiter's bytes:
// a slow reader of an export does not hold up the pages of others; and
// requests the limiter is not asked about never wait.
func TestALargeAnswerFreesItsSlotAndOthersNeverWait(t *testing.T) {
	written := make(chan struct{})
	gate := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/export":
			w.Write(make([]byte, 2000))
			close(written)
			<-gate // still sending, as to a slow reader
		default:
			io.WriteString(w, "ok")
		}
	})
	l := New(1, 1000)
	srv := httptest.NewServer(l.Wrap(h, func(r *http.Request) bool { return r.URL.Path != "/static" }))
	defer srv.Close()
	var wg sync.WaitGroup
	wg.Go(func() { get(t, srv.URL+"/export") })
	<-written
	if got := get(t, srv.URL+"/page"); got != "ok" {
		t.Errorf("page while an export is sent: %q", got)
	}
	close(gate)
	wg.Wait()

	hold := make(chan struct{})
	l2 := New(1, 1<<20)
	srv2 := httptest.NewServer(l2.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-hold
		}
		io.WriteString(w, "ok")
	}), func(r *http.Request) bool { return r.URL.Path != "/static" }))
	defer srv2.Close()
	wg.Go(func() { get(t, srv2.URL+"/slow") })
	waitFor(t, func() bool { return len(l2.slots) == 1 })
	if got := get(t, srv2.URL+"/static"); got != "ok" {
		t.Errorf("static file while the slot is held: %q", got)
	}
	close(hold)
	wg.Wait()
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for start := time.Now(); !cond(); time.Sleep(time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatal("condition never met")
		}
	}
}

func fmtInts(ns []int) string {
	var b strings.Builder
	for _, n := range ns {
		b.WriteString(strconv.Itoa(n) + " ")
	}
	return b.String()
}

// A request waiting on another server steps aside: while it waits, the
// others are worked on, and it takes its turn again when the answer comes.
func TestARequestWaitingElsewhereGivesItsSlotAway(t *testing.T) {
	peer, away := make(chan struct{}), make(chan struct{})
	var resumed atomic.Bool
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/lookup" {
			back := Away(r.Context())
			close(away)
			<-peer // a slow remote server
			back()
			resumed.Store(true)
			io.WriteString(w, "found")
			return
		}
		io.WriteString(w, "ok")
	})
	l := New(1, 1<<20)
	srv := httptest.NewServer(l.Wrap(h, all))
	defer srv.Close()
	var wg sync.WaitGroup
	var lookup string
	wg.Go(func() { lookup = get(t, srv.URL+"/lookup") })
	defer func() {
		select {
		case <-peer:
		default:
			close(peer)
		}
	}()
	<-away
	for range 3 {
		if got := get(t, srv.URL+"/page"); got != "ok" {
			t.Errorf("page while another request waits on a peer: %q", got)
		}
	}
	close(peer)
	wg.Wait()
	if lookup != "found" || !resumed.Load() || len(l.slots) != 0 {
		t.Errorf("lookup %q, resumed %v, slots held after %d", lookup, resumed.Load(), len(l.slots))
	}
	// Outside an admitted request, Away does nothing.
	Away(context.Background())()
}
