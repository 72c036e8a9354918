package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestFirstRunLinkCreatesOwnerOnce(t *testing.T) {
	ti := newTestInstance(t)
	link, err := ti.App.SetupLink(context.Background())
	if err != nil || !strings.HasPrefix(link, ti.URL+"/setup/") {
		t.Fatalf("setup link %q, %v", link, err)
	}
	path := strings.TrimPrefix(link, ti.URL)
	c := ti.client()
	if res, body := ti.get(t, c, path); res.StatusCode != 200 || !strings.Contains(body, "Create the owner account") {
		t.Fatalf("setup page: %d", res.StatusCode)
	}

	// A bad form keeps what was typed and says what is wrong, next to the field.
	res, body := ti.postFormBody(t, c, path, url.Values{"email": {"not-an-email"}, "username": {"Marie!"}, "password": {"short"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad setup form: status %d", res.StatusCode)
	}
	for _, want := range []string{"This is not an email address", "lower-case letters", "at least 10 characters", `value="not-an-email"`} {
		if !strings.Contains(body, want) {
			t.Errorf("bad setup form page lacks %q", want)
		}
	}
	if n, _ := ti.App.store.CountAccounts(context.Background()); n != 0 {
		t.Fatalf("a refused form created %d accounts", n)
	}

	res = ti.postForm(t, c, path, url.Values{"email": {"owner@example.org"}, "username": {"marie"}, "password": {"correct horse battery"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("setup: status %d", res.StatusCode)
	}
	acc, err := ti.App.store.AccountByEmail(context.Background(), "owner@example.org")
	if err != nil || !acc.IsAdmin {
		t.Fatalf("owner account: %+v, %v", acc, err)
	}
	if _, body := ti.get(t, c, "/"); !strings.Contains(body, "@marie") {
		t.Error("after setup the owner is not logged in as @marie")
	}

	// The link works once.
	if res := ti.postForm(t, ti.client(), path, url.Values{"email": {"other@example.org"}, "username": {"other"}, "password": {"correct horse battery"}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("second use of the setup link: status %d, want 404", res.StatusCode)
	}
	if link, _ := ti.App.SetupLink(context.Background()); link != "" {
		t.Error("a setup link is still offered once an account exists")
	}
}

func TestLoginLogoutAndRateLimit(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "ana@example.org", "ana", "a long password", false)

	c := ti.login(t, "ana@example.org", "a long password")
	if _, body := ti.get(t, c, "/"); !strings.Contains(body, "Log out") {
		t.Fatal("not logged in after login")
	}
	// Logging in by username works too.
	ti.login(t, "ana", "a long password")

	if res := ti.postForm(t, c, "/logout", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if _, body := ti.get(t, c, "/"); strings.Contains(body, "Log out") {
		t.Fatal("still logged in after logout")
	}

	// Wrong passwords: refused, then rate-limited per account with a clear message.
	var last *http.Response
	var body string
	for i := 0; i < loginPerAccountBurst+1; i++ {
		last, body = ti.postFormBody(t, ti.client(), "/login", url.Values{"login": {"ana"}, "password": {"wrong password"}})
	}
	if last.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many login attempts") {
		t.Fatalf("after %d wrong passwords: status %d", loginPerAccountBurst+1, last.StatusCode)
	}
	// Even the right password waits now.
	if res, _ := ti.postFormBody(t, ti.client(), "/login", url.Values{"login": {"ana"}, "password": {"a long password"}}); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("right password during the lock-out: status %d", res.StatusCode)
	}
}

func TestCrossSiteFormPostRefused(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "ana@example.org", "ana", "a long password", false)
	req, _ := http.NewRequest(http.MethodPost, ti.URL+"/login", strings.NewReader("login=ana&password=a+long+password"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := ti.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site login post: status %d, want 403", res.StatusCode)
	}
	if len(res.Cookies()) > 0 && res.Cookies()[0].Name == sessionCookie {
		t.Fatal("a cross-site post got a session")
	}
}

func TestNotFoundAndMethodNotAllowedPages(t *testing.T) {
	ti := newTestInstance(t)
	res, body := ti.get(t, ti.client(), "/no/such/page")
	if res.StatusCode != 404 || !strings.Contains(body, "<html") {
		t.Errorf("unknown URL: %d, html page: %v", res.StatusCode, strings.Contains(body, "<html"))
	}
	res, body = ti.postFormBody(t, ti.client(), "/", nil)
	if res.StatusCode != 405 || !strings.Contains(body, "<html") || res.Header.Get("Allow") != "GET" {
		t.Errorf("POST /: %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
}

func TestCreateUserPrintsPasswordLink(t *testing.T) {
	ti := newTestInstance(t)
	link, err := ti.App.CreateUser(context.Background(), "luc@example.org", "Luc", true)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(link, ti.URL)
	c := ti.client()
	if res := ti.postForm(t, c, path, url.Values{"password": {"a new long password"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set password: %d", res.StatusCode)
	}
	ti.login(t, "luc", "a new long password")
	if _, err := ti.App.CreateUser(context.Background(), "luc@example.org", "luc2", false); err == nil {
		t.Error("a second account with the same email was created")
	}
	if _, err := ti.App.CreateUser(context.Background(), "x@example.org", "bad name", false); err == nil {
		t.Error("a username with a space was accepted")
	}
}
