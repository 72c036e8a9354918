package app

// Recurring events. A series keeps an RFC 5545 rule and the wall-clock
// start of its first occurrence in its zone; every occurrence is a real
// event (own page, participants, federation) created ahead of time for a
// sliding window. Rules are expanded in the series' zone, so a 19:00 class
// in Paris stays at 19:00 when the clocks change.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"convene/app/i18n"
	"convene/app/store"
	"convene/views"

	"github.com/a-h/templ"
	"github.com/teambition/rrule-go"
)

const (
	// recurrenceWindow is how far ahead occurrences exist as events.
	recurrenceWindow = 92 * 24 * time.Hour
	// maxOccurrencesPerRun bounds one extension of one series.
	maxOccurrencesPerRun = 400
	maxRepeatInterval    = 12
	maxRepeatCount       = 200
	maxRepeatYears       = 3
)

// Repeat frequencies and ways to repeat monthly.
const (
	repeatWeekly  = "weekly"
	repeatMonthly = "monthly"

	monthlyByDate    = "date"    // on the 14th
	monthlyByWeekday = "weekday" // on the 2nd Tuesday
)

// repeatRule is how an organiser says an event repeats.
type repeatRule struct {
	Freq     string         // repeatWeekly or repeatMonthly
	Interval int            // every N weeks or months; 1 when zero
	Weekdays []time.Weekday // weekly: on these days (the first one's day is added)
	Monthly  string         // monthlyByDate or monthlyByWeekday
	Until    time.Time      // last day (a date in the event's zone), or zero
	Count    int            // number of occurrences, or zero
}

var rruleWeekdays = []rrule.Weekday{rrule.SU, rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA}

// weekdayOrdinal is which weekday of its month a day is: 1 to 4, or -1
// for the last (a "5th Tuesday" exists only some months; "last" always).
func weekdayOrdinal(t time.Time) int {
	n := (t.Day()-1)/7 + 1
	if n == 5 {
		return -1
	}
	return n
}

// rule turns the organiser's choice into an RRULE for a first occurrence
// starting at start (in the event's zone).
func (rr repeatRule) rule(start time.Time) (string, error) {
	interval := max(rr.Interval, 1)
	var opt rrule.ROption
	opt.Interval = interval
	switch rr.Freq {
	case repeatWeekly:
		opt.Freq = rrule.WEEKLY
		days := append([]time.Weekday{start.Weekday()}, rr.Weekdays...)
		slices.Sort(days)
		days = slices.Compact(days)
		for _, d := range days {
			opt.Byweekday = append(opt.Byweekday, rruleWeekdays[d])
		}
		opt.Wkst = rrule.MO
	case repeatMonthly:
		opt.Freq = rrule.MONTHLY
		if rr.Monthly == monthlyByWeekday {
			opt.Byweekday = []rrule.Weekday{rruleWeekdays[start.Weekday()].Nth(weekdayOrdinal(start))}
		} else {
			opt.Bymonthday = []int{start.Day()}
		}
	default:
		return "", fmt.Errorf("unknown frequency %q", rr.Freq)
	}
	if rr.Count > 0 {
		opt.Count = rr.Count
	} else if !rr.Until.IsZero() {
		// RFC 5545: with a zoned DTSTART, UNTIL is in UTC. The whole last
		// day is included.
		y, m, d := rr.Until.Date()
		opt.Until = time.Date(y, m, d, 23, 59, 59, 0, start.Location()).UTC()
	}
	return opt.RRuleString(), nil
}

// seriesRule rebuilds a series' rule anchored at its first start.
func seriesRule(sr *store.Series) (*rrule.RRule, *time.Location, error) {
	loc, err := time.LoadLocation(sr.Timezone)
	if err != nil {
		return nil, nil, err
	}
	first, err := time.ParseInLocation(store.SeriesLocalLayout, sr.FirstStart, loc)
	if err != nil {
		return nil, nil, err
	}
	opt, err := rrule.StrToROptionInLocation(sr.Rule, loc)
	if err != nil {
		return nil, nil, err
	}
	opt.Dtstart = first
	r, err := rrule.NewRRule(*opt)
	if err != nil {
		return nil, nil, err
	}
	return r, loc, nil
}

// makeSeries turns a saved event into the first occurrence of a series and
// creates the next occurrences up to the window.
func (a *App) makeSeries(ctx context.Context, first *store.Event, rr repeatRule) (*store.Series, error) {
	loc := first.Location()
	start := first.StartsAt.In(loc)
	rule, err := rr.rule(start)
	if err != nil {
		return nil, err
	}
	sr := &store.Series{
		OrganizerID:    first.OrganizerID,
		Rule:           rule,
		FirstStart:     start.Format(store.SeriesLocalLayout),
		Duration:       first.EndsAt.Sub(first.StartsAt),
		Timezone:       loc.String(),
		GeneratedUntil: first.StartsAt,
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.CreateSeriesTx(ctx, tx, sr, first.ID); err != nil {
			return err
		}
		_, err := a.extendSeriesTx(ctx, tx, sr, a.now().Add(recurrenceWindow))
		return err
	})
	if err != nil {
		return nil, err
	}
	return sr, nil
}

// GenerateOccurrences creates the occurrences every series lacks up to the
// sliding window. The periodic worker calls it; tests call it after moving
// the clock.
func (a *App) GenerateOccurrences(ctx context.Context) (created int, err error) {
	horizon := a.now().Add(recurrenceWindow)
	due, err := a.store.SeriesDue(ctx, horizon)
	if err != nil {
		return 0, err
	}
	for _, sr := range due {
		err := a.store.Tx(ctx, func(tx *sql.Tx) error {
			n, err := a.extendSeriesTx(ctx, tx, sr, horizon)
			created += n
			return err
		})
		if err != nil {
			// One broken series must not stop the others.
			a.log.Error("extend series", "series", sr.UUID, "err", err)
		}
	}
	return created, nil
}

// extendSeriesTx creates the occurrences of a series between how far it was
// generated and horizon, copying the latest occurrence.
func (a *App) extendSeriesTx(ctx context.Context, tx *sql.Tx, sr *store.Series, horizon time.Time) (int, error) {
	r, _, err := seriesRule(sr)
	if err != nil {
		return 0, fmt.Errorf("series %s: %w", sr.UUID, err)
	}
	model, err := a.store.LatestOccurrenceTx(ctx, tx, sr.ID)
	if errors.Is(err, store.ErrNotFound) {
		// Every occurrence was deleted: the series is over.
		sr.GeneratedUntil = horizon
		return 0, a.store.UpdateSeriesTx(ctx, tx, sr)
	}
	if err != nil {
		return 0, err
	}
	times := r.Between(sr.GeneratedUntil, horizon, false)
	if len(times) > maxOccurrencesPerRun {
		times = times[:maxOccurrencesPerRun]
		horizon = times[len(times)-1]
	}
	now := a.now().UTC().Truncate(time.Second)
	created := 0
	loc := model.Location()
	lastDay := localDay(model.StartsAt, loc)
	for _, t := range times {
		// After a "this and following" change of time, the rule may yield
		// a later time on a day that already has its occurrence.
		if localDay(t, loc) <= lastDay {
			continue
		}
		e := copyOccurrence(model, t, sr.Duration, now)
		if err := a.store.CreateEventTx(ctx, tx, e); err != nil {
			return 0, err
		}
		if err := a.store.SetEventSeriesTx(ctx, tx, e.ID, sr.ID); err != nil {
			return 0, err
		}
		// Each occurrence is an event of its own for peers too.
		if err := a.enqueueEventActivity(ctx, tx, e, VerbCreate); err != nil {
			return 0, err
		}
		created++
		lastDay = localDay(t, loc)
	}
	sr.GeneratedUntil = horizon
	return created, a.store.UpdateSeriesTx(ctx, tx, sr)
}

// localDay numbers days in a zone, so two instants can be compared by the
// day they fall on there.
func localDay(t time.Time, loc *time.Location) int {
	y, m, d := t.In(loc).Date()
	return int(time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Unix() / 86400)
}

// copyOccurrence makes the next occurrence from the latest one: same
// content, its own identity and time, published like its model.
func copyOccurrence(model *store.Event, start time.Time, duration time.Duration, now time.Time) *store.Event {
	e := *model
	e.ID, e.UUID, e.URI, e.Sequence = 0, "", "", 0
	e.Organizer = nil
	e.StartsAt = start.UTC()
	e.EndsAt = start.Add(duration).UTC()
	e.Tags = slices.Clone(model.Tags)
	e.Links = slices.Clone(model.Links)
	if e.Status == store.StatusCancelled {
		// One cancelled session does not cancel the ones after it.
		e.Status = store.StatusConfirmed
	}
	if model.PublishedAt != nil && !model.PublishedAt.After(now) {
		p := now
		e.PublishedAt = &p
	}
	e.Snippet, e.TitleMarked = "", ""
	return &e
}

// updateFollowingOccurrences applies an edit of one occurrence to all the
// later ones of its series ("this and following"): the same content, and
// the same wall-clock time and length on each one's own day. Later
// occurrences generated afterwards copy the latest one, so they follow too.
func (a *App) updateFollowingOccurrences(ctx context.Context, edited *store.Event) error {
	sr, err := a.store.SeriesOfEvent(ctx, edited.ID)
	if err != nil {
		return err
	}
	loc := edited.Location()
	start := edited.StartsAt.In(loc)
	duration := edited.EndsAt.Sub(edited.StartsAt)
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		following, err := a.store.OccurrencesFromTx(ctx, tx, sr.ID, edited.StartsAt)
		if err != nil {
			return err
		}
		for _, e := range following {
			if e.ID == edited.ID {
				continue
			}
			day := e.StartsAt.In(loc)
			newStart := time.Date(day.Year(), day.Month(), day.Day(), start.Hour(), start.Minute(), start.Second(), 0, loc)
			id, uuid, seq, created := e.ID, e.UUID, e.Sequence, e.CreatedAt
			published := e.PublishedAt
			old := *e
			*e = *edited
			e.ID, e.UUID, e.Sequence, e.CreatedAt = id, uuid, seq, created
			e.Organizer = nil
			e.StartsAt, e.EndsAt = newStart.UTC(), newStart.Add(duration).UTC()
			e.Tags, e.Links = slices.Clone(edited.Tags), slices.Clone(edited.Links)
			if published != nil && edited.PublishedAt != nil {
				e.PublishedAt = published
			}
			if err := a.updateEventAndAnnounceTx(ctx, tx, &old, e); err != nil {
				return err
			}
		}
		// Occurrences made from now on start at the new time, for as long
		// as the new one lasts.
		first, err := time.ParseInLocation(store.SeriesLocalLayout, sr.FirstStart, loc)
		if err != nil {
			return err
		}
		sr.FirstStart = time.Date(first.Year(), first.Month(), first.Day(), start.Hour(), start.Minute(), start.Second(), 0, loc).
			Format(store.SeriesLocalLayout)
		sr.Timezone = loc.String()
		sr.Duration = duration
		return a.store.UpdateSeriesTx(ctx, tx, sr)
	})
}

// describeRule says in words how a series repeats, for its occurrences'
// pages: "Every week on Tuesday and Thursday, until 30 June 2026".
func describeRule(l *i18n.Printer, sr *store.Series) string {
	return views.DescribeRule(l, sr.Rule, sr.Timezone)
}

// syndicationWorker keeps recurring series generated ahead and imported
// calendars in sync, once at start and then every hour.
func (a *App) syndicationWorker(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if _, err := a.GenerateOccurrences(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("generate occurrences", "err", err)
		}
		a.syncImportsDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// seriesShown is how many dates an occurrence's page lists.
const seriesShown = 8

// seriesComponent is the "Repeats" box of an occurrence's page: how it
// repeats and links to nearby dates (listed ones only, unless the visitor
// organises it). Nil for an event that stands alone.
func (a *App) seriesComponent(r *http.Request, p views.Page, e *store.Event, owner bool) templ.Component {
	if e.SeriesID == 0 {
		return nil // read with the event: no series, no query
	}
	sr, err := a.store.SeriesOfEvent(r.Context(), e.ID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			a.log.Error("series of event", "event", e.UUID, "err", err)
		}
		return nil
	}
	all, err := a.store.SeriesOccurrences(r.Context(), sr.ID)
	if err != nil {
		a.log.Error("series occurrences", "event", e.UUID, "err", err)
		return nil
	}
	var shown []store.Occurrence
	current := 0
	for _, o := range all {
		if o.ID == e.ID {
			current = len(shown)
		} else if !o.Listed && !owner {
			continue
		}
		shown = append(shown, o)
	}
	// A window around the current date: two before, the rest after.
	from := max(0, current-2)
	to := min(len(shown), from+seriesShown)
	from = max(0, to-seriesShown)
	return views.SeriesBox(p, views.SeriesView{
		Description: describeRule(p.L, sr),
		Current:     e.ID,
		Occurrences: shown[from:to],
		More:        len(shown) - (to - from),
	})
}

// parseRepeatForm reads the Repeat section of a new event's form. rule is
// nil when the event happens once. start is the first date, in its zone
// (zero when the form's start was invalid: its own error is shown then).
func parseRepeatForm(l *i18n.Printer, form url.Values, start time.Time) (*repeatRule, views.RepeatForm, views.FieldErrors) {
	f := views.RepeatForm{
		Repeat:   form.Get("repeat"),
		Interval: strings.TrimSpace(form.Get("repeat_interval")),
		Days:     form["repeat_days"],
		Monthly:  form.Get("repeat_monthly"),
		Ends:     form.Get("repeat_ends"),
		Until:    strings.TrimSpace(form.Get("repeat_until")),
		Count:    strings.TrimSpace(form.Get("repeat_count")),
	}
	errs := views.FieldErrors{}
	if f.Repeat == "" {
		return nil, f, errs
	}
	rr := &repeatRule{Freq: f.Repeat, Interval: 1}
	switch f.Repeat {
	case repeatWeekly:
		for _, d := range f.Days {
			n, err := strconv.Atoi(d)
			if err != nil || n < 0 || n > 6 {
				errs["repeat_days"] = l.T("Choose days of the week from the list.")
				break
			}
			rr.Weekdays = append(rr.Weekdays, time.Weekday(n))
		}
	case repeatMonthly:
		switch f.Monthly {
		case "", monthlyByDate:
			rr.Monthly = monthlyByDate
		case monthlyByWeekday:
			rr.Monthly = monthlyByWeekday
		default:
			errs["repeat_monthly"] = l.T("Choose one of the ways to repeat monthly.")
		}
	default:
		errs["repeat"] = l.T("Choose one of the ways to repeat.")
		return nil, f, errs
	}
	if f.Interval != "" {
		n, err := strconv.Atoi(f.Interval)
		if err != nil || n < 1 || n > maxRepeatInterval {
			errs["repeat_interval"] = l.T("Write a number from 1 to %d.", maxRepeatInterval)
		}
		rr.Interval = n
	}
	switch f.Ends {
	case "", "never":
	case "until":
		d, err := time.Parse("2006-01-02", f.Until)
		switch {
		case err != nil:
			errs["repeat_until"] = l.T("Write the last date, like 2026-06-30.")
		case !start.IsZero() && d.Before(time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)):
			errs["repeat_until"] = l.T("The last date cannot be before the first one.")
		case !start.IsZero() && d.After(start.AddDate(maxRepeatYears, 0, 0)):
			errs["repeat_until"] = l.T("A series can last at most %d years.", maxRepeatYears)
		default:
			rr.Until = d
		}
	case "count":
		n, err := strconv.Atoi(f.Count)
		if err != nil || n < 2 || n > maxRepeatCount {
			errs["repeat_count"] = l.T("Write a number from 2 to %d.", maxRepeatCount)
		}
		rr.Count = n
	default:
		errs["repeat_ends"] = l.T("Choose when the series ends.")
	}
	return rr, f, errs
}

// inSeries tells whether an event is an occurrence of a series.
func (a *App) inSeries(ctx context.Context, e *store.Event) bool {
	_, err := a.store.SeriesOfEvent(ctx, e.ID)
	return err == nil
}
