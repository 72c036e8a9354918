package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"convene/app/store"
)

// The whole road of a visitor without an account, with a real SMTP
// server: join, read the email, confirm, count goes up, cancel by the
// other link, count goes down; used links then say so and change nothing.
func TestJoinWithoutAccountThroughEmailLinks(t *testing.T) {
	ms := startMailServer(t, false)
	ti := newTestInstance(t, ms.withMail)
	org := ti.newPerson(t, "organiser")
	e := addJoinableEvent(t, ti, org.Identity.ID, "Bal folk", 72*time.Hour)
	const email = "Zoe.Martin@example.org"

	res, body := ti.joinAnonymously(t, e, "Zoé", email)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Check your mailbox") {
		t.Fatalf("join: status %d\n%s", res.StatusCode, body)
	}
	if n := ti.publicCount(t, e); n != 0 {
		t.Fatalf("an unconfirmed participation counts: %d", n)
	}
	if ti.deliverMail(t) != 1 {
		t.Fatal("no confirmation mail sent")
	}
	m := ms.lastTo(t, email)
	if !strings.Contains(m.Subject, "Bal folk") || !strings.Contains(m.Text, "Hello Zoé") || !strings.Contains(m.Text, "Town hall") {
		t.Errorf("confirmation mail:\n%s\n%s", m.Subject, m.Text)
	}
	confirm, cancel := m.link(t, "/participations/confirm/"), m.link(t, "/participations/cancel/")

	// Opening the link alone (as a mail scanner does) changes nothing.
	ti.get(t, ti.client(), strings.TrimPrefix(confirm, ti.URL))
	if n := ti.publicCount(t, e); n != 0 {
		t.Fatal("a GET on the confirmation link confirmed")
	}
	res, body = ti.followEmailLink(t, confirm)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Your participation is confirmed") {
		t.Fatalf("confirm: status %d\n%s", res.StatusCode, body)
	}
	if n := ti.publicCount(t, e); n != 1 {
		t.Fatalf("count after confirming: %d, want 1", n)
	}
	res, body = ti.followEmailLink(t, confirm)
	if res.StatusCode != http.StatusGone || !strings.Contains(body, "already used") {
		t.Fatalf("second confirm: status %d\n%s", res.StatusCode, body)
	}

	res, body = ti.followEmailLink(t, cancel)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Your participation is cancelled") {
		t.Fatalf("cancel: status %d\n%s", res.StatusCode, body)
	}
	if n := ti.publicCount(t, e); n != 0 {
		t.Fatalf("count after cancelling: %d, want 0", n)
	}
	res, body = ti.followEmailLink(t, cancel)
	if res.StatusCode != http.StatusGone || !strings.Contains(body, "already cancelled") {
		t.Fatalf("second cancel: status %d\n%s", res.StatusCode, body)
	}
	// The confirmation link does not bring a cancelled participation back.
	res, _ = ti.followEmailLink(t, confirm)
	if res.StatusCode != http.StatusGone || ti.publicCount(t, e) != 0 {
		t.Fatalf("old confirmation link after cancelling: status %d", res.StatusCode)
	}
}

// Links that are wrong, truncated or expired get a clear page and change
// nothing.
func TestBadAndExpiredLinks(t *testing.T) {
	ms := startMailServer(t, false)
	setClock, move := clockAt(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	ti := newTestInstance(t, ms.withMail, setClock)
	org := ti.newPerson(t, "organiser")
	e := addJoinableEvent(t, ti, org.Identity.ID, "Repair café", 30*24*time.Hour)

	for _, path := range []string{"/participations/confirm/nope", "/participations/cancel/nope"} {
		res, body := ti.get(t, ti.client(), path)
		if res.StatusCode != http.StatusNotFound || !strings.Contains(body, "This link is not valid") {
			t.Errorf("GET %s: %d\n%s", path, res.StatusCode, body)
		}
		res, body = ti.postFormBody(t, ti.client(), path, url.Values{})
		if res.StatusCode != http.StatusNotFound || !strings.Contains(body, "This link is not valid") {
			t.Errorf("POST %s: %d", path, res.StatusCode)
		}
	}

	ti.joinAnonymously(t, e, "Sam", "sam@example.org")
	ti.deliverMail(t)
	confirm := ms.lastTo(t, "sam@example.org").link(t, "/participations/confirm/")
	move(confirmLinkTTL + time.Minute)
	res, body := ti.followEmailLink(t, confirm)
	if res.StatusCode != http.StatusGone || !strings.Contains(body, "expired") {
		t.Fatalf("expired link: %d\n%s", res.StatusCode, body)
	}
	if participationCount(t, ti, e, store.ParticipationConfirmed) != 0 {
		t.Fatal("an expired link confirmed")
	}
}

// Joining twice with the same email answers the same page, sends a new
// email to the mailbox's owner, and never adds a second participant.
func TestSecondJoinWithTheSameEmail(t *testing.T) {
	ms := startMailServer(t, false)
	ti := newTestInstance(t, ms.withMail)
	org := ti.newPerson(t, "organiser")
	e := addJoinableEvent(t, ti, org.Identity.ID, "Picnic", 72*time.Hour)

	_, first := ti.joinAnonymously(t, e, "Ana", "ana@example.org")
	ti.deliverMail(t)
	firstConfirm := ms.lastTo(t, "ana@example.org").link(t, "/participations/confirm/")
	_, again := ti.joinAnonymously(t, e, "Ana", "ANA@example.org")
	_, stranger := ti.joinAnonymously(t, e, "Ana", "other@example.org")
	norm := func(s string) string {
		return strings.ReplaceAll(strings.ReplaceAll(s, "ANA@example.org", "X"), "ana@example.org", "X")
	}
	if norm(first) != norm(again) || norm(strings.ReplaceAll(stranger, "other@example.org", "X")) != norm(first) {
		t.Fatal("the page tells whether the email was already registered")
	}
	ti.deliverMail(t)
	if ms.countTo("ana@example.org") != 2 { // in any letter case
		t.Fatalf("%d mails to ana, want 2", ms.countTo("ana@example.org"))
	}
	// The newest link works, the replaced one does not.
	if res, _ := ti.followEmailLink(t, firstConfirm); res.StatusCode != http.StatusNotFound {
		t.Fatalf("replaced confirmation link: %d", res.StatusCode)
	}
	latest := ms.lastTo(t, "ANA@example.org").link(t, "/participations/confirm/")
	if res, _ := ti.followEmailLink(t, latest); res.StatusCode != http.StatusOK {
		t.Fatalf("latest link: %d", res.StatusCode)
	}
	// Once confirmed, joining again (anyone may type this address) sends
	// a reminder and changes nothing: the cancel link of the first
	// message still works.
	cancel := ms.lastTo(t, "ANA@example.org").link(t, "/participations/cancel/")
	ti.joinAnonymously(t, e, "Ana", "ana@example.org")
	ti.deliverMail(t)
	m := ms.lastTo(t, "ana@example.org")
	if !strings.Contains(m.Text, "already registered") || !strings.Contains(m.Text, "still works") {
		t.Fatalf("reminder:\n%s", m.Text)
	}
	if strings.Contains(m.Text, "/participations/cancel/") {
		t.Fatalf("the reminder carries a new cancel link:\n%s", m.Text)
	}
	if res, _ := ti.followEmailLink(t, cancel); res.StatusCode != http.StatusOK {
		t.Fatal("a stranger joining with the participant's address voided their cancel link")
	}
	if got := participationCount(t, ti, e, ""); got != 0 {
		t.Fatal(got)
	}
	all, _ := ti.App.store.ListParticipations(context.Background(), e.ID)
	if len(all) != 2 {
		t.Fatalf("%d participations, want 2 (ana and other)", len(all))
	}
}

// Bad input gets a message next to the field, keeps what was typed, and
// stores and sends nothing.
func TestJoinWithoutAccountRefusesBadInput(t *testing.T) {
	ms := startMailServer(t, false)
	ti := newTestInstance(t, ms.withMail)
	org := ti.newPerson(t, "organiser")
	e := addJoinableEvent(t, ti, org.Identity.ID, "Choir", 72*time.Hour)
	cases := []struct{ name, email, want string }{
		{"Léa", "", "Enter an email address"},
		{"Léa", "lea", "This is not an email address"},
		{"Léa", "lea@example", "This is not an email address"},
		{"Léa", "Léa <lea@example.org>", "This is not an email address"},
		{"Léa", "lea@example.org\r\nBcc: x@example.org", "This is not an email address"},
		{"", "lea@example.org", "Enter your name"},
		{strings.Repeat("n", 101), "lea@example.org", "too long"},
	}
	for _, c := range cases {
		res, body := ti.joinAnonymously(t, e, c.name, c.email)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, c.want) {
			t.Errorf("name %q email %q: status %d, want the message %q", c.name, c.email, res.StatusCode, c.want)
		}
		if c.email != "" && !strings.ContainsAny(c.email, "<\n") && !strings.Contains(body, `value="`+c.email+`"`) {
			t.Errorf("email %q not kept in the form", c.email)
		}
	}
	// "Stay anonymous" needs no name.
	res, _ := ti.postFormBody(t, ti.client(), "/events/"+e.UUID+"/join-without-account",
		url.Values{"anonymous": {"1"}, "email": {"quiet@example.org"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("anonymous join: %d", res.StatusCode)
	}
	all, _ := ti.App.store.ListParticipations(context.Background(), e.ID)
	if len(all) != 1 || all[0].Name != "" {
		t.Fatalf("participations after bad input: %+v", all)
	}
	ti.deliverMail(t)
	if len(ms.messages()) != 1 {
		t.Fatalf("%d mails sent, want 1", len(ms.messages()))
	}
}

// A form posted from another site is refused and changes nothing.
func TestJoinFromAnotherSiteIsRefused(t *testing.T) {
	ms := startMailServer(t, false)
	ti := newTestInstance(t, ms.withMail)
	org := ti.newPerson(t, "organiser")
	member := ti.newPerson(t, "member")
	e := addJoinableEvent(t, ti, org.Identity.ID, "Choir", 72*time.Hour)
	for _, c := range []struct {
		client *http.Client
		path   string
		form   url.Values
	}{
		{ti.client(), "/events/" + e.UUID + "/join-without-account", url.Values{"name": {"Eve"}, "email": {"eve@example.org"}}},
		{member.Client, "/events/" + e.UUID + "/join", url.Values{}},
	} {
		req, _ := http.NewRequest(http.MethodPost, ti.URL+c.path, strings.NewReader(c.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		res, err := c.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d", c.path, res.StatusCode)
		}
	}
	if all, _ := ti.App.store.ListParticipations(context.Background(), e.ID); len(all) != 0 {
		t.Fatalf("cross-site posts stored %d participations", len(all))
	}
}

// Hundreds of joins from one address are cut short with a clear message.
func TestJoinWithoutAccountIsRateLimited(t *testing.T) {
	ms := startMailServer(t, false)
	ti := newTestInstance(t, ms.withMail)
	org := ti.newPerson(t, "organiser")
	e := addJoinableEvent(t, ti, org.Identity.ID, "Choir", 72*time.Hour)
	limited := 0
	for i := 0; i < 20; i++ {
		res, body := ti.joinAnonymously(t, e, "Bot", "bot"+itoa(int64(i))+"@example.org")
		if res.StatusCode == http.StatusTooManyRequests {
			limited++
			if !strings.Contains(body, "Too many attempts") {
				t.Fatalf("429 without a clear message:\n%s", body)
			}
		}
	}
	if limited != 20-anonJoinIPBurst {
		t.Fatalf("%d of 20 joins refused, want %d", limited, 20-anonJoinIPBurst)
	}
	if all, _ := ti.App.store.ListParticipations(context.Background(), e.ID); len(all) != anonJoinIPBurst {
		t.Fatalf("%d participations stored", len(all))
	}
}

// Without SMTP, joining without an account is off, the page says why and
// a posted form is refused.
func TestNoMailMeansNoJoiningWithoutAccount(t *testing.T) {
	ti := newTestInstance(t)
	org := ti.newPerson(t, "organiser")
	e := addJoinableEvent(t, ti, org.Identity.ID, "Choir", 72*time.Hour)
	_, body := ti.get(t, ti.client(), eventPagePath(e))
	if !strings.Contains(body, "cannot send email") || strings.Contains(body, `name="email"`) {
		t.Fatalf("event page without SMTP:\n%s", body)
	}
	res, body := ti.joinAnonymously(t, e, "Eve", "eve@example.org")
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "cannot send email") {
		t.Fatalf("join without SMTP: %d", res.StatusCode)
	}
}

// Cancelled and past events refuse new participants and say so.
func TestCancelledAndPastEventsRefuseParticipants(t *testing.T) {
	ms := startMailServer(t, false)
	ti := newTestInstance(t, ms.withMail)
	org := ti.newPerson(t, "organiser")
	member := ti.newPerson(t, "member")
	cancelled := addJoinableEvent(t, ti, org.Identity.ID, "Cancelled fair", 72*time.Hour, func(e *store.Event) { e.Status = store.StatusCancelled })
	past := addJoinableEvent(t, ti, org.Identity.ID, "Last year's fair", -72*time.Hour)
	for _, c := range []struct {
		e    *store.Event
		want string
	}{{cancelled, "This event is cancelled"}, {past, "This event is over"}} {
		res, body := ti.postFormBody(t, member.Client, "/events/"+c.e.UUID+"/join", url.Values{})
		if res.StatusCode != http.StatusConflict || !strings.Contains(body, c.want) {
			t.Errorf("%s, identity: %d", c.e.Title, res.StatusCode)
		}
		res, body = ti.joinAnonymously(t, c.e, "Eve", "eve@example.org")
		if res.StatusCode != http.StatusConflict || !strings.Contains(body, c.want) {
			t.Errorf("%s, visitor: %d", c.e.Title, res.StatusCode)
		}
		_, body = ti.get(t, ti.client(), eventPagePath(c.e))
		if !strings.Contains(body, c.want) {
			t.Errorf("%s: the page does not say %q", c.e.Title, c.want)
		}
		if all, _ := ti.App.store.ListParticipations(context.Background(), c.e.ID); len(all) != 0 {
			t.Errorf("%s: %d participations stored", c.e.Title, len(all))
		}
	}
}

// Fifty people race for ten places through the real HTTP handler: exactly
// ten get in, the others are told the event is full.
func TestCapacityRaceHasExactlyTheRightNumberOfWinners(t *testing.T) {
	ti := newTestInstance(t)
	org := ti.newPerson(t, "organiser")
	e := addJoinableEvent(t, ti, org.Identity.ID, "Workshop", 72*time.Hour, func(e *store.Event) { e.Capacity = 10 })
	const racers = 60
	people := make([]person, racers)
	for i := range people {
		people[i] = ti.newPerson(t, "racer"+itoa(int64(i)))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	start := make(chan struct{})
	for _, p := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest(http.MethodPost, ti.URL+"/events/"+e.UUID+"/join", strings.NewReader(""))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := p.Client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			mu.Lock()
			codes[res.StatusCode]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if codes[http.StatusSeeOther] != 10 || codes[http.StatusConflict] != racers-10 {
		t.Fatalf("answers: %v, want 10 × 303 and %d × 409", codes, racers-10)
	}
	if n := participationCount(t, ti, e, store.ParticipationConfirmed); n != 10 {
		t.Fatalf("%d confirmed, want 10", n)
	}
	if n := ti.publicCount(t, e); n != 10 {
		t.Fatalf("page says %d, want 10", n)
	}
}

// Without SMTP the owner learns on the admin page how to turn email on.
func TestAdminIsToldHowToTurnMailOn(t *testing.T) {
	ti := newTestInstance(t)
	acc, id, err := ti.App.store.CreateAccountWithIdentity(context.Background(), "owner@example.org", "", true, store.NewIdentity{Username: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	c := ti.sessionClient(t, acc.ID, id.ID)
	for _, path := range []string{"/admin", "/admin/mail"} {
		res, body := ti.get(t, c, path)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "--smtp-url") {
			t.Errorf("%s: %d, no word on --smtp-url", path, res.StatusCode)
		}
	}
	// The instance-wide switch turns joining without an account off.
	ms := startMailServer(t, false)
	ti2 := newTestInstance(t, ms.withMail)
	org := ti2.newPerson(t, "organiser")
	e := addJoinableEvent(t, ti2, org.Identity.ID, "Choir", 72*time.Hour)
	if err := ti2.App.saveSettings(context.Background(), map[string]string{SettingAnonymousParticipation: "off"}); err != nil {
		t.Fatal(err)
	}
	res, body := ti2.joinAnonymously(t, e, "Eve", "eve@example.org")
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "does not allow joining events without an account") {
		t.Fatalf("join with the instance switch off: %d", res.StatusCode)
	}
}

// Mail speaks the event's language; pages speak the visitor's.
func TestParticipationInFrench(t *testing.T) {
	ms := startMailServer(t, false)
	ti := newTestInstance(t, ms.withMail)
	org := ti.newPerson(t, "organiser")
	e := addJoinableEvent(t, ti, org.Identity.ID, "Bal folk", 72*time.Hour, func(e *store.Event) { e.Language = "fr" })
	c := ti.client()
	req, _ := http.NewRequest(http.MethodPost, ti.URL+"/events/"+e.UUID+"/join-without-account",
		strings.NewReader(url.Values{"name": {"Zoé"}, "email": {"zoe@example.org"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", "fr-FR,fr;q=0.9")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	ti.deliverMail(t)
	m := ms.lastTo(t, "zoe@example.org")
	if m.Subject != "Confirmez votre participation à « Bal folk »" || !strings.Contains(m.Text, "Bonjour Zoé,") {
		t.Fatalf("mail not in French: %q\n%s", m.Subject, m.Text)
	}
	if !strings.Contains(m.HTML, `lang="fr"`) {
		t.Error("HTML part not marked as French")
	}
}
