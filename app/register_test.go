package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func (ti *testInstance) setRegistrations(t *testing.T, mode string) {
	t.Helper()
	if err := ti.App.saveSettings(context.Background(), map[string]string{SettingRegistrations: mode}); err != nil {
		t.Fatal(err)
	}
}

func (ti *testInstance) accountCount(t *testing.T) int {
	t.Helper()
	n, err := ti.App.store.CountAccounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// clientFrom is a client whose connections come from another loopback
// address, as another visitor's would.
func (ti *testInstance) clientFrom(ip string) *http.Client {
	c := ti.client()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c.Transport = &http.Transport{DialContext: d.DialContext}
	return c
}

func registration(email, username string) url.Values {
	return url.Values{"email": {email}, "username": {username}, "display_name": {"Someone"}, "password": {"a long password"}}
}

func TestRegistrationsClosedByDefault(t *testing.T) {
	ti := newTestInstance(t)
	res, body := ti.get(t, ti.client(), "/register")
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "does not accept new accounts") {
		t.Fatalf("GET /register while closed: %d", res.StatusCode)
	}
	res, body = ti.postFormBody(t, ti.client(), "/register", registration("eve@example.org", "eve"))
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "does not accept new accounts") {
		t.Fatalf("POST /register while closed: %d", res.StatusCode)
	}
	if n := ti.accountCount(t); n != 0 {
		t.Fatalf("closed registrations created %d accounts", n)
	}
	// An invitation does not open a closed instance.
	secret, _ := ti.App.store.CreateToken(context.Background(), "invite", 0, invitationTTL)
	if res, _ := ti.postFormBody(t, ti.client(), "/register", func() url.Values {
		v := registration("eve@example.org", "eve")
		v.Set("invite", secret)
		return v
	}()); res.StatusCode != http.StatusForbidden {
		t.Errorf("closed registrations with an invitation: %d", res.StatusCode)
	}
	if n := ti.accountCount(t); n != 0 {
		t.Fatalf("closed registrations created %d accounts", n)
	}
}

var invitationLink = regexp.MustCompile(`value="(http://[^"]+/register\?invite=([A-Za-z0-9_-]+))"`)

func TestRegistrationByInvitation(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "owner@example.org", "owner", "a long password", true)
	admin := ti.login(t, "owner", "a long password")
	if res := ti.postForm(t, admin, "/admin/registrations", url.Values{"registrations": {"invite"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set invite-only: %d", res.StatusCode)
	}
	res, body := ti.postFormBody(t, admin, "/admin/invitations", nil)
	m := invitationLink.FindStringSubmatch(body)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("create invitation: %d, link found: %v", res.StatusCode, m != nil)
	}
	invite := m[2]
	if _, again := ti.get(t, admin, "/admin/registrations"); strings.Contains(again, invite) {
		t.Error("the invitation link is shown a second time")
	}

	c := ti.client()
	if res, body := ti.get(t, c, "/register"); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "by invitation only") {
		t.Errorf("invite-only without invitation: %d", res.StatusCode)
	}
	if res, _ := ti.get(t, c, "/register?invite=wrong"); res.StatusCode != http.StatusForbidden {
		t.Errorf("wrong invitation: %d", res.StatusCode)
	}
	if res, _ := ti.postFormBody(t, c, "/register", func() url.Values {
		v := registration("eve@example.org", "eve")
		v.Set("invite", "wrong")
		return v
	}()); res.StatusCode != http.StatusForbidden {
		t.Errorf("post with a wrong invitation: %d", res.StatusCode)
	}
	res, body = ti.get(t, c, strings.TrimPrefix(m[1], ti.URL))
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `name="invite" value="`+invite+`"`) {
		t.Fatalf("register with the invitation: %d", res.StatusCode)
	}

	// A refused form does not spend the invitation.
	form := registration("eve@example.org", "owner")
	form.Set("invite", invite)
	if res, _ := ti.postFormBody(t, c, "/register", form); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("taken username with invitation: %d", res.StatusCode)
	}
	form.Set("username", "eve")
	if res := ti.postForm(t, c, "/register", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("register with invitation: %d", res.StatusCode)
	}
	if _, body := ti.get(t, c, "/"); !strings.Contains(body, "@eve") {
		t.Error("not logged in as @eve after registering")
	}
	if n := ti.accountCount(t); n != 2 {
		t.Fatalf("%d accounts, want 2", n)
	}

	// The invitation works once.
	form = registration("mallory@example.org", "mallory")
	form.Set("invite", invite)
	if res, body := ti.postFormBody(t, ti.client(), "/register", form); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "already used") {
		t.Errorf("second use of an invitation: %d", res.StatusCode)
	}
	if n := ti.accountCount(t); n != 2 {
		t.Fatalf("a used invitation created an account")
	}
}

func TestOpenRegistration(t *testing.T) {
	ti := newTestInstance(t)
	ti.setRegistrations(t, "open")
	ti.createAccount(t, "ana@example.org", "ana", "a long password", false)

	c := ti.client()
	if res, body := ti.get(t, c, "/register"); res.StatusCode != http.StatusOK || !strings.Contains(body, `name="website"`) {
		t.Fatalf("open registration form: %d", res.StatusCode)
	}
	if res := ti.postForm(t, c, "/register", registration("eve@example.org", "eve")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("register: %d", res.StatusCode)
	}
	if _, body := ti.get(t, c, "/"); !strings.Contains(body, "@eve") || !strings.Contains(body, "Welcome, @eve") {
		t.Error("not logged in as @eve after registering")
	}
	acc, err := ti.App.store.AccountByEmail(context.Background(), "eve@example.org")
	if err != nil || acc.IsAdmin {
		t.Fatalf("new account: %+v, %v", acc, err)
	}
	ti.login(t, "eve", "a long password")

	// Refusals: each with its message next to its field, keeping what was
	// typed, writing nothing.
	cases := []struct {
		name  string
		form  url.Values
		field string
		msg   string
	}{
		{"taken email", registration("ANA@example.org", "newname"), "email", "already exists"},
		{"taken username", registration("new@example.org", "ana"), "username", "This username is taken"},
		{"upper case", registration("new@example.org", "Newname"), "username", "lower-case letters"},
		{"space", registration("new@example.org", "new name"), "username", "lower-case letters"},
		{"accent", registration("new@example.org", "andré"), "username", "lower-case letters"},
		{"at sign", registration("new@example.org", "@new"), "username", "lower-case letters"},
		{"too long", registration("new@example.org", strings.Repeat("a", 31)), "username", "at most 30"},
		{"empty", registration("new@example.org", ""), "username", "Choose a username"},
		{"bad email", registration("not an email", "newname"), "email", "not an email address"},
		{"both taken, email", registration("ana@example.org", "eve"), "email", "already exists"},
		{"both taken, username", registration("ana@example.org", "eve"), "username", "This username is taken"},
	}
	before := ti.accountCount(t)
	for i, tc := range cases {
		// Each from its own address: this is about messages, not the rate limit.
		res, body := ti.postFormBody(t, ti.clientFrom(fmt.Sprintf("127.0.1.%d", i+1)), "/register", tc.form)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d", tc.name, res.StatusCode)
		}
		if !regexp.MustCompile(`id="e-` + tc.field + `"[^>]*>[^<]*` + regexp.QuoteMeta(tc.msg)).MatchString(body) {
			t.Errorf("%s: no %q next to %s", tc.name, tc.msg, tc.field)
		}
		if !strings.Contains(body, `value="`+tc.form.Get("email")+`"`) {
			t.Errorf("%s: the typed email is lost", tc.name)
		}
	}
	if n := ti.accountCount(t); n != before {
		t.Fatalf("refused registrations created %d accounts", n-before)
	}
	var identities int
	_ = ti.App.store.DB().QueryRow(`SELECT count(*) FROM actors`).Scan(&identities)
	if identities != 2 {
		t.Fatalf("refused registrations left identities behind: %d", identities)
	}
}

func TestRegistrationHoneypotAndRateLimit(t *testing.T) {
	ti := newTestInstance(t)
	ti.setRegistrations(t, "open")
	form := registration("robot@example.org", "robot")
	form.Set("website", "http://spam.example")
	res, body := ti.postFormBody(t, ti.client(), "/register", form)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "could not be accepted") {
		t.Fatalf("honeypot filled: %d", res.StatusCode)
	}
	if n := ti.accountCount(t); n != 0 {
		t.Fatal("a filled honeypot created an account")
	}

	// Every post from one address counts (one already did).
	for i := 1; i < registerPerIPBurst; i++ {
		ti.postForm(t, ti.client(), "/register", registration("bad", "x"))
	}
	res, body = ti.postFormBody(t, ti.client(), "/register", registration("late@example.org", "late"))
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Wait an hour") || !strings.Contains(body, `value="late@example.org"`) {
		t.Fatalf("after %d attempts: %d", registerPerIPBurst, res.StatusCode)
	}
	if n := ti.accountCount(t); n != 0 {
		t.Fatal("a rate-limited registration created an account")
	}
	// The limit is per address: someone else can still register.
	if res := ti.postForm(t, ti.clientFrom("127.0.2.1"), "/register", registration("late@example.org", "late")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("registration from another address: %d", res.StatusCode)
	}
}
