package app

// What the event page shows around the event itself: its group, the
// people who agreed to be named, the ways to add it to a calendar and to
// share it.

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"convene/app/store"
	"convene/views"
)

// listedParticipantsShown bounds the names on an event page; the count
// says how many more are coming.
const listedParticipantsShown = 48

// fillEventPage adds to v what the event page shows around the event.
func (a *App) fillEventPage(r *http.Request, v *views.EventView) {
	ctx := r.Context()
	e := v.Event
	if e.AttributedToID != 0 {
		// Read with the event (store.fillEvents), else on its own.
		g, err := e.AttributedTo, error(nil)
		if g == nil {
			g, err = a.store.ActorByID(ctx, e.AttributedToID)
		}
		if err == nil {
			v.Group = g
			if g.IsLocal() {
				v.GroupURL = "/@" + g.Username
			} else {
				v.GroupURL = "/groups/" + g.Username + "@" + g.Domain
			}
		} else {
			a.log.Warn("event group", "event", e.UUID, "err", err)
		}
	}
	// Counted when the event was read, in this request.
	v.Going = e.Going
	if v.Going > 0 {
		var err error
		if v.Listed, err = a.store.ListedParticipants(ctx, e.ID, listedParticipantsShown); err != nil {
			a.log.Warn("listed participants", "event", e.UUID, "err", err)
		}
	}
	v.Calendar = a.calendarChoices(e, v.Group)
	v.ShareURL = a.URL("/events/" + e.UUID)
}

// calendarChoices builds the "Add to calendar" links of an event (as the
// visitor may see it: the place is its public one).
func (a *App) calendarChoices(e *store.Event, group *store.Actor) views.CalendarChoices {
	c := views.CalendarChoices{ICS: "/events/" + e.UUID + "/calendar.ics"}
	switch {
	case group != nil && group.IsLocal():
		c.Subscribe, c.SubscribeTo = a.webcalURL("/feeds/groups/"+group.Username+".ics"), group.Name()
	case group == nil && e.Organizer != nil && e.Organizer.IsLocal():
		c.Subscribe, c.SubscribeTo = a.webcalURL("/feeds/@"+e.Organizer.Username+".ics"), e.Organizer.Name()
	}
	page := a.URL("/events/" + e.UUID)
	place := e.Address.OneLine()
	if place == "" && e.OnlineURL != "" {
		place = e.OnlineURL
	}
	const googleFormat = "20060102T150405Z"
	google := url.Values{
		"action":   {"TEMPLATE"},
		"text":     {e.Title},
		"dates":    {e.StartsAt.UTC().Format(googleFormat) + "/" + e.EndsAt.UTC().Format(googleFormat)},
		"details":  {page},
		"location": {place},
		"ctz":      {e.Timezone},
	}
	c.Google = "https://calendar.google.com/calendar/render?" + google.Encode()
	outlook := url.Values{
		"path":     {"/calendar/action/compose"},
		"rru":      {"addevent"},
		"subject":  {e.Title},
		"startdt":  {e.StartsAt.UTC().Format(time.RFC3339)},
		"enddt":    {e.EndsAt.UTC().Format(time.RFC3339)},
		"body":     {page},
		"location": {place},
	}
	c.Outlook = "https://outlook.live.com/calendar/0/deeplink/compose?" + outlook.Encode()
	return c
}

// fediverseHost reads the server a visitor names to share from: a host
// name ("mastodon.social"), perhaps typed as an address or as a handle
// ("https://mastodon.social/", "@me@mastodon.social"). It accepts only a
// public-looking DNS name, so the link we make cannot point anywhere odd.
func fediverseHost(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	s, _, _ = strings.Cut(s, "/")
	if len(s) == 0 || len(s) > 253 || net.ParseIP(s) != nil || !strings.Contains(s, ".") {
		return "", false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", false
			}
		}
	}
	return s, true
}

// shareEvent: the visitor named their fediverse server; the page sends
// them to its share form (Mastodon's /share, which Misskey and others
// take too) with the title and link filled in. A page with a link rather
// than a redirect, because the form-action policy keeps form submissions
// on this site.
func (a *App) shareEvent(w http.ResponseWriter, r *http.Request) error {
	e, _, err := a.eventForVisitor(r)
	if err != nil {
		return err
	}
	l := a.printer(r)
	host, ok := fediverseHost(r.URL.Query().Get("instance"))
	if !ok {
		return errBadRequest(l.T("Type the name of your server, like mastodon.social."))
	}
	text := e.Title + "\n" + a.URL("/events/"+e.UUID)
	target := "https://" + host + "/share?" + url.Values{"text": {text}}.Encode()
	p := a.page(r, l.T("Share"))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.SharePage(p, e, host, target))
}
