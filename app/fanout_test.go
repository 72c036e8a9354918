package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"convene/app/store"
)

// A fan-out to many servers over HTTPS (HTTP/2, as most servers offer)
// must not leave a connection open to each of them: every one holds TLS
// state and buffers on both sides, so memory would grow with the number
// of servers reached. The servers see their connections closed once the
// batch is delivered; a second event to the same servers is delivered
// too.
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
		for openConns() > deliveryKeepConnsUnder && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if got := openConns(); got > deliveryKeepConnsUnder {
			t.Fatalf("round %d: %d connections left open after reaching %d servers, want at most %d", round, got, servers, deliveryKeepConnsUnder)
		}
	}
}
