package app

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"convene/app/ap"
)

// resolveTestNames makes every *.test name point at loopback, so that
// hand-made peers can have host names a policy can tell apart.
func resolveTestNames(_ context.Context, host string) ([]netip.Addr, error) {
	if strings.HasSuffix(host, ".test") {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// newInstanceAt starts a Convene instance on its own loopback address
// (127.0.0.2, 127.0.0.3…), so that blocking one instance's host does not
// block the others; *.test names resolve to loopback.
func newInstanceAt(t testing.TB, ip string) *fedInstance {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		needTool(t, "cannot listen on %s (instances on their own loopback address need 127.0.0.0/8 routed to lo): %v", ip, err)
	}
	fi := &fedInstance{t: t, path: filepath.Join(t.TempDir(), "convene.db"), addr: ln.Addr().String(), Clock: &fedClock{}}
	fi.URL = "http://" + fi.addr
	fi.Host = fi.addr
	a, err := New(context.Background(), Config{DataPath: fi.path, BaseURL: fi.URL, Schema: testSchema,
		Now: fi.Clock.Now, UnsafeAllowPrivateFederation: true, FederationResolve: resolveTestNames})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	fi.App, fi.Srv = a, srv
	fi.ti = &testInstance{App: a, Srv: srv, URL: fi.URL}
	t.Cleanup(fi.stop)
	return fi
}

// mockPeer is a hand-made remote server (Mobilizon-, Gancio- or
// Mastodon-shaped) named <name>.test: it serves the documents a test
// puts, answers 202 to every POST, and counts what it was asked.
type mockPeer struct {
	srv  *httptest.Server
	URL  string
	Host string

	mu       sync.Mutex
	docs     map[string]mockDoc
	keys     map[string]*rsa.PrivateKey
	requests int
	posts    []mockPost
}

type mockDoc struct {
	ctype  string
	body   []byte
	status int
}

type mockPost struct {
	Path   string
	Header http.Header
	Body   []byte
}

func newMockPeer(t testing.TB, name string) *mockPeer {
	t.Helper()
	p := &mockPeer{docs: map[string]mockDoc{}, keys: map[string]*rsa.PrivateKey{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.requests++
		if r.Method == http.MethodPost {
			b, _ := io.ReadAll(r.Body)
			p.posts = append(p.posts, mockPost{Path: r.URL.Path, Header: r.Header.Clone(), Body: b})
			w.WriteHeader(http.StatusAccepted)
			return
		}
		key := r.URL.Path
		if r.URL.RawQuery != "" {
			key += "?" + r.URL.RawQuery
		}
		d, ok := p.docs[key]
		if !ok {
			d, ok = p.docs[r.URL.Path]
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		if d.status != 0 {
			w.WriteHeader(d.status)
			return
		}
		w.Header().Set("Content-Type", d.ctype)
		w.Write(d.body)
	}))
	t.Cleanup(p.srv.Close)
	_, port, _ := net.SplitHostPort(p.srv.Listener.Addr().String())
	p.Host = name + ".test:" + port
	p.URL = "http://" + p.Host
	return p
}

// put serves v (JSON, or raw bytes/string with {{URL}} replaced) at path
// as ActivityStreams JSON.
func (p *mockPeer) put(path string, v any) {
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(strings.ReplaceAll(x, "{{URL}}", p.URL))
	case []byte:
		b = bytes.ReplaceAll(x, []byte("{{URL}}"), []byte(p.URL))
	default:
		b, _ = json.Marshal(v)
	}
	p.putRaw(path, ap.ContentTypeActivityJSON, b)
}

func (p *mockPeer) putRaw(path, ctype string, body []byte) {
	p.mu.Lock()
	p.docs[path] = mockDoc{ctype: ctype, body: body}
	p.mu.Unlock()
}

// gone makes path answer with status (404, 410).
func (p *mockPeer) gone(path string, status int) {
	p.mu.Lock()
	p.docs[path] = mockDoc{status: status}
	p.mu.Unlock()
}

// actor publishes an actor of type typ at path with its own key and
// returns its id.
func (p *mockPeer) actor(t testing.TB, path, typ, username string, keyIndex int) string {
	key := testKeys(t)[keyIndex]
	pem, _ := ap.EncodePublicKeyPEM(&key.PublicKey)
	id := p.URL + path
	doc := ap.NewActor(typ, id, username, pem, p.URL+"/inbox")
	p.put(path, doc)
	p.mu.Lock()
	p.keys[id] = key
	p.mu.Unlock()
	// WebFinger for @username@host.
	jrd := `{"subject":"acct:` + username + `@` + p.Host + `","links":[{"rel":"self","type":"application/activity+json","href":"` + id + `"}]}`
	p.putRaw("/.well-known/webfinger?resource=acct%3A"+strings.ReplaceAll(username, "@", "%40")+"%40"+strings.ReplaceAll(p.Host, ":", "%3A"), "application/jrd+json", []byte(jrd))
	return id
}

// send POSTs an activity to an inbox, signed by actorID's key.
func (p *mockPeer) send(t testing.TB, inbox, actorID string, activity any) int {
	t.Helper()
	var body []byte
	switch x := activity.(type) {
	case string:
		body = []byte(strings.ReplaceAll(x, "{{URL}}", p.URL))
	case []byte:
		body = x
	default:
		body, _ = json.Marshal(x)
	}
	req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	req.Header.Set("Content-Type", ap.ContentTypeActivityJSON)
	p.mu.Lock()
	key := p.keys[actorID]
	p.mu.Unlock()
	if err := ap.SignRequest(req, body, ap.KeyID(actorID), key); err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func (p *mockPeer) requestCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

func (p *mockPeer) received() []mockPost {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]mockPost(nil), p.posts...)
}

// adminOf makes an administrator on fi and returns a logged-in client.
func adminOf(t testing.TB, fi *fedInstance) *http.Client {
	t.Helper()
	fi.ti.createAccount(t, "admin@example.org", "admin", "correct horse battery", true)
	return fi.ti.login(t, "admin@example.org", "correct horse battery")
}

// count runs a COUNT query on an instance's database.
func count(t testing.TB, fi *fedInstance, query string, args ...any) int {
	t.Helper()
	var n int
	if err := fi.App.store.DB().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
