// Package calgrid lays out a month (or one week) of events as a calendar
// grid: whole weeks starting on Monday, each day with the events that
// touch it in the calendar's zone. It knows nothing of events beyond their
// start and end, so views hand it times and get indexes back.
package calgrid

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Entry is one thing to place: it covers [Start, End). An entry whose end
// is not after its start covers the instant it starts.
type Entry struct {
	Start, End time.Time
}

// Period is the run of whole weeks a calendar page shows.
type Period struct {
	From time.Time // Monday 00:00 in the calendar's zone
	To   time.Time // the Monday 00:00 after the last day shown
	// Month is the month a month view is about (days outside it are
	// shown greyed); zero for a week view.
	Month time.Month
	Year  int // the month's year, or the week's ISO year
}

// Grid is a period laid out.
type Grid struct {
	Period
	Weeks []Week
}

// Week is seven days, Monday first.
type Week struct {
	Year, Number int // ISO 8601 week
	Days         []Day
}

// Day is one day of the grid with what happens on it.
type Day struct {
	Date    time.Time // 00:00 in the calendar's zone
	InMonth bool      // always true in a week view
	Placed  []Placed
}

// Placed is an entry on a day.
type Placed struct {
	Index int // into the entries given to Layout
	// Continued: the entry began on an earlier day; Continues: it goes on
	// after this day. Together they draw a multi-day event as one bar.
	Continued, Continues bool
}

// mondayOf is 00:00 of the Monday of t's week, in t's zone.
func mondayOf(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	back := (int(d.Weekday()) + 6) % 7 // Monday 0 ... Sunday 6
	return d.AddDate(0, 0, -back)
}

// MonthPeriod is the whole weeks covering a month in loc.
func MonthPeriod(year int, month time.Month, loc *time.Location) Period {
	first := time.Date(year, month, 1, 0, 0, 0, 0, loc)
	last := first.AddDate(0, 1, -1)
	return Period{From: mondayOf(first), To: mondayOf(last).AddDate(0, 0, 7), Month: month, Year: year}
}

// WeekPeriod is ISO 8601 week number week of isoYear in loc.
func WeekPeriod(isoYear, week int, loc *time.Location) Period {
	// 4 January is always in week 1.
	from := mondayOf(time.Date(isoYear, time.January, 4, 0, 0, 0, 0, loc)).AddDate(0, 0, 7*(week-1))
	return Period{From: from, To: from.AddDate(0, 0, 7), Year: isoYear}
}

// WeekOf is the week holding t, in t's zone.
func WeekOf(t time.Time) Period {
	y, w := t.ISOWeek()
	return WeekPeriod(y, w, t.Location())
}

// ParseMonth reads "2027-01".
func ParseMonth(s string) (year int, month time.Month, ok bool) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return 0, 0, false
	}
	return t.Year(), t.Month(), true
}

// ParseWeek reads an ISO week, "2027-W02".
func ParseWeek(s string) (isoYear, week int, ok bool) {
	y, w, found := strings.Cut(s, "-W")
	if !found || len(y) != 4 || len(w) != 2 {
		return 0, 0, false
	}
	if _, err := fmt.Sscanf(y+" "+w, "%d %d", &isoYear, &week); err != nil || week < 1 || week > weeksIn(isoYear) {
		return 0, 0, false
	}
	return isoYear, week, true
}

// weeksIn is 52 or 53: 28 December is always in the year's last week.
func weeksIn(isoYear int) int {
	_, w := time.Date(isoYear, time.December, 28, 0, 0, 0, 0, time.UTC).ISOWeek()
	return w
}

// MonthParam is how a month is written in addresses ("2027-01").
func MonthParam(year int, month time.Month) string { return fmt.Sprintf("%04d-%02d", year, int(month)) }

// WeekParam is how a week is written in addresses ("2027-W02").
func WeekParam(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// Layout places entries on the period's days. On a day, entries that began
// earlier come first (so a bar stays near the top), then by start.
func (p Period) Layout(entries []Entry) Grid {
	loc := p.From.Location()
	g := Grid{Period: p}
	order := make([]int, len(entries))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		ea, eb := entries[order[a]], entries[order[b]]
		if !ea.Start.Equal(eb.Start) {
			return ea.Start.Before(eb.Start)
		}
		return ea.End.After(eb.End)
	})
	for day := p.From; day.Before(p.To); {
		// AddDate, not 24 hours: a day is 23 or 25 hours long when the
		// clocks change.
		next := day.AddDate(0, 0, 1)
		if day.Weekday() == time.Monday {
			y, w := day.ISOWeek()
			g.Weeks = append(g.Weeks, Week{Year: y, Number: w})
		}
		d := Day{Date: day, InMonth: p.Month == 0 || day.Month() == p.Month}
		var continued []Placed
		for _, i := range order {
			e := entries[i]
			end := e.End
			if !end.After(e.Start) {
				end = e.Start.Add(time.Nanosecond)
			}
			if !e.Start.Before(next) || !end.After(day) {
				continue
			}
			pl := Placed{Index: i, Continued: e.Start.Before(day), Continues: end.After(next)}
			if pl.Continued {
				continued = append(continued, pl)
			} else {
				d.Placed = append(d.Placed, pl)
			}
		}
		d.Placed = append(continued, d.Placed...)
		w := &g.Weeks[len(g.Weeks)-1]
		w.Days = append(w.Days, d)
		day = time.Date(next.Year(), next.Month(), next.Day(), 0, 0, 0, 0, loc)
	}
	return g
}
