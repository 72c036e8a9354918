package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"convene/app/i18n"
	"convene/app/store"
)

// setClock moves a test clock (app/mail_test.go) to t.
func setClock(c *testClock, t time.Time) { c.Advance(t.Sub(c.Now())) }

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
