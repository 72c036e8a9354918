package app

// Feeds and subscribable calendars. Every public list of events has an
// RSS, an Atom and an iCalendar twin:
//
//	/feed.rss  /feed.atom  /calendar.ics                 the instance
//	/feeds/@alice.rss|.atom|.ics                         one identity
//	/feeds/tags/folk.rss|.atom|.ics                      one tag
//	/feeds/categories/music.rss|.atom|.ics               one category
//	/places/3/feed.rss|feed.atom|calendar.ics            one place (app/places.go)
//	/feeds/private/SECRET.ics                            "events I'm going to"
//	/events/{uuid}/calendar.ics                          one event
//
// ServeMux wildcards take whole path segments, and /@alice is the identity
// page, so feeds live under /feeds/ where "@alice.rss" is one segment.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"convene/app/i18n"
	"convene/app/store"
	"convene/views"

	"github.com/gorilla/feeds"
)

// feedItems is how many events an RSS or Atom feed carries: feed readers
// want what is new, not the whole history (calendars get everything).
const feedItems = 50

// feedCacheControl lets readers and proxies keep a feed a few minutes;
// conditional GETs make re-checks cheap after that.
const feedCacheControl = "public, max-age=600"

// Feed formats and their media types.
const (
	formatRSS  = "rss"
	formatAtom = "atom"
	formatICS  = "ics"

	typeRSS  = "application/rss+xml"
	typeAtom = "application/atom+xml"
	typeICS  = "text/calendar"
)

// feedScope is one list of events that has feeds: what it is called, where
// its page is, which events it holds and where its feeds live.
type feedScope struct {
	key      string // distinguishes scopes in ETags
	title    string
	pageURL  string // the HTML page the feed mirrors (absolute)
	basePath string // the feeds' path without the extension
	// dir, without basePath, is the folder of feed.rss, feed.atom and
	// calendar.ics ("": the instance's, at the root).
	dir   string
	query store.FeedQuery
}

func (s feedScope) path(format string) string {
	if s.basePath != "" {
		return s.basePath + "." + format
	}
	if format == formatICS {
		return s.dir + "/calendar.ics"
	}
	return s.dir + "/feed." + format
}

// feedPrinter is the language feeds are written in: the instance's, not the
// visitor's, so that one URL always gives the same document to caches.
func (a *App) feedPrinter(r *http.Request) *i18n.Printer {
	return i18n.For(a.setting(r.Context(), SettingLanguage))
}

func (a *App) instanceScope(r *http.Request) feedScope {
	return feedScope{
		key:     "instance",
		title:   a.setting(r.Context(), SettingName),
		pageURL: a.URL("/"),
		query:   store.FeedQuery{Now: a.now()},
	}
}

func (a *App) identityScope(r *http.Request, username string) (feedScope, error) {
	actor, err := a.store.LocalActorByUsername(r.Context(), username)
	if err != nil {
		return feedScope{}, err
	}
	return a.identityScopeOf(r, actor), nil
}

func (a *App) identityScopeOf(r *http.Request, actor *store.Actor) feedScope {
	l := a.feedPrinter(r)
	return feedScope{
		key:      "identity:" + strconv.FormatInt(actor.ID, 10),
		title:    l.T("Events by %s", actor.Name()) + " · " + a.setting(r.Context(), SettingName),
		pageURL:  a.URL("/@" + actor.Username),
		basePath: "/feeds/@" + actor.Username,
		query:    store.FeedQuery{Now: a.now(), OrganizerID: actor.ID},
	}
}

// tagScope accepts the tags the tag page accepts.
func (a *App) tagScope(r *http.Request, tag string) (feedScope, error) {
	if tag == "" || validText(nil, tag, 100, false) != "" || strings.ContainsAny(tag, "/ ") {
		return feedScope{}, errNotFound()
	}
	l := a.feedPrinter(r)
	return feedScope{
		key:      "tag:" + tag,
		title:    l.T("Events tagged #%s", tag) + " · " + a.setting(r.Context(), SettingName),
		pageURL:  a.URL("/tags/" + url.PathEscape(tag)),
		basePath: "/feeds/tags/" + url.PathEscape(tag),
		query:    store.FeedQuery{Now: a.now(), Tag: tag},
	}, nil
}

func (a *App) categoryScope(r *http.Request, category string) (feedScope, error) {
	if !slices.Contains(store.Categories, category) {
		return feedScope{}, errNotFound()
	}
	l := a.feedPrinter(r)
	return feedScope{
		key:      "category:" + category,
		title:    l.T("Events in the category %s", views.CategoryName(l, category)) + " · " + a.setting(r.Context(), SettingName),
		pageURL:  a.URL("/categories/" + category),
		basePath: "/feeds/categories/" + category,
		query:    store.FeedQuery{Now: a.now(), Category: category},
	}, nil
}

// splitFeedFile splits "name.rss" into its name and a known format.
func splitFeedFile(file string) (name, format string, ok bool) {
	i := strings.LastIndexByte(file, '.')
	if i <= 0 {
		return "", "", false
	}
	name, format = file[:i], file[i+1:]
	switch format {
	case formatRSS, formatAtom, formatICS:
		return name, format, true
	}
	return "", "", false
}

func (a *App) showInstanceRSS(w http.ResponseWriter, r *http.Request) error {
	return a.serveFeed(w, r, a.instanceScope(r), formatRSS)
}

func (a *App) showInstanceAtom(w http.ResponseWriter, r *http.Request) error {
	return a.serveFeed(w, r, a.instanceScope(r), formatAtom)
}

func (a *App) showInstanceCalendar(w http.ResponseWriter, r *http.Request) error {
	return a.serveFeed(w, r, a.instanceScope(r), formatICS)
}

// showIdentityFeed serves /feeds/@alice.rss and its siblings.
func (a *App) showIdentityFeed(w http.ResponseWriter, r *http.Request) error {
	name, format, ok := splitFeedFile(r.PathValue("file"))
	if !ok || !strings.HasPrefix(name, "@") {
		return errNotFound()
	}
	scope, err := a.identityScope(r, strings.TrimPrefix(name, "@"))
	if err != nil {
		return err
	}
	return a.serveFeed(w, r, scope, format)
}

func (a *App) showTagFeed(w http.ResponseWriter, r *http.Request) error {
	name, format, ok := splitFeedFile(r.PathValue("file"))
	if !ok {
		return errNotFound()
	}
	scope, err := a.tagScope(r, name)
	if err != nil {
		return err
	}
	return a.serveFeed(w, r, scope, format)
}

func (a *App) showCategoryFeed(w http.ResponseWriter, r *http.Request) error {
	name, format, ok := splitFeedFile(r.PathValue("file"))
	if !ok {
		return errNotFound()
	}
	scope, err := a.categoryScope(r, name)
	if err != nil {
		return err
	}
	return a.serveFeed(w, r, scope, format)
}

// serveFeed answers a conditional GET from the feed's state alone, and
// otherwise writes the feed.
func (a *App) serveFeed(w http.ResponseWriter, r *http.Request, scope feedScope, format string) error {
	ctx := r.Context()
	state, err := a.store.FeedState(ctx, scope.query)
	if err != nil {
		return err
	}
	etag := feedETag(format, scope.key, strconv.Itoa(state.Count), strconv.FormatInt(state.LastModified.Unix(), 10),
		scope.title, a.setting(ctx, SettingDescription), a.setting(ctx, SettingLanguage), Version)
	w.Header().Set("Cache-Control", feedCacheControl)
	if notModified(w, r, etag, state.LastModified) {
		return nil
	}
	switch format {
	case formatICS:
		return a.writeCalendar(w, r, scope)
	default:
		return a.writeFeed(w, r, scope, format, state)
	}
}

// feedETag is a strong validator made of everything the document depends on.
func feedETag(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return `"` + hex.EncodeToString(h[:12]) + `"`
}

// notModified sets the validators and, when the client's copy is current,
// answers 304 and returns true. If-None-Match wins over If-Modified-Since,
// as RFC 9110 says.
func notModified(w http.ResponseWriter, r *http.Request, etag string, lastModified time.Time) bool {
	h := w.Header()
	h.Set("ETag", etag)
	if !lastModified.IsZero() {
		h.Set("Last-Modified", lastModified.UTC().Format(http.TimeFormat))
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, candidate := range strings.Split(inm, ",") {
			candidate = strings.TrimPrefix(strings.TrimSpace(candidate), "W/")
			if candidate == etag || candidate == "*" {
				w.WriteHeader(http.StatusNotModified)
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && !lastModified.IsZero() {
		if t, err := http.ParseTime(ims); err == nil && !lastModified.Truncate(time.Second).After(t) {
			w.WriteHeader(http.StatusNotModified)
			return true
		}
	}
	return false
}

// writeFeed writes an RSS 2.0 or Atom document of the scope's latest events.
func (a *App) writeFeed(w http.ResponseWriter, r *http.Request, scope feedScope, format string, state store.FeedState) error {
	events, err := a.store.RecentlyPublished(r.Context(), scope.query, feedItems)
	if err != nil {
		return err
	}
	l := a.feedPrinter(r)
	feed := &feeds.Feed{
		Title:       scope.title,
		Link:        &feeds.Link{Href: scope.pageURL},
		Description: a.setting(r.Context(), SettingDescription),
		Id:          a.URL(scope.path(format)),
		Updated:     state.LastModified,
	}
	if feed.Updated.IsZero() {
		// An empty feed still needs a stable date, or its ETag would lie.
		feed.Updated = time.Unix(0, 0).UTC()
	}
	for _, e := range events {
		link := a.URL("/events/" + e.UUID)
		item := &feeds.Item{
			Title:       e.Title,
			Link:        &feeds.Link{Href: link},
			Id:          link,
			Description: eventSummaryLine(l, e),
			Content:     feedItemHTML(l, e),
			Updated:     e.UpdatedAt,
		}
		if e.PublishedAt != nil {
			item.Created = *e.PublishedAt
		}
		if e.Organizer != nil {
			item.Author = &feeds.Author{Name: e.Organizer.Name()}
		}
		feed.Items = append(feed.Items, item)
	}
	if format == formatAtom {
		w.Header().Set("Content-Type", typeAtom+"; charset=utf-8")
		return feed.WriteAtom(w)
	}
	w.Header().Set("Content-Type", typeRSS+"; charset=utf-8")
	return feed.WriteRss(w)
}

// eventWhen is an event's dates in its own zone, on one line:
// "Saturday 14 March 2026, 19:00 – 21:00 (Europe/Paris)".
func eventWhen(l *i18n.Printer, e *store.Event) string {
	return formatWhen(l, e.StartsAt, e.EndsAt, e.Location())
}

// eventPlace is where an event is, on one line: its address, or "Online".
func eventPlace(l *i18n.Printer, e *store.Event) string {
	switch {
	case !e.Address.IsZero() && e.HasOnlineAddress():
		return e.Address.OneLine() + " · " + l.T("Online")
	case !e.Address.IsZero():
		return e.Address.OneLine()
	case e.HasOnlineAddress():
		return l.T("Online")
	}
	return ""
}

// eventSummaryLine is the plain one-line summary readers show under a
// title: "date – zone – place".
func eventSummaryLine(l *i18n.Printer, e *store.Event) string {
	s := eventWhen(l, e)
	if p := eventPlace(l, e); p != "" {
		s += " · " + p
	}
	if e.Status == store.StatusCancelled {
		s = l.T("Cancelled") + " · " + s
	}
	return s
}

// feedItemHTML is a feed entry's body: when, where, then the description
// (already sanitised HTML).
func feedItemHTML(l *i18n.Printer, e *store.Event) string {
	e = e.WithoutPrivateDetails() // feeds are read by anyone
	var b strings.Builder
	if e.Status == store.StatusCancelled {
		fmt.Fprintf(&b, "<p><strong>%s</strong></p>", html.EscapeString(l.T("This event is cancelled.")))
	}
	fmt.Fprintf(&b, "<p><strong>%s</strong> %s</p>", html.EscapeString(l.T("When:")), html.EscapeString(eventWhen(l, e)))
	if !e.Address.IsZero() {
		fmt.Fprintf(&b, "<p><strong>%s</strong> %s</p>", html.EscapeString(l.T("Where:")), html.EscapeString(e.Address.OneLine()))
	}
	if e.OnlineURL != "" {
		fmt.Fprintf(&b, "<p><strong>%s</strong> <a href=\"%s\">%s</a></p>", html.EscapeString(l.T("Online:")),
			html.EscapeString(e.OnlineURL), html.EscapeString(e.OnlineURL))
	}
	b.WriteString(e.DescriptionHTML)
	return b.String()
}

// feedLinks are the alternate links a page with this scope advertises in
// its <head> and footer.
func (a *App) feedLinks(r *http.Request, scope feedScope) []views.FeedLink {
	l := a.printer(r)
	return []views.FeedLink{
		{Type: typeRSS, Title: l.T("RSS feed"), URL: scope.path(formatRSS)},
		{Type: typeAtom, Title: l.T("Atom feed"), URL: scope.path(formatAtom)},
		{Type: typeICS, Title: l.T("Calendar (iCal)"), URL: scope.path(formatICS)},
	}
}

// InstanceFeeds, IdentityFeeds, TagFeeds and CategoryFeeds give the pages
// of those lists their alternate links.
func (a *App) instanceFeeds(r *http.Request) []views.FeedLink {
	return a.feedLinks(r, feedScope{})
}

func (a *App) identityFeeds(r *http.Request, actor *store.Actor) []views.FeedLink {
	return a.feedLinks(r, feedScope{basePath: "/feeds/@" + actor.Username})
}

func (a *App) tagFeeds(r *http.Request, tag string) []views.FeedLink {
	return a.feedLinks(r, feedScope{basePath: "/feeds/tags/" + url.PathEscape(tag)})
}

func (a *App) categoryFeeds(r *http.Request, category string) []views.FeedLink {
	return a.feedLinks(r, feedScope{basePath: "/feeds/categories/" + category})
}

// webcalURL turns a calendar path into the webcal:// address calendar apps
// subscribe to (the same document over the instance's own scheme).
func (a *App) webcalURL(path string) string {
	u := a.URL(path)
	if i := strings.Index(u, "://"); i >= 0 {
		return "webcal" + u[i:]
	}
	return u
}
