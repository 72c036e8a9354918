package app

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"convene/app/calgrid"
	"convene/app/store"
	"convene/views"
)

// maxCalendarEvents bounds what one calendar page reads, so a month
// crowded by a big import stays cheap on a small machine; the page says
// when some were left out.
const maxCalendarEvents = 3000

// calendarYears is how far from today a calendar can be asked for.
const calendarYears = 10

// showCalendar is the instance's month (or week) of listed events.
func (a *App) showCalendar(w http.ResponseWriter, r *http.Request) error {
	return a.renderCalendar(w, r, nil)
}

// showActorCalendar is the calendar of one local identity's events, or of
// one local group's: /calendar/@name.
func (a *App) showActorCalendar(w http.ResponseWriter, r *http.Request) error {
	username, ok := strings.CutPrefix(r.PathValue("handle"), "@")
	if !ok || !usernamePattern.MatchString(username) {
		return errNotFound()
	}
	actor, err := a.store.LocalActorByUsername(r.Context(), username)
	if err != nil {
		return err
	}
	if actor.Kind != store.KindPerson && actor.Kind != store.KindGroup {
		return errNotFound()
	}
	return a.renderCalendar(w, r, actor)
}

// calendarPeriod reads ?week= or ?month= (this month by default); false
// when malformed or further than calendarYears from now.
func calendarPeriod(v url.Values, now time.Time) (calgrid.Period, bool) {
	var p calgrid.Period
	switch {
	case v.Get("week") != "":
		y, w, ok := calgrid.ParseWeek(v.Get("week"))
		if !ok {
			return p, false
		}
		p = calgrid.WeekPeriod(y, w, now.Location())
	case v.Get("month") != "":
		y, m, ok := calgrid.ParseMonth(v.Get("month"))
		if !ok {
			return p, false
		}
		p = calgrid.MonthPeriod(y, m, now.Location())
	default:
		p = calgrid.MonthPeriod(now.Year(), now.Month(), now.Location())
	}
	if p.Year < now.Year()-calendarYears || p.Year > now.Year()+calendarYears {
		return p, false
	}
	return p, true
}

// readEventFilters reads the filters the calendar and the map share with
// search (category, tag, online or in person, near), into q. Each wrong
// field gets its message; the form keeps what was typed.
func (a *App) readEventFilters(r *http.Request, p views.Page, q *store.SearchQuery) (views.EventFilters, views.FieldErrors) {
	v := r.URL.Query()
	f := views.EventFilters{Category: v.Get("category"), Tag: strings.TrimSpace(v.Get("tag")), Attend: v.Get("attend"),
		Near: v.Get("near"), Km: v.Get("km")}
	errs := views.FieldErrors{}
	if f.Category != "" && !slices.Contains(store.Categories, f.Category) {
		errs["category"] = p.T("This category does not exist. Choose one from the list.")
	} else {
		q.Category = f.Category
	}
	if msg := validText(p.L, f.Tag, 100, false); msg != "" {
		errs["tag"] = msg
	} else {
		q.Tag = strings.TrimPrefix(f.Tag, "#")
	}
	switch f.Attend {
	case store.AttendAny, store.AttendOnline, store.AttendInPerson:
		q.Attend = f.Attend
	default:
		errs["attend"] = p.T("Choose online, in person or either.")
	}
	q.Near = a.readNear(r.Context(), p.L, f.Near, f.Km, errs)
	return f, errs
}

func (a *App) renderCalendar(w http.ResponseWriter, r *http.Request, of *store.Actor) error {
	loc := a.instanceLocation(r.Context())
	now := a.now().In(loc)
	period, ok := calendarPeriod(r.URL.Query(), now)
	if !ok {
		return errNotFound()
	}
	p := a.page(r, "")
	p.NoIndex = true
	q := store.SearchQuery{Now: a.now(), IncludePast: true, From: period.From, To: period.To, Limit: maxCalendarEvents + 1, Bare: true}
	v := views.CalendarView{Path: "/calendar", Now: now}
	if of != nil {
		v.Of = of
		v.Path += "/@" + of.Username
		if of.Kind == store.KindGroup {
			q.GroupID = of.ID
		} else {
			q.OrganizerID = of.ID
		}
	}
	v.Filters, v.Errors = a.readEventFilters(r, p, &q)
	status := http.StatusOK
	var events []*store.Event
	if len(v.Errors) > 0 {
		status = http.StatusBadRequest
	} else {
		var err error
		if events, err = a.store.SearchEvents(r.Context(), q); err != nil {
			return err
		}
	}
	if len(events) > maxCalendarEvents {
		events, v.Truncated = events[:maxCalendarEvents], true
	}
	entries := make([]calgrid.Entry, len(events))
	for i, e := range events {
		entries[i] = calgrid.Entry{Start: e.StartsAt, End: e.EndsAt}
	}
	v.Grid, v.Events = period.Layout(entries), events
	if period.Month != 0 {
		first := time.Date(period.Year, period.Month, 1, 0, 0, 0, 0, loc)
		p.Title = p.L.MonthYear(first)
		v.Prev = calgrid.MonthParam(first.AddDate(0, -1, 0).Year(), first.AddDate(0, -1, 0).Month())
		v.Next = calgrid.MonthParam(first.AddDate(0, 1, 0).Year(), first.AddDate(0, 1, 0).Month())
	} else {
		p.Title = p.T("Week of %s", p.L.Date(period.From))
		v.Prev = calgrid.WeekParam(period.From.AddDate(0, 0, -7))
		v.Next = calgrid.WeekParam(period.From.AddDate(0, 0, 7))
	}
	if of != nil {
		p.Title = of.Name() + " · " + p.Title
	}
	return a.render(w, r, status, views.CalendarPage(p, v))
}
