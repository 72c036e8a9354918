package app

// iCalendar output. Times are written in the event's own zone (TZID) with a
// VTIMEZONE built from the zone database the binary carries, so a calendar
// app shows 19:00 Paris time even across a daylight-saving change. Big
// calendars are streamed: the events are read in batches and written as
// they come, so 10,000 events cost no more memory than 500.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"convene/app/store"
	"convene/views"

	ics "github.com/arran4/golang-ical"
)

const (
	icalLocalFormat = "20060102T150405"
	icalUTCFormat   = "20060102T150405Z"
	// icalZoneYears bounds the observances a VTIMEZONE lists, however far
	// apart a calendar's first and last events are.
	icalZoneYears = 30
)

// icalConfig writes CRLF line ends and folds at 75 octets (RFC 5545 3.1).
var icalConfig = &ics.SerializationConfiguration{MaxLength: 75, PropertyMaxLength: 75, NewLine: "\r\n"}

// calendarWriter writes one VCALENDAR, remembering the first write error.
type calendarWriter struct {
	w   *bufio.Writer
	err error
}

func newCalendarWriter(w io.Writer) *calendarWriter {
	return &calendarWriter{w: bufio.NewWriterSize(w, 32<<10)}
}

func (cw *calendarWriter) line(s string) {
	if cw.err == nil {
		_, cw.err = cw.w.WriteString(s + "\r\n")
	}
}

func (cw *calendarWriter) component(c interface {
	SerializeTo(io.Writer, *ics.SerializationConfiguration) error
}) {
	if cw.err == nil {
		cw.err = c.SerializeTo(cw.w, icalConfig)
	}
}

// begin writes the calendar's header and the VTIMEZONE of every zone its
// events use.
func (cw *calendarWriter) begin(a *App, name, description string, zones []store.ZoneSpan) {
	cal := ics.NewCalendarFor("Convene " + Version)
	cal.SetCalscale("GREGORIAN")
	cal.SetMethod(ics.MethodPublish)
	if name != "" {
		cal.SetName(name)
		cal.SetXWRCalName(name)
	}
	if description != "" {
		cal.SetDescription(description)
		cal.SetXWRCalDesc(description)
	}
	cal.SetProductId("-//Convene//Convene " + Version + "//EN")
	cal.SetRefreshInterval("PT1H")
	cal.SetXPublishedTTL("PT1H")
	cw.line("BEGIN:VCALENDAR")
	for _, p := range cal.CalendarProperties {
		if cw.err == nil {
			cw.err = p.SerializeTo(cw.w, icalConfig)
		}
	}
	for _, z := range zones {
		if tz := vtimezone(z.Timezone, z.From, z.To); tz != nil {
			cw.component(tz)
		}
	}
}

func (cw *calendarWriter) end() error {
	cw.line("END:VCALENDAR")
	if cw.err == nil {
		cw.err = cw.w.Flush()
	}
	return cw.err
}

// vtimezone describes a zone's offsets over a period: one observance per
// transition (no RRULE, so it is exact for past rule changes too), or a
// single one for a zone without transitions. nil for UTC or an unknown
// zone, whose events are written in UTC instead.
func vtimezone(name string, from, to time.Time) *ics.VTimezone {
	loc, ok := eventZone(name)
	if !ok {
		return nil
	}
	from = from.AddDate(-1, 0, 0)
	if to.Before(from) {
		to = from
	}
	if limit := from.AddDate(icalZoneYears, 0, 0); to.After(limit) {
		to = limit
	}
	to = to.AddDate(1, 0, 0)
	tz := ics.NewTimezone(name)
	// The observance in force at the start (from its real onset when the
	// zone has one), then each transition up to the end.
	t := from.In(loc)
	onset, _ := t.ZoneBounds()
	if onset.IsZero() {
		_, offset := t.Zone()
		addObservance(tz, t, offset)
	} else {
		_, before := onset.Add(-time.Second).In(loc).Zone()
		addObservance(tz, onset.In(loc), before)
	}
	for {
		_, next := t.ZoneBounds()
		if next.IsZero() || next.After(to) {
			break
		}
		_, before := t.Zone()
		t = next.In(loc)
		addObservance(tz, t, before)
	}
	return tz
}

// addObservance adds a STANDARD or DAYLIGHT part beginning at t, moving
// from offsetFrom to the offset in force at t. Its DTSTART is the onset in
// the local time that was in force before it, as RFC 5545 wants.
func addObservance(tz *ics.VTimezone, t time.Time, offsetFrom int) {
	name, offsetTo := t.Zone()
	onset := t.UTC().Add(time.Duration(offsetFrom) * time.Second).Format(icalLocalFormat)
	props := []ics.IANAProperty{
		{BaseProperty: ics.BaseProperty{IANAToken: "DTSTART", Value: onset}},
		{BaseProperty: ics.BaseProperty{IANAToken: "TZOFFSETFROM", Value: icalOffset(offsetFrom)}},
		{BaseProperty: ics.BaseProperty{IANAToken: "TZOFFSETTO", Value: icalOffset(offsetTo)}},
	}
	// Zones without an abbreviation get "+03" style names from Go: they
	// say nothing an offset does not.
	if name != "" && !strings.HasPrefix(name, "+") && !strings.HasPrefix(name, "-") {
		props = append(props, ics.IANAProperty{BaseProperty: ics.BaseProperty{IANAToken: "TZNAME", Value: name}})
	}
	if t.IsDST() {
		tz.Components = append(tz.Components, &ics.Daylight{ComponentBase: ics.ComponentBase{Properties: props}})
	} else {
		tz.Components = append(tz.Components, &ics.Standard{ComponentBase: ics.ComponentBase{Properties: props}})
	}
}

// icalOffset formats seconds east of UTC as ±HHMM (±HHMMSS when needed).
func icalOffset(seconds int) string {
	sign := "+"
	if seconds < 0 {
		sign, seconds = "-", -seconds
	}
	s := fmt.Sprintf("%s%02d%02d", sign, seconds/3600, seconds%3600/60)
	if seconds%60 != 0 {
		s += fmt.Sprintf("%02d", seconds%60)
	}
	return s
}

// eventZone loads an event's zone; false for UTC and unknown zones, whose
// times are then written in UTC.
func eventZone(name string) (*time.Location, bool) {
	// A bare UTC offset (store.OffsetZone) has no VTIMEZONE to give:
	// such times are written in UTC, the same instants.
	if name == "" || name == "UTC" || name == "Etc/UTC" || store.IsOffsetZone(name) {
		return nil, false
	}
	// The store's cache: reading the zone database per event would cost
	// more than writing the event.
	loc := store.LoadLocation(name)
	if loc == time.UTC {
		return nil, false
	}
	return loc, true
}

// icalStatus maps an event's status to the iCalendar one.
func icalStatus(status string) ics.ObjectStatus {
	switch status {
	case store.StatusCancelled:
		return ics.ObjectStatusCancelled
	case store.StatusTentative:
		return ics.ObjectStatusTentative
	}
	return ics.ObjectStatusConfirmed
}

// icalText normalises line ends: iCalendar escapes "\n" only, and a stray
// CR would end a content line early.
func icalText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// icalParam makes text fit a parameter value (the organiser's common
// name, which comes from a remote actor's name as often as not). The
// library escapes property values but not control characters in
// parameters, and iCalendar has no escape for a line break there: a raw
// one would end the line and let the rest of a name be read as lines of
// their own (END:VEVENT, a forged event). So controls become spaces, and
// a double quote, which no parameter may hold unquoted, an apostrophe.
func icalParam(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r == '\u2028', r == '\u2029':
			return ' '
		case r == '"':
			return '\''
		}
		return r
	}, s)
}

// vevent is one event as iCalendar. Its UID is stable (the event's UUID at
// this host) and SEQUENCE is the store's edit counter, so calendar apps
// replace their copy when it changes.
func (a *App) vevent(e *store.Event) *ics.VEvent {
	ev := ics.NewEvent(e.UUID + "@" + a.Host())
	ev.SetDtStampTime(e.UpdatedAt)
	ev.SetCreatedTime(e.CreatedAt)
	ev.SetModifiedAt(e.UpdatedAt)
	ev.SetSequence(e.Sequence)
	if loc, ok := eventZone(e.Timezone); ok {
		ev.SetProperty(ics.ComponentPropertyDtStart, e.StartsAt.In(loc).Format(icalLocalFormat), ics.WithTZID(e.Timezone))
		if e.HasEnd() {
			ev.SetProperty(ics.ComponentPropertyDtEnd, e.EndsAt.In(loc).Format(icalLocalFormat), ics.WithTZID(e.Timezone))
		}
	} else {
		ev.SetProperty(ics.ComponentPropertyDtStart, e.StartsAt.UTC().Format(icalUTCFormat))
		if e.HasEnd() {
			ev.SetProperty(ics.ComponentPropertyDtEnd, e.EndsAt.UTC().Format(icalUTCFormat))
		}
	}
	// No end: no DTEND (RFC 5545 §3.6.1: a DTSTART date-time alone is an
	// event ending when it starts), never an invented one.
	ev.SetSummary(icalText(e.Title))
	description := strings.TrimSpace(icalText(e.DescriptionMD))
	link := a.URL("/events/" + e.UUID)
	if description != "" {
		description += "\n\n"
	}
	ev.SetDescription(description + link)
	ev.SetURL(link)
	switch {
	case !e.Address.IsZero():
		ev.SetLocation(icalText(e.Address.OneLine()))
	case e.OnlineURL != "":
		ev.SetLocation(e.OnlineURL)
	}
	if e.OnlineURL != "" {
		// RFC 7986: calendar apps show a "join" button for it.
		ev.AddProperty(ics.ComponentProperty("CONFERENCE"), e.OnlineURL, ics.WithValue("URI"))
	}
	for _, l := range e.Links {
		ev.AddProperty(ics.ComponentPropertyAttach, l.URL)
	}
	if e.Address.Latitude != nil && e.Address.Longitude != nil {
		ev.SetProperty(ics.ComponentPropertyGeo, fmt.Sprintf("%.6f;%.6f", *e.Address.Latitude, *e.Address.Longitude), ics.WithValue("FLOAT"))
	}
	ev.SetStatus(icalStatus(e.Status))
	ev.SetClass(ics.ClassificationPublic)
	for _, tag := range e.Tags {
		ev.AddCategory(tag)
	}
	if e.Organizer != nil {
		ev.SetProperty(ics.ComponentPropertyOrganizer, a.URL("/@"+e.Organizer.Username), ics.WithCN(icalParam(e.Organizer.Name())))
	}
	return ev
}

// writeCalendar streams the subscribable calendar of a scope.
func (a *App) writeCalendar(w http.ResponseWriter, r *http.Request, scope feedScope) error {
	ctx := r.Context()
	zones, err := a.store.CalendarZones(ctx, scope.query)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", typeICS+"; charset=utf-8")
	return a.streamCalendar(ctx, w, scope.title, a.setting(ctx, SettingDescription), zones,
		func(fn func(*store.Event) error) error {
			return a.store.EachCalendarEvent(ctx, scope.query, func(e *store.Event) error { return fn(e.WithoutPrivateDetails()) })
		})
}

// streamCalendar writes a VCALENDAR whose events come from each.
func (a *App) streamCalendar(ctx context.Context, w io.Writer, name, description string, zones []store.ZoneSpan,
	each func(func(*store.Event) error) error) error {
	cw := newCalendarWriter(w)
	cw.begin(a, name, description, zones)
	err := each(func(e *store.Event) error {
		cw.component(a.vevent(e))
		return cw.err
	})
	if err != nil {
		// The status line is gone already: the client sees a truncated
		// calendar without END:VCALENDAR, which calendar apps reject.
		a.log.Warn("calendar stream", "err", err)
		return nil
	}
	if err := cw.end(); err != nil {
		a.log.Warn("calendar stream", "err", err)
	}
	return nil
}

// showEventCalendar serves one event as an .ics file ("Add to calendar").
func (a *App) showEventCalendar(w http.ResponseWriter, r *http.Request) error {
	// Whoever may see the event page may take its .ics, with what that
	// page shows them.
	e, owner, err := a.eventForVisitor(r)
	if err != nil {
		return err
	}
	letIn := a.seesPrivateDetails(r, e, owner)
	if !letIn {
		e = e.WithoutPrivateDetails()
	}
	etag := feedETag("event", e.UUID, fmt.Sprint(e.Sequence), fmt.Sprint(e.UpdatedAt.Unix()), e.Organizer.Name(), fmt.Sprint(letIn), Version)
	w.Header().Set("Cache-Control", "private, max-age=300")
	if notModified(w, r, etag, e.UpdatedAt) {
		return nil
	}
	w.Header().Set("Content-Type", typeICS+"; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+icsFileName(e.Title)+`.ics"`)
	var zones []store.ZoneSpan
	if _, ok := eventZone(e.Timezone); ok {
		zones = []store.ZoneSpan{{Timezone: e.Timezone, From: e.StartsAt, To: e.EndsAt}}
	}
	return a.streamCalendar(r.Context(), w, "", "", zones, func(fn func(*store.Event) error) error { return fn(e) })
}

// icsFileName is a safe ASCII file name from an event title.
func icsFileName(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if b.Len() >= 60 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return "event"
	}
	return s
}

// showPrivateCalendar serves an identity's "events I'm going to" calendar
// at its secret URL. A wrong or replaced secret is the same plain 404 as
// any unknown path: nothing tells whether some identity exists.
func (a *App) showPrivateCalendar(w http.ResponseWriter, r *http.Request) error {
	name, format, ok := splitFeedFile(r.PathValue("file"))
	if !ok || format != formatICS || name == "" {
		return errNotFound()
	}
	ctx := r.Context()
	actor, err := a.store.IdentityByCalendarSecret(ctx, name)
	if err != nil {
		return errNotFound()
	}
	state, err := a.store.PrivateCalendarState(ctx, actor.ID)
	if err != nil {
		return err
	}
	l := a.feedPrinter(r)
	title := l.T("%s's events", actor.Name()) + " · " + a.setting(ctx, SettingName)
	etag := feedETag("private", strconv.FormatInt(actor.ID, 10), strconv.Itoa(state.Count),
		strconv.FormatInt(state.LastModified.Unix(), 10), title, Version)
	// Never kept by shared caches, and never sent to other sites.
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if notModified(w, r, etag, state.LastModified) {
		return nil
	}
	zones, err := a.store.PrivateCalendarZones(ctx, actor.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", typeICS+"; charset=utf-8")
	return a.streamCalendar(ctx, w, title, "", zones,
		func(fn func(*store.Event) error) error { return a.store.EachPrivateCalendarEvent(ctx, actor.ID, fn) })
}

// calendarLinks are the calendars a person can subscribe to from the
// calendar settings page.
func (a *App) calendarLinks(r *http.Request, identity *store.Actor) []views.CalendarLink {
	l := a.printer(r)
	links := []views.CalendarLink{{
		Title:  l.T("All public events of %s", a.setting(r.Context(), SettingName)),
		HTTPS:  a.URL("/calendar.ics"),
		Webcal: a.webcalURL("/calendar.ics"),
	}}
	if identity != nil {
		p := "/feeds/@" + identity.Username + ".ics"
		links = append(links, views.CalendarLink{
			Title: l.T("Public events organised by %s", identity.Handle()), HTTPS: a.URL(p), Webcal: a.webcalURL(p),
		})
	}
	return links
}

// showCalendarSettings shows the acting identity's calendars, and whether
// it has a private calendar link (whose secret is shown only once).
func (a *App) showCalendarSettings(w http.ResponseWriter, r *http.Request) error {
	identity := currentIdentity(r)
	if identity == nil {
		return a.redirect(w, r, "/login?next="+url.QueryEscape(r.URL.Path), "")
	}
	has, err := a.store.HasCalendarSecret(r.Context(), identity.ID)
	if err != nil {
		return err
	}
	return a.renderMyCalendar(w, r, views.CalendarSettings{Identity: identity, Public: a.calendarLinks(r, identity), HasPrivate: has}, "")
}

// renderMyCalendar is "My calendar", the one place for calendars: the
// upcoming events of the accounts one follows, the calendars to subscribe
// to (the private one included), and importing from another calendar.
func (a *App) renderMyCalendar(w http.ResponseWriter, r *http.Request, s views.CalendarSettings, flash string) error {
	events, err := a.store.EventsFollowedByAccount(r.Context(), currentAccount(r).ID, a.now(), 200)
	if err != nil {
		return err
	}
	s.Following = events
	p := a.page(r, a.printer(r).T("My calendar"))
	p.NoIndex = true
	if flash != "" {
		p.Flash = flash
	}
	w.Header().Set("Cache-Control", "no-store")
	return a.render(w, r, http.StatusOK, views.CalendarSettingsPage(p, s))
}

// regenerateCalendarSecret makes a new private calendar link; the old one
// stops working at once. The page shows the new link this one time.
func (a *App) regenerateCalendarSecret(w http.ResponseWriter, r *http.Request) error {
	identity := currentIdentity(r)
	if identity == nil {
		return errForbidden("Log in to manage your calendars.")
	}
	if !a.limits.allow("calendar-secret:"+strconv.FormatInt(identity.ID, 10), time.Minute, 10) {
		return &publicError{Status: http.StatusTooManyRequests, Message: "Too many attempts. Please wait a minute and try again."}
	}
	secret, err := a.store.NewCalendarSecret(r.Context(), identity.ID)
	if err != nil {
		return err
	}
	path := "/feeds/private/" + secret + ".ics"
	l := a.printer(r)
	w.Header().Set("Referrer-Policy", "no-referrer")
	return a.renderMyCalendar(w, r, views.CalendarSettings{
		Identity: identity, Public: a.calendarLinks(r, identity), HasPrivate: true,
		Private: &views.CalendarLink{Title: l.T("Events I'm going to"), HTTPS: a.URL(path), Webcal: a.webcalURL(path)},
	}, l.T("Here is your new private calendar link. The previous one no longer works."))
}
