package app

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// testSchema is the real schema.sql, read once.
var testSchema = func() string {
	b, err := os.ReadFile("../schema.sql")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// testInstance is a real App on a temp-file database behind a real
// loopback HTTP server.
type testInstance struct {
	App *App
	Srv *httptest.Server
	URL string
}

// newTestInstance starts an instance; configure may adjust its Config.
func newTestInstance(t testing.TB, configure ...func(*Config)) *testInstance {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg := Config{
		DataPath: filepath.Join(t.TempDir(), "convene.db"),
		BaseURL:  "http://" + srv.Listener.Addr().String(),
		Schema:   testSchema,
	}
	for _, c := range configure {
		c(&cfg)
	}
	a, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = a.Handler()
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	return &testInstance{App: a, Srv: srv, URL: cfg.BaseURL}
}

// client returns an HTTP client with its own cookie jar that does not
// follow redirects (tests look at them).
func (ti *testInstance) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// createAccount makes an account with a password and its first identity.
func (ti *testInstance) createAccount(t testing.TB, email, username, password string, admin bool) (*store.Account, *store.Actor) {
	t.Helper()
	acc, id, err := ti.App.store.CreateAccountWithIdentity(context.Background(), email, hashPassword(password), admin,
		store.NewIdentity{Username: username})
	if err != nil {
		t.Fatal(err)
	}
	return acc, id
}

// login logs a fresh client in and returns it.
func (ti *testInstance) login(t testing.TB, login, password string) *http.Client {
	t.Helper()
	c := ti.client()
	res := ti.postForm(t, c, "/login", url.Values{"login": {login}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login as %s: status %d", login, res.StatusCode)
	}
	return c
}

// get fetches a path and returns the response with its body read.
func (ti *testInstance) get(t testing.TB, c *http.Client, path string) (*http.Response, string) {
	t.Helper()
	res, err := c.Get(ti.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	checkNoFormatErrors(t, path, b)
	return res, string(b)
}

// checkNoFormatErrors fails a test whose page shows a fmt mistake such as
// "%!d(string=…)" or "%!(EXTRA …)": a translated message given the wrong
// arguments.
func checkNoFormatErrors(t testing.TB, path string, body []byte) {
	t.Helper()
	if i := bytes.Index(body, []byte("%!")); i >= 0 {
		end := min(len(body), i+60)
		t.Errorf("GET %s shows a formatting error: %q", path, body[i:end])
	}
}

// postForm posts a URL-encoded form.
func (ti *testInstance) postForm(t testing.TB, c *http.Client, path string, form url.Values) *http.Response {
	t.Helper()
	res, err := c.PostForm(ti.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// postFormBody posts a form and returns the body too.
func (ti *testInstance) postFormBody(t testing.TB, c *http.Client, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ti.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	checkNoFormatErrors(t, path, b)
	return res, string(b)
}
