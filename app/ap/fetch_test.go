package ap

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestIsPublicAddress(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"2606:4700:4700::1111", true},
		{"::ffff:8.8.8.8", true}, // mapped public IPv4 is still public
		{"127.0.0.1", false},
		{"127.255.0.9", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.168.1.1", false},
		{"100.64.0.1", false},
		{"100.127.255.254", false},
		{"198.18.0.1", false},
		{"198.19.255.1", false},
		{"192.0.2.1", false},
		{"198.51.100.7", false},
		{"203.0.113.9", false},
		{"169.254.169.254", false}, // cloud metadata
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"255.255.255.255", false},
		{"240.0.0.1", false},
		{"::", false},
		{"::1", false},
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"ff02::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::127.0.0.1", false}, // IPv4-compatible
		{"64:ff9b::a00:1", false},
		{"64:ff9b::808:808", false}, // NAT64 of a public address: still a translator we do not go through
		{"2002:a00:1::1", false},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", false}, // Teredo
		{"2001:db8::1", false},
		{"3fff::1", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := IsPublicAddress(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("IsPublicAddress(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

// countingServer counts the requests that reached it: a refused fetch must
// leave it at zero, proving the refusal came before any connection.
func countingServer(t *testing.T, tls bool, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(handler)
	} else {
		srv = httptest.NewServer(handler)
	}
	t.Cleanup(srv.Close)
	return srv, &hits
}

func serveObject(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", ContentTypeActivityJSON)
	fmt.Fprintf(w, `{"id":%q,"type":"Note"}`, "https://"+r.Host+r.URL.Path)
}

func trustServer(srv *httptest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return pool
}

// exempt treats one test listener as if it were on the public internet.
func exempt(f *Fetcher, srv *httptest.Server) {
	public := netip.MustParseAddrPort(srv.Listener.Addr().String())
	f.exemptForTest = func(ap netip.AddrPort) bool { return ap == public }
}

func TestFetchRefusesPrivateDestinations(t *testing.T) {
	tlsSrv, hits := countingServer(t, true, serveObject)
	plainSrv, plainHits := countingServer(t, false, serveObject)
	port := tlsSrv.URL[strings.LastIndex(tlsSrv.URL, ":")+1:]

	resolveTo := func(addr string) func(context.Context, string) ([]netip.Addr, error) {
		return func(context.Context, string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr(addr)}, nil
		}
	}
	tests := []struct {
		name    string
		url     string
		resolve func(context.Context, string) ([]netip.Addr, error)
		wantErr error
	}{
		{"plain http to loopback", plainSrv.URL + "/x", nil, ErrNotHTTPS},
		{"https to loopback literal", tlsSrv.URL + "/x", nil, ErrForbiddenAddress},
		{"https to IPv6 loopback", "https://[::1]:" + port + "/x", nil, ErrForbiddenAddress},
		{"localhost resolves to loopback", "https://localhost:" + port + "/x", nil, ErrForbiddenAddress},
		{"name resolving to a private address", "https://events.example:" + port + "/x", resolveTo("10.20.30.40"), ErrForbiddenAddress},
		{"name resolving to loopback", "https://events.example:" + port + "/x", resolveTo("127.0.0.1"), ErrForbiddenAddress},
		{"name resolving to IPv4-mapped loopback", "https://events.example:" + port + "/x", resolveTo("::ffff:127.0.0.1"), ErrForbiddenAddress},
		{"name resolving to cloud metadata", "https://events.example:" + port + "/x", resolveTo("169.254.169.254"), ErrForbiddenAddress},
		{"ftp scheme", "ftp://events.example/x", nil, ErrNotHTTPS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFetcher(FetchOptions{Resolve: tt.resolve, RootCAs: trustServer(tlsSrv), ConnectTimeout: time.Second})
			_, err := f.FetchObject(context.Background(), tt.url, nil)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if hits.Load() != 0 || plainHits.Load() != 0 {
		t.Errorf("refused fetches reached the servers: %d https, %d http", hits.Load(), plainHits.Load())
	}

	// The same server is reachable once the unsafe option is on, so the
	// refusals above came from the policy and not from a broken setup.
	f := NewFetcher(FetchOptions{UnsafeAllowPrivate: true, RootCAs: trustServer(tlsSrv)})
	if _, err := f.FetchObject(context.Background(), tlsSrv.URL+"/x", nil); err != nil {
		t.Fatalf("with UnsafeAllowPrivate: %v", err)
	}
	if _, err := f.FetchObject(context.Background(), strings.Replace(plainSrv.URL, "http://", "http://", 1)+"/x", nil); !errors.Is(err, ErrIDMismatch) {
		// serveObject claims an https id; over plain http that is a mismatch,
		// but the request itself must have gone through.
		t.Fatalf("plain http with UnsafeAllowPrivate: %v", err)
	}
	if plainHits.Load() != 1 {
		t.Errorf("plain server hits = %d, want 1", plainHits.Load())
	}
}

func TestFetchRedirects(t *testing.T) {
	private, privateHits := countingServer(t, true, serveObject)
	var public *httptest.Server
	public, _ = countingServer(t, true, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/to-private":
			http.Redirect(w, r, private.URL+"/secret", http.StatusFound)
		case r.URL.Path == "/to-http":
			http.Redirect(w, r, strings.Replace(public.URL, "https://", "http://", 1)+"/obj", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/hop/"):
			var n int
			fmt.Sscanf(r.URL.Path, "/hop/%d", &n)
			if n == 0 {
				serveObject(w, r)
				return
			}
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
		default:
			serveObject(w, r)
		}
	})
	tests := []struct {
		name    string
		path    string
		wantErr error
	}{
		{"redirect to a private address", "/to-private", ErrForbiddenAddress},
		{"redirect to plain http", "/to-http", ErrNotHTTPS},
		{"three redirects", "/hop/3", nil},
		{"four redirects", "/hop/4", ErrTooManyRedirects},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFetcher(FetchOptions{RootCAs: trustServer(public)})
			exempt(f, public)
			raw, err := f.FetchObject(context.Background(), public.URL+tt.path, nil)
			if tt.wantErr == nil {
				if err != nil || !strings.Contains(string(raw), "/hop/0") {
					t.Fatalf("got %s, %v", raw, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if privateHits.Load() != 0 {
		t.Errorf("the private server was reached %d times", privateHits.Load())
	}
}

func TestFetchLimits(t *testing.T) {
	const limit = 1 << 20
	tests := []struct {
		name    string
		handler http.HandlerFunc
		wantErr error
	}{
		{"body of exactly the limit", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(strings.Repeat("x", limit)))
		}, nil},
		{"announced body over the limit", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(limit+1))
			w.Write([]byte(strings.Repeat("x", limit+1)))
		}, ErrBodyTooLarge},
		{"chunked body over the limit", func(w http.ResponseWriter, r *http.Request) {
			for range 20 {
				w.Write([]byte(strings.Repeat("x", limit/16)))
				w.(http.Flusher).Flush()
			}
		}, ErrBodyTooLarge},
		{"trickling body", func(w http.ResponseWriter, r *http.Request) {
			for range 100 {
				if _, err := w.Write([]byte("x")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		}, context.DeadlineExceeded},
		{"headers never come", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, context.DeadlineExceeded},
		{"not found", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, &StatusError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := countingServer(t, false, tt.handler)
			f := NewFetcher(FetchOptions{UnsafeAllowPrivate: true, Timeout: 400 * time.Millisecond})
			start := time.Now()
			resp, err := f.Fetch(context.Background(), srv.URL, "*/*", nil)
			elapsed := time.Since(start)
			var statusErr *StatusError
			switch {
			case tt.wantErr == nil:
				if err != nil || len(resp.Body) != limit {
					t.Fatalf("err %v", err)
				}
			case errors.As(tt.wantErr, &statusErr):
				if !errors.As(err, &statusErr) || statusErr.Code != http.StatusNotFound {
					t.Fatalf("error = %v, want HTTP 404", err)
				}
			case tt.wantErr == context.DeadlineExceeded:
				if err == nil || !isTimeout(err) {
					t.Fatalf("error = %v, want a timeout", err)
				}
			default:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
			}
			if elapsed > 2*time.Second {
				t.Errorf("fetch took %s; the deadline did not cut it off", elapsed)
			}
		})
	}
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &te) && te.Timeout())
}

func TestFetchObjectChecksTypeAndID(t *testing.T) {
	var srv *httptest.Server
	srv, _ = countingServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		self := srv.URL + r.URL.Path
		switch r.URL.Path {
		case "/ld":
			w.Header().Set("Content-Type", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
			fmt.Fprintf(w, `{"id":%q}`, self)
		case "/plain-ld":
			w.Header().Set("Content-Type", "application/ld+json")
			fmt.Fprintf(w, `{"id":%q}`, self)
		case "/json":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"id":%q}`, self)
		case "/upload.json":
			// An uploaded file claiming to be somebody's actor.
			w.Header().Set("Content-Type", ContentTypeActivityJSON)
			fmt.Fprintf(w, `{"id":%q}`, srv.URL+"/@admin")
		case "/moved":
			http.Redirect(w, r, "/final", http.StatusMovedPermanently)
		case "/moved-claiming-origin":
			http.Redirect(w, r, "/claims-moved", http.StatusFound)
		case "/claims-moved":
			w.Header().Set("Content-Type", ContentTypeActivityJSON)
			fmt.Fprintf(w, `{"id":%q}`, srv.URL+"/moved-claiming-origin")
		case "/not-json":
			w.Header().Set("Content-Type", ContentTypeActivityJSON)
			fmt.Fprint(w, `<html>`)
		default:
			w.Header().Set("Content-Type", ContentTypeActivityJSON+"; charset=utf-8")
			fmt.Fprintf(w, `{"id":%q}`, self)
		}
	})
	tests := []struct {
		path    string
		wantErr error
	}{
		{"/obj", nil},
		{"/ld", nil},
		{"/moved", nil}, // id equals the URL that answered
		{"/plain-ld", ErrNotActivityJSON},
		{"/json", ErrNotActivityJSON},
		{"/not-json", ErrNotActivityJSON},
		{"/upload.json", ErrIDMismatch},
		{"/moved-claiming-origin", ErrIDMismatch},
	}
	f := NewFetcher(FetchOptions{UnsafeAllowPrivate: true})
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			raw, err := f.FetchObject(context.Background(), srv.URL+tt.path, nil)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && !strings.Contains(string(raw), `"id"`) {
				t.Errorf("body %s", raw)
			}
		})
	}
}

// A server in authorized-fetch mode verifies our signed GET, also after a
// redirect (the signature must be made again for the new target).
func TestFetchObjectSignedGET(t *testing.T) {
	alice, _ := testKeys(t)
	var srv *httptest.Server
	var verified atomic.Int32
	srv, _ = countingServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		if _, owner, err := VerifyRequest(r, nil, time.Now(), lookupFor(&alice.PublicKey)); err != nil || owner != aliceID {
			http.Error(w, "unsigned", http.StatusUnauthorized)
			return
		}
		verified.Add(1)
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/@bob", http.StatusFound)
			return
		}
		if r.Header.Get("Accept") != AcceptActivity {
			http.Error(w, "bad accept", http.StatusNotAcceptable)
			return
		}
		w.Header().Set("Content-Type", ContentTypeActivityJSON)
		fmt.Fprintf(w, `{"id":%q,"type":"Person"}`, srv.URL+r.URL.Path)
	})
	f := NewFetcher(FetchOptions{UnsafeAllowPrivate: true})
	signer := &Signer{KeyID: KeyID(aliceID), Key: alice}
	if _, err := f.FetchObject(context.Background(), srv.URL+"/@bob", nil); !errorsAsStatus(err, http.StatusUnauthorized) {
		t.Fatalf("unsigned fetch: %v, want 401", err)
	}
	if _, err := f.FetchObject(context.Background(), srv.URL+"/@bob", signer); err != nil {
		t.Fatalf("signed fetch: %v", err)
	}
	if _, err := f.FetchObject(context.Background(), srv.URL+"/old", signer); err != nil {
		t.Fatalf("signed fetch through a redirect: %v", err)
	}
	if verified.Load() != 3 {
		t.Errorf("%d requests verified, want 3", verified.Load())
	}
}

func errorsAsStatus(err error, code int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == code
}

func TestSameURL(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://a.example/@x", "https://a.example/@x", true},
		{"https://A.example/@x", "https://a.example:443/@x", true},
		{"https://a.example/@x#main-key", "https://a.example/@x", true},
		{"https://a.example/@x", "https://a.example/@x/", false},
		{"https://a.example/@x", "http://a.example/@x", false},
		{"https://a.example/@x", "https://b.example/@x", false},
		{"https://a.example/@x?page=1", "https://a.example/@x", false},
		{"https://a.example/@X", "https://a.example/@x", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := SameURL(tt.a, tt.b); got != tt.want {
			t.Errorf("SameURL(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
