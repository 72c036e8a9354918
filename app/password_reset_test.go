package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// recoveryInstance is an instance with mail, a movable clock and alice's
// account.
type recoveryInstance struct {
	*testInstance
	mail  *testMailServer
	clock *testClock
}

func newRecoveryInstance(t *testing.T) *recoveryInstance {
	t.Helper()
	ms := startMailServer(t, false)
	clock := newTestClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	ti := newTestInstance(t, ms.withMail, func(c *Config) { c.Now = clock.Now })
	ti.createAccount(t, "alice@example.org", "alice", "alice-password", false)
	return &recoveryInstance{testInstance: ti, mail: ms, clock: clock}
}

// deliver sends what the mail queue holds now.
func (ri *recoveryInstance) deliver(t *testing.T) {
	t.Helper()
	if _, err := ri.App.DeliverMailDue(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// askReset posts the "forgot your password" form from a fresh browser.
func (ri *recoveryInstance) askReset(t *testing.T, email string) (*http.Response, string) {
	t.Helper()
	return ri.postFormBody(t, ri.client(), "/password/forgot", url.Values{"email": {email}})
}

// resetLink asks for a reset for alice and returns the link mailed to her.
func (ri *recoveryInstance) resetLink(t *testing.T) string {
	t.Helper()
	if res, body := ri.askReset(t, "alice@example.org"); res.StatusCode != http.StatusOK {
		t.Fatalf("forgot password: status %d\n%s", res.StatusCode, body)
	}
	ri.deliver(t)
	return ri.mail.lastTo(t, "alice@example.org").link(t, "/password/")
}

// loggedIn tells whether a client's session still works.
func (ri *recoveryInstance) loggedIn(t *testing.T, c *http.Client) bool {
	t.Helper()
	res, _ := ri.get(t, c, "/me/account")
	return res.StatusCode == http.StatusOK
}

// The login page leads to "Forgot your password?"; the emailed link sets
// a new password once, logs this browser in and every other one out.
func TestForgotPasswordLinkSetsPasswordOnceAndEndsOtherSessions(t *testing.T) {
	ri := newRecoveryInstance(t)
	if _, body := ri.get(t, ri.client(), "/login"); !strings.Contains(body, `href="/password/forgot"`) {
		t.Fatal("the login page has no link to /password/forgot")
	}
	other := ri.login(t, "alice", "alice-password")

	link := ri.resetLink(t)
	path := strings.TrimPrefix(link, ri.URL)
	browser := ri.client()
	if res, body := ri.get(t, browser, path); res.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Fatalf("reset link: status %d, no password field", res.StatusCode)
	}
	res := ri.postForm(t, browser, path, url.Values{"password": {"a brand new password"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set password: status %d", res.StatusCode)
	}
	if !ri.loggedIn(t, browser) {
		t.Error("the browser that used the link is not logged in")
	}
	if ri.loggedIn(t, other) {
		t.Error("a session opened with the old password still works")
	}
	if res := ri.postForm(t, ri.client(), "/login", url.Values{"login": {"alice"}, "password": {"alice-password"}}); res.StatusCode == http.StatusSeeOther {
		t.Error("the old password still logs in")
	}
	ri.login(t, "alice@example.org", "a brand new password")

	// Used once: the same link is refused and changes nothing.
	res, body := ri.get(t, ri.client(), path)
	if res.StatusCode != http.StatusNotFound || !strings.Contains(body, "already used") {
		t.Errorf("reused link: status %d\n%s", res.StatusCode, body)
	}
	if res := ri.postForm(t, ri.client(), path, url.Values{"password": {"an attacker password"}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("reused link posted: status %d", res.StatusCode)
	}
	ri.login(t, "alice", "a brand new password")
}

// A link is good for one hour: after that it is refused, nothing changes.
func TestForgotPasswordLinkExpiresAfterAnHour(t *testing.T) {
	ri := newRecoveryInstance(t)
	path := strings.TrimPrefix(ri.resetLink(t), ri.URL)
	ri.clock.Advance(61 * time.Minute)
	if res, body := ri.get(t, ri.client(), path); res.StatusCode != http.StatusNotFound || !strings.Contains(body, "expired") {
		t.Errorf("expired link: status %d\n%s", res.StatusCode, body)
	}
	if res := ri.postForm(t, ri.client(), path, url.Values{"password": {"too late password"}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("expired link posted: status %d", res.StatusCode)
	}
	ri.login(t, "alice", "alice-password")
}

// A made-up link gets the same page, and changes nothing.
func TestForgedPasswordLinkIsRefused(t *testing.T) {
	ri := newRecoveryInstance(t)
	if res, body := ri.get(t, ri.client(), "/password/not-a-real-token"); res.StatusCode != http.StatusNotFound || !strings.Contains(body, "Forgot your password?") {
		t.Errorf("forged link: status %d\n%s", res.StatusCode, body)
	}
	if res := ri.postForm(t, ri.client(), "/password/not-a-real-token", url.Values{"password": {"a forged password"}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("forged link posted: status %d", res.StatusCode)
	}
	ri.login(t, "alice", "alice-password")
}

// Asking for a known and an unknown address gets the same page, so the
// form tells nobody who has an account; only the known one gets mail.
// Both answers do the same kind of work (no password hashing, one
// transaction): their durations are logged, not compared.
func TestForgotPasswordAnswersTheSameForUnknownAddresses(t *testing.T) {
	ri := newRecoveryInstance(t)
	start := time.Now()
	knownRes, known := ri.askReset(t, "alice@example.org")
	knownTook := time.Since(start)
	start = time.Now()
	unknownRes, unknown := ri.askReset(t, "nobody@example.org")
	unknownTook := time.Since(start)
	t.Logf("known address answered in %v, unknown in %v", knownTook, unknownTook)
	if knownRes.StatusCode != unknownRes.StatusCode {
		t.Errorf("status %d for a known address, %d for an unknown one", knownRes.StatusCode, unknownRes.StatusCode)
	}
	if strings.ReplaceAll(known, "alice@example.org", "X") != strings.ReplaceAll(unknown, "nobody@example.org", "X") {
		t.Errorf("the pages differ:\n%s\n---\n%s", known, unknown)
	}
	ri.deliver(t)
	if n := ri.mail.countTo("alice@example.org"); n != 1 {
		t.Errorf("alice got %d mails", n)
	}
	if n := ri.mail.countTo("nobody@example.org"); n != 0 {
		t.Errorf("an address without an account got %d mails", n)
	}
}

// Three requests per address, then the form refuses for that address
// (others still work); ten per IP, then it refuses any address.
func TestForgotPasswordIsRateLimitedPerAddressAndPerIP(t *testing.T) {
	ri := newRecoveryInstance(t)
	for i := range 3 {
		if res, _ := ri.askReset(t, "alice@example.org"); res.StatusCode != http.StatusOK {
			t.Fatalf("request %d: status %d", i+1, res.StatusCode)
		}
	}
	res, body := ri.askReset(t, "alice@example.org")
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, `value="alice@example.org"`) {
		t.Errorf("4th request for one address: status %d (the form should keep the address)", res.StatusCode)
	}
	ri.deliver(t)
	if n := ri.mail.countTo("alice@example.org"); n != 3 {
		t.Errorf("alice got %d mails, want 3", n)
	}
	// The same IP, other addresses: 6 more make 10 allowed, then refused.
	for i := range 6 {
		if res, _ := ri.askReset(t, "someone"+itoa(int64(i))+"@example.org"); res.StatusCode != http.StatusOK {
			t.Fatalf("other address %d: status %d", i, res.StatusCode)
		}
	}
	if res, _ := ri.askReset(t, "yet-another@example.org"); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("11th request from one IP: status %d", res.StatusCode)
	}
	// Time refills both.
	ri.clock.Advance(time.Hour)
	if res, _ := ri.askReset(t, "alice@example.org"); res.StatusCode != http.StatusOK {
		t.Errorf("an hour later: status %d", res.StatusCode)
	}
}

// Without email the page says to ask the administrator, and offers no form.
func TestForgotPasswordWithoutMailSaysAskTheAdministrator(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "alice@example.org", "alice", "alice-password", false)
	res, body := ti.get(t, ti.client(), "/password/forgot")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Ask its administrator") || strings.Contains(body, `name="email"`) {
		t.Errorf("without mail: status %d\n%s", res.StatusCode, body)
	}
	res, body = ti.postFormBody(t, ti.client(), "/password/forgot", url.Values{"email": {"alice@example.org"}})
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "Ask its administrator") {
		t.Errorf("posted without mail: status %d", res.StatusCode)
	}
}

// A mistyped address is said so, and the form keeps it.
func TestForgotPasswordKeepsAMistypedAddress(t *testing.T) {
	ri := newRecoveryInstance(t)
	res, body := ri.askReset(t, "alice-at-example.org")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="alice-at-example.org"`) {
		t.Errorf("mistyped address: status %d\n%s", res.StatusCode, body)
	}
}
