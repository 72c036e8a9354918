package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// A fan-out to many servers over HTTPS (offering HTTP/2, as most
// servers do) must not leave a connection open to each of them: every
// one holds TLS state and buffers on both sides, so memory would grow
// with the number of servers reached. The servers see all but the most
// recent few connections closed once the batch is delivered; a second
// event to the same servers is delivered too.
func TestFanOutLeavesFewConnectionsOpen(t *testing.T) {
	const servers = 150
	var (
		mu       sync.Mutex
		open     = map[net.Conn]bool{}
		requests atomic.Int64
	)
	peer := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusAccepted)
	}))
	peer.Config.ConnState = func(c net.Conn, s http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		switch s {
		case http.StateNew:
			open[c] = true
		case http.StateClosed, http.StateHijacked:
			delete(open, c)
		}
	}
	peer.TLS = &tls.Config{Certificates: []tls.Certificate{ecdsaPeerCert(t)}}
	peer.EnableHTTP2 = true
	peer.StartTLS()
	defer peer.Close()
	roots := x509.NewCertPool()
	roots.AddCert(peer.Certificate())
	_, port, _ := net.SplitHostPort(peer.Listener.Addr().String())
	ti := newTestInstance(t, func(c *Config) {
		c.UnsafeAllowPrivateFederation, c.FederationResolve, c.FederationRootCAs = true, peerNames, roots
	})
	_, bob := ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	addRemoteFollowers(t, ti.App, bob, servers, servers, "https://peer%d.example.com:"+port)
	openConns := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(open)
	}
	for round := 1; round <= 2; round++ {
		publishEvent(t, ti.App, bob, "Fan-out", store.VisibilityPublic)
		n, err := ti.App.DeliverDue(context.Background())
		if err != nil || n != servers {
			t.Fatalf("round %d: delivered %d of %d: %v", round, n, servers, err)
		}
		if got := requests.Load(); got != int64(round*servers) {
			t.Fatalf("round %d: the servers got %d requests, want %d", round, got, round*servers)
		}
		deadline := time.Now().Add(5 * time.Second)
		for openConns() > ap.MaxIdleConns && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if got := openConns(); got > ap.MaxIdleConns {
			t.Fatalf("round %d: %d connections left open after reaching %d servers, want at most %d", round, got, servers, ap.MaxIdleConns)
		}
	}
}

// A server receiving many deliveries (its members' own inboxes) gets
// them over HTTP/1.1 even though it offers HTTP/2, on no more
// connections than deliveries run at once to one server, kept alive
// between requests and from one fan-out to the next: a handshake per
// connection, not per delivery.
func TestDeliveriesReuseKeptAliveConnections(t *testing.T) {
	const inboxes = 40
	var (
		conns, requests atomic.Int64
		mu              sync.Mutex
		protos          = map[string]int{}
	)
	peer := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		protos[r.Proto]++
		mu.Unlock()
		requests.Add(1)
		w.WriteHeader(http.StatusAccepted)
	}))
	peer.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	peer.TLS = &tls.Config{Certificates: []tls.Certificate{ecdsaPeerCert(t)}}
	peer.EnableHTTP2 = true
	peer.StartTLS()
	defer peer.Close()
	roots := x509.NewCertPool()
	roots.AddCert(peer.Certificate())
	_, port, _ := net.SplitHostPort(peer.Listener.Addr().String())
	ti := newTestInstance(t, func(c *Config) {
		c.UnsafeAllowPrivateFederation, c.FederationResolve, c.FederationRootCAs = true, peerNames, roots
	})
	_, bob := ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	for round := 1; round <= 2; round++ {
		var to []store.Inbox
		for i := range inboxes {
			to = append(to, store.Inbox{URL: fmt.Sprintf("https://peer1.example.com:%s/users/u%d/inbox", port, i), Host: "peer1.example.com"})
		}
		enqueueTo(t, ti.App, bob, to...)
		if n, err := ti.App.DeliverDue(context.Background()); err != nil || n != inboxes {
			t.Fatalf("round %d: delivered %d of %d: %v", round, n, inboxes, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if requests.Load() != 2*inboxes || protos["HTTP/1.1"] != 2*inboxes {
		t.Fatalf("the server got %d requests, by protocol %v; want %d over HTTP/1.1", requests.Load(), protos, 2*inboxes)
	}
	if got := conns.Load(); got > deliveryPerHost {
		t.Fatalf("%d connections for %d deliveries to one server, want at most %d", got, 2*inboxes, deliveryPerHost)
	}
}

// Replies POSTed at once by a busy peer are written together (one
// transaction for whatever arrived meanwhile), but each is answered 202
// only once it is on disk: a restart right after loses none of them, and
// a replay sent in the same burst is still taken once.
func TestInboxBurstSurvivesRestart(t *testing.T) {
	const replies = 40
	us := newFedInstance(t)
	_, bob := us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	e := publishEvent(t, us.App, bob, "Replies welcome", store.VisibilityPublic)
	peer := newFakePeer(t)
	eve := peer.actor("eve")
	bodies := make([][]byte, 0, replies+1)
	for i := range replies {
		note := ap.NewNote(fmt.Sprintf("%s/notes/%d", peer.srv.URL, i), eve, us.App.eventURI(e), fmt.Sprintf("<p>reply %d</p>", i), time.Now(), []string{ap.Public}, nil)
		body, _ := json.Marshal(ap.NewCreate(fmt.Sprintf("%s/notes/%d/activity", peer.srv.URL, i), eve, note, []string{ap.Public}, nil))
		bodies = append(bodies, body)
	}
	bodies = append(bodies, bodies[7]) // a replay, in the same burst
	if code := peer.post(t, us.URL+"/inbox", "eve", nil, bodies[0], nil); code != http.StatusAccepted {
		t.Fatalf("first reply: %d", code) // the key is fetched once, before the burst
	}
	var wg sync.WaitGroup
	codes := make([]int, len(bodies))
	for i := 1; i < len(bodies); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = peer.post(t, us.URL+"/inbox", "eve", nil, bodies[i], nil)
		}()
	}
	wg.Wait()
	for i, code := range codes[1:] {
		if code != http.StatusAccepted {
			t.Fatalf("reply %d: %d, want 202", i+1, code)
		}
	}
	us.restart() // nothing processed yet
	if _, err := us.App.ProcessInbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	var n, distinct int
	if err := us.App.store.DB().QueryRow(`SELECT count(*), count(DISTINCT uri) FROM comments WHERE event_id = ?`, e.ID).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != replies || distinct != replies {
		t.Fatalf("%d comments (%d distinct) after the restart, want %d", n, distinct, replies)
	}
}
