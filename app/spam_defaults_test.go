package app

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// registerAs posts the sign-up form from a fresh client and tells
// whether it ended logged in.
func registerAs(t *testing.T, ti *testInstance, email, username string) (loggedIn bool, flash string) {
	t.Helper()
	c := ti.client()
	res := ti.postForm(t, c, "/register", registration(email, username))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("register %s: %d", username, res.StatusCode)
	}
	_, body := ti.get(t, c, "/")
	return strings.Contains(body, `action="/logout"`), body
}

// loginStatus posts the login form and returns the status and page.
func loginStatus(t *testing.T, ti *testInstance, login string) (int, string) {
	t.Helper()
	res, body := ti.postFormBody(t, ti.client(), "/login", url.Values{"login": {login}, "password": {"a long password"}})
	return res.StatusCode, body
}

func TestApprovalQueue(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "admin@example.org", "admin", "a long password", true)
	ti.createAccount(t, "ana@example.org", "ana", "a long password", false)
	admin := ti.login(t, "admin", "a long password")
	ti.setRegistrations(t, "approval")
	if _, about := ti.get(t, ti.client(), "/about"); !strings.Contains(about, "which an administrator approves") {
		t.Error("/about does not say accounts are approved")
	}
	loggedIn, page := registerAs(t, ti, "eve@example.org", "eve")
	if loggedIn || !strings.Contains(page, "you can log in once it is approved") {
		t.Fatalf("registering under approval: logged in %v, told to wait %v", loggedIn, strings.Contains(page, "once it is approved"))
	}
	if status, body := loginStatus(t, ti, "eve"); status != http.StatusForbidden || !strings.Contains(body, "waits for an administrator’s approval") {
		t.Fatalf("login before approval: %d", status)
	}
	_, users := ti.get(t, admin, "/admin/users")
	if !strings.Contains(users, "Waiting for approval") || !strings.Contains(users, "eve@example.org") {
		t.Fatal("/admin/users does not list the account waiting")
	}
	eve, err := ti.App.store.AccountByEmail(context.Background(), "eve@example.org")
	if err != nil {
		t.Fatal(err)
	}
	approve := "/admin/users/" + itoa(eve.ID) + "/approve"
	ana := ti.login(t, "ana", "a long password")
	ti.postForm(t, ana, approve, url.Values{})
	if waiting, _ := ti.App.store.IsAwaitingApproval(context.Background(), eve.ID); !waiting {
		t.Fatal("a non-admin approved an account")
	}
	logRows := func() int {
		n, err := ti.App.store.CountModerationLog(context.Background(), "account.approve")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if res := ti.postForm(t, admin, approve, url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", res.StatusCode)
	}
	if logRows() != 1 {
		t.Fatalf("%d log rows for one approval", logRows())
	}
	ti.login(t, "eve", "a long password")
	if _, users := ti.get(t, admin, "/admin/users"); strings.Contains(users, "Waiting for approval") {
		t.Fatal("the approved account still waits")
	}
	// Approving again changes nothing and logs nothing.
	ti.postForm(t, admin, approve, url.Values{})
	if logRows() != 1 {
		t.Fatal("approving twice logged twice")
	}
	// Existing accounts were never queued.
	ti.login(t, "ana", "a long password")
}

func TestDeadManSwitchOnOpenRegistrations(t *testing.T) {
	clock := &fedClock{}
	ti := newTestInstance(t, func(c *Config) { c.Now = clock.Now })
	adminAcc, _ := ti.createAccount(t, "admin@example.org", "admin", "a long password", true)
	ti.setRegistrations(t, "open")
	if in, _ := registerAs(t, ti, "a@example.org", "usera"); !in {
		t.Fatal("open registrations with a present admin queued the account")
	}
	clock.Advance(8 * 24 * time.Hour)
	if in, _ := registerAs(t, ti, "b@example.org", "userb"); in {
		t.Fatal("after 8 days without moderators, a new account logged in at once")
	}
	if status, _ := loginStatus(t, ti, "userb"); status != http.StatusForbidden {
		t.Fatalf("queued account login: %d", status)
	}
	// Accounts made before are not affected.
	if status, _ := loginStatus(t, ti, "usera"); status != http.StatusSeeOther {
		t.Fatalf("an earlier account cannot log in: %d", status)
	}
	// The admin's choice is kept, and the page says why it does not apply.
	admin := ti.login(t, "admin", "a long password")
	if _, page := ti.get(t, admin, "/admin/registrations"); strings.Contains(page, "No moderator acted") {
		t.Fatal("the admin's login did not count as activity")
	}
	if ti.App.setting(context.Background(), SettingRegistrations) != "open" {
		t.Fatal("the dead-man switch changed the admin's setting")
	}
	if in, _ := registerAs(t, ti, "c@example.org", "userc"); !in {
		t.Fatal("after an admin login, registrations still need approval")
	}
	clock.Advance(8 * 24 * time.Hour)
	if _, page := ti.get(t, admin, "/admin/registrations"); !strings.Contains(page, "No moderator acted") {
		t.Fatal("the registrations page does not say the switch is on")
	}
	// A moderation action counts too.
	ctx := context.Background()
	if err := ti.App.store.Tx(ctx, func(tx *sql.Tx) error {
		return ti.App.logModeration(ctx, tx, adminAcc, "report.resolve", "report", "1", 0, nil)
	}); err != nil {
		t.Fatal(err)
	}
	if in, _ := registerAs(t, ti, "d@example.org", "userd"); !in {
		t.Fatal("after a moderation action, registrations still need approval")
	}
}
