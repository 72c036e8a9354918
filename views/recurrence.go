package views

import (
	"strings"
	"time"

	"github.com/teambition/rrule-go"

	"convene/app/i18n"
	"convene/app/store"
)

// occurrenceZone is the zone an occurrence is shown in.
func occurrenceZone(o store.Occurrence) *time.Location {
	return store.LoadLocation(o.Timezone)
}

// DescribeRule says in words how a series repeats, for its occurrences'
// pages: "Every week on Tuesday and Thursday, until 30 June 2026".
func DescribeRule(l *i18n.Printer, rule, timezone string) string {
	opt, err := rrule.StrToROption(rule)
	if err != nil {
		return ""
	}
	var s string
	switch opt.Freq {
	case rrule.WEEKLY:
		var days []string
		for _, d := range opt.Byweekday {
			days = append(days, l.T(weekdayNames[(d.Day()+1)%7]))
		}
		if opt.Interval > 1 {
			s = l.T("Every %d weeks on %s", opt.Interval, strings.Join(days, ", "))
		} else {
			s = l.T("Every week on %s", strings.Join(days, ", "))
		}
	case rrule.MONTHLY:
		switch {
		case len(opt.Bymonthday) > 0:
			s = l.N(opt.Interval, "Every month on day %[2]d", "Every %[1]d months on day %[2]d", opt.Bymonthday[0])
		case len(opt.Byweekday) > 0:
			d := opt.Byweekday[0]
			day := l.T(weekdayNames[(d.Day()+1)%7])
			which := l.T(ordinalNames[d.N()])
			s = l.N(opt.Interval, "Every month on the %[2]s %[3]s", "Every %[1]d months on the %[2]s %[3]s", which, day)
		}
	}
	if s == "" {
		return ""
	}
	if opt.Count > 0 {
		s += ", " + l.N(opt.Count, "%d time", "%d times")
	} else if !opt.Until.IsZero() {
		loc := store.LoadLocation(timezone)
		s += ", " + l.T("until %s", l.Date(opt.Until.In(loc)))
	}
	return s
}

// weekdayNames are indexed by time.Weekday; ordinalNames by a weekday's
// position in its month (-1: the last).
var (
	weekdayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	ordinalNames = map[int]string{1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
)
