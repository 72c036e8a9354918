package calgrid

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// days lists, for each entry, the days (as "01-02") it was placed on,
// with "<" when continued from the day before and ">" when it goes on.
func days(g Grid, n int) []string {
	out := make([]string, n)
	for _, w := range g.Weeks {
		for _, d := range w.Days {
			for _, p := range d.Placed {
				mark := d.Date.Format("01-02")
				if p.Continued {
					mark = "<" + mark
				}
				if p.Continues {
					mark += ">"
				}
				out[p.Index] = strings.TrimSpace(out[p.Index] + " " + mark)
			}
		}
	}
	return out
}

func TestMonthGridShape(t *testing.T) {
	paris := zone(t, "Europe/Paris")
	tests := []struct {
		year        int
		month       time.Month
		first, last string // first and last day shown
		weeks       int
	}{
		// January 2027 starts on a Friday and ends on a Sunday.
		{2027, time.January, "2026-12-28", "2027-01-31", 5},
		// February 2021 is exactly four weeks, Monday to Sunday.
		{2021, time.February, "2021-02-01", "2021-02-28", 4},
		// August 2026 starts on a Saturday and spreads over six weeks.
		{2026, time.August, "2026-07-27", "2026-09-06", 6},
		// March 2026 holds the spring change (29 March, a 23-hour Sunday).
		{2026, time.March, "2026-02-23", "2026-04-05", 6},
	}
	for _, tt := range tests {
		t.Run(MonthParam(tt.year, tt.month), func(t *testing.T) {
			g := MonthPeriod(tt.year, tt.month, paris).Layout(nil)
			if len(g.Weeks) != tt.weeks {
				t.Fatalf("%d weeks, want %d", len(g.Weeks), tt.weeks)
			}
			total := 0
			for _, w := range g.Weeks {
				if len(w.Days) != 7 || w.Days[0].Date.Weekday() != time.Monday {
					t.Fatalf("week %d does not run Monday to Sunday: %v", w.Number, w.Days)
				}
				for _, d := range w.Days {
					if d.Date.Hour() != 0 || d.Date.Minute() != 0 {
						t.Errorf("day %s does not start at midnight", d.Date)
					}
					if d.InMonth != (d.Date.Month() == tt.month) {
						t.Errorf("%s: InMonth %v", d.Date, d.InMonth)
					}
				}
				total += len(w.Days)
			}
			first := g.Weeks[0].Days[0].Date.Format("2006-01-02")
			last := g.Weeks[len(g.Weeks)-1].Days[6].Date.Format("2006-01-02")
			if first != tt.first || last != tt.last {
				t.Errorf("shows %s to %s, want %s to %s", first, last, tt.first, tt.last)
			}
		})
	}
}

func TestEventsPlacedOnTheirDays(t *testing.T) {
	paris := zone(t, "Europe/Paris")
	newYork := zone(t, "America/New_York")
	tokyo := zone(t, "Asia/Tokyo")
	at := func(loc *time.Location, s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name   string
		year   int
		month  time.Month
		entry  Entry
		placed string
	}{
		{"an evening", 2027, time.January,
			Entry{at(paris, "2027-01-14 19:00"), at(paris, "2027-01-14 22:00")}, "01-14"},
		{"a weekend across Saturday and Sunday", 2027, time.January,
			Entry{at(paris, "2027-01-16 10:00"), at(paris, "2027-01-17 18:00")}, "01-16> <01-17"},
		{"a festival over a week's end spans both weeks", 2027, time.January,
			Entry{at(paris, "2027-01-22 18:00"), at(paris, "2027-01-26 12:00")}, "01-22> <01-23> <01-24> <01-25> <01-26"},
		{"ending at midnight does not touch the next day", 2027, time.January,
			Entry{at(paris, "2027-01-14 20:00"), at(paris, "2027-01-15 00:00")}, "01-14"},
		{"no duration is still shown on its day", 2027, time.January,
			Entry{at(paris, "2027-01-14 20:00"), at(paris, "2027-01-14 20:00")}, "01-14"},
		{"a New York evening is the next morning in Paris", 2027, time.January,
			Entry{at(newYork, "2027-01-14 20:00"), at(newYork, "2027-01-14 22:00")}, "01-15"},
		{"a Tokyo morning is the evening before in Paris", 2027, time.January,
			Entry{at(tokyo, "2027-01-15 08:00"), at(tokyo, "2027-01-15 09:00")}, "01-15"},
		{"a Tokyo breakfast is the evening before in Paris", 2027, time.January,
			Entry{at(tokyo, "2027-01-15 06:00"), at(tokyo, "2027-01-15 07:00")}, "01-14"},
		{"across the month's end, shown in the grid's extra days", 2027, time.January,
			Entry{at(paris, "2027-01-31 22:00"), at(paris, "2027-02-01 02:00")}, "01-31>"},
		{"starting in the month before, shown where the grid starts", 2027, time.January,
			Entry{at(paris, "2026-12-20 10:00"), at(paris, "2027-01-02 10:00")}, "<12-28> <12-29> <12-30> <12-31> <01-01> <01-02"},
		// Spring forward: Sunday 29 March 2026 has 23 hours in Paris.
		// Counting days in 24-hour steps from the week's Monday would put
		// Monday 00:30 on Sunday.
		{"the night after the spring change", 2026, time.March,
			Entry{at(paris, "2026-03-30 00:30"), at(paris, "2026-03-30 01:30")}, "03-30"},
		{"late on the spring change day", 2026, time.March,
			Entry{at(paris, "2026-03-29 23:30"), at(paris, "2026-03-29 23:45")}, "03-29"},
		{"through the spring change night", 2026, time.March,
			Entry{at(paris, "2026-03-28 23:00"), at(paris, "2026-03-29 04:00")}, "03-28> <03-29"},
		// Fall back: Sunday 25 October 2026 has 25 hours.
		{"late on the autumn change day", 2026, time.October,
			Entry{at(paris, "2026-10-25 23:30"), at(paris, "2026-10-25 23:50")}, "10-25"},
		{"just after midnight after the autumn change", 2026, time.October,
			Entry{at(paris, "2026-10-26 00:10"), at(paris, "2026-10-26 00:20")}, "10-26"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := MonthPeriod(tt.year, tt.month, paris).Layout([]Entry{tt.entry})
			if got := days(g, 1)[0]; got != tt.placed {
				t.Errorf("placed on %q, want %q", got, tt.placed)
			}
		})
	}
}

func TestRecurringOccurrencesOnTheirDates(t *testing.T) {
	paris := zone(t, "Europe/Paris")
	// A weekly Tuesday class at 19:00 Paris time, through the spring
	// change: every occurrence is on a Tuesday, none slips a day.
	var entries []Entry
	for d := time.Date(2026, time.March, 3, 19, 0, 0, 0, paris); d.Month() == time.March; d = d.AddDate(0, 0, 7) {
		entries = append(entries, Entry{d, d.Add(90 * time.Minute)})
	}
	g := MonthPeriod(2026, time.March, paris).Layout(entries)
	got := fmt.Sprint(days(g, len(entries)))
	if want := "[03-03 03-10 03-17 03-24 03-31]"; got != want {
		t.Errorf("occurrences on %s, want %s", got, want)
	}
}

func TestDayOrderKeepsBarsFirst(t *testing.T) {
	paris := zone(t, "Europe/Paris")
	day := time.Date(2027, time.January, 14, 0, 0, 0, 0, paris)
	entries := []Entry{
		{day.Add(9 * time.Hour), day.Add(10 * time.Hour)},   // morning
		{day.Add(-20 * time.Hour), day.Add(30 * time.Hour)}, // began yesterday
		{day.Add(7 * time.Hour), day.Add(8 * time.Hour)},    // early
	}
	g := WeekOf(day).Layout(entries)
	var order []int
	for _, p := range g.Weeks[0].Days[3].Placed {
		order = append(order, p.Index)
	}
	if fmt.Sprint(order) != "[1 2 0]" {
		t.Errorf("order on the day %v, want the continued bar then by start: [1 2 0]", order)
	}
}

func TestParseWeekAndMonth(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		from string
	}{
		{"2027-W01", true, "2027-01-04"},
		{"2027-W02", true, "2027-01-11"},
		{"2026-W53", true, "2026-12-28"}, // 2026 has 53 ISO weeks
		{"2027-W53", false, ""},
		{"2027-W00", false, ""},
		{"2027-W1", false, ""},
		{"2027-02", false, ""},
		{"", false, ""},
	}
	for _, tt := range tests {
		y, w, ok := ParseWeek(tt.in)
		if ok != tt.ok {
			t.Errorf("ParseWeek(%q) ok %v, want %v", tt.in, ok, tt.ok)
			continue
		}
		if ok {
			p := WeekPeriod(y, w, time.UTC)
			if got := p.From.Format("2006-01-02"); got != tt.from {
				t.Errorf("%s starts %s, want %s", tt.in, got, tt.from)
			}
			if WeekParam(p.From) != tt.in {
				t.Errorf("WeekParam gives %s back for %s", WeekParam(p.From), tt.in)
			}
		}
	}
	for in, ok := range map[string]bool{"2027-01": true, "2027-13": false, "27-01": false, "2027-1": false, "x": false} {
		if _, _, got := ParseMonth(in); got != ok {
			t.Errorf("ParseMonth(%q) ok %v, want %v", in, got, ok)
		}
	}
}
