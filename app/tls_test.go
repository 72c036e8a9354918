package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"
)

const testDomain = "convene.test"

// pebble is Let's Encrypt's test ACME server running in this process.
type pebble struct {
	directory string
	acmeRoots *x509.CertPool // to trust the ACME server's own HTTPS
	issued    *x509.CertPool // to trust the certificates it issues
	newOrders atomic.Int64
}

// startPebble runs Pebble's CA, VA and web front end in-process. Its
// validation authority checks challenges on httpPort/tlsPort of the
// address our DNS server gives for the test name: 127.0.0.1.
func startPebble(t *testing.T, httpPort, tlsPort int) *pebble {
	t.Helper()
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	logger := log.New(io.Discard, "", 0)
	store := db.NewMemoryStore()
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "default"}})
	validator := va.New(logger, httpPort, tlsPort, false, startDNS(t), store)
	front := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)

	p := &pebble{}
	api := front.Handler()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/order-plz" {
			p.newOrders.Add(1)
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.directory = srv.URL + wfe.DirectoryPath
	p.acmeRoots = x509.NewCertPool()
	p.acmeRoots.AddCert(srv.Certificate())

	rec := httptest.NewRecorder()
	front.ManagementHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, wfe.RootCertPath+"0", nil))
	block, _ := pem.Decode(rec.Body.Bytes())
	if block == nil {
		t.Fatalf("no root from pebble: %d %s", rec.Code, rec.Body)
	}
	root, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	p.issued = x509.NewCertPool()
	p.issued.AddCert(root)
	return p
}

// startDNS answers A queries for every name with 127.0.0.1 (and AAAA with
// nothing), over UDP and TCP on one port (Pebble's resolver uses TCP), so
// Pebble validates against our loopback listeners.
func startDNS(t *testing.T) string {
	t.Helper()
	answer := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		for _, question := range q.Question {
			if question.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: question.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
					A:   net.ParseIP("127.0.0.1"),
				})
			}
		}
		w.WriteMsg(m)
	})
	tcp := listenLoopback(t)
	udp, err := net.ListenPacket("udp", tcp.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	for _, srv := range []*dns.Server{{Listener: tcp, Handler: answer}, {PacketConn: udp, Handler: answer}} {
		go srv.ActivateAndServe()
		t.Cleanup(func() { srv.Shutdown() })
	}
	return tcp.Addr().String()
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func portOf(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }

// runHTTPSInstance starts an instance on dataPath with automatic HTTPS on
// the two listeners; the returned stop function shuts it down and waits.
func runHTTPSInstance(t *testing.T, dataPath string, httpLn, httpsLn net.Listener, p *pebble, only string) func() {
	t.Helper()
	a, err := New(context.Background(), Config{
		DataPath: dataPath,
		BaseURL:  "https://" + net.JoinHostPort(testDomain, strconv.Itoa(portOf(httpsLn))),
		Schema:   testSchema,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- a.Run(ctx, ServeOptions{HTTP: httpLn, HTTPS: httpsLn, TLS: &TLSOptions{
			Domain: testDomain, CA: p.directory, CARoots: p.acmeRoots, onlyChallenge: only,
		}})
	}()
	var once atomic.Bool
	stop := func() {
		if once.Swap(true) {
			return
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		a.Close()
	}
	t.Cleanup(stop)
	return stop
}

// clientFor trusts only Pebble's issuing root and sends the test name to
// the loopback port.
func clientFor(p *pebble, port int) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: p.issued},
			ForceAttemptHTTP2: true,
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// waitHTTPS polls until the site answers over HTTPS with a certificate the
// client trusts (the certificate is obtained in the background).
func waitHTTPS(t *testing.T, c *http.Client, url string) *http.Response {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		res, err := c.Get(url)
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			return res
		}
		lastErr = err
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no trusted HTTPS answer from %s: %v", url, lastErr)
	return nil
}

func TestAutomaticHTTPSWithPebble(t *testing.T) {
	for _, challenge := range []string{"http-01", "tls-alpn-01"} {
		t.Run(challenge, func(t *testing.T) {
			httpLn, httpsLn := listenLoopback(t), listenLoopback(t)
			p := startPebble(t, portOf(httpLn), portOf(httpsLn))
			data := filepath.Join(t.TempDir(), "convene.db")
			stop := runHTTPSInstance(t, data, httpLn, httpsLn, p, challenge)

			httpsURL := "https://" + net.JoinHostPort(testDomain, strconv.Itoa(portOf(httpsLn)))
			c := clientFor(p, portOf(httpsLn))
			res := waitHTTPS(t, c, httpsURL+"/")
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET / over HTTPS: %d", res.StatusCode)
			}
			if len(res.TLS.VerifiedChains) == 0 || res.TLS.PeerCertificates[0].VerifyHostname(testDomain) != nil {
				t.Fatal("the certificate is not valid for the name")
			}
			if got := res.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
				t.Fatalf("no HSTS header: %q", got)
			}
			if res.ProtoMajor != 2 {
				t.Errorf("HTTPS spoke HTTP/%d, want HTTP/2", res.ProtoMajor)
			}

			plain := clientFor(p, portOf(httpLn))
			red, err := plain.Get("http://" + testDomain + "/events?x=1")
			if err != nil {
				t.Fatal(err)
			}
			red.Body.Close()
			if red.StatusCode != http.StatusMovedPermanently || red.Header.Get("Location") != httpsURL+"/events?x=1" {
				t.Fatalf("plain HTTP: %d to %q, want a redirect to %s", red.StatusCode, red.Header.Get("Location"), httpsURL+"/events?x=1")
			}
			if n := p.newOrders.Load(); n != 1 {
				t.Fatalf("%d orders for one certificate", n)
			}
			if challenge == "tls-alpn-01" {
				return
			}

			// A restart on the same database serves the stored certificate
			// at once, without a new order.
			stop()
			httpLn2, httpsLn2 := listenLoopback(t), listenLoopback(t)
			runHTTPSInstance(t, data, httpLn2, httpsLn2, p, challenge)
			c2 := clientFor(p, portOf(httpsLn2))
			res2 := waitHTTPS(t, c2, "https://"+net.JoinHostPort(testDomain, strconv.Itoa(portOf(httpsLn2)))+"/")
			if res2.StatusCode != http.StatusOK {
				t.Fatalf("after restart: %d", res2.StatusCode)
			}
			if !res2.TLS.PeerCertificates[0].Equal(res.TLS.PeerCertificates[0]) {
				t.Fatal("after restart a different certificate is served")
			}
			if n := p.newOrders.Load(); n != 1 {
				t.Fatalf("after restart %d orders in all, want the stored certificate reused", n)
			}
		})
	}
}

func TestCheckDomain(t *testing.T) {
	for _, good := range []string{"events.example.org", "a-b.example.co.uk"} {
		if err := CheckDomain(good); err != nil {
			t.Errorf("%s refused: %v", good, err)
		}
	}
	for _, bad := range []string{"", "https://events.example.org", "events.example.org:443", "127.0.0.1", "localhost", "intranet", "bad_name.example.org", "-x.example.org", "café.example.org"} {
		if err := CheckDomain(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
