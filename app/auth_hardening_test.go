package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// loginFrom posts the login form as if from remoteAddr, with the cookies
// of a browser (none when cookies is nil).
func loginFrom(ti *testInstance, remoteAddr, login, password string, cookies []*http.Cookie) *httptest.ResponseRecorder {
	form := url.Values{"login": {login}, "password": {password}}
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = remoteAddr
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	ti.App.Handler().ServeHTTP(rec, req)
	return rec
}

func TestClientIPGroupsIPv6By64(t *testing.T) {
	cases := []struct{ remote, want string }{
		{"203.0.113.5:1234", "203.0.113.5"},
		{"[::ffff:203.0.113.5]:1234", "203.0.113.5"},
		{"[2001:db8:1:2:aaaa::1]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff:ffff:ffff:ffff]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:3::1]:443", "2001:db8:1:3::/64"},
		{"[fe80::1%eth0]:443", "fe80::/64"},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tc.remote
		if got := clientIP(r); got != tc.want {
			t.Errorf("clientIP(%s) = %s, want %s", tc.remote, got, tc.want)
		}
	}
}

// Someone with a /64 of IPv6 addresses cannot get a fresh login limit by
// changing address for every attempt; another /64 is another client.
func TestLoginLimitSeesIPv6Networks(t *testing.T) {
	ti := newTestInstance(t)
	for i := range loginPerIPBurst {
		addr := "[2001:db8:1:2::" + itoa(int64(i+1)) + "]:443"
		if rec := loginFrom(ti, addr, "someone"+itoa(int64(i))+"@example.org", "a wrong password", nil); rec.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, rec.Code)
		}
	}
	rec := loginFrom(ti, "[2001:db8:1:2:ffff::77]:443", "nobody@example.org", "a wrong password", nil)
	if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), "Too many login attempts") {
		t.Fatalf("one more from the same /64, new address: %d", rec.Code)
	}
	if rec := loginFrom(ti, "[2001:db8:1:3::1]:443", "nobody@example.org", "a wrong password", nil); rec.Code != http.StatusUnauthorized {
		t.Fatalf("from another /64: %d", rec.Code)
	}
}

// When every hashing slot is taken, a login waits a little, then is told
// clearly to come back in a few seconds (429 with Retry-After), and no
// password is checked meanwhile.
func TestLoginWaitsForAHashingSlot(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "ana@example.org", "ana", "a long enough password", false)
	ti.App.hasher = &passwordHasher{slots: make(chan struct{}, 1), wait: 50 * time.Millisecond}
	ti.App.hasher.slots <- struct{}{} // another login is hashing
	rec := loginFrom(ti, "203.0.113.5:1", "ana", "a long enough password", nil)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" ||
		!strings.Contains(rec.Body.String(), "Many people are logging in right now") {
		t.Fatalf("with every slot taken: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if len(rec.Result().Cookies()) > 0 && rec.Result().Cookies()[0].Name == sessionCookie {
		t.Fatal("a session was opened without checking the password")
	}
	<-ti.App.hasher.slots
	if rec := loginFrom(ti, "203.0.113.5:1", "ana", "a long enough password", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("with the slot free again: %d", rec.Code)
	}
}

// A stranger failing on purpose, by email then by username, from many
// addresses, empties one bucket (the account's), not two; then strangers
// are refused even with the right password, while the owner's browser,
// which logged in before, still gets in with it.
func TestStrangerCannotLockOwnerOut(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "ana@example.org", "ana", "a long enough password", false)
	owner := loginFrom(ti, "203.0.113.1:1", "ana", "a long enough password", nil)
	if owner.Code != http.StatusSeeOther {
		t.Fatalf("owner's first login: %d", owner.Code)
	}
	device := owner.Result().Cookies()
	attempts := 0
	for i := 0; ; i++ {
		login := "ana@example.org"
		if i%2 == 1 {
			login = "ANA"
		}
		rec := loginFrom(ti, "198.51.100."+itoa(int64(i+1))+":1", login, "guess "+itoa(int64(i)), nil)
		if rec.Code == http.StatusTooManyRequests {
			break
		}
		attempts++
		if attempts > 2*loginPerAccountBurst {
			t.Fatal("email and username do not share one limit")
		}
	}
	if attempts != loginPerAccountBurst-1 {
		t.Errorf("the stranger got %d wrong attempts before the limit, want %d", attempts, loginPerAccountBurst-1)
	}
	if rec := loginFrom(ti, "198.51.100.200:1", "ana", "a long enough password", nil); rec.Code != http.StatusTooManyRequests {
		t.Errorf("a browser never seen, right password, during the limit: %d, want 429", rec.Code)
	}
	if rec := loginFrom(ti, "203.0.113.1:1", "ana", "a long enough password", device); rec.Code != http.StatusSeeOther {
		t.Fatalf("the owner's browser, right password, during the limit: %d, want 303", rec.Code)
	}
	if rec := loginFrom(ti, "203.0.113.1:1", "ana", "a wrong guess", device); rec.Code != http.StatusUnauthorized {
		t.Errorf("the owner's browser, wrong password: %d, want 401", rec.Code)
	}
	// The device cookie is for its account only.
	ti.createAccount(t, "bob@example.org", "bob", "another long password", false)
	for i := range loginPerAccountBurst {
		loginFrom(ti, "192.0.2."+itoa(int64(i+1))+":1", "bob", "guess", nil)
	}
	if rec := loginFrom(ti, "203.0.113.1:1", "bob", "another long password", device); rec.Code != http.StatusTooManyRequests {
		t.Errorf("ana's device cookie let a login to bob through the limit: %d", rec.Code)
	}
}

// A setup link printed at start dies as soon as any administrator exists,
// for instance one made from the command line meanwhile: it cannot make
// a second owner.
func TestSetupLinkDiesOnceAnAdminExists(t *testing.T) {
	ti := newTestInstance(t)
	ctx := context.Background()
	link, err := ti.App.SetupLink(ctx)
	if err != nil || link == "" {
		t.Fatalf("setup link %q %v", link, err)
	}
	if _, err := ti.App.CreateUser(ctx, "admin@example.org", "admin", true); err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(link, ti.URL)
	if res, _ := ti.get(t, ti.client(), path); res.StatusCode != http.StatusNotFound {
		t.Errorf("setup page after an admin exists: %d, want 404", res.StatusCode)
	}
	res := ti.postForm(t, ti.client(), path, url.Values{"email": {"eve@example.org"}, "username": {"eve"}, "password": {"correct horse battery"}})
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("setup form after an admin exists: %d, want 404", res.StatusCode)
	}
	if _, err := ti.App.store.AccountByEmail(ctx, "eve@example.org"); err == nil {
		t.Fatal("the setup link made a second administrator")
	}
}

// Setting a password through a link (a reset) ends every session the
// account had: whoever held one with the old password is out.
func TestPasswordLinkEndsOldSessions(t *testing.T) {
	ti := newTestInstance(t)
	ctx := context.Background()
	acc, _ := ti.createAccount(t, "ana@example.org", "ana", "the old long password", false)
	old := ti.login(t, "ana", "the old long password")
	secret, err := ti.App.store.CreateToken(ctx, "password", acc.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	fresh := ti.client()
	if res := ti.postForm(t, fresh, "/password/"+secret, url.Values{"password": {"the new long password"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set password: %d", res.StatusCode)
	}
	if _, body := ti.get(t, old, "/"); strings.Contains(body, "Log out") {
		t.Error("a session opened with the old password survived the reset")
	}
	if _, body := ti.get(t, fresh, "/"); !strings.Contains(body, "Log out") {
		t.Error("the browser that set the password is not logged in")
	}
}
