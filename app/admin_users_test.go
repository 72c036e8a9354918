package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"convene/app/ap"
)

// usersInstance has an administrator (logged in), alice and bob.
type usersInstance struct {
	*recoveryInstance
	admin *http.Client
}

func newUsersInstance(t *testing.T) *usersInstance {
	t.Helper()
	ri := newRecoveryInstance(t)
	ri.createAccount(t, "root@example.org", "root", "root-password-1", true)
	ri.createAccount(t, "bob@example.org", "bob", "bob-password-1", false)
	return &usersInstance{recoveryInstance: ri, admin: ri.login(t, "root", "root-password-1")}
}

// accountAction confirms an action on the admin side and returns the answer.
func (ui *usersInstance) accountAction(t *testing.T, accountID int64, verb string) (*http.Response, string) {
	t.Helper()
	path := "/admin/users/" + itoa(accountID) + "/" + verb
	res, body := ui.get(t, ui.admin, path)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `action="`+path+`"`) {
		t.Fatalf("confirmation page of %s: status %d", verb, res.StatusCode)
	}
	return ui.postFormBody(t, ui.admin, path, nil)
}

// The Users page finds accounts by email, username or name, and says
// when each was last seen.
func TestAdminUsersSearchAndLastSeen(t *testing.T) {
	ui := newUsersInstance(t)
	ui.login(t, "alice", "alice-password")
	_, body := ui.get(t, ui.admin, "/admin/users?q=ALI")
	if !strings.Contains(body, "alice@example.org") || strings.Contains(body, "bob@example.org") {
		t.Errorf("search for ALI:\n%s", body)
	}
	if !strings.Contains(body, `datetime="2026-03-01"`) {
		t.Error("alice's last visit is not shown")
	}
	_, body = ui.get(t, ui.admin, "/admin/users?q=bob")
	if !strings.Contains(body, "bob@example.org") || !strings.Contains(body, "not yet") {
		t.Error("bob, who never logged in, is not found or not said so")
	}
	if _, body = ui.get(t, ui.admin, "/admin/users?q=nobody-here"); !strings.Contains(body, "No account matches") {
		t.Error("an empty search says nothing")
	}
	// Only administrators.
	alice := ui.login(t, "alice", "alice-password")
	if res, _ := ui.get(t, alice, "/admin/users/1"); res.StatusCode != http.StatusForbidden {
		t.Errorf("alice on an account page: %d", res.StatusCode)
	}
	if res := ui.postForm(t, alice, "/admin/users/2/promote", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("alice promoting: %d", res.StatusCode)
	}
}

// A set-password link is shown once, works, and is logged.
func TestAdminMakesASetPasswordLink(t *testing.T) {
	ui := newUsersInstance(t)
	other := ui.login(t, "alice", "alice-password")
	res, body := ui.accountAction(t, 1, "password-link")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("password link: %d", res.StatusCode)
	}
	link := linkPattern.FindString(body[strings.Index(body, `id="password-link"`):])
	link = strings.TrimSuffix(link, `"`)
	path := strings.TrimPrefix(link, ui.URL)
	if !strings.HasPrefix(path, "/password/") {
		t.Fatalf("no link in the answer: %q", link)
	}
	if _, again := ui.get(t, ui.admin, "/admin/users/1"); strings.Contains(again, path) {
		t.Error("the link is shown again")
	}
	browser := ui.client()
	if res := ui.postForm(t, browser, path, url.Values{"password": {"chosen with help"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("using the link: %d", res.StatusCode)
	}
	ui.login(t, "alice", "chosen with help")
	if ui.loggedIn(t, other) {
		t.Error("an older session survived the set-password link")
	}
	if n := ui.moderationLogCount(t, "account.password-link"); n != 1 {
		t.Errorf("%d log rows for the link", n)
	}
}

func (ui *usersInstance) moderationLogCount(t *testing.T, action string) int {
	t.Helper()
	n, err := ui.App.store.CountModerationLog(context.Background(), action)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Promoting and demoting; the last administrator cannot be demoted.
func TestAdminPromotesAndDemotesButNeverTheLast(t *testing.T) {
	ui := newUsersInstance(t)
	root, _ := ui.App.store.AccountByEmail(t.Context(), "root@example.org")
	res, body := ui.accountAction(t, root.ID, "demote")
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "last administrator") {
		t.Fatalf("demoting the last admin: %d\n%s", res.StatusCode, body)
	}
	if acc, _ := ui.App.store.AccountByID(t.Context(), root.ID); !acc.IsAdmin {
		t.Fatal("the last administrator was demoted")
	}
	if res, _ := ui.accountAction(t, 1, "promote"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("promote: %d", res.StatusCode)
	}
	alice := ui.login(t, "alice", "alice-password")
	if res, _ := ui.get(t, alice, "/admin"); res.StatusCode != http.StatusOK {
		t.Errorf("promoted alice on /admin: %d", res.StatusCode)
	}
	if res, _ := ui.accountAction(t, root.ID, "demote"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("demoting root once alice is admin: %d", res.StatusCode)
	}
	if res, _ := ui.get(t, ui.admin, "/admin"); res.StatusCode != http.StatusForbidden {
		t.Errorf("demoted root on /admin: %d", res.StatusCode)
	}
	if ui.moderationLogCount(t, "account.promote") != 1 || ui.moderationLogCount(t, "account.demote") != 1 {
		t.Error("promote and demote are not each logged once")
	}
}

// A suspended account cannot log in; its page says so; its events are
// gone from lists and peers; its followers' servers get an Update of the
// actor marked suspended. Unsuspending puts the events back.
func TestAdminSuspendsAndUnsuspends(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	aliceAcc, alice := us.ti.createAccount(t, "alice@example.org", "alice", "alice-password", false)
	peer := newMockPeer(t, "example")
	eve := peer.actor(t, "/users/eve", ap.TypePerson, "eve", 0)
	if got := peer.send(t, us.URL+"/actors/alice/inbox", eve, ap.NewFollow(eve+"#f", eve, us.URL+"/@alice")); got != http.StatusAccepted {
		t.Fatalf("follow: %d", got)
	}
	drain(t, us)
	e := publishEvent(t, us.App, alice, "Bal folk", "public")
	drain(t, us)
	aliceClient := us.ti.login(t, "alice", "alice-password")
	before := len(peer.received())

	path := "/admin/users/" + itoa(aliceAcc.ID) + "/suspend"
	if res, _ := us.ti.get(t, admin, path); res.StatusCode != http.StatusOK {
		t.Fatalf("confirm page: %d", res.StatusCode)
	}
	if res := us.ti.postForm(t, admin, path, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("suspend: %d", res.StatusCode)
	}
	drain(t, us)
	if res, _ := us.ti.get(t, aliceClient, "/me/account"); res.StatusCode == http.StatusOK {
		t.Error("alice's session survived the suspension")
	}
	if res := us.ti.postForm(t, us.ti.client(), "/login", url.Values{"login": {"alice"}, "password": {"alice-password"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("suspended login: %d", res.StatusCode)
	}
	if _, body := us.ti.get(t, us.ti.client(), "/@alice"); !strings.Contains(body, "suspended") {
		t.Error("alice's page does not say she is suspended")
	}
	if _, body := us.ti.get(t, us.ti.client(), "/"); strings.Contains(body, "Bal folk") {
		t.Error("a suspended account's event is still on the home page")
	}
	var sawDelete, sawUpdate bool
	for _, p := range peer.received()[before:] {
		var act struct {
			Type   string          `json:"type"`
			Object json.RawMessage `json:"object"`
		}
		json.Unmarshal(p.Body, &act)
		switch act.Type {
		case "Delete":
			sawDelete = sawDelete || strings.Contains(string(act.Object), "/events/"+e.UUID)
		case "Update":
			var actor struct {
				ID        string `json:"id"`
				Suspended bool   `json:"suspended"`
			}
			json.Unmarshal(act.Object, &actor)
			sawUpdate = sawUpdate || (actor.ID == us.URL+"/@alice" && actor.Suspended)
		}
	}
	if !sawDelete || !sawUpdate {
		t.Errorf("the follower's server got Delete of the event: %v, Update of the suspended actor: %v", sawDelete, sawUpdate)
	}

	if res := us.ti.postForm(t, admin, "/admin/users/"+itoa(aliceAcc.ID)+"/unsuspend", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("unsuspend: %d", res.StatusCode)
	}
	us.ti.login(t, "alice", "alice-password")
	if _, body := us.ti.get(t, us.ti.client(), "/"); !strings.Contains(body, "Bal folk") {
		t.Error("the event is not back after unsuspending")
	}
	if n := count(t, us, `SELECT count(*) FROM moderation_log WHERE action IN ('account.suspend', 'account.unsuspend')`); n != 2 {
		t.Errorf("%d log rows for suspend and unsuspend", n)
	}
}

// "Send a test email" shows what the SMTP server answered.
func TestAdminSendsATestEmail(t *testing.T) {
	ui := newUsersInstance(t)
	res, body := ui.postFormBody(t, ui.admin, "/admin/mail/test", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "accepted by the mail server") || !strings.Contains(body, "OK: queued") {
		t.Fatalf("test email: %d\n%s", res.StatusCode, body)
	}
	if n := ui.mail.countTo("root@example.org"); n != 1 {
		t.Errorf("root got %d test mails", n)
	}
	// A server that refuses: its answer is shown.
	ui.mail.refuseNext(1)
	_, body = ui.postFormBody(t, ui.admin, "/admin/mail/test", nil)
	if !strings.Contains(body, "was not sent") || !strings.Contains(body, "try again later") {
		t.Errorf("refused test email:\n%s", body)
	}
}
