package app

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// askEmailChange posts the change-of-address form.
func (ri *recoveryInstance) askEmailChange(t *testing.T, c *http.Client, newEmail, password string) (*http.Response, string) {
	t.Helper()
	return ri.postFormBody(t, c, "/me/account/email", url.Values{"new_email": {newEmail}, "email_password": {password}})
}

// A new address is used only once the link sent to it is opened; the old
// address is told; the link works once.
func TestChangeEmailIsConfirmedFromTheNewAddress(t *testing.T) {
	ri := newRecoveryInstance(t)
	c := ri.login(t, "alice", "alice-password")
	if res, body := ri.askEmailChange(t, c, "alice@new.example", "alice-password"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("change email: status %d\n%s", res.StatusCode, body)
	}
	ri.deliver(t)
	if res := ri.postForm(t, ri.client(), "/login", url.Values{"login": {"alice@new.example"}, "password": {"alice-password"}}); res.StatusCode == http.StatusSeeOther {
		t.Fatal("the new address works before its link was opened")
	}
	path := strings.TrimPrefix(ri.mail.lastTo(t, "alice@new.example").link(t, "/me/email/"), ri.URL)
	// Opening the link (as a mail scanner would) changes nothing yet.
	if res, body := ri.get(t, ri.client(), path); res.StatusCode != http.StatusOK || !strings.Contains(body, "alice@new.example") {
		t.Fatalf("confirmation page: status %d", res.StatusCode)
	}
	if res := ri.postForm(t, c, path, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: status %d", res.StatusCode)
	}
	ri.login(t, "alice@new.example", "alice-password")
	if res := ri.postForm(t, ri.client(), "/login", url.Values{"login": {"alice@example.org"}, "password": {"alice-password"}}); res.StatusCode == http.StatusSeeOther {
		t.Error("the old address still logs in")
	}
	ri.deliver(t)
	told := ri.mail.lastTo(t, "alice@example.org")
	if !strings.Contains(told.Text, "alice@new.example") {
		t.Errorf("the old address was not told of the new one:\n%s", told.Text)
	}
	if _, body := ri.get(t, c, "/me/account"); !strings.Contains(body, "alice@new.example") {
		t.Error("the account page does not show the new address")
	}
	// Used once.
	if res, body := ri.get(t, ri.client(), path); res.StatusCode != http.StatusNotFound || !strings.Contains(body, "already used") {
		t.Errorf("reused email link: status %d", res.StatusCode)
	}
}

// An address another account uses is refused, to the logged-in owner
// only, keeping what was typed; so is a wrong password. Nothing is sent.
func TestChangeEmailRefusesAUsedAddressAndAWrongPassword(t *testing.T) {
	ri := newRecoveryInstance(t)
	ri.createAccount(t, "bob@example.org", "bob", "bob-password-1", false)
	c := ri.login(t, "alice", "alice-password")
	res, body := ri.askEmailChange(t, c, "bob@example.org", "alice-password")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Another account already uses this address") || !strings.Contains(body, `value="bob@example.org"`) {
		t.Errorf("taken address: status %d\n%s", res.StatusCode, body)
	}
	res, body = ri.askEmailChange(t, c, "alice@new.example", "not my password")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "This is not your current password") || !strings.Contains(body, `value="alice@new.example"`) {
		t.Errorf("wrong password: status %d", res.StatusCode)
	}
	// A stranger cannot ask at all.
	if res := ri.postForm(t, ri.client(), "/me/account/email", url.Values{"new_email": {"x@example.org"}}); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("logged out: status %d to %s", res.StatusCode, res.Header.Get("Location"))
	}
	ri.deliver(t)
	if n := len(ri.mail.messages()); n != 0 {
		t.Errorf("%d mails sent for refused changes", n)
	}
}

// The link is good for a day; after that it changes nothing.
func TestChangeEmailLinkExpires(t *testing.T) {
	ri := newRecoveryInstance(t)
	c := ri.login(t, "alice", "alice-password")
	ri.askEmailChange(t, c, "alice@new.example", "alice-password")
	ri.deliver(t)
	path := strings.TrimPrefix(ri.mail.lastTo(t, "alice@new.example").link(t, "/me/email/"), ri.URL)
	ri.clock.Advance(25 * time.Hour)
	if res := ri.postForm(t, c, path, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("expired link: status %d", res.StatusCode)
	}
	ri.login(t, "alice@example.org", "alice-password")
	if res, _ := ri.get(t, ri.client(), "/me/email/forged-token"); res.StatusCode != http.StatusNotFound {
		t.Errorf("forged link: status %d", res.StatusCode)
	}
}

// loginAs logs a fresh client in with a given User-Agent.
func loginAs(t *testing.T, ti *testInstance, userAgent, login, password string) *http.Client {
	t.Helper()
	c := ti.client()
	c.Transport = userAgentTransport(userAgent)
	if res := ti.postForm(t, c, "/login", url.Values{"login": {login}, "password": {password}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: status %d", res.StatusCode)
	}
	return c
}

type userAgentTransport string

func (ua userAgentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", string(ua))
	return http.DefaultTransport.RoundTrip(r)
}

// People see their sessions by browser and day, and log others out.
func TestSessionsAreListedAndEnded(t *testing.T) {
	ri := newRecoveryInstance(t)
	laptop := loginAs(t, ri.testInstance, "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0", "alice", "alice-password")
	phone := loginAs(t, ri.testInstance, "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Mobile Safari/537.36", "alice", "alice-password")
	tablet := loginAs(t, ri.testInstance, "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15", "alice", "alice-password")

	_, body := ri.get(t, laptop, "/me/sessions")
	for _, want := range []string{"Firefox · Linux", "Chrome · Android", "Safari · iPad", "This browser"} {
		if !strings.Contains(body, want) {
			t.Errorf("sessions page lacks %q", want)
		}
	}
	if strings.Contains(body, "127.0.0.1") || strings.Contains(body, "Gecko") {
		t.Error("the sessions page shows an address or a whole User-Agent")
	}
	sessions, err := ri.App.store.SessionsOf(t.Context(), 1, "")
	if err != nil {
		t.Fatal(err)
	}
	var phoneID int64
	for _, s := range sessions {
		if s.Device == "Chrome · Android" {
			phoneID = s.ID
		}
	}
	if res := ri.postForm(t, laptop, "/me/sessions/"+itoa(phoneID)+"/end", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("end session: status %d", res.StatusCode)
	}
	if ri.loggedIn(t, phone) {
		t.Error("the phone is still logged in")
	}
	if !ri.loggedIn(t, tablet) || !ri.loggedIn(t, laptop) {
		t.Fatal("ending one session ended others")
	}
	// Someone else's session cannot be ended by id.
	bobAcc, _ := ri.createAccount(t, "bob@example.org", "bob", "bob-password-1", false)
	bob := ri.login(t, "bob", "bob-password-1")
	bobs, _ := ri.App.store.SessionsOf(t.Context(), bobAcc.ID, "")
	ri.postForm(t, laptop, "/me/sessions/"+itoa(bobs[0].ID)+"/end", nil)
	if !ri.loggedIn(t, bob) {
		t.Error("alice ended bob's session")
	}
	if res := ri.postForm(t, laptop, "/me/sessions/end-others", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("end others: status %d", res.StatusCode)
	}
	if ri.loggedIn(t, tablet) {
		t.Error("the tablet is still logged in after 'log out every other browser'")
	}
	if !ri.loggedIn(t, laptop) {
		t.Error("'log out every other browser' logged this one out")
	}
}

// Last seen is kept to the quarter hour, and moves as the session is used.
func TestSessionLastSeenIsCoarse(t *testing.T) {
	ri := newRecoveryInstance(t)
	ri.clock.Advance(7 * time.Minute) // 10:07
	c := ri.login(t, "alice", "alice-password")
	ri.clock.Advance(3 * time.Hour)
	ri.get(t, c, "/me/account")
	s, err := ri.App.store.SessionsOf(t.Context(), 1, "")
	if err != nil || len(s) != 1 {
		t.Fatalf("sessions: %v %v", s, err)
	}
	if want := time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC); !s[0].LastSeen.Equal(want) {
		t.Errorf("last seen %v, want %v", s[0].LastSeen, want)
	}
}

// A logged-in visitor's page never waits for the database's writer only
// to learn that the session was already noted as seen in this quarter
// hour: while another connection holds the write lock (a long import, a
// burst of joins), pages keep answering.
func TestPagesDoNotWaitForTheWriterWhenTheSessionWasSeen(t *testing.T) {
	ri := newRecoveryInstance(t)
	c := ri.login(t, "alice", "alice-password") // seen at 10:00
	ri.clock.Advance(5 * time.Minute)
	writer, err := ri.App.store.DB().Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if _, err := writer.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer writer.ExecContext(context.Background(), "ROLLBACK")
	for _, path := range []string{"/", "/me/account"} {
		// Well below busy_timeout (10 s), well above a page's time.
		ctx, cancel := context.WithTimeout(t.Context(), 4*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ri.URL+path, nil)
		res, err := c.Do(req)
		if err != nil {
			cancel()
			t.Fatalf("GET %s while a writer holds the database: %v", path, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		cancel()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "alice") {
			t.Errorf("GET %s: status %d, logged in: %v", path, res.StatusCode, strings.Contains(string(body), "alice"))
		}
	}
}
