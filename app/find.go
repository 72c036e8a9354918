package app

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"convene/app/store"
	"convene/views"
)

// listPage runs a list query for one page of cards, asking for one event
// more than it shows to know whether a next page exists.
func listPage(events []*store.Event, page int, base string) views.EventList {
	more := len(events) > eventsPerPage
	if more {
		events = events[:eventsPerPage]
	}
	return views.EventList{Events: events, Page: page, More: more, BaseQuery: base}
}

func (a *App) showPastEvents(w http.ResponseWriter, r *http.Request) error {
	page := pageNumber(r)
	list, err := a.eventList(r, store.EventQuery{Now: a.now(), Listed: true, Past: true}, page)
	if err != nil {
		return err
	}
	p := a.page(r, "")
	p.Title = p.T("Past events")
	return a.render(w, r, http.StatusOK, views.PastEventsPage(p, list))
}

// wantsPast reads the "past events" switch of tag and category pages.
func wantsPast(r *http.Request) bool { return r.URL.Query().Get("when") == "past" }

func (a *App) showTag(w http.ResponseWriter, r *http.Request) error {
	tag := r.PathValue("tag")
	if tag == "" || validText(nil, tag, 100, false) != "" {
		return errNotFound()
	}
	page, past := pageNumber(r), wantsPast(r)
	list, err := a.eventList(r, store.EventQuery{Now: a.now(), Listed: true, Past: past, Tag: tag, OnePerSeries: true}, page)
	if err != nil {
		return err
	}
	p := a.page(r, "")
	p.Title = "#" + tag
	p.Feeds = a.tagFeeds(r, tag)
	if past {
		list.BaseQuery = "when=past&"
	}
	return a.render(w, r, http.StatusOK, views.TagPage(p, tag, past, list))
}

func (a *App) showCategories(w http.ResponseWriter, r *http.Request) error {
	p := a.page(r, "")
	p.Title = p.T("Categories")
	return a.render(w, r, http.StatusOK, views.CategoriesPage(p))
}

func (a *App) showCategory(w http.ResponseWriter, r *http.Request) error {
	category := r.PathValue("category")
	if !slices.Contains(store.Categories, category) {
		return errNotFound()
	}
	page, past := pageNumber(r), wantsPast(r)
	list, err := a.eventList(r, store.EventQuery{Now: a.now(), Listed: true, Past: past, Category: category, OnePerSeries: true}, page)
	if err != nil {
		return err
	}
	p := a.page(r, "")
	p.Title = views.CategoryName(p.L, category)
	p.Feeds = a.categoryFeeds(r, category)
	if past {
		list.BaseQuery = "when=past&"
	}
	return a.render(w, r, http.StatusOK, views.CategoryPage(p, category, past, list))
}

// Quick date ranges offered by the home page's filter bar.
const (
	whenToday    = "today"
	whenTomorrow = "tomorrow"
	whenWeekend  = "weekend"
	whenWeek     = "week"
	whenMonth    = "month"
)

// whenRange turns a quick range into dates (the last day included), in
// the instance's zone.
func whenRange(when string, now time.Time) (from, to time.Time, ok bool) {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	switch when {
	case whenToday:
		return today, today, true
	case whenTomorrow:
		d := today.AddDate(0, 0, 1)
		return d, d, true
	case whenWeekend:
		switch today.Weekday() {
		case time.Saturday:
			return today, today.AddDate(0, 0, 1), true
		case time.Sunday:
			return today, today, true
		}
		sat := today.AddDate(0, 0, int(time.Saturday-today.Weekday()))
		return sat, sat.AddDate(0, 0, 1), true
	case whenWeek:
		return today, today.AddDate(0, 0, 6), true
	case whenMonth:
		return today, today.AddDate(0, 0, 30), true
	}
	return time.Time{}, time.Time{}, false
}

const dateLayout = "2006-01-02"

// parseDay reads a day typed in a date field, in the instance's zone.
func parseDay(s string, loc *time.Location) (time.Time, bool) {
	d, err := time.ParseInLocation(dateLayout, strings.TrimSpace(s), loc)
	if err != nil || d.Year() < 1970 || d.Year() > 9999 {
		return time.Time{}, false
	}
	return d, true
}

// readSearch reads the search form from the query string. It returns the
// store query and what is wrong with each field; the form keeps what was
// typed either way.
func (a *App) readSearch(r *http.Request, p views.Page) (views.SearchForm, store.SearchQuery, views.FieldErrors) {
	v := r.URL.Query()
	f := views.SearchForm{
		Q: v.Get("q"), From: v.Get("from"), To: v.Get("to"), Category: v.Get("category"),
		Attend: v.Get("attend"), Past: v.Get("past") != "", Origin: v.Get("origin"),
		Near: v.Get("near"), Km: v.Get("km"),
	}
	errs := views.FieldErrors{}
	loc := a.instanceLocation(r.Context())
	now := a.now()
	q := store.SearchQuery{Now: now, IncludePast: f.Past, Limit: eventsPerPage + 1}
	if msg := validText(p.L, f.Q, 200, false); msg != "" {
		errs["q"] = msg
	} else {
		q.Words = f.Q
	}
	// A quick range from the home page fills the date fields, so the
	// visitor sees (and can change) what it meant.
	if from, to, ok := whenRange(v.Get("when"), now.In(loc)); ok && f.From == "" && f.To == "" {
		f.From, f.To = from.Format(dateLayout), to.Format(dateLayout)
	}
	if f.From != "" {
		if d, ok := parseDay(f.From, loc); ok {
			q.From = d
		} else {
			errs["from"] = p.T("Enter a date like %s.", now.In(loc).Format(dateLayout))
		}
	}
	if f.To != "" {
		if d, ok := parseDay(f.To, loc); ok {
			// The last day is included: stop at the next midnight.
			q.To = d.AddDate(0, 0, 1)
		} else {
			errs["to"] = p.T("Enter a date like %s.", now.In(loc).Format(dateLayout))
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		errs["to"] = p.T("The end of the period cannot be before its start.")
	}
	// A period that ended in the past means the visitor wants past events.
	if !q.To.IsZero() && !q.To.After(now) {
		q.IncludePast = true
	}
	if f.Category != "" && !slices.Contains(store.Categories, f.Category) {
		errs["category"] = p.T("This category does not exist. Choose one from the list.")
	} else {
		q.Category = f.Category
	}
	switch f.Attend {
	case store.AttendAny, store.AttendOnline, store.AttendInPerson:
		q.Attend = f.Attend
	default:
		errs["attend"] = p.T("Choose online, in person or either.")
	}
	q.Near = a.readNear(r.Context(), p.L, f.Near, f.Km, errs)
	switch f.Origin {
	case "", "local":
		q.LocalOnly = f.Origin == "local"
	default:
		errs["origin"] = p.T("Choose all servers or only this instance.")
	}
	return f, q, errs
}

func (a *App) showSearch(w http.ResponseWriter, r *http.Request) error {
	p := a.page(r, "")
	p.Title = p.T("Search")
	p.NoIndex = true
	form, q, errs := a.readSearch(r, p)
	if strings.TrimSpace(form.Q) != "" && len(errs) == 0 {
		p.Title = p.T("Search: %s", strings.TrimSpace(form.Q))
	}
	if len(errs) > 0 {
		return a.render(w, r, http.StatusBadRequest, views.SearchPage(p, form, errs, views.EventList{}, ""))
	}
	page := pageNumber(r)
	q.Offset = (page - 1) * eventsPerPage
	events, err := a.store.SearchEvents(r.Context(), q)
	if err != nil {
		return err
	}
	base := form.Values().Encode()
	if base != "" {
		base += "&"
	}
	list := listPage(events, page, base)
	if page > 1 || list.More {
		if list.Total, err = a.store.CountSearch(r.Context(), q); err != nil {
			return err
		}
	} else {
		list.Total = len(list.Events)
	}
	withoutFilters := ""
	if form.HasFilters() {
		withoutFilters = "/search?" + url.Values{"q": {form.Q}}.Encode()
	}
	return a.render(w, r, http.StatusOK, views.SearchPage(p, form, errs, list, withoutFilters))
}
