package app

import (
	"context"
	"database/sql"
	"encoding/json"
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

	// Refusing deletes the waiting account: its name is free again; an
	// approved account cannot be refused that way.
	registerAs(t, ti, "mallory@example.org", "mallory")
	mallory, err := ti.App.store.AccountByEmail(context.Background(), "mallory@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if res := ti.postForm(t, admin, "/admin/users/"+itoa(mallory.ID)+"/refuse", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("refuse: %d", res.StatusCode)
	}
	if _, err := ti.App.store.AccountByEmail(context.Background(), "mallory@example.org"); err == nil {
		t.Fatal("the refused account still exists")
	}
	if n, _ := ti.App.store.CountModerationLog(context.Background(), "account.refuse"); n != 1 {
		t.Fatalf("%d log rows for one refusal", n)
	}
	registerAs(t, ti, "mallory@example.org", "mallory")
	ti.postForm(t, admin, "/admin/users/"+itoa(eve.ID)+"/refuse", url.Values{})
	if _, err := ti.App.store.AccountByEmail(context.Background(), "eve@example.org"); err != nil {
		t.Fatal("refusing deleted an approved account")
	}
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

// A self-registered account's first three events wait for a moderator:
// not listed, not searchable, not sent anywhere, not publishable by their
// organiser; approving one publishes it; the fourth goes out at once.
// Accounts made by an admin publish at once.
func TestNewAccountsFirstEventsHeld(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "admin@example.org", "admin", "a long password", true)
	ti.createAccount(t, "ana@example.org", "ana", "a long password", false)
	admin := ti.login(t, "admin", "a long password")
	ti.setRegistrations(t, "open")
	if in, _ := registerAs(t, ti, "eve@example.org", "eve"); !in {
		t.Fatal("open registration did not log in")
	}
	eve := ti.login(t, "eve", "a long password")
	ana := ti.login(t, "ana", "a long password")
	event := func(title string) url.Values {
		f := fullEventForm()
		f.Set("title", title)
		f.Set("starts_at", "2031-03-14T19:00")
		f.Set("ends_at", "2031-03-14T21:00")
		return f
	}
	listed := func(title string) bool {
		t.Helper()
		_, home := ti.get(t, ti.client(), "/")
		_, search := ti.get(t, ti.client(), "/search?category=music")
		_, feed := ti.get(t, ti.client(), "/calendar.ics")
		return strings.Contains(home, title) || strings.Contains(search, title) || strings.Contains(feed, title)
	}
	// What other servers can see of eve's events: her outbox's count.
	outbox := func() int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, ti.URL+"/actors/eve/outbox", nil)
		req.Header.Set("Accept", "application/activity+json")
		res, err := ti.client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var doc struct {
			TotalItems int `json:"totalItems"`
		}
		if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
			t.Fatalf("outbox: %d %v", res.StatusCode, err)
		}
		return doc.TotalItems
	}
	var uuids []string
	for _, title := range []string{"Atelier Un", "Atelier Deux", "Atelier Trois"} {
		before := outbox()
		res, _ := ti.postFormBody(t, eve, "/events", event(title))
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("create %s: %d", title, res.StatusCode)
		}
		uuids = append(uuids, strings.TrimPrefix(res.Header.Get("Location"), "/events/"))
		if listed(title) {
			t.Fatalf("%s, a new account's event, is listed before review", title)
		}
		if outbox() != before {
			t.Fatalf("%s was announced before review", title)
		}
	}
	if outbox() != 0 {
		t.Fatal("held events are in the outbox")
	}
	// The organiser cannot publish it around the review.
	ti.postForm(t, eve, "/events/"+uuids[0]+"/publish", url.Values{})
	if listed("Atelier Un") {
		t.Fatal("the organiser published a held event")
	}
	if _, page := ti.get(t, admin, "/admin/reports"); !strings.Contains(page, "Events held for review") || !strings.Contains(page, "Atelier Deux") {
		t.Fatal("the moderation page does not list the held events")
	}
	// The admin can read it before deciding; visitors cannot.
	if res, page := ti.get(t, admin, "/events/"+uuids[1]); res.StatusCode != http.StatusOK || !strings.Contains(page, "Atelier Deux") {
		t.Fatalf("the admin cannot read a held event: %d", res.StatusCode)
	}
	if res, _ := ti.get(t, ana, "/events/"+uuids[1]); res.StatusCode != http.StatusNotFound {
		t.Fatalf("another user reads a held event: %d", res.StatusCode)
	}
	// A non-admin cannot approve.
	ti.postForm(t, ana, "/admin/held-events/"+uuids[0]+"/approve", url.Values{})
	if listed("Atelier Un") {
		t.Fatal("a non-admin approved a held event")
	}
	for i, u := range uuids {
		if res := ti.postForm(t, admin, "/admin/held-events/"+u+"/approve", url.Values{}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve %d: %d", i, res.StatusCode)
		}
	}
	for _, title := range []string{"Atelier Un", "Atelier Deux", "Atelier Trois"} {
		if !listed(title) {
			t.Fatalf("%s is not listed after approval", title)
		}
	}
	if outbox() != 3 {
		t.Fatalf("%d events in the outbox after three approvals", outbox())
	}
	if n, _ := ti.App.store.CountModerationLog(context.Background(), "event.approve"); n != 3 {
		t.Fatalf("%d log rows for three approvals", n)
	}
	if _, page := ti.get(t, admin, "/admin/reports"); strings.Contains(page, "Events held for review") {
		t.Fatal("approved events still wait")
	}
	ti.createEvent(t, eve, event("Atelier Quatre"))
	if !listed("Atelier Quatre") {
		t.Fatal("the fourth event of a reviewed account was held")
	}
	ti.createEvent(t, ana, event("Bal de Ana"))
	if !listed("Bal de Ana") {
		t.Fatal("an account made by an admin had its event held")
	}
}
