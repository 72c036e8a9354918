package app

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// peakHeap samples the heap in use (objects and free space in spans in
// use, as MemStats.HeapInuse) until stopped and returns its peak. It
// reads runtime/metrics, which does not stop the world as ReadMemStats
// does, so the sampling does not slow what it measures.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
		for {
			metrics.Read(samples)
			if inuse := samples[0].Value.Uint64() + samples[1].Value.Uint64(); inuse > peak.Load() {
				peak.Store(inuse)
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

// One public event to the shared inboxes of 1,000 servers, measured
// against the signing floor: the time to make 1,000 signatures with the
// same key on the same cores (runtime.NumCPU() goroutines), in the same
// run. x-floor is the ratio; the target is 2 or less.
//
// The 1,000 servers are 1,000 host names (peerN.example.com) that all
// resolve to one loopback listener serving HTTPS (offering HTTP/2 and
// HTTP/1.1), whose certificate the delivering client is told to trust.
// As the names differ, every server costs its own connection and TLS
// handshake, as it would on the internet; what this does not have is
// network latency. The listener checks the signature of every request
// (a failure fails the benchmark), as a peer does. Its certificate is
// ECDSA P-256 (what Let's Encrypt and certmagic issue by default, so
// what most servers present today) or RSA-2048 (httptest's own).
//
// The listener runs in this process, or ("peer-process") in a process
// of its own (this test binary run again, see fanOutPeerMain). In both
// it shares these cores: wall time counts its handshakes, which a real
// peer does on its own machine. The process's CPU time (x-floor-cpu)
// counts them only in this process; peer-cpu-ms is the peer process's,
// and x-floor-cpu-both adds it back.
//
// The same fan-out over plain HTTP shows what the handshakes cost;
// 10,000 followers on the same servers show that followers sharing an
// inbox cost little. "again" is a second event to the same servers.
//
//	go test ./app -run '^$' -bench BenchmarkFanOut -benchtime 1x -cpu 2,1
func BenchmarkFanOut(b *testing.B) {
	b.Run("1000-servers-tls-ecdsa", func(b *testing.B) { benchmarkFanOut(b, fanOut{1_000, 1_000, certECDSA, false, false}) })
	b.Run("1000-servers-tls-ecdsa-peer-process", func(b *testing.B) { benchmarkFanOut(b, fanOut{1_000, 1_000, certECDSA, false, true}) })
	b.Run("1000-servers-tls-ecdsa-again", func(b *testing.B) { benchmarkFanOut(b, fanOut{1_000, 1_000, certECDSA, true, false}) })
	b.Run("1000-servers-tls-ecdsa-again-peer-process", func(b *testing.B) { benchmarkFanOut(b, fanOut{1_000, 1_000, certECDSA, true, true}) })
	b.Run("10000-followers-1000-servers-tls-ecdsa", func(b *testing.B) { benchmarkFanOut(b, fanOut{10_000, 1_000, certECDSA, false, false}) })
	b.Run("1000-servers-tls-rsa", func(b *testing.B) { benchmarkFanOut(b, fanOut{1_000, 1_000, certRSA, false, false}) })
	b.Run("1000-servers-tls-rsa-peer-process", func(b *testing.B) { benchmarkFanOut(b, fanOut{1_000, 1_000, certRSA, false, true}) })
	b.Run("1000-servers-plain-http", func(b *testing.B) { benchmarkFanOut(b, fanOut{1_000, 1_000, noTLS, false, false}) })
}

// fanOut is one shape of the fan-out benchmark.
type fanOut struct {
	followers, servers int
	cert               peerCert
	// again publishes a first event, untimed, so that the measured one
	// goes to servers reached before: most of their connections are
	// closed by then, but their TLS sessions are resumed (no certificate
	// to send, sign and check), as for an instance that publishes to the
	// same servers often.
	again bool
	// peerProcess runs the listener in a process of its own.
	peerProcess bool
}

type peerCert int

const (
	noTLS peerCert = iota
	certECDSA
	certRSA
)

// peerNames resolves every *.example.com name (the test certificates
// cover them) to loopback.
func peerNames(_ context.Context, host string) ([]netip.Addr, error) {
	if strings.HasSuffix(host, ".example.com") {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// ecdsaPeerCert is a self-signed ECDSA P-256 certificate for
// *.example.com, as a test peer's.
func ecdsaPeerCert(b testing.TB) tls.Certificate {
	c, err := newECDSAPeerCert()
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func newECDSAPeerCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "example.com"},
		DNSNames:              []string{"example.com", "*.example.com"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// fanOutPeer is the benchmark's listener: it checks the HTTP signature
// of every POST with the one key it knows and answers 202, or 401 when
// the signature does not verify. GET /stats tells what it got and the
// CPU time of its process.
type fanOutPeer struct {
	keyID         string
	key           *rsa.PublicKey
	requests, bad atomic.Int64
}

type fanOutPeerStats struct {
	Requests, Bad int64
	CPU           time.Duration
}

func (p *fanOutPeer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/stats" {
		_ = json.NewEncoder(w).Encode(fanOutPeerStats{p.requests.Load(), p.bad.Load(), cpuTime()})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		_, _, err = ap.VerifyRequest(r, body, time.Now(), func(_ context.Context, keyID string) (*rsa.PublicKey, string, error) {
			if keyID != p.keyID {
				return nil, "", errors.New("unknown key")
			}
			return p.key, "", nil
		})
	}
	p.requests.Add(1)
	if err != nil {
		p.bad.Add(1)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// newPeerServer starts a listener for p with the given certificate.
func newPeerServer(p *fanOutPeer, cert peerCert) (*httptest.Server, error) {
	srv := httptest.NewUnstartedServer(p)
	switch cert {
	case certECDSA:
		c, err := newECDSAPeerCert()
		if err != nil {
			return nil, err
		}
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{c}}
		fallthrough
	case certRSA:
		srv.EnableHTTP2 = true
		srv.StartTLS()
	default:
		srv.Start()
	}
	return srv, nil
}

// The peer process is this test binary run again with fanOutPeerEnv set
// (to the certificate kind) and the signer's key id and public key in
// fanOutPeerKeyEnv: init hands it to fanOutPeerMain before any test runs.
const (
	fanOutPeerEnv    = "CONVENE_FANOUT_PEER"
	fanOutPeerKeyEnv = "CONVENE_FANOUT_PEER_KEY"
)

func init() {
	if kind := os.Getenv(fanOutPeerEnv); kind != "" {
		os.Exit(fanOutPeerMain(kind))
	}
}

// fanOutPeerMain serves as the peer until its standard input is closed.
// Its first line of output is the listener's address and its
// certificate (base64 DER, empty for plain HTTP).
func fanOutPeerMain(kind string) int {
	keyID, pemText, _ := strings.Cut(os.Getenv(fanOutPeerKeyEnv), " ")
	key, err := ap.ParsePublicKeyPEM(pemText)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var cert peerCert
	if _, err := fmt.Sscan(kind, &cert); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv, err := newPeerServer(&fanOutPeer{keyID: keyID, key: key}, cert)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer srv.Close()
	der := ""
	if srv.Certificate() != nil {
		der = base64.StdEncoding.EncodeToString(srv.Certificate().Raw)
	}
	fmt.Printf("%s %s\n", srv.Listener.Addr(), der)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// startPeer starts the benchmark's listener, in this process or in its
// own, for requests signed by signer. It returns the listener's address,
// its certificate (nil for plain HTTP) and a function reading its stats.
func startPeer(b *testing.B, cert peerCert, signer *ap.Signer, ownProcess bool) (addr string, crt *x509.Certificate, stats func() fanOutPeerStats) {
	if !ownProcess {
		p := &fanOutPeer{keyID: signer.KeyID, key: &signer.Key.PublicKey}
		srv, err := newPeerServer(p, cert)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(srv.Close)
		return srv.Listener.Addr().String(), srv.Certificate(), func() fanOutPeerStats {
			return fanOutPeerStats{Requests: p.requests.Load(), Bad: p.bad.Load()}
		}
	}
	pemText, err := ap.EncodePublicKeyPEM(&signer.Key.PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", fanOutPeerEnv, cert), fanOutPeerKeyEnv+"="+signer.KeyID+" "+pemText)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("peer process: %v", err)
	}
	addr, der, _ := strings.Cut(strings.TrimSpace(line), " ")
	var client *http.Client
	scheme := "http"
	if der != "" {
		raw, err := base64.StdEncoding.DecodeString(der)
		if err != nil {
			b.Fatal(err)
		}
		if crt, err = x509.ParseCertificate(raw); err != nil {
			b.Fatal(err)
		}
		roots := x509.NewCertPool()
		roots.AddCert(crt)
		client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "example.com"}}}
		scheme = "https"
	} else {
		client = &http.Client{Transport: &http.Transport{}}
	}
	b.Cleanup(client.CloseIdleConnections)
	return addr, crt, func() fanOutPeerStats {
		var s fanOutPeerStats
		res, err := client.Get(scheme + "://" + addr + "/stats")
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
			b.Fatal(err)
		}
		return s
	}
}

// signingFloor is how long n signatures of the fan-out's shape (a POST
// of body to n different hosts) take with key on runtime.NumCPU()
// goroutines: what no fan-out can beat.
func signingFloor(b testing.TB, signer *ap.Signer, body []byte, n int) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("https://peer%d.example.com/shared", i), bytes.NewReader(body))
				if err := signer.Sign(req, body); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

func benchmarkFanOut(b *testing.B, f fanOut) {
	// The delivering instance and its key first: the listener knows the
	// key it checks signatures with.
	ti := newTestInstance(b, func(c *Config) {
		c.UnsafeAllowPrivateFederation, c.FederationResolve = true, peerNames
		c.FederationRootCAs = x509.NewCertPool() // the listener's certificate is added below
	})
	_, bob := ti.createAccount(b, "bob@example.org", "bob", "correct horse battery", false)
	ctx := context.Background()
	bobActor, err := ti.App.store.ActorByID(ctx, bob.ID)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := ti.App.signer(ctx, bobActor) // the key is made once, not part of the fan-out
	if err != nil {
		b.Fatal(err)
	}
	addr, crt, peerStats := startPeer(b, f.cert, signer, f.peerProcess)
	scheme := "http"
	if crt != nil {
		ti.App.cfg.FederationRootCAs.AddCert(crt)
		scheme = "https"
	}
	_, port, _ := net.SplitHostPort(addr)
	addRemoteFollowers(b, ti.App, bob, f.followers, f.servers, scheme+"://peer%d.example.com:"+port)
	// The floor is measured just before and just after each fan-out and
	// averaged, so that both see about the same load on a shared
	// machine; CPU time (the process's) is reported beside wall time,
	// being less sensitive to other processes.
	if f.again {
		publishEvent(b, ti.App, bob, "Fan-out", store.VisibilityPublic)
		if n, err := ti.App.DeliverDue(ctx); err != nil || n != f.servers {
			b.Fatalf("first fan-out: delivered %d, %v", n, err)
		}
	}
	floorBody := make([]byte, 2000) // about the size of the event's Create
	measureFloor := func() (wall, cpu time.Duration) {
		c := cpuTime()
		wall = signingFloor(b, signer, floorBody, f.servers)
		return wall, cpuTime() - c
	}
	var total, totalCPU, peerCPU, floor, floorCPU time.Duration
	var peak uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w1, c1 := measureFloor()
		before := peerStats()
		runtime.GC()
		b.StartTimer()
		stop := peakHeap()
		cpu := cpuTime()
		start := time.Now()
		publishEvent(b, ti.App, bob, "Fan-out", store.VisibilityPublic)
		queued := time.Since(start)
		n, err := ti.App.DeliverDue(ctx)
		elapsed := time.Since(start)
		totalCPU += cpuTime() - cpu
		peak = max(peak, stop())
		b.StopTimer()
		after := peerStats()
		peerCPU += after.CPU - before.CPU
		if got, bad := after.Requests-before.Requests, after.Bad-before.Bad; err != nil || n != f.servers || got != int64(f.servers) || bad != 0 {
			b.Fatalf("delivered %d, the servers got %d requests (want %d), %d of them with a bad signature, %v", n, got, f.servers, bad, err)
		}
		total += elapsed
		b.ReportMetric(float64(queued.Milliseconds()), "ms-to-queue")
		w2, c2 := measureFloor()
		floor += (w1 + w2) / 2
		floorCPU += (c1 + c2) / 2
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-total")
	b.ReportMetric(float64(floor.Milliseconds())/float64(b.N), "ms-floor")
	b.ReportMetric(float64(total)/float64(floor), "x-floor")
	b.ReportMetric(float64(totalCPU)/float64(floorCPU), "x-floor-cpu")
	if f.peerProcess {
		b.ReportMetric(float64(peerCPU.Milliseconds())/float64(b.N), "peer-cpu-ms")
		b.ReportMetric(float64(totalCPU+peerCPU)/float64(floorCPU), "x-floor-cpu-both")
	}
	b.ReportMetric(float64(peak)/(1<<20), "MiB-peak-heap")
}

// addRemoteFollowers makes followers remote actors follow who, spread
// over servers hosts named by origin (a format taking the server's
// number), each server with one shared inbox.
func addRemoteFollowers(t testing.TB, a *App, who *store.Actor, followers, servers int, origin string) {
	ctx := context.Background()
	err := a.store.Tx(ctx, func(tx *sql.Tx) error {
		now := time.Now().Unix()
		for i := 0; i < followers; i++ {
			server := i % servers
			origin := fmt.Sprintf(origin, server)
			res, err := tx.ExecContext(ctx, `INSERT INTO actors (kind, username, domain, uri, inbox_url, shared_inbox_url, created_at, updated_at)
				VALUES ('person', ?, ?, ?, ?, ?, ?, ?)`, fmt.Sprintf("f%d", i), fmt.Sprintf("peer%d.example.com", server),
				fmt.Sprintf("%s/users/f%d", origin, i), fmt.Sprintf("%s/users/f%d/inbox", origin, i),
				fmt.Sprintf("%s/shared", origin), now, now)
			if err != nil {
				return err
			}
			id, _ := res.LastInsertId()
			if _, err := tx.ExecContext(ctx, `INSERT INTO follows (follower_id, followed_id, activity_uri, state, created_at)
				VALUES (?, ?, ?, 'accepted', ?)`, id, who.ID, fmt.Sprintf("%s/follows/%d", origin, i), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// cpuTime is the CPU time this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Signed Create Note replies to one of our events through the inbox,
// verified and stored (as comments), per second; the baseline is the
// same requests to a second instance with signature checks skipped. The
// requests are signed before the timer starts (signing is the sender's
// cost, not ours) and POSTed by inboxSenders goroutines over keep-alive
// connections, as a busy peer does; each round's activities are then
// processed from the queue. The two instances take turns, round by
// round, so that both see the same load on a shared machine.
// x-baseline is the verified rate over the baseline's.
//
//	go test ./app -run '^$' -bench BenchmarkInbox -benchtime 2000x -cpu 2,1
//
// A third instance, verifying too, processes every activity alone in its
// own transactions, as the inbox did before it applied replies in runs
// (one-by-one-activities/s, x-one-by-one: the runs' rate over it).
func BenchmarkInbox(b *testing.B) {
	verified, baseline, alone := newInboxBench(b, true), newInboxBench(b, false), newInboxBench(b, true)
	alone.us.App.fed.noRuns = true
	rounds := min(b.N, 10)
	var tv, tb, ta, rv, rb, cv, cb time.Duration
	b.ResetTimer()
	for r := range rounds {
		from, to := b.N*r/rounds, b.N*(r+1)/rounds
		cpu := cpuTime()
		d, recv := baseline.run(b, from, to)
		tb, rb, cb = tb+d, rb+recv, cb+cpuTime()-cpu
		cpu = cpuTime()
		d, recv = verified.run(b, from, to)
		tv, rv, cv = tv+d, rv+recv, cv+cpuTime()-cpu
		d, _ = alone.run(b, from, to)
		ta += d
	}
	b.StopTimer()
	verified.check(b)
	baseline.check(b)
	alone.check(b)
	n := float64(b.N)
	b.ReportMetric(n/ta.Seconds(), "one-by-one-activities/s")
	b.ReportMetric(ta.Seconds()/tv.Seconds(), "x-one-by-one")
	b.ReportMetric(n/tv.Seconds(), "activities/s")
	b.ReportMetric(n/tb.Seconds(), "baseline-activities/s")
	b.ReportMetric(tb.Seconds()/tv.Seconds(), "x-baseline")
	b.ReportMetric(n/rv.Seconds(), "received/s")
	b.ReportMetric(n/rb.Seconds(), "baseline-received/s")
	// CPU time per activity (the process's: the senders are in it too)
	// depends less on other processes than wall time does.
	b.ReportMetric(float64(cv.Microseconds())/n, "cpu-us/activity")
	b.ReportMetric(float64(cb.Microseconds())/n, "baseline-cpu-us/activity")
}

const inboxSenders = 8

// inboxBench is one instance receiving b.N pre-signed replies.
type inboxBench struct {
	us     *fedInstance
	event  *store.Event
	reqs   []*http.Request
	client *http.Client
}

func newInboxBench(b *testing.B, verify bool) *inboxBench {
	us := newFedInstance(b)
	us.App.fed.skipVerify = !verify
	_, bob := us.ti.createAccount(b, "bob@example.org", "bob", "correct horse battery", false)
	e := publishEvent(b, us.App, bob, "Replies welcome", store.VisibilityPublic)
	peer := newFakePeer(b)
	eve := peer.actor("eve")
	key := testKeys(b)[0]
	// Warm the key and actor caches, as a peer that talks to us often has.
	warm := peer.follow(eve+"#warm", eve, us.URL+"/@bob")
	peer.post(b, us.URL+"/inbox", "eve", key, warm, nil)
	us.App.ProcessInbox(context.Background())
	ib := &inboxBench{us: us, event: e, reqs: make([]*http.Request, b.N),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: inboxSenders}}}
	b.Cleanup(ib.client.CloseIdleConnections)
	for i := range ib.reqs {
		note := ap.NewNote(fmt.Sprintf("%s/notes/%d", peer.srv.URL, i), eve, us.App.eventURI(e), "<p>I’m coming!</p>", time.Now(), []string{ap.Public}, nil)
		body, _ := json.Marshal(ap.NewCreate(fmt.Sprintf("%s/notes/%d/activity", peer.srv.URL, i), eve, note, []string{ap.Public}, nil))
		req, _ := http.NewRequest(http.MethodPost, us.URL+"/inbox", bytes.NewReader(body))
		req.Header.Set("Content-Type", ap.ContentTypeActivityJSON)
		if err := ap.SignRequest(req, body, ap.KeyID(eve), key); err != nil {
			b.Fatal(err)
		}
		ib.reqs[i] = req
	}
	return ib
}

// run POSTs requests from to to and processes them: it returns how long
// that took, and how long receiving alone (until the last 202) took.
func (ib *inboxBench) run(b *testing.B, from, to int) (total, received time.Duration) {
	var next atomic.Int64
	next.Store(int64(from))
	var wg sync.WaitGroup
	start := time.Now()
	for range inboxSenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(to); i = next.Add(1) - 1 {
				res, err := ib.client.Do(ib.reqs[i])
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusAccepted {
					b.Errorf("status %d", res.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	received = time.Since(start)
	// Stored means processed: every reply of the round turned into a
	// comment (or refused) and marked done, before the clock stops.
	if n, err := ib.us.App.ProcessInbox(context.Background()); err != nil || n != to-from {
		b.Fatalf("processed %d activities of %d: %v", n, to-from, err)
	}
	return time.Since(start), received
}

// check makes sure every reply was stored, as a comment on the event.
func (ib *inboxBench) check(b *testing.B) {
	var n int
	err := ib.us.App.store.DB().QueryRow(`SELECT count(*) FROM comments WHERE event_id = ?`, ib.event.ID).Scan(&n)
	if err != nil || n != b.N {
		b.Fatalf("%d comments stored, want %d (%v)", n, b.N, err)
	}
	err = ib.us.App.store.DB().QueryRow(`SELECT count(*) FROM inbox_activities WHERE processed_at IS NULL OR last_error != ''`).Scan(&n)
	if err != nil || n != 0 {
		b.Fatalf("%d activities left unprocessed or dropped (%v)", n, err)
	}
}
