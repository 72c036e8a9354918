package app

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// calendarDay is the markup of one day of a calendar page.
func calendarDay(t *testing.T, body, day string) string {
	t.Helper()
	start := strings.Index(body, `id="d-`+day+`"`)
	if start < 0 {
		t.Fatalf("the calendar has no day %s", day)
	}
	rest := body[start+10:]
	if end := strings.Index(rest, `id="d-`); end >= 0 {
		rest = rest[:end]
	}
	return rest
}

// calendarInstance is an instance on 1 March 2026 (Paris) with alice's
// events of March: one evening, a weekend book fair, a New York evening,
// a weekly class on Tuesdays, five events on 5 March, a private event and
// a draft.
func calendarInstance(t *testing.T) (*testInstance, *store.Actor) {
	t.Helper()
	paris, ny := mustZone(t, "Europe/Paris"), mustZone(t, "America/New_York")
	ti, _ := newClockedInstance(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	at := func(title string, start time.Time, length time.Duration, change ...func(*store.Event)) {
		storeEvent(t, ti, alice, func(e *store.Event) {
			e.Title, e.StartsAt, e.EndsAt, e.Timezone = title, start, start.Add(length), start.Location().String()
			for _, c := range change {
				c(e)
			}
		})
	}
	at("Folk ball", time.Date(2026, 3, 14, 19, 0, 0, 0, paris), 3*time.Hour)
	at("Book fair", time.Date(2026, 3, 20, 10, 0, 0, 0, paris), 56*time.Hour, func(e *store.Event) { e.Category = "arts" })
	at("New York jam", time.Date(2026, 3, 14, 20, 0, 0, 0, ny), 2*time.Hour)
	for i := range 5 {
		at(fmt.Sprintf("Busy day talk %d", i+1), time.Date(2026, 3, 5, 9+i, 0, 0, 0, paris), time.Hour)
	}
	at("Secret meeting", time.Date(2026, 3, 12, 19, 0, 0, 0, paris), time.Hour, func(e *store.Event) { e.Visibility = store.VisibilityPrivate })
	at("Unfinished draft", time.Date(2026, 3, 12, 20, 0, 0, 0, paris), time.Hour, func(e *store.Event) { e.Draft, e.PublishedAt = true, nil })
	first := firstOccurrence(t, ti, alice, time.Date(2026, 3, 10, 19, 0, 0, 0, paris), 90*time.Minute)
	if _, err := ti.App.makeSeries(t.Context(), first, repeatRule{Freq: repeatWeekly}); err != nil {
		t.Fatal(err)
	}
	return ti, alice
}

func TestCalendarMonth(t *testing.T) {
	ti, _ := calendarInstance(t)
	c := ti.client()
	body := getOK(t, ti, c, "/calendar")
	if !strings.Contains(body, "<h1>March 2026</h1>") {
		t.Fatalf("/calendar is not this month's")
	}
	for day, want := range map[string][]string{
		"2026-03-14": {"Folk ball", "19:00"},
		// 20:00 in New York is 01:00 the next day in Paris, the
		// instance's zone.
		"2026-03-15": {"New York jam", "01:00"},
		// The fair runs Friday to Sunday: on each day, one bar.
		"2026-03-20": {"Book fair", "continues"},
		"2026-03-21": {"Book fair", "continued", "continues"},
		"2026-03-22": {"Book fair", "continued"},
		// The weekly class on every Tuesday, across the DST change.
		"2026-03-10": {"Weekly class", "19:00"},
		"2026-03-17": {"Weekly class", "19:00"},
		"2026-03-24": {"Weekly class", "19:00"},
		"2026-03-31": {"Weekly class", "19:00"},
		// Five talks: three shown, then a link to the day in its week.
		"2026-03-05": {"Busy day talk 1", "Busy day talk 3", "+2 more", `href="/calendar?week=2026-W10#d-2026-03-05"`},
	} {
		cell := calendarDay(t, body, day)
		for _, w := range want {
			if !strings.Contains(cell, w) {
				t.Errorf("%s: no %q in %s", day, w, cell)
			}
		}
	}
	if cell := calendarDay(t, body, "2026-03-14"); strings.Contains(cell, "New York jam") {
		t.Errorf("the New York evening is on its own date, not the instance's")
	}
	if cell := calendarDay(t, body, "2026-03-05"); strings.Contains(cell, "Busy day talk 4") {
		t.Errorf("the month grid shows more than three events on a day")
	}
	for _, hidden := range []string{"Secret meeting", "Unfinished draft"} {
		if strings.Contains(body, hidden) {
			t.Errorf("the calendar shows %q", hidden)
		}
	}
	// The grid runs Monday 23 February to Sunday 5 April.
	calendarDay(t, body, "2026-02-23")
	calendarDay(t, body, "2026-04-05")
	if !strings.Contains(body, `href="/calendar?month=2026-02" rel="prev"`) || !strings.Contains(body, `href="/calendar?month=2026-04" rel="next"`) {
		t.Errorf("no previous and next month links")
	}
	// Linked from the header of every page.
	if home := getOK(t, ti, c, "/"); !strings.Contains(home, `<a href="/calendar">Calendar</a>`) {
		t.Errorf("the header does not link to the calendar")
	}

	// The day's week shows all five.
	week := getOK(t, ti, c, "/calendar?week=2026-W10")
	if cell := calendarDay(t, week, "2026-03-05"); !strings.Contains(cell, "Busy day talk 5") {
		t.Errorf("the week does not show every event of the day")
	}
	if !strings.Contains(week, `href="/calendar?week=2026-W11" rel="next"`) {
		t.Errorf("no next week link")
	}

	// April's grid starts on Monday 30 March: the last Tuesday class is there.
	april := getOK(t, ti, c, "/calendar?month=2026-04")
	if cell := calendarDay(t, april, "2026-03-31"); !strings.Contains(cell, "Weekly class") || !strings.Contains(cell, "outside") {
		t.Errorf("31 March in April's grid: %s", cell)
	}
}

func TestCalendarFiltersAndLimits(t *testing.T) {
	ti, _ := calendarInstance(t)
	c := ti.client()
	body := getOK(t, ti, c, "/calendar?month=2026-03&category=arts")
	if !strings.Contains(body, "Book fair") || strings.Contains(body, "Folk ball") {
		t.Errorf("the category filter does not narrow the calendar")
	}
	if !strings.Contains(body, `href="/calendar?category=arts&amp;month=2026-04" rel="next"`) {
		t.Errorf("the next month link drops the filter")
	}
	body = getOK(t, ti, c, "/calendar?month=2026-03&tag=dance")
	if !strings.Contains(body, "Weekly class") || strings.Contains(body, "Book fair") {
		t.Errorf("the tag filter does not narrow the calendar")
	}
	body = getOK(t, ti, c, "/calendar?month=2026-03&attend=online")
	if strings.Contains(body, "Folk ball") {
		t.Errorf("in-person events shown when asking for online ones")
	}

	res, body := ti.get(t, c, "/calendar?month=2026-03&category=nonsense")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "This category does not exist") {
		t.Errorf("unknown category: status %d", res.StatusCode)
	}
	for path, status := range map[string]int{
		"/calendar?month=2036-12":    http.StatusOK,
		"/calendar?month=2037-01":    http.StatusNotFound,
		"/calendar?month=2016-01":    http.StatusOK,
		"/calendar?month=2015-12":    http.StatusNotFound,
		"/calendar?month=2026-13":    http.StatusNotFound,
		"/calendar?month=March":      http.StatusNotFound,
		"/calendar?week=2026-W54":    http.StatusNotFound,
		"/calendar?week=9999-W01":    http.StatusNotFound,
		"/calendar/@alice":           http.StatusOK,
		"/calendar/@nobody":          http.StatusNotFound,
		"/calendar/alice":            http.StatusNotFound,
		"/calendar/@alice?week=2026": http.StatusNotFound,
	} {
		if res, _ := ti.get(t, c, path); res.StatusCode != status {
			t.Errorf("GET %s: %d, want %d", path, res.StatusCode, status)
		}
	}
}

func TestCalendarOfIdentityAndGroup(t *testing.T) {
	ti, _ := calendarInstance(t)
	_, bob := ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	storeEvent(t, ti, bob, func(e *store.Event) {
		e.Title = "Bob's picnic"
		e.StartsAt = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
		e.EndsAt = e.StartsAt.Add(time.Hour)
	})
	bobClient := ti.login(t, "bob", "correct horse battery")
	createGroupVia(t, ti, bobClient, "velo", "Vélo Lyon", "open")
	g, err := ti.App.store.LocalGroupByUsername(t.Context(), "velo")
	if err != nil {
		t.Fatal(err)
	}
	storeEvent(t, ti, bob, func(e *store.Event) {
		e.Title, e.AttributedToID = "Critical mass", g.ID
		e.StartsAt = time.Date(2026, 3, 27, 18, 0, 0, 0, time.UTC)
		e.EndsAt = e.StartsAt.Add(time.Hour)
	})
	c := ti.client()
	group := getOK(t, ti, c, "/calendar/@velo?month=2026-03")
	if !strings.Contains(group, "Critical mass") || strings.Contains(group, "Bob&#39;s picnic") || strings.Contains(group, "Folk ball") {
		t.Errorf("the group's calendar is not the group's events")
	}
	if page := getOK(t, ti, c, "/@velo"); !strings.Contains(page, `href="/calendar/@velo"`) {
		t.Errorf("the group's page does not link to its calendar")
	}
	alice := getOK(t, ti, c, "/calendar/@alice?month=2026-03")
	if !strings.Contains(alice, "Folk ball") || strings.Contains(alice, "Bob's picnic") {
		t.Errorf("alice's calendar shows others' events, or not hers")
	}
	if page := getOK(t, ti, c, "/@alice"); !strings.Contains(page, `href="/calendar/@alice"`) {
		t.Errorf("alice's page does not link to her calendar")
	}
	bobs := getOK(t, ti, c, "/calendar/@bob?month=2026-03")
	if !strings.Contains(bobs, "Bob&#39;s picnic") || strings.Contains(bobs, "Folk ball") {
		t.Errorf("bob's calendar is not his")
	}
}
