package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"convene/app/i18n"
	"convene/app/store"
	"convene/views"
)

// commonZones are suggested in the time zone field; any IANA name works.
var commonZones = []string{
	"UTC",
	"Europe/Paris", "Europe/Brussels", "Europe/Luxembourg", "Europe/Zurich", "Europe/Berlin", "Europe/Amsterdam",
	"Europe/Madrid", "Europe/Lisbon", "Europe/Rome", "Europe/Vienna", "Europe/Prague", "Europe/Warsaw",
	"Europe/Stockholm", "Europe/Oslo", "Europe/Copenhagen", "Europe/Helsinki", "Europe/London", "Europe/Dublin",
	"Europe/Athens", "Europe/Bucharest", "Europe/Kyiv", "Europe/Istanbul", "Europe/Moscow",
	"Africa/Casablanca", "Africa/Algiers", "Africa/Tunis", "Africa/Dakar", "Africa/Abidjan", "Africa/Lagos",
	"Africa/Kinshasa", "Africa/Cairo", "Africa/Nairobi", "Africa/Johannesburg", "Indian/Reunion", "Indian/Mayotte",
	"America/Montreal", "America/Toronto", "America/New_York", "America/Chicago", "America/Denver",
	"America/Los_Angeles", "America/Mexico_City", "America/Guadeloupe", "America/Martinique", "America/Cayenne",
	"America/Port-au-Prince", "America/Bogota", "America/Lima", "America/Sao_Paulo", "America/Buenos_Aires",
	"America/Santiago", "Pacific/Noumea", "Pacific/Tahiti", "Asia/Tokyo", "Asia/Shanghai", "Asia/Kolkata",
	"Asia/Dubai", "Asia/Beirut", "Asia/Ho_Chi_Minh", "Asia/Singapore", "Australia/Sydney", "Pacific/Auckland",
}

// eventForVisitor loads an event and decides what the visitor may do with
// it. A private event, a draft, or an event scheduled for later does not
// exist for anyone but its organiser's account: 404, so its existence is
// not revealed either.
func (a *App) eventForVisitor(r *http.Request) (*store.Event, bool, error) {
	e, err := a.store.EventByUUID(r.Context(), r.PathValue("uuid"))
	if err != nil {
		return nil, false, err
	}
	return a.visitorMaySee(r, e)
}

// eventForPage is eventForVisitor for the event page, through a.events:
// an event anyone may read in full (see readableByAll) is kept as read
// until the next write to the store (or eventCacheTTL). The visitor's
// rights are checked on every request all the same, and each request
// gets its own copy of the event. generation is the store's, read before
// anything of the page.
func (a *App) eventForPage(r *http.Request, generation uint64, now time.Time) (*store.Event, bool, error) {
	uuid := r.PathValue("uuid")
	e, ok := a.events.Get(uuid, generation, now)
	if !ok {
		var err error
		if e, err = a.store.EventByUUID(r.Context(), uuid); err != nil {
			return nil, false, err
		}
		if readableByAll(e, now) {
			a.events.Put(uuid, generation, now, e)
		}
	}
	c := *e
	return a.visitorMaySee(r, &c)
}

const (
	eventCacheTTL     = pageCacheTTL
	eventCacheEntries = 512
)

// readableByAll tells whether everything in e may be shown to anyone
// with its link: a local, published, public or unlisted event that keeps
// no details private. Only such an event enters the shared cache.
func readableByAll(e *store.Event, now time.Time) bool {
	return e.URI == "" && (e.Visibility == store.VisibilityPublic || e.Visibility == store.VisibilityUnlisted) &&
		!e.Draft && e.PublishedAt != nil && !e.PublishedAt.After(now) && e.WithoutPrivateDetails() == e
}

// visitorMaySee is eventForVisitor's check of what the visitor may see.
func (a *App) visitorMaySee(r *http.Request, e *store.Event) (*store.Event, bool, error) {
	owner := ownsEvent(currentAccount(r), e) || a.moderatesEventGroup(r.Context(), currentAccount(r), e)
	if owner {
		return e, true, nil
	}
	// Administrators read an event held for review before approving it.
	if acc := currentAccount(r); acc != nil && acc.IsAdmin && e.Draft {
		if held, err := a.store.IsEventHeld(r.Context(), e.ID); err == nil && held {
			return e, false, nil
		}
	}
	if e.Visibility == store.VisibilityPrivate || e.Draft || e.PublishedAt == nil || e.PublishedAt.After(a.now()) {
		return nil, false, errNotFound()
	}
	return e, false, nil
}

func ownsEvent(acc *store.Account, e *store.Event) bool {
	return acc != nil && e.Organizer != nil && e.Organizer.AccountID != 0 && e.Organizer.AccountID == acc.ID
}

// moderatesEventGroup tells whether the account has an identity that is
// moderator or administrator of the local group an event is organised
// for: the group's moderators create, edit and delete its events, as the
// role table of groups has it, whoever of them made the event.
func (a *App) moderatesEventGroup(ctx context.Context, acc *store.Account, e *store.Event) bool {
	if acc == nil || e.AttributedToID == 0 || e.URI != "" {
		return false
	}
	ok, err := a.store.AccountModeratesGroup(ctx, acc.ID, e.AttributedToID)
	if err != nil {
		a.log.Warn("group moderators", "event", e.UUID, "err", err)
	}
	return ok
}

// eventForOrganiser loads an event for a change only its organiser's
// account may make: logged-out visitors are sent to log in, others get a
// 403 (or a 404 when they could not even see the event).
func (a *App) eventForOrganiser(w http.ResponseWriter, r *http.Request) (*store.Event, bool, error) {
	if currentAccount(r) == nil {
		next := "/events/" + r.PathValue("uuid")
		if r.Method == http.MethodGet {
			next = r.URL.Path
		}
		return nil, false, a.redirect(w, r, "/login?next="+url.QueryEscape(next), "")
	}
	e, owner, err := a.eventForVisitor(r)
	if err != nil {
		return nil, false, err
	}
	if !owner {
		return nil, false, errForbidden("Only the organiser of this event can change it.")
	}
	return e, true, nil
}

func (a *App) showEvent(w http.ResponseWriter, r *http.Request) error {
	// Read before anything of the page: what is kept below is kept for
	// this generation, so never older than the last write.
	generation, now := a.store.Generation(), a.now()
	e, owner, err := a.eventForPage(r, generation, now)
	if err != nil {
		return err
	}
	if e.URI != "" {
		return a.showRemoteEvent(w, r, e) // published elsewhere: shown with its origin
	}
	p := a.page(r, e.Title)
	loc := e.Location()
	shown := e
	if !a.seesPrivateDetails(r, e, owner) {
		shown = e.WithoutPrivateDetails()
	}
	v := views.EventView{
		Event:           shown,
		DetailsWithheld: shown != e,
		Owner:           owner,
		Draft:           e.Draft || e.PublishedAt == nil,
	}
	// Only a listed event is for search engines; an unlisted one is
	// reachable by its link, and not meant to be found.
	p.NoIndex = !e.IsListed(now)
	// What every reader of an event anyone may read in full sees alike
	// is drawn once and kept (a.drawnEvents) until the next write, under
	// a key naming everything else it is drawn from; the rest is drawn
	// below for this reader.
	anonymous := p.Account == nil
	var key string
	var d drawnEvent
	var kept bool
	if drawnForAll(e, now) {
		key = a.drawnEventKey(r, p, e)
		d, kept = a.drawnEvents.Get(key, generation, now)
	}
	if kept {
		v.Drawn = &d.EventDrawn
		p.DrawnHead, p.DrawnFoot = d.head, d.foot
	} else {
		l := p.L
		v.Start, v.End = e.StartsAt.In(loc), e.EndsAt.In(loc)
		v.When = formatWhen(l, e.StartsAt, e.EndsAt, loc)
		if here := a.instanceLocation(r.Context()); !sameWallClock(e.StartsAt, loc, here) || !sameWallClock(e.EndsAt, loc, here) {
			v.WhenHere = formatSpan(l, e.StartsAt, e.EndsAt, here)
			v.InstanceZone = here.String()
		}
		if !v.Draft && e.PublishedAt.After(now) {
			at := e.PublishedAt.In(loc)
			v.Scheduled = l.Date(at) + ", " + l.Time(at)
		}
		a.fillEventPage(r, &v)
		p.Description = e.Address.OneLine()
		p.Head = views.PreviewHead(a.eventPreview(r, e))
		if key != "" {
			if d, err = drawEvent(r, p, v); err != nil {
				return err
			}
			a.drawnEvents.Put(key, generation, now, d)
			kept = true
			// Written as drawn, not drawn twice.
			v.Drawn = &d.EventDrawn
			p.DrawnHead, p.DrawnFoot = d.head, d.foot
		}
	}
	v.Series = a.seriesComponent(r, p, e, owner)
	// A visitor without an account sees the participation block and the
	// comments as every such visitor does: kept with the rest.
	if kept && anonymous && d.anonymous {
		v.Participation, v.Comments = templ.Raw(d.participation), templ.Raw(d.comments)
		if d.headerPath == p.Path {
			p.DrawnHeader = d.header
		}
		return a.render(w, r, http.StatusOK, views.EventPage(p, v))
	}
	v.Participation = a.participationComponent(r, p, e)
	if !v.Draft && announced(e) {
		v.Comments = a.commentsComponent(r, p, e)
	}
	// (Both are nil only when they could not be read: not kept then. An
	// event drawn for all is announced, so it shows comments.)
	if kept && anonymous && v.Participation != nil && v.Comments != nil {
		if err := drawForAnonymous(r, &d, p, v); err != nil {
			return err
		}
		a.drawnEvents.Put(key, generation, now, d)
		v.Participation, v.Comments = templ.Raw(d.participation), templ.Raw(d.comments)
		p.DrawnHeader = d.header
	}
	return a.render(w, r, http.StatusOK, views.EventPage(p, v))
}

// drawnEvent is what an event page shows every reader alike, drawn: the
// page's parts, its <head> and its footer; and, once a visitor without
// an account asked (anonymous), the participation block, comments and
// header such visitors see (the header for headerPath).
type drawnEvent struct {
	views.EventDrawn
	head, foot                      string
	anonymous                       bool
	participation, comments, header string
	headerPath                      string
}

// drawnForAll tells whether e's page may be drawn once for everyone:
// an event anyone may read in full (readableByAll) that keeps no details
// for its participants (so never an approval-only or invitation event),
// whoever reads it.
func drawnForAll(e *store.Event, now time.Time) bool {
	return readableByAll(e, now) && !e.KeepsDetailsPrivate()
}

// drawnEventKey names what e's kept page is drawn from besides the store
// (read at the generation it is kept for): the language, the instance's
// settings it shows (its zone, name, colours and logo, whether people may
// join without an account), whether the page is for search engines, and
// the event's join state at this hour (an event that ends closes).
func (a *App) drawnEventKey(r *http.Request, p views.Page, e *store.Event) string {
	ctx := r.Context()
	closed := ""
	if reason := a.joinClosedReason(e); reason != nil {
		closed = reason.message
	}
	return strings.Join([]string{e.UUID, p.L.Lang, a.instanceLocation(ctx).String(), p.SiteName, p.ThemeURL, p.LogoURL,
		strconv.FormatBool(p.NoIndex), closed, a.anonymousOffReason(ctx, p.L, e)}, "\x00")
}

// drawEvent draws the parts of v's page that are the same for every
// reader (views.EventDrawn), its head and its footer.
func drawEvent(r *http.Request, p views.Page, v views.EventView) (drawnEvent, error) {
	var d drawnEvent
	err := drawParts(r, []drawnPart{
		{views.EventTop(p, v), &d.Top},
		{views.EventJoinIntro(p, v), &d.JoinIntro},
		{views.EventMain(p, v), &d.Main},
		{views.EventPeople(p, v), &d.People},
		{views.EventSide(p, v), &d.Side},
		{views.EventLayoutHead(p), &d.head},
		{views.LayoutFoot(p), &d.foot},
	})
	return d, err
}

// drawForAnonymous adds to d the participation block, the comments and
// the page's header of v, drawn for a visitor without an account (the
// header for p.Path: its "Log in" comes back there).
func drawForAnonymous(r *http.Request, d *drawnEvent, p views.Page, v views.EventView) error {
	err := drawParts(r, []drawnPart{{v.Participation, &d.participation}, {v.Comments, &d.comments}, {views.LayoutHeader(p), &d.header}})
	if err != nil {
		return err
	}
	d.anonymous, d.headerPath = true, p.Path
	return nil
}

// drawnPart is a component to draw and where its HTML goes.
type drawnPart struct {
	c  templ.Component
	to *string
}

// drawParts draws each part into its string (through one pooled buffer).
func drawParts(r *http.Request, parts []drawnPart) error {
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledRenderBuffer {
			buf.Reset()
			renderBuffers.Put(buf)
		}
	}()
	for _, part := range parts {
		buf.Reset()
		if err := part.c.Render(r.Context(), buf); err != nil {
			return err
		}
		*part.to = buf.String()
	}
	return nil
}

// renderWithAnotherLinkRow answers "Add another link": the form as typed,
// nothing saved, with an empty row after the filled ones (the form read
// keeps exactly one).
func (a *App) renderWithAnotherLinkRow(w http.ResponseWriter, r *http.Request, title string, f views.EventForm) error {
	f.Links = withOneEmptyLinkRow(f.Links)
	return a.renderEventForm(w, r, http.StatusOK, title, f, views.FieldErrors{})
}

// formatWhen writes the date line of an event in loc, naming the zone:
// "Saturday 14 March 2026, 19:00 – 21:00 (Europe/Paris)".
func formatWhen(l *i18n.Printer, start, end time.Time, loc *time.Location) string {
	return formatSpan(l, start, end, loc) + " (" + loc.String() + ")"
}

// formatSpan writes start and end as read on a clock in loc, with the
// end's day too when it ends another day; the start alone for an event
// without an end (one ending when it starts, store.Event.HasEnd).
func formatSpan(l *i18n.Printer, start, end time.Time, loc *time.Location) string {
	s, e := start.In(loc), end.In(loc)
	out := l.Date(s) + ", " + l.Time(s)
	if e.Equal(s) {
		return out
	}
	out += " – "
	if y, m, d := s.Date(); e.Year() != y || e.Month() != m || e.Day() != d {
		out += l.Date(e) + ", "
	}
	return out + l.Time(e)
}

// sameWallClock tells whether the clocks of two zones read the same at t.
func sameWallClock(t time.Time, a, b *time.Location) bool {
	_, oa := t.In(a).Zone()
	_, ob := t.In(b).Zone()
	return oa == ob
}

func (a *App) showNewEvent(w http.ResponseWriter, r *http.Request) error {
	if currentIdentity(r) == nil {
		return a.redirect(w, r, "/login?next="+url.QueryEscape("/events/new"), "")
	}
	l := a.printer(r)
	f := newEventForm(a.now(), a.instanceLocation(r.Context()))
	f.Group = r.URL.Query().Get("group")
	if err := a.eventGroupChoices(r, &f); err != nil {
		return err
	}
	return a.renderEventForm(w, r, http.StatusOK, l.T("New event"), f, nil)
}

func (a *App) renderEventForm(w http.ResponseWriter, r *http.Request, status int, title string, f views.EventForm, errs views.FieldErrors) error {
	f.Zones = commonZones
	f.PlaceFinder.On = a.geocoder != nil
	if err := a.knownPlaces(r.Context(), &f); err != nil {
		return err
	}
	p := a.page(r, title)
	p.NoIndex = true
	return a.render(w, r, status, views.EventFormPage(p, f, errs))
}

func (a *App) createEvent(w http.ResponseWriter, r *http.Request) error {
	identity := currentIdentity(r)
	if identity == nil {
		return a.redirect(w, r, "/login?next="+url.QueryEscape("/events/new"), "")
	}
	l := a.printer(r)
	form, banner, bannerName, bodyErrs, status := readEventFormBody(l, r)
	e, f, errs := parseEventForm(l, form, a.instanceLocation(r.Context()))
	f.Action = "/events"
	repeat, repeatForm, repeatErrs := parseRepeatForm(l, form, e.StartsAt.In(e.Location()))
	f.Repeat = repeatForm
	for k, v := range repeatErrs {
		errs[k] = v
	}
	f.Group = form.Get("group")
	if err := a.eventGroupChoices(r, &f); err != nil {
		return err
	}
	findPlace, addLink := form.Has("find_place"), form.Get("add_link") != ""
	groupID := int64(0)
	if !findPlace && !addLink {
		id, msg, err := a.eventGroup(r, identity, f.Group)
		if err != nil {
			return err
		}
		if msg != "" {
			errs["group"] = msg
		}
		groupID = id
		a.askPastStart(l, form, &f, errs, a.instanceLocation(r.Context()), nil)
	}
	chosen, status, err := a.eventBanner(r, l, identity.ID, banner, bannerName, form, &f, bodyErrs, status, errs, findPlace || addLink)
	if err != nil {
		return err
	}
	if findPlace {
		return a.findPlaceInForm(w, r, l.T("New event"), f)
	}
	if addLink {
		return a.renderWithAnotherLinkRow(w, r, l.T("New event"), f)
	}
	if len(errs) > 0 {
		return a.renderEventForm(w, r, status, l.T("New event"), f, errs)
	}
	e.OrganizerID = identity.ID
	e.AttributedToID = groupID
	e.Language = l.Lang
	e.BannerID = chosen.MediaID
	if err := a.claimBanner(r.Context(), identity.ID, chosen); err != nil {
		return err
	}
	now := a.now().UTC().Truncate(time.Second)
	if !e.Draft && e.PublishedAt == nil {
		e.PublishedAt = &now
	}
	if err := a.placeOfEvent(r.Context(), identity.ID, &e); err != nil {
		return err
	}
	mapNote := a.geocodeOnSave(r.Context(), l, &e.Address)
	held, err := a.holdIfNew(r.Context(), identity.ID, &e)
	if err != nil {
		return err
	}
	if err := a.createEventAndAnnounce(r.Context(), &e); err != nil {
		return err
	}
	if held {
		if err := a.store.HoldEvent(r.Context(), e.ID); err != nil {
			return err
		}
		return a.redirect(w, r, "/events/"+e.UUID, withNote(l.T("Your event is saved. The first events of a new account are reviewed by a moderator: it will be listed once approved."), mapNote))
	}
	if repeat != nil {
		if _, err := a.makeSeries(r.Context(), &e, *repeat); err != nil {
			return err
		}
	}
	return a.redirect(w, r, "/events/"+e.UUID, withNote(publicationFlash(l, &e, now), mapNote))
}

// withNote adds a second sentence to a flash message, when there is one.
func withNote(flash, note string) string {
	if note == "" {
		return flash
	}
	return flash + " " + note
}

func publicationFlash(l *i18n.Printer, e *store.Event, now time.Time) string {
	switch {
	case e.Draft:
		return l.T("Saved as a draft: only you can see it.")
	case e.PublishedAt != nil && e.PublishedAt.After(now):
		at := e.PublishedAt.In(e.Location())
		return l.T("Saved. It will be published on %s at %s.", l.Date(at), l.Time(at))
	}
	return l.T("The event is published.")
}

// readEventFormBody reads the event form, sent as multipart (with the
// banner) or URL-encoded. It reads the parts one by one rather than with
// ParseMultipartForm, so that a picture too big for us still leaves the
// fields read before it (shown back to the person) and a clear message
// next to the banner, instead of losing the whole form. errs holds what
// went wrong reading the body ("banner", or "form" for the whole form),
// and status the status to answer with when anything is wrong.
func readEventFormBody(l *i18n.Printer, r *http.Request) (form url.Values, banner []byte, bannerName string, errs views.FieldErrors, status int) {
	errs = views.FieldErrors{}
	status = http.StatusUnprocessableEntity
	incomplete := func(err error) (url.Values, []byte, string, views.FieldErrors, int) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) || errors.Is(err, multipart.ErrMessageTooLarge) {
			if !errs.Has("banner") {
				errs["form"] = l.T("The form was too big to be read in full (a picture is at most %d MB). Check it and send it again.", maxUploadBytes>>20)
			}
			return form, nil, "", errs, http.StatusRequestEntityTooLarge
		}
		errs["form"] = l.T("The form arrived incomplete. Check it and send it again.")
		return form, nil, "", errs, http.StatusBadRequest
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "multipart/form-data" {
		if err := r.ParseForm(); err != nil {
			form = url.Values{}
			return incomplete(err)
		}
		return r.PostForm, nil, "", errs, status
	}
	form = url.Values{}
	mr, err := r.MultipartReader()
	if err != nil {
		return incomplete(err)
	}
	const maxFieldBytes = 128 << 10
	var fieldBytes int
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return form, banner, bannerName, errs, status
		}
		if err != nil {
			return incomplete(err)
		}
		name := part.FormName()
		if part.FileName() != "" || name == "banner" {
			if name != "banner" || banner != nil || errs.Has("banner") {
				if _, err := io.Copy(io.Discard, part); err != nil {
					return incomplete(err)
				}
				continue
			}
			data, err := io.ReadAll(io.LimitReader(part, maxUploadBytes+1))
			if err != nil {
				return incomplete(err)
			}
			if len(data) > maxUploadBytes {
				errs["banner"] = msgImageTooBig(l)
				status = http.StatusRequestEntityTooLarge
				// The rest of the picture is read (and dropped) to reach
				// the fields after it; the body limit stops a picture far
				// too big, and then the fields read so far are shown back.
				if _, err := io.Copy(io.Discard, part); err != nil {
					return incomplete(err)
				}
				continue
			}
			banner, bannerName = data, part.FileName()
			continue
		}
		value, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
		if err != nil {
			return incomplete(err)
		}
		fieldBytes += len(value)
		if len(value) > maxFieldBytes || fieldBytes > 8*maxFieldBytes {
			errs["form"] = l.T("The form has too much text to be read. Shorten it and send it again.")
			return form, nil, "", errs, http.StatusRequestEntityTooLarge
		}
		form.Add(name, string(value))
	}
}

func (a *App) showEditEvent(w http.ResponseWriter, r *http.Request) error {
	e, ok, err := a.eventForOrganiser(w, r)
	if !ok || err != nil {
		return err
	}
	l := a.printer(r)
	f := eventFormFrom(e, a.now())
	f.Repeat.InSeries = a.inSeries(r.Context(), e)
	return a.renderEventForm(w, r, http.StatusOK, l.T("Edit “%s”", e.Title), f, nil)
}

func (a *App) updateEvent(w http.ResponseWriter, r *http.Request) error {
	old, ok, err := a.eventForOrganiser(w, r)
	if !ok || err != nil {
		return err
	}
	l := a.printer(r)
	form, banner, bannerName, bodyErrs, status := readEventFormBody(l, r)
	e, f, errs := parseEventForm(l, form, a.instanceLocation(r.Context()))
	f.Action, f.Editing, f.UUID = "/events/"+old.UUID+"/edit", true, old.UUID
	f.BannerUUID = old.BannerUUID
	f.Repeat.InSeries = a.inSeries(r.Context(), old)
	f.Repeat.Scope = form.Get("series_scope")
	now := a.now().UTC().Truncate(time.Second)
	f.Published = !old.Draft && old.PublishedAt != nil && !old.PublishedAt.After(now)
	findPlace, addLink := form.Has("find_place"), form.Get("add_link") != ""
	if !findPlace && !addLink {
		a.askPastStart(l, form, &f, errs, a.instanceLocation(r.Context()), &old.StartsAt)
	}
	identityID := currentIdentity(r).ID
	chosen, status, err := a.eventBanner(r, l, identityID, banner, bannerName, form, &f, bodyErrs, status, errs, findPlace || addLink)
	if err != nil {
		return err
	}
	if findPlace {
		return a.findPlaceInForm(w, r, l.T("Edit “%s”", old.Title), f)
	}
	if addLink {
		return a.renderWithAnotherLinkRow(w, r, l.T("Edit “%s”", old.Title), f)
	}
	if len(errs) > 0 {
		return a.renderEventForm(w, r, status, l.T("Edit “%s”", old.Title), f, errs)
	}
	if err := a.claimBanner(r.Context(), identityID, chosen); err != nil {
		return err
	}
	e.ID, e.UUID, e.OrganizerID = old.ID, old.UUID, old.OrganizerID
	e.Language, e.Sequence, e.CreatedAt = old.Language, old.Sequence, old.CreatedAt
	switch {
	case chosen.MediaID != 0:
		e.BannerID = chosen.MediaID
	case f.RemoveBanner:
		e.BannerID = 0
	default:
		e.BannerID = old.BannerID
	}
	if !e.Draft && e.PublishedAt == nil {
		// "Published" keeps the first publication time; a draft or a
		// scheduled event published now gets now.
		if f.Published {
			e.PublishedAt = old.PublishedAt
		} else {
			e.PublishedAt = &now
		}
	}
	if err := a.placeOfEvent(r.Context(), old.OrganizerID, &e); err != nil {
		return err
	}
	mapNote := a.geocodeOnSave(r.Context(), l, &e.Address)
	held, err := a.holdOnEdit(r.Context(), old, &e)
	if err != nil {
		return err
	}
	if err := a.updateEventAndAnnounce(r.Context(), old, &e); err != nil {
		return err
	}
	if f.Repeat.InSeries && f.Repeat.Scope == "following" {
		if err := a.updateFollowingOccurrences(r.Context(), &e); err != nil {
			return err
		}
	}
	flash := l.T("Your changes are saved.")
	if !f.Published {
		flash = publicationFlash(l, &e, now)
	}
	if held {
		flash = l.T("Your changes are saved. The first events of a new account are reviewed by a moderator: it will be listed once approved.")
	}
	return a.redirect(w, r, "/events/"+e.UUID, withNote(flash, mapNote))
}

func (a *App) publishEvent(w http.ResponseWriter, r *http.Request) error {
	e, ok, err := a.eventForOrganiser(w, r)
	if !ok || err != nil {
		return err
	}
	now := a.now().UTC().Truncate(time.Second)
	old := *e
	e.Draft = false
	e.PublishedAt = &now
	held, err := a.holdOnEdit(r.Context(), &old, e)
	if err != nil {
		return err
	}
	if held {
		return a.redirect(w, r, "/events/"+e.UUID, a.printer(r).T("The first events of a new account are reviewed by a moderator: this one will be listed once approved."))
	}
	if err := a.updateEventAndAnnounce(r.Context(), &old, e); err != nil {
		return err
	}
	return a.redirect(w, r, "/events/"+e.UUID, a.printer(r).T("The event is published."))
}

func (a *App) cancelEvent(w http.ResponseWriter, r *http.Request) error {
	e, ok, err := a.eventForOrganiser(w, r)
	if !ok || err != nil {
		return err
	}
	old := *e
	e.Status = store.StatusCancelled
	if err := a.updateEventAndAnnounce(r.Context(), &old, e); err != nil {
		return err
	}
	return a.redirect(w, r, "/events/"+e.UUID, a.printer(r).T("The event is cancelled. Its page stays, marked as cancelled."))
}

func (a *App) showDeleteEvent(w http.ResponseWriter, r *http.Request) error {
	e, ok, err := a.eventForOrganiser(w, r)
	if !ok || err != nil {
		return err
	}
	p := a.page(r, a.printer(r).T("Delete “%s”?", e.Title))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.DeleteEventPage(p, e))
}

func (a *App) deleteEvent(w http.ResponseWriter, r *http.Request) error {
	e, ok, err := a.eventForOrganiser(w, r)
	if !ok || err != nil {
		return err
	}
	if err := a.deleteEventAndAnnounce(r.Context(), e); err != nil {
		return err
	}
	return a.redirect(w, r, "/", a.printer(r).T("The event “%s” is deleted.", e.Title))
}
