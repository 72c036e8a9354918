package app

import (
	"bytes"
	"context"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// peakHeap samples the heap in use until stopped and returns its peak.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// One public event to 10,000 followers on 1,000 servers: one request per
// server's shared inbox. The baseline is 1,000 followers, one per server:
// the same requests, ten times fewer followers.
//
// The 1,000 servers are 1,000 host names (peerN.example.com) that all
// resolve to one loopback listener serving HTTPS with httptest's
// certificate (RSA-2048, valid for *.example.com), which the delivering
// client is told to trust. As the names differ, every server costs its
// own connection and TLS handshake, as it would on the internet; what
// this does not have is network latency. The same fan-out over plain
// HTTP is measured too, so the handshakes' share shows.
//
//	go test ./app -run '^$' -bench BenchmarkFanOut -benchtime 1x
func BenchmarkFanOut(b *testing.B) {
	b.Run("10000-followers-1000-servers-tls", func(b *testing.B) { benchmarkFanOut(b, 10_000, 1_000, true) })
	b.Run("1000-followers-1000-servers-tls-baseline", func(b *testing.B) { benchmarkFanOut(b, 1_000, 1_000, true) })
	b.Run("1000-followers-1000-servers-plain-http", func(b *testing.B) { benchmarkFanOut(b, 1_000, 1_000, false) })
}

// peerNames resolves every *.example.com name (httptest's certificate
// covers them) to loopback.
func peerNames(_ context.Context, host string) ([]netip.Addr, error) {
	if strings.HasSuffix(host, ".example.com") {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func benchmarkFanOut(b *testing.B, followers, servers int, useTLS bool) {
	var requests atomic.Int64
	peer := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusAccepted)
	}))
	scheme := "http"
	if useTLS {
		peer.StartTLS()
		scheme = "https"
	} else {
		peer.Start()
	}
	defer peer.Close()
	_, port, _ := net.SplitHostPort(peer.Listener.Addr().String())
	roots := x509.NewCertPool()
	if useTLS {
		roots.AddCert(peer.Certificate())
	}
	ti := newTestInstance(b, func(c *Config) {
		c.UnsafeAllowPrivateFederation, c.FederationResolve, c.FederationRootCAs = true, peerNames, roots
	})
	_, bob := ti.createAccount(b, "bob@example.org", "bob", "correct horse battery", false)
	ctx := context.Background()
	err := ti.App.store.Tx(ctx, func(tx *sql.Tx) error {
		now := time.Now().Unix()
		for i := 0; i < followers; i++ {
			server := i % servers
			origin := fmt.Sprintf("%s://peer%d.example.com:%s", scheme, server, port)
			res, err := tx.ExecContext(ctx, `INSERT INTO actors (kind, username, domain, uri, inbox_url, shared_inbox_url, created_at, updated_at)
				VALUES ('person', ?, ?, ?, ?, ?, ?, ?)`, fmt.Sprintf("f%d", i), fmt.Sprintf("peer%d.example.com", server),
				fmt.Sprintf("%s/users/f%d", origin, i), fmt.Sprintf("%s/users/f%d/inbox", origin, i),
				fmt.Sprintf("%s/shared", origin), now, now)
			if err != nil {
				return err
			}
			id, _ := res.LastInsertId()
			if _, err := tx.ExecContext(ctx, `INSERT INTO follows (follower_id, followed_id, activity_uri, state, created_at)
				VALUES (?, ?, ?, 'accepted', ?)`, id, bob.ID, fmt.Sprintf("%s/follows/%d", origin, i), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	ti.App.actorKeys(ctx, bob.ID) // made once, not part of the fan-out
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		requests.Store(0)
		runtime.GC()
		stop := peakHeap()
		start := time.Now()
		publishEvent(b, ti.App, bob, "Fan-out", store.VisibilityPublic)
		queued := time.Since(start)
		n, err := ti.App.DeliverDue(ctx)
		elapsed := time.Since(start)
		peak := stop()
		if err != nil || n != servers || requests.Load() != int64(servers) {
			b.Fatalf("delivered %d, %d requests (want %d), %v", n, requests.Load(), servers, err)
		}
		b.ReportMetric(float64(requests.Load()), "requests")
		b.ReportMetric(float64(queued.Milliseconds()), "ms-to-queue")
		b.ReportMetric(float64(elapsed.Milliseconds()), "ms-total")
		b.ReportMetric(float64(peak)/(1<<20), "MiB-peak-heap")
	}
}

// Signed Create Note replies through the inbox, stored, per second; the
// baseline is the same requests with signature checks skipped.
//
//	go test ./app -run '^$' -bench BenchmarkInbox -benchtime 2000x
func BenchmarkInbox(b *testing.B) {
	for _, verify := range []bool{true, false} {
		name := "verified"
		if !verify {
			name = "unverified-baseline"
		}
		b.Run(name, func(b *testing.B) {
			us := newFedInstance(b)
			us.App.fed.skipVerify = !verify
			_, bob := us.ti.createAccount(b, "bob@example.org", "bob", "correct horse battery", false)
			e := publishEvent(b, us.App, bob, "Replies welcome", store.VisibilityPublic)
			peer := newFakePeer(b)
			eve := peer.actor("eve")
			key := testKeys(b)[0]
			bodies := make([][]byte, b.N)
			for i := range bodies {
				note := ap.NewNote(fmt.Sprintf("%s/notes/%d", peer.srv.URL, i), eve, us.App.eventURI(e), "<p>I’m coming!</p>", time.Now(), []string{ap.Public}, nil)
				bodies[i], _ = json.Marshal(ap.NewCreate(fmt.Sprintf("%s/notes/%d/activity", peer.srv.URL, i), eve, note, []string{ap.Public}, nil))
			}
			// Warm the key and actor caches, as a peer that talks to us often has.
			warm := peer.follow(eve+"#warm", eve, us.URL+"/@bob")
			peer.post(b, us.URL+"/inbox", "eve", key, warm, nil)
			us.App.ProcessInbox(context.Background())
			client := &http.Client{}
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				req, _ := http.NewRequest(http.MethodPost, us.URL+"/inbox", bytes.NewReader(bodies[i]))
				req.Header.Set("Content-Type", ap.ContentTypeActivityJSON)
				ap.SignRequest(req, bodies[i], ap.KeyID(eve), key)
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusAccepted {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
			if _, err := us.App.ProcessInbox(context.Background()); err != nil {
				b.Fatal(err)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			// Replies to our events are kept as comments (comments.go).
			stored := 0
			for _, state := range []string{store.CommentVisible, store.CommentHeld, store.CommentRejected} {
				n, _ := us.App.store.CountComments(context.Background(), e.ID, state)
				stored += n
			}
			if stored != b.N {
				b.Fatalf("%d replies stored, want %d", stored, b.N)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "activities/s")
		})
	}
}
