package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// Reminders: the day before at 9:00 in the event's zone by default, or
// an hour before; one per participant whatever the clock does; none for
// withdrawn participations nor cancelled events; a visitor's reminder
// carries a cancel link that works.
func TestRemindersGoOnceInTheEventsZone(t *testing.T) {
	ms := startMailServer(t, false)
	clock := newTestClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	ti := newTestInstance(t, ms.withMail, func(c *Config) { c.Now = clock.Now })
	org := ti.newPerson(t, "org")
	// Tuesday 3 March, 8:00 in Paris (7:00 UTC): reminded Monday 9:00
	// Paris, 8:00 UTC.
	starts := time.Date(2026, 3, 3, 7, 0, 0, 0, time.UTC)
	at := func(e *store.Event) {
		e.StartsAt, e.EndsAt = starts, starts.Add(2*time.Hour)
		e.OnlineURL = "https://meet.example.org/velo"
	}
	e := addJoinableEvent(t, ti, org.Identity.ID, "Atelier vélo", time.Hour, at)
	cancelled := addJoinableEvent(t, ti, org.Identity.ID, "Annulé", time.Hour, at)

	join := func(p person, ev *store.Event) {
		t.Helper()
		if res := ti.postForm(t, p.Client, "/events/"+ev.UUID+"/join", url.Values{}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("join: %d", res.StatusCode)
		}
	}
	bob, carol, dave := ti.newPerson(t, "bob"), ti.newPerson(t, "carol"), ti.newPerson(t, "dave")
	join(bob, e)
	join(carol, e)
	join(dave, e)
	join(bob, cancelled)
	// Cancelled after bob joined.
	if _, err := ti.App.store.DB().Exec(`UPDATE events SET status = 'cancelled' WHERE id = ?`, cancelled.ID); err != nil {
		t.Fatal(err)
	}
	ti.postForm(t, dave.Client, "/events/"+e.UUID+"/leave", url.Values{})
	// Carol prefers an hour before.
	if res, body := ti.get(t, carol.Client, "/events/"+e.UUID+"/reminder"); res.StatusCode != http.StatusOK || !strings.Contains(body, `<option value="day" selected>`) {
		t.Fatalf("reminder form: %d", res.StatusCode)
	}
	if res := ti.postForm(t, carol.Client, "/events/"+e.UUID+"/reminder", url.Values{"reminder": {"hour"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reminder choice: %d", res.StatusCode)
	}
	ti.joinAnonymously(t, e, "Camille", "camille@example.org")
	ti.deliverMail(t)
	if res, _ := ti.followEmailLink(t, ms.lastTo(t, "camille@example.org").link(t, "/participations/confirm/")); res.StatusCode >= 400 {
		t.Fatalf("confirm: %d", res.StatusCode)
	}
	ti.deliverMail(t)
	before := len(ms.messages())

	remind := func() int {
		t.Helper()
		if err := ti.App.SendReminders(t.Context()); err != nil {
			t.Fatal(err)
		}
		return ti.deliverMail(t)
	}
	if n := remind(); n != 0 {
		t.Fatalf("%d reminders two days before", n)
	}
	setClock(clock, time.Date(2026, 3, 2, 7, 59, 0, 0, time.UTC))
	if n := remind(); n != 0 {
		t.Fatalf("%d reminders before 9:00 Paris the day before", n)
	}
	setClock(clock, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	if n := remind(); n != 2 {
		t.Fatalf("%d reminders at 9:00 Paris the day before, want bob's and Camille's", n)
	}
	r := ms.lastTo(t, "bob@example.org")
	if !strings.Contains(r.Subject, "Tomorrow: Atelier vélo") || !strings.Contains(r.Text, "https://meet.example.org/velo") || !strings.Contains(r.Text, "Europe/Paris") {
		t.Errorf("bob's reminder:\n%s\n%s", r.Subject, r.Text)
	}
	// The clock going back and forth, or the worker running again, sends
	// nothing twice.
	remind()
	setClock(clock, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	remind()
	setClock(clock, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	if n := remind(); n != 0 {
		t.Errorf("%d reminders sent again", n)
	}
	setClock(clock, time.Date(2026, 3, 3, 6, 0, 0, 0, time.UTC))
	if n := remind(); n != 1 {
		t.Fatalf("%d reminders an hour before, want carol's", n)
	}
	if s := ms.lastTo(t, "carol@example.org").Subject; !strings.Contains(s, "In an hour") {
		t.Errorf("carol's reminder: %q", s)
	}
	setClock(clock, starts.Add(time.Minute))
	remind()
	for addr, want := range map[string]int{"bob@example.org": 1, "camille@example.org": 1, "carol@example.org": 1, "dave@example.org": 0} {
		got := 0
		for _, m := range ms.messages()[before:] {
			if strings.EqualFold(m.To[0], addr) {
				got++
			}
		}
		if got != want {
			t.Errorf("%s got %d reminders, want %d", addr, got, want)
		}
	}
	// Camille cancels from her reminder.
	var camille receivedMail
	for _, m := range ms.messages()[before:] {
		if m.To[0] == "camille@example.org" {
			camille = m
		}
	}
	if res, _ := ti.followEmailLink(t, camille.link(t, "/participations/cancel/")); res.StatusCode >= 400 {
		t.Fatalf("cancel from the reminder: %d", res.StatusCode)
	}
	if n := participationCount(t, ti, e, store.ParticipationCancelled); n < 2 {
		t.Errorf("%d cancelled participations, want dave's and Camille's", n)
	}
}
