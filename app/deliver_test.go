package app

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"convene/app/store"
)

// deliveryRow is a delivery as the queue holds it.
type deliveryRow struct {
	attempts int
	next     time.Time
	failed   bool
	lastErr  string
}

func deliveryTo(t *testing.T, a *App, inbox string) (deliveryRow, bool) {
	t.Helper()
	var r deliveryRow
	var next int64
	var failed sql.NullInt64
	err := a.store.DB().QueryRow(`SELECT attempts, next_attempt_at, failed_at, last_error FROM deliveries WHERE inbox_url = ?`, inbox).
		Scan(&r.attempts, &next, &failed, &r.lastErr)
	if err == sql.ErrNoRows {
		return r, false
	}
	if err != nil {
		t.Fatal(err)
	}
	r.next, r.failed = time.Unix(next, 0), failed.Valid
	return r, true
}

func enqueueTo(t *testing.T, a *App, actor *store.Actor, inboxes ...store.Inbox) {
	t.Helper()
	ctx := context.Background()
	err := a.store.Tx(ctx, func(tx *sql.Tx) error {
		id := a.newActivityURI()
		return a.enqueueActivity(ctx, tx, actor, id, map[string]string{"id": id, "type": "Test"}, inboxes, time.Time{})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The delivery policy: 2xx done; 5xx retried with backoff; 429 retried
// after its (capped) Retry-After; other 4xx dropped; retries stop after
// about two days; names that do not resolve are given up after a few tries;
// at most a few requests at once to one server.
func TestDeliveryPolicy(t *testing.T) {
	var inFlight, maxInFlight atomic.Int32
	var mu sync.Mutex
	hits := map[string]int{}
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		switch {
		case r.URL.Path == "/500":
			w.WriteHeader(http.StatusInternalServerError)
		case r.URL.Path == "/429":
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
		case r.URL.Path == "/429-forever":
			w.Header().Set("Retry-After", "9999999")
			w.WriteHeader(http.StatusTooManyRequests)
		case r.URL.Path == "/404":
			w.WriteHeader(http.StatusNotFound)
		case strings.HasPrefix(r.URL.Path, "/slow"):
			time.Sleep(50 * time.Millisecond)
			w.WriteHeader(http.StatusAccepted)
		default:
			w.WriteHeader(http.StatusAccepted)
		}
	}))
	defer peer.Close()

	clock := &fedClock{}
	srv := httptest.NewUnstartedServer(nil)
	a, err := New(context.Background(), Config{DataPath: filepath.Join(t.TempDir(), "c.db"), BaseURL: "http://" + srv.Listener.Addr().String(),
		Schema: testSchema, Now: clock.Now, UnsafeAllowPrivateFederation: true,
		FederationResolve: func(ctx context.Context, host string) ([]netip.Addr, error) {
			if host == "gone.example" {
				return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
			}
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	_, bob, err := a.store.CreateAccountWithIdentity(ctx, "bob@example.org", "", false, store.NewIdentity{Username: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	in := func(path string) store.Inbox { return store.Inbox{URL: peer.URL + path, Host: "peer.example"} }
	gone := store.Inbox{URL: "http://gone.example/inbox", Host: "gone.example"}
	enqueueTo(t, a, bob, in("/ok"), in("/500"), in("/429"), in("/429-forever"), in("/404"), gone)
	for i := 0; i < 20; i++ {
		enqueueTo(t, a, bob, in(fmt.Sprintf("/slow/%d", i)))
	}
	if n, err := a.DeliverDue(ctx); err != nil || n != 21 {
		t.Fatalf("first pass delivered %d, %v; want 21", n, err)
	}
	if m := maxInFlight.Load(); m > deliveryPerHost {
		t.Fatalf("%d requests at once to one server, limit %d", m, deliveryPerHost)
	}
	if _, ok := deliveryTo(t, a, peer.URL+"/ok"); ok {
		t.Fatal("a delivered row is still queued")
	}
	now := clock.Now()
	if r, _ := deliveryTo(t, a, peer.URL+"/404"); !r.failed {
		t.Fatalf("a 404 is not dropped: %+v", r)
	}
	if r, _ := deliveryTo(t, a, peer.URL+"/500"); r.failed || r.next.Sub(now) < 20*time.Second || r.next.Sub(now) > 40*time.Second {
		t.Fatalf("a 500 is not retried in about 30 s: %+v", r)
	}
	if r, _ := deliveryTo(t, a, peer.URL+"/429"); r.failed || r.next.Sub(now) < 59*time.Minute {
		t.Fatalf("a 429 with Retry-After: 3600 is retried at %v", r.next.Sub(now))
	}
	if r, _ := deliveryTo(t, a, peer.URL+"/429-forever"); r.next.Sub(now) > deliveryMaxRetryAfter+time.Minute {
		t.Fatalf("Retry-After is not capped: retried in %v", r.next.Sub(now))
	}
	// A second pass right away sends nothing: nothing is due.
	if n, _ := a.DeliverDue(ctx); n != 0 || hits["/500"] != 1 {
		t.Fatalf("a second pass at once: %d delivered, %d hits on /500", n, hits["/500"])
	}
	// Two days of failures later, everything is given up.
	for i := 0; i < 100; i++ {
		next, _ := a.store.NextDeliveryDue(ctx)
		if next.IsZero() {
			break
		}
		clock.Advance(next.Sub(clock.Now()) + time.Second)
		a.DeliverDue(ctx)
	}
	for _, u := range []string{peer.URL + "/500", peer.URL + "/429", gone.URL} {
		if r, _ := deliveryTo(t, a, u); !r.failed {
			t.Fatalf("%s not given up after two days: %+v", u, r)
		}
	}
	if r, _ := deliveryTo(t, a, gone.URL); r.attempts != deliveryNXDomainTries || r.lastErr != "domain does not resolve" {
		t.Fatalf("a name that does not resolve: %+v", r)
	}
	if h := hits["/500"]; h < 8 || h > 20 {
		t.Fatalf("%d attempts at a failing server in two days; want about a dozen", h)
	}
}

// One slow server does not hold up everyone else's deliveries: the next
// batch is sent while a batch's last request is still waiting for its
// server.
func TestSlowServerDoesNotHoldUpTheNextBatch(t *testing.T) {
	others := deliveryBatch + 10
	release := make(chan struct{})
	var delivered atomic.Int64
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		} else {
			delivered.Add(1)
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer peer.Close()
	ti := newTestInstance(t, func(c *Config) { c.UnsafeAllowPrivateFederation = true })
	_, bob := ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	enqueueTo(t, ti.App, bob, store.Inbox{URL: peer.URL + "/slow", Host: "slow.example"}) // claimed first
	var to []store.Inbox
	for i := range others {
		to = append(to, store.Inbox{URL: fmt.Sprintf("%s/inbox/%d", peer.URL, i), Host: fmt.Sprintf("peer%d.example", i)})
	}
	enqueueTo(t, ti.App, bob, to...)
	result := make(chan int, 1)
	go func() {
		n, err := ti.App.DeliverDue(context.Background())
		if err != nil {
			t.Error(err)
		}
		result <- n
	}()
	deadline := time.Now().Add(10 * time.Second)
	for delivered.Load() < int64(others) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := delivered.Load()
	close(release)
	n := <-result
	if got != int64(others) {
		t.Fatalf("%d of %d deliveries made while one server was slow, want all of them", got, others)
	}
	if n != others+1 {
		t.Fatalf("delivered %d, want %d", n, others+1)
	}
}
