package app

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"convene/app/i18n"
	"convene/app/store"
)

func newClockedInstance(t *testing.T, start time.Time) (*testInstance, *testClock) {
	clock := newTestClock(start)
	ti := newTestInstance(t, func(c *Config) { c.Now = clock.Now })
	return ti, clock
}

// firstOccurrence stores the first event of a series at start.
func firstOccurrence(t *testing.T, ti *testInstance, organizer *store.Actor, start time.Time, length time.Duration) *store.Event {
	t.Helper()
	return storeEvent(t, ti, organizer, func(e *store.Event) {
		e.Title = "Weekly class"
		e.Timezone = start.Location().String()
		e.StartsAt, e.EndsAt = start, start.Add(length)
		e.Tags = []string{"dance"}
	})
}

func occurrenceStarts(t *testing.T, ti *testInstance, sr *store.Series) []time.Time {
	t.Helper()
	occ, err := ti.App.store.SeriesOccurrences(context.Background(), sr.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []time.Time
	for _, o := range occ {
		out = append(out, o.StartsAt)
	}
	return out
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestWeeklySeriesKeepsItsLocalTimeAcrossDST(t *testing.T) {
	paris := mustZone(t, "Europe/Paris")
	ti, _ := newClockedInstance(t, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	// Tuesday 10 March 2026, 19:00; clocks go forward on 29 March.
	first := firstOccurrence(t, ti, alice, time.Date(2026, 3, 10, 19, 0, 0, 0, paris), 90*time.Minute)
	sr, err := ti.App.makeSeries(t.Context(), first, repeatRule{Freq: repeatWeekly, Weekdays: []time.Weekday{time.Thursday}})
	if err != nil {
		t.Fatal(err)
	}
	starts := occurrenceStarts(t, ti, sr)
	// From 10 March to the window's end (1 June): Tuesdays and Thursdays.
	if len(starts) != 24 {
		t.Errorf("%d occurrences, want 24: %v", len(starts), starts)
	}
	sawSummer := false
	for _, s := range starts {
		local := s.In(paris)
		if local.Hour() != 19 || local.Minute() != 0 {
			t.Errorf("occurrence at %v, want 19:00 Paris time", local)
		}
		if wd := local.Weekday(); wd != time.Tuesday && wd != time.Thursday {
			t.Errorf("occurrence on a %v", wd)
		}
		if s.After(time.Date(2026, 3, 29, 3, 0, 0, 0, paris)) {
			sawSummer = true
			if s.UTC().Hour() != 17 {
				t.Errorf("summer occurrence at %v UTC, want 17:00", s.UTC())
			}
		} else if s.UTC().Hour() != 18 {
			t.Errorf("winter occurrence at %v UTC, want 18:00", s.UTC())
		}
	}
	if !sawSummer {
		t.Error("no occurrence after the change of time")
	}
	// Each occurrence is a full event of its own, with the model's content.
	occ, _ := ti.App.store.SeriesOccurrences(t.Context(), sr.ID)
	e, err := ti.App.store.EventByUUID(t.Context(), occ[5].UUID)
	if err != nil || e.Title != "Weekly class" || e.UUID == first.UUID || len(e.Tags) != 1 || e.EndsAt.Sub(e.StartsAt) != 90*time.Minute {
		t.Errorf("sixth occurrence: %+v (%v)", e, err)
	}
	if !e.IsListed(ti.App.now()) {
		t.Errorf("occurrences of a published event are not listed")
	}
}

func TestSeriesSlidesWithTheClockAcrossDSTInNewYork(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	ti, clock := newClockedInstance(t, time.Date(2026, 9, 20, 12, 0, 0, 0, time.UTC))
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	// Every two weeks on Wednesday at 18:30; clocks go back on 1 November.
	first := firstOccurrence(t, ti, alice, time.Date(2026, 9, 23, 18, 30, 0, 0, ny), time.Hour)
	sr, err := ti.App.makeSeries(t.Context(), first, repeatRule{Freq: repeatWeekly, Interval: 2, Until: time.Date(2027, 3, 31, 0, 0, 0, 0, ny)})
	if err != nil {
		t.Fatal(err)
	}
	before := len(occurrenceStarts(t, ti, sr))
	// Nothing new until the clock moves.
	if n, err := ti.App.GenerateOccurrences(t.Context()); err != nil || n != 0 {
		t.Errorf("GenerateOccurrences with the same clock: %d, %v", n, err)
	}
	setClock(clock, time.Date(2027, 2, 1, 12, 0, 0, 0, time.UTC))
	n, err := ti.App.GenerateOccurrences(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	starts := occurrenceStarts(t, ti, sr)
	if n == 0 || len(starts) != before+n {
		t.Errorf("after moving the clock: %d created, %d before, %d now", n, before, len(starts))
	}
	// 23 Sep 2026 to 31 Mar 2027 every 14 days: 14 occurrences.
	if len(starts) != 14 {
		t.Errorf("%d occurrences, want 14", len(starts))
	}
	for i, s := range starts {
		local := s.In(ny)
		if local.Hour() != 18 || local.Minute() != 30 || local.Weekday() != time.Wednesday {
			t.Errorf("occurrence %d at %v, want Wednesday 18:30 New York time", i, local)
		}
		if i > 0 {
			prev := starts[i-1].In(ny)
			if d := local.YearDay() - prev.YearDay(); d != 14 && d != 14-365 {
				t.Errorf("occurrences %d and %d are %d days apart", i-1, i, d)
			}
		}
	}
}

func TestMonthlyOnTheSecondTuesday(t *testing.T) {
	paris := mustZone(t, "Europe/Paris")
	ti, clock := newClockedInstance(t, time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	// June 2026 has five Tuesdays (2, 9, 16, 23, 30): the 9th is the second.
	first := firstOccurrence(t, ti, alice, time.Date(2026, 6, 9, 20, 0, 0, 0, paris), time.Hour)
	sr, err := ti.App.makeSeries(t.Context(), first, repeatRule{Freq: repeatMonthly, Monthly: monthlyByWeekday, Count: 5})
	if err != nil {
		t.Fatal(err)
	}
	setClock(clock, time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	if _, err := ti.App.GenerateOccurrences(t.Context()); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range occurrenceStarts(t, ti, sr) {
		got = append(got, s.In(paris).Format("Mon 2 Jan 15:04"))
	}
	want := "Tue 9 Jun 20:00, Tue 14 Jul 20:00, Tue 11 Aug 20:00, Tue 8 Sep 20:00, Tue 13 Oct 20:00"
	if strings.Join(got, ", ") != want {
		t.Errorf("occurrences %s\nwant        %s", strings.Join(got, ", "), want)
	}
	if d := describeRule(i18n.For("en"), sr); d != "Every month on the second Tuesday, 5 times" {
		t.Errorf("described as %q", d)
	}

	// The fifth Tuesday of June becomes "the last Tuesday".
	last := firstOccurrence(t, ti, alice, time.Date(2026, 6, 30, 20, 0, 0, 0, paris), time.Hour)
	rule, err := repeatRule{Freq: repeatMonthly, Monthly: monthlyByWeekday}.rule(last.StartsAt.In(paris))
	if err != nil || !strings.Contains(rule, "BYDAY=-1TU") {
		t.Errorf("rule for a fifth Tuesday: %q (%v)", rule, err)
	}
	// And "on the 31st" skips the months without one.
	rule, _ = repeatRule{Freq: repeatMonthly, Monthly: monthlyByDate}.rule(time.Date(2026, 1, 31, 10, 0, 0, 0, paris))
	if !strings.Contains(rule, "BYMONTHDAY=31") {
		t.Errorf("monthly by date rule %q", rule)
	}
}

func TestEditingThisAndFollowingOccurrences(t *testing.T) {
	paris := mustZone(t, "Europe/Paris")
	ti, clock := newClockedInstance(t, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	first := firstOccurrence(t, ti, alice, time.Date(2026, 3, 3, 10, 0, 0, 0, paris), time.Hour)
	sr, err := ti.App.makeSeries(t.Context(), first, repeatRule{Freq: repeatWeekly})
	if err != nil {
		t.Fatal(err)
	}
	occ, _ := ti.App.store.SeriesOccurrences(t.Context(), sr.ID)
	third, err := ti.App.store.EventByUUID(t.Context(), occ[2].UUID)
	if err != nil {
		t.Fatal(err)
	}
	// Move the third session and the ones after it to 19:00, two hours long,
	// in a new room.
	day := third.StartsAt.In(paris)
	third.StartsAt = time.Date(day.Year(), day.Month(), day.Day(), 19, 0, 0, 0, paris)
	third.EndsAt = third.StartsAt.Add(2 * time.Hour)
	third.Title = "Weekly class (evening)"
	third.Address.Venue = "New room"
	if err := ti.App.store.UpdateEvent(t.Context(), third); err != nil {
		t.Fatal(err)
	}
	if err := ti.App.updateFollowingOccurrences(t.Context(), third); err != nil {
		t.Fatal(err)
	}
	setClock(clock, time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	if _, err := ti.App.GenerateOccurrences(t.Context()); err != nil {
		t.Fatal(err)
	}
	occ, _ = ti.App.store.SeriesOccurrences(t.Context(), sr.ID)
	days := map[string]bool{}
	for i, o := range occ {
		e, err := ti.App.store.EventByUUID(t.Context(), o.UUID)
		if err != nil {
			t.Fatal(err)
		}
		local := e.StartsAt.In(paris)
		key := local.Format("2006-01-02")
		if days[key] {
			t.Errorf("two occurrences on %s", key)
		}
		days[key] = true
		wantTitle, wantHour, wantLen, wantVenue := "Weekly class", 10, time.Hour, "Salle des fêtes"
		if i >= 2 {
			wantTitle, wantHour, wantLen, wantVenue = "Weekly class (evening)", 19, 2*time.Hour, "New room"
		}
		if e.Title != wantTitle || local.Hour() != wantHour || e.EndsAt.Sub(e.StartsAt) != wantLen || e.Address.Venue != wantVenue {
			t.Errorf("occurrence %d: %q at %v for %v in %q; want %q at %d:00 for %v in %q",
				i, e.Title, local, e.EndsAt.Sub(e.StartsAt), e.Address.Venue, wantTitle, wantHour, wantLen, wantVenue)
		}
		if local.Weekday() != time.Tuesday {
			t.Errorf("occurrence %d on a %v", i, local.Weekday())
		}
		if i > 2 && i < 10 && e.Sequence != 1 && e.CreatedAt.Before(ti.App.now().Add(-time.Hour)) {
			t.Errorf("occurrence %d was edited but its sequence is %d", i, e.Sequence)
		}
	}
	if len(occ) < 20 {
		t.Errorf("only %d occurrences after sliding the window", len(occ))
	}
}

func TestRepeatingEventThroughTheForm(t *testing.T) {
	ei := newEventsInstance(t) // clock: 1 March 2026
	paris := mustZone(t, "Europe/Paris")
	form := fullEventForm()
	form.Set("status", "confirmed")
	form.Set("repeat", "weekly")
	form.Set("repeat_interval", "1")
	form["repeat_days"] = []string{"4"} // and Thursdays
	form.Set("repeat_ends", "count")
	form.Set("repeat_count", "6")
	firstUUID := ei.createEvent(t, ei.alice, form) // Saturday 14 March, 19:00

	first, err := ei.App.store.EventByUUID(t.Context(), firstUUID)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := ei.App.store.SeriesOfEvent(t.Context(), first.ID)
	if err != nil {
		t.Fatalf("the event is not in a series: %v", err)
	}
	var got []string
	for _, s := range occurrenceStarts(t, ei.testInstance, sr) {
		got = append(got, s.In(paris).Format("Mon 2 Jan 15:04"))
	}
	want := "Sat 14 Mar 19:00, Thu 19 Mar 19:00, Sat 21 Mar 19:00, Thu 26 Mar 19:00, Sat 28 Mar 19:00, Thu 2 Apr 19:00"
	if strings.Join(got, ", ") != want {
		t.Errorf("occurrences %s\nwant        %s", strings.Join(got, ", "), want)
	}

	// An occurrence's page says it repeats and links to the other dates.
	occ, _ := ei.App.store.SeriesOccurrences(t.Context(), sr.ID)
	_, page := ei.get(t, ei.bob, "/events/"+occ[1].UUID)
	if !strings.Contains(page, "Every week on Thursday, Saturday, 6 times") {
		t.Errorf("occurrence page does not describe the series:\n%s", pageText(page))
	}
	for i, o := range occ {
		if i != 1 && !strings.Contains(page, `href="/events/`+o.UUID+`"`) {
			t.Errorf("occurrence page does not link to date %d", i)
		}
	}
	if !strings.Contains(page, `href="/events/`+occ[1].UUID+`/calendar.ics"`) {
		t.Errorf("no Add to calendar button")
	}

	// Editing the third date "and the following" moves them all to 20:00.
	_, editPage := ei.get(t, ei.alice, "/events/"+occ[2].UUID+"/edit")
	if !strings.Contains(editPage, `name="series_scope" value="following"`) {
		t.Fatalf("the edit form of an occurrence does not ask which dates change")
	}
	edit := fullEventForm()
	edit.Set("status", "confirmed")
	edit.Set("title", "Evening dance")
	edit.Set("starts_at", "2026-03-21T20:00")
	edit.Set("ends_at", "2026-03-21T22:00")
	edit.Set("series_scope", "following")
	if res, body := ei.postFormBody(t, ei.alice, "/events/"+occ[2].UUID+"/edit", edit); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: status %d %v", res.StatusCode, fieldErrorsIn(body))
	}
	for i, o := range occ {
		e, _ := ei.App.store.EventByUUID(t.Context(), o.UUID)
		wantTitle, wantHour := "Folk dance <ball> & “bal”", 19
		if i >= 2 {
			wantTitle, wantHour = "Evening dance", 20
		}
		if e.Title != wantTitle || e.StartsAt.In(paris).Hour() != wantHour || e.StartsAt.In(paris).Day() != o.StartsAt.In(paris).Day() {
			t.Errorf("date %d after editing the third and following: %q at %v", i, e.Title, e.StartsAt.In(paris))
		}
	}

	// A bad Repeat section is explained next to its fields, and nothing is created.
	before := ei.countEvents(t)
	bad := fullEventForm()
	bad.Set("repeat", "monthly")
	bad.Set("repeat_interval", "40")
	bad.Set("repeat_ends", "until")
	bad.Set("repeat_until", "2026-03-01")
	res, body := ei.postFormBody(t, ei.alice, "/events", bad)
	errs := fieldErrorsIn(body)
	if res.StatusCode == http.StatusSeeOther || errs["repeat_interval"] == "" || errs["repeat_until"] == "" {
		t.Errorf("bad repeat: status %d, errors %v", res.StatusCode, errs)
	}
	if !strings.Contains(body, `value="40"`) {
		t.Errorf("the form lost what was typed")
	}
	if ei.countEvents(t) != before {
		t.Errorf("a form with errors created events")
	}
}
