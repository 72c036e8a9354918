package app

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// Approval mode: identities and visitors wait until an organiser accepts
// them; visitors hear the answer by email, identities on My events; the
// public count follows the confirmed list exactly.
func TestApprovalFlow(t *testing.T) {
	ms := startMailServer(t, false)
	ti := newTestInstance(t, ms.withMail)
	org := ti.newPerson(t, "organiser")
	member := ti.newPerson(t, "member")
	e := addJoinableEvent(t, ti, org.Identity.ID, "Cooking class", 72*time.Hour, func(e *store.Event) {
		e.JoinMode = store.JoinApproval
		e.ParticipationMessage = "Any allergies?"
	})
	// An identity asks to join, with a message.
	res := ti.postForm(t, member.Client, "/events/"+e.UUID+"/join", url.Values{"message": {"Nuts, please"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("identity join: %d", res.StatusCode)
	}
	// A visitor asks and confirms the email.
	ti.joinAnonymously(t, e, "Noor", "noor@example.org")
	ti.deliverMail(t)
	res2, body := ti.followEmailLink(t, ms.lastTo(t, "noor@example.org").link(t, "/participations/confirm/"))
	if res2.StatusCode != http.StatusOK || !strings.Contains(body, "organisers approve each participant") {
		t.Fatalf("confirming in approval mode: %d\n%s", res2.StatusCode, body)
	}
	if n := ti.publicCount(t, e); n != 0 {
		t.Fatalf("pending participations count: %d", n)
	}
	// The organiser sees both waiting, with the message and the email.
	_, page := ti.get(t, org.Client, "/events/"+e.UUID+"/participants")
	for _, want := range []string{"@member", "Nuts, please", "Noor", "noor@example.org", "Waiting for approval"} {
		if !strings.Contains(page, want) {
			t.Errorf("participants page lacks %q", want)
		}
	}
	// Nobody else may see that page or decide.
	if res, _ := ti.get(t, member.Client, "/events/"+e.UUID+"/participants"); res.StatusCode != http.StatusNotFound {
		t.Errorf("a participant opened the organisers' list: %d", res.StatusCode)
	}
	ps, _ := ti.App.store.ListParticipations(context.Background(), e.ID, store.ParticipationPending)
	if len(ps) != 2 {
		t.Fatalf("%d pending, want 2", len(ps))
	}
	for _, p := range ps {
		if res := ti.postForm(t, member.Client, "/events/"+e.UUID+"/participants/"+itoa(p.ID)+"/accept", nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("a participant accepted someone: %d", res.StatusCode)
		}
	}
	for _, p := range ps {
		if res := ti.postForm(t, org.Client, "/events/"+e.UUID+"/participants/"+itoa(p.ID)+"/accept", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("accept: %d", res.StatusCode)
		}
	}
	if n := ti.publicCount(t, e); n != 2 {
		t.Fatalf("count after accepting two: %d", n)
	}
	ti.deliverMail(t)
	if m := ms.lastTo(t, "noor@example.org"); !strings.Contains(m.Subject, "You are in") {
		t.Errorf("acceptance mail: %q", m.Subject)
	}
	_, mine := ti.get(t, member.Client, "/me/events")
	if !strings.Contains(mine, "Cooking class") || !strings.Contains(mine, "was accepted") {
		t.Errorf("My events does not tell the member they were accepted:\n%s", mine)
	}
	// Declining a confirmed participant takes them off the count.
	if res := ti.postForm(t, org.Client, "/events/"+e.UUID+"/participants/"+itoa(ps[0].ID)+"/reject", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: %d", res.StatusCode)
	}
	if n := ti.publicCount(t, e); n != 1 || participationCount(t, ti, e, store.ParticipationConfirmed) != 1 {
		t.Fatalf("count after declining one: %d", n)
	}
	// A declined identity cannot simply join again.
	res, body = ti.postFormBody(t, member.Client, "/events/"+e.UUID+"/join", url.Values{})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "declined") {
		t.Fatalf("declined identity joining again: %d", res.StatusCode)
	}
}

// Invite-only: only invited identities can join; the organiser invites by
// username.
func TestInviteOnlyEvents(t *testing.T) {
	ti := newTestInstance(t)
	org := ti.newPerson(t, "organiser")
	guest := ti.newPerson(t, "guest")
	e := addJoinableEvent(t, ti, org.Identity.ID, "Private dinner", 72*time.Hour, func(e *store.Event) { e.JoinMode = store.JoinInvite })
	res, body := ti.postFormBody(t, guest.Client, "/events/"+e.UUID+"/join", url.Values{})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "invitation only") {
		t.Fatalf("uninvited join: %d", res.StatusCode)
	}
	res, body = ti.postFormBody(t, org.Client, "/events/"+e.UUID+"/invite", url.Values{"username": {"nobody_here"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "There is no identity @nobody_here") {
		t.Fatalf("inviting an unknown username: %d", res.StatusCode)
	}
	if res := ti.postForm(t, org.Client, "/events/"+e.UUID+"/invite", url.Values{"username": {"@Guest"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite: %d", res.StatusCode)
	}
	if _, mine := ti.get(t, guest.Client, "/me/events"); !strings.Contains(mine, "You are invited to") {
		t.Error("My events does not show the invitation")
	}
	if n := ti.publicCount(t, e); n != 0 {
		t.Fatalf("an invitation counts as coming: %d", n)
	}
	if res := ti.postForm(t, guest.Client, "/events/"+e.UUID+"/join", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invited join: %d", res.StatusCode)
	}
	if n := ti.publicCount(t, e); n != 1 {
		t.Fatalf("count after the invited guest joined: %d", n)
	}
	// Leaving works, and the count follows.
	if res := ti.postForm(t, guest.Client, "/events/"+e.UUID+"/leave", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("leave: %d", res.StatusCode)
	}
	if n := ti.publicCount(t, e); n != 0 {
		t.Fatalf("count after leaving: %d", n)
	}
}

// The CSV opens right in a spreadsheet: BOM, header, quoting, and no
// formula smuggled in by a participant's name or message.
func TestParticipantsCSV(t *testing.T) {
	ms := startMailServer(t, false)
	ti := newTestInstance(t, ms.withMail)
	org := ti.newPerson(t, "organiser")
	e := addJoinableEvent(t, ti, org.Identity.ID, "Fête", 72*time.Hour, func(e *store.Event) { e.ParticipationMessage = "Anything to add?" })
	ti.postFormBody(t, ti.client(), "/events/"+e.UUID+"/join-without-account", url.Values{
		"name": {"=HYPERLINK(\"http://evil.example\",\"x\")"}, "email": {"eve@example.org"},
		"message": {"Line one, \"quoted\"\nline two"},
	})
	ti.postFormBody(t, ti.client(), "/events/"+e.UUID+"/join-without-account", url.Values{"name": {"Zoé Müller"}, "email": {"zoe@example.org"}})
	ti.deliverMail(t)
	for _, addr := range []string{"eve@example.org", "zoe@example.org"} {
		ti.followEmailLink(t, ms.lastTo(t, addr).link(t, "/participations/confirm/"))
	}
	res, body := ti.get(t, org.Client, "/events/"+e.UUID+"/participants.csv")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if !strings.HasPrefix(body, "\uFEFF") {
		t.Fatal("no byte-order mark")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatalf("not RFC 4180 CSV: %v", err)
	}
	if len(rows) != 3 || rows[0][0] != "Name" || rows[0][2] != "Email" {
		t.Fatalf("rows: %q", rows)
	}
	if rows[1][0] != `'=HYPERLINK("http://evil.example","x")` {
		t.Errorf("formula not defused: %q", rows[1][0])
	}
	if rows[1][4] != "Line one, \"quoted\"\nline two" || rows[2][0] != "Zoé Müller" || rows[2][2] != "zoe@example.org" {
		t.Errorf("cells: %q", rows)
	}
	if res, _ := ti.get(t, ti.client(), "/events/"+e.UUID+"/participants.csv"); res.StatusCode == http.StatusOK {
		t.Fatal("a visitor downloaded the participants")
	}
}

// A message to everyone going: by email to visitors, in the app to
// identities, and to nobody who is not confirmed.
func TestMessageToAllParticipants(t *testing.T) {
	ms := startMailServer(t, false)
	ti := newTestInstance(t, ms.withMail)
	org := ti.newPerson(t, "organiser")
	member := ti.newPerson(t, "member")
	e := addJoinableEvent(t, ti, org.Identity.ID, "Hike", 72*time.Hour)
	ti.postForm(t, member.Client, "/events/"+e.UUID+"/join", url.Values{})
	ti.joinAnonymously(t, e, "Confirmed", "yes@example.org")
	ti.joinAnonymously(t, e, "Unconfirmed", "maybe@example.org")
	ti.deliverMail(t)
	ti.followEmailLink(t, ms.lastTo(t, "yes@example.org").link(t, "/participations/confirm/"))

	res, body := ti.postFormBody(t, org.Client, "/events/"+e.UUID+"/message", url.Values{"message": {"  "}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Write the message") {
		t.Fatalf("empty message: %d", res.StatusCode)
	}
	if res := ti.postForm(t, org.Client, "/events/"+e.UUID+"/message", url.Values{"message": {"Bring boots: it rained."}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("message: %d", res.StatusCode)
	}
	ti.deliverMail(t)
	if m := ms.lastTo(t, "yes@example.org"); !strings.Contains(m.Text, "Bring boots: it rained.") {
		t.Errorf("mail to the visitor:\n%s", m.Text)
	}
	if ms.countTo("maybe@example.org") != 1 {
		t.Error("an unconfirmed visitor got the organisers' message")
	}
	if _, mine := ti.get(t, member.Client, "/me/events"); !strings.Contains(mine, "Bring boots: it rained.") {
		t.Error("the identity does not see the message on My events")
	}
}

// My events: upcoming first, grouped by identity, with a filter.
func TestMyEventsGroupsByIdentity(t *testing.T) {
	ti := newTestInstance(t)
	org := ti.newPerson(t, "organiser")
	me := ti.newPerson(t, "dancer")
	second, err := ti.App.store.CreateIdentity(context.Background(), me.Account.ID, store.NewIdentity{Username: "marcher"})
	if err != nil {
		t.Fatal(err)
	}
	later := addJoinableEvent(t, ti, org.Identity.ID, "Folk ball", 10*24*time.Hour)
	sooner := addJoinableEvent(t, ti, org.Identity.ID, "Pride march", 2*24*time.Hour)
	ti.postForm(t, me.Client, "/events/"+later.UUID+"/join", url.Values{"identity": {itoa(me.Identity.ID)}})
	ti.postForm(t, me.Client, "/events/"+sooner.UUID+"/join", url.Values{"identity": {itoa(second.ID)}})
	ti.postForm(t, me.Client, "/events/"+later.UUID+"/join", url.Values{"identity": {itoa(second.ID)}})

	_, all := ti.get(t, me.Client, "/me/events")
	d, m := strings.Index(all, "@dancer</span></h2>"), strings.Index(all, "@marcher</span></h2>")
	if d < 0 || m < 0 {
		t.Fatalf("identities not shown as groups:\n%s", all)
	}
	marcherPart := all[m:]
	if i, j := strings.Index(marcherPart, "Pride march"), strings.Index(marcherPart, "Folk ball"); i < 0 || j < 0 || i > j {
		t.Error("upcoming events are not soonest first")
	}
	_, one := ti.get(t, me.Client, "/me/events?identity="+itoa(me.Identity.ID))
	if strings.Contains(one, "Pride march") || !strings.Contains(one, "Folk ball") {
		t.Error("the identity filter does not filter")
	}
	// Someone else's identity in the filter shows nothing of theirs.
	_, other := ti.get(t, me.Client, "/me/events?identity="+itoa(org.Identity.ID))
	if strings.Contains(other, "@organiser</span></h2>") {
		t.Error("the filter shows another account's identity")
	}
	if res, _ := ti.get(t, ti.client(), "/me/events"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("My events without logging in: %d", res.StatusCode)
	}
}

// A visitor's email is for the organisers only: it appears in none of the
// pages, feeds and calendars anyone else can read, even to another
// logged-in person; the organisers' views do show it.
func TestParticipantEmailIsShownToOrganisersOnly(t *testing.T) {
	ms := startMailServer(t, false)
	ti := newTestInstance(t, ms.withMail)
	org := ti.newPerson(t, "organiser")
	member := ti.newPerson(t, "member")
	e := addJoinableEvent(t, ti, org.Identity.ID, "Open air cinema", 72*time.Hour)
	const email = "secret.visitor@example.org"
	ti.joinAnonymously(t, e, "Visitor", email)
	ti.deliverMail(t)
	ti.followEmailLink(t, ms.lastTo(t, email).link(t, "/participations/confirm/"))
	if n := ti.publicCount(t, e); n != 1 {
		t.Fatalf("count %d", n)
	}
	public := []string{
		"/events/" + e.UUID, "/events/" + e.UUID + "/join-without-account", "/", "/search?q=cinema", "/search?q=visitor",
		"/@organiser", "/feed.rss", "/feed.atom", "/calendar.ics", "/feeds/@organiser.rss", "/feeds/@organiser.atom",
		"/events/" + e.UUID + "/calendar.ics", "/tags/neighbours", "/categories/other",
	}
	for _, c := range []*http.Client{ti.client(), member.Client} {
		for _, path := range public {
			res, body := ti.get(t, c, path)
			if strings.Contains(strings.ToLower(body), "secret.visitor") {
				t.Errorf("%s (status %d) shows the participant's email", path, res.StatusCode)
			}
		}
	}
	for _, path := range []string{"/events/" + e.UUID + "/participants", "/events/" + e.UUID + "/participants.csv"} {
		if _, body := ti.get(t, org.Client, path); !strings.Contains(body, email) {
			t.Errorf("the organisers' %s lacks the email", path)
		}
	}
}
