package app

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

var badgePattern = regexp.MustCompile(`href="/me/waiting">\s*Waiting for you\s*(?:<span class="badge"[^>]*>(\d+)</span>)?`)

// badge reads the number in the header's "Waiting for you" link (0: none).
func badge(t *testing.T, ti *testInstance, c *http.Client) int {
	t.Helper()
	_, body := ti.get(t, c, "/me/events")
	m := badgePattern.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no 'Waiting for you' link in the header")
	}
	if m[1] == "" {
		return 0
	}
	n, _ := itoaBack(m[1])
	return n
}

func itoaBack(s string) (int, bool) {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n, true
}

// A join request counts in the organiser's badge until it is answered,
// and the page links to where to answer it. The decision is news for the
// participant: it counts until they have looked at their list.
func TestWaitingBadgeCountsJoinRequestsUntilAnsweredAndNewsUntilSeen(t *testing.T) {
	ti := newTestInstance(t)
	org := ti.newPerson(t, "org")
	guest := ti.newPerson(t, "guest")
	e := addEvent(t, ti, org.Identity.ID, "Atelier vélo", 48*time.Hour, func(e *store.Event) {
		e.JoinMode = store.JoinApproval
		e.CommentModeration = store.CommentsModerated
	})
	if n := badge(t, ti, org.Client); n != 0 {
		t.Fatalf("badge before anything: %d", n)
	}
	if res := ti.postForm(t, guest.Client, "/events/"+e.UUID+"/join", url.Values{"message": {"Je viens !"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("join: %d", res.StatusCode)
	}
	if n := badge(t, ti, org.Client); n != 1 {
		t.Errorf("organiser's badge with a join request: %d", n)
	}
	_, body := ti.get(t, org.Client, "/me/waiting")
	if !strings.Contains(body, `href="/events/`+e.UUID+`/participants"`) || !strings.Contains(body, "1 person asks to join") {
		t.Errorf("the waiting page does not lead to the participants:\n%s", body)
	}
	// Seeing the list does not answer the request: it still counts.
	if n := badge(t, ti, org.Client); n != 1 {
		t.Errorf("badge after looking but not answering: %d", n)
	}
	var pid int64
	ti.App.store.DB().QueryRow(`SELECT id FROM participations WHERE event_id = ?`, e.ID).Scan(&pid)
	if res := ti.postForm(t, org.Client, "/events/"+e.UUID+"/participants/"+itoa(pid)+"/accept", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: %d", res.StatusCode)
	}
	if n := badge(t, ti, org.Client); n != 0 {
		t.Errorf("organiser's badge once answered: %d", n)
	}
	// The guest hears of the decision until they look.
	if n := badge(t, ti, guest.Client); n != 1 {
		t.Errorf("guest's badge after acceptance: %d", n)
	}
	if _, body := ti.get(t, guest.Client, "/me/waiting"); !strings.Contains(body, "Your participation is confirmed") || !strings.Contains(body, `href="/events/`+e.UUID+`"`) {
		t.Errorf("guest's waiting page:\n%s", body)
	}
	if n := badge(t, ti, guest.Client); n != 0 {
		t.Errorf("guest's badge after seeing: %d", n)
	}
	// A comment held for moderation waits for the organiser.
	if res := ti.postForm(t, guest.Client, "/events/"+e.UUID+"/comments", url.Values{"comment": {"On apporte quoi ?"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment: %d", res.StatusCode)
	}
	if n := badge(t, ti, org.Client); n != 1 {
		t.Errorf("organiser's badge with a held comment: %d", n)
	}
	if _, body := ti.get(t, org.Client, "/me/waiting"); !strings.Contains(body, `href="/events/`+e.UUID+`/comments"`) {
		t.Error("the waiting page does not lead to the held comments")
	}
}

// Moderators see open reports; others do not.
func TestWaitingShowsOpenReportsToModeratorsOnly(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "root@example.org", "root", "root-password-1", true)
	admin := ti.login(t, "root", "root-password-1")
	org := ti.newPerson(t, "org")
	e := addEvent(t, ti, org.Identity.ID, "Vente douteuse", 48*time.Hour)
	res, body := ti.postFormBody(t, ti.client(), "/report", url.Values{"event": {e.UUID}, "category": {"spam"}, "comment": {"Spam"}})
	if res.StatusCode >= 400 {
		t.Fatalf("report: %d\n%s", res.StatusCode, body)
	}
	if n := badge(t, ti, admin); n != 1 {
		t.Errorf("moderator's badge with an open report: %d", n)
	}
	if _, body := ti.get(t, admin, "/me/waiting"); !strings.Contains(body, `href="/admin/reports/`) {
		t.Error("the report is not linked")
	}
	if n := badge(t, ti, org.Client); n != 0 {
		t.Errorf("a non-moderator's badge counts reports: %d", n)
	}
}

// Email choices per identity: a join request is mailed at once, a held
// comment waits for the daily digest, and each item is mailed once.
func TestWaitingEmailNowOrDigestEachOnce(t *testing.T) {
	ms := startMailServer(t, false)
	clock := newTestClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	ti := newTestInstance(t, ms.withMail, func(c *Config) { c.Now = clock.Now })
	org := ti.newPerson(t, "org")
	guest := ti.newPerson(t, "guest")
	e := addEvent(t, ti, org.Identity.ID, "Atelier vélo", 48*time.Hour, func(e *store.Event) {
		e.JoinMode = store.JoinApproval
		e.CommentModeration = store.CommentsModerated
	})
	choices := url.Values{}
	for _, k := range notificationKinds {
		choices.Set(k.Kind, "none")
	}
	choices.Set("join_request", "now")
	choices.Set("held_comments", "digest")
	if res := ti.postForm(t, org.Client, "/me/waiting/email", choices); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save choices: %d", res.StatusCode)
	}
	if _, body := ti.get(t, org.Client, "/me/waiting"); !strings.Contains(body, `<option value="digest" selected>`) {
		t.Error("the saved choice is not shown")
	}
	clock.Advance(time.Minute)
	passes := func(mode string) int {
		t.Helper()
		if err := ti.App.MailWaitingNotifications(t.Context(), mode); err != nil {
			t.Fatal(err)
		}
		return ti.deliverMail(t)
	}
	ti.postForm(t, guest.Client, "/events/"+e.UUID+"/join", url.Values{})
	if n := passes("now"); n != 1 {
		t.Fatalf("%d mails for a join request chosen 'at once'", n)
	}
	m := ms.lastTo(t, "org@example.org")
	m.link(t, "/events/"+e.UUID+"/participants")
	if n := passes("now"); n != 0 {
		t.Errorf("the join request was mailed again (%d)", n)
	}
	clock.Advance(time.Minute)
	ti.postForm(t, guest.Client, "/events/"+e.UUID+"/comments", url.Values{"comment": {"On apporte quoi ?"}})
	if n := passes("now"); n != 0 {
		t.Errorf("a held comment chosen for the digest was mailed at once (%d)", n)
	}
	if n := passes("digest"); n != 1 {
		t.Fatalf("%d digest mails", n)
	}
	ms.lastTo(t, "org@example.org").link(t, "/events/"+e.UUID+"/comments")
	if n := passes("digest"); n != 0 {
		t.Errorf("the digest repeated itself (%d)", n)
	}
	if n := ms.countTo("guest@example.org"); n != 0 {
		t.Errorf("the guest, who chose nothing, got %d mails", n)
	}
}
