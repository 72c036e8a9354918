package app

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"convene/app/store"
	"convene/views"
)

const eventsPerPage = 20

// pageNumber reads ?page=N (1-based), tolerating junk.
func pageNumber(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 || n > 100000 {
		return 1
	}
	return n
}

func (a *App) showHome(w http.ResponseWriter, r *http.Request) error {
	// Read before anything of the page: what is kept below is kept for
	// this generation, so never older than the last write.
	generation, now := a.store.Generation(), a.now()
	page := pageNumber(r)
	// Every server by default: following sources is how an instance shows
	// more than its own events; "only this instance" narrows it.
	localOnly := r.URL.Query().Get("origin") == "local"
	p := a.page(r, "")
	p.Description = a.setting(r.Context(), SettingDescription)
	home := views.HomeIntro{
		Description: p.Description,
		IntroHTML:   a.setting(r.Context(), settingHomeIntroHTML),
		Admin:       p.Account != nil && p.Account.IsAdmin,
	}
	// The page is the same for every reader in a language (but for an
	// administrator's welcome): kept drawn, with its head and footer,
	// until the next write (or listCacheTTL, as the list), under a key
	// naming everything else it is drawn from.
	key := strings.Join([]string{p.L.Lang, strconv.Itoa(page), strconv.FormatBool(localOnly), strconv.FormatBool(home.Admin),
		p.SiteName, p.ThemeURL, p.LogoURL, home.Description, home.IntroHTML}, "\x00")
	if d, ok := a.drawnHomes.Get(key, generation, now); ok {
		home.Drawn = d.main
		p.DrawnHead, p.DrawnFoot = d.head, d.foot
		if p.Account == nil && d.headerPath == p.Path {
			p.DrawnHeader = d.header
		}
		return a.render(w, r, http.StatusOK, views.HomePage(p, views.EventList{}, home, localOnly))
	}
	q := store.EventQuery{Now: now, Listed: true, LocalOnly: localOnly, OnePerSeries: true}
	list, err := a.eventList(r, q, page)
	if err != nil {
		return err
	}
	if localOnly {
		list.BaseQuery = "origin=local&"
	}
	p.Feeds = a.instanceFeeds(r)
	home.Filters = a.homeFilters(r, p)
	parts := []drawnPart{
		{views.HomeMain(p, list, home, localOnly), &home.Drawn},
		{views.LayoutHead(p, nil), &p.DrawnHead},
		{views.LayoutFoot(p), &p.DrawnFoot},
	}
	if p.Account == nil {
		parts = append(parts, drawnPart{views.LayoutHeader(p), &p.DrawnHeader})
	}
	if err := drawParts(r, parts); err != nil {
		return err
	}
	d := drawnHome{main: home.Drawn, head: p.DrawnHead, foot: p.DrawnFoot}
	if p.Account == nil {
		d.header, d.headerPath = p.DrawnHeader, p.Path
	}
	a.drawnHomes.Put(key, generation, now, d)
	return a.render(w, r, http.StatusOK, views.HomePage(p, list, home, localOnly))
}

// drawnHome is the home page as every reader in a language sees it,
// drawn: inside Layout, its head and footer, and the header as a visitor
// without an account sees it at headerPath ("" when drawn for a member).
type drawnHome struct {
	main, head, foot, header, headerPath string
}

// homeFilters is the home page's search form, drawn once per language:
// it shows nothing else (no value typed, no error, the same choices), so
// it is kept for as long as the process runs.
func (a *App) homeFilters(r *http.Request, p views.Page) string {
	if s, ok := a.filtersDrawn.Load(p.L.Lang); ok {
		return s.(string)
	}
	var b strings.Builder
	if err := views.HomeFilters(p).Render(r.Context(), &b); err != nil {
		return "" // drawn with the page, then
	}
	a.filtersDrawn.Store(p.L.Lang, b.String())
	return b.String()
}

// eventList reads one page of q's events and counts the whole list, for
// the pages that list events with numbered pages.
//
// Every list read here is of listed events (public, published), the same
// for everyone, so a page of it is kept in a.lists until the next write to
// the store or for listCacheTTL, whichever comes first: reading it is most
// of a list page's time.
func (a *App) eventList(r *http.Request, q store.EventQuery, page int) (views.EventList, error) {
	if !q.Listed {
		return a.readEventList(r, q, page)
	}
	key := fmt.Sprintf("%t %d %d %q %q %d %t %t %d", q.Past, q.OrganizerID, q.GroupID, q.Tag, q.Category, q.PlaceID, q.LocalOnly, q.OnePerSeries, page)
	generation, now := a.store.Generation(), a.now()
	list, ok := a.lists.Get(key, generation, now)
	if !ok {
		var err error
		if list, err = a.readEventList(r, q, page); err != nil {
			return list, err
		}
		a.lists.Put(key, generation, now, list)
	}
	// The cards are most of drawing the page, and depend on the events
	// and the language only: drawn once per language, kept alike.
	l := a.printer(r)
	cardsKey := l.Lang + " " + key
	if html, ok := a.cards.Get(cardsKey, generation, now); ok {
		list.CardsHTML = html
		return list, nil
	}
	var b strings.Builder
	if err := views.EventCardItems(views.Page{L: l}, list.Events).Render(r.Context(), &b); err != nil {
		return list, err
	}
	list.CardsHTML = b.String()
	a.cards.Put(cardsKey, generation, now, list.CardsHTML)
	return list, nil
}

const (
	// listCacheTTL bounds how long a list can lag behind the clock (an
	// event that ends, one whose publication time comes): as the page
	// cache's.
	listCacheTTL = pageCacheTTL
	// A page of 20 events with their organisers is a few tens of KB.
	listCacheEntries = 128
)

// readEventList is eventList without the cache.
func (a *App) readEventList(r *http.Request, q store.EventQuery, page int) (views.EventList, error) {
	q.Limit, q.Offset = eventsPerPage+1, (page-1)*eventsPerPage
	events, err := a.store.ListEvents(r.Context(), q)
	if err != nil {
		return views.EventList{}, err
	}
	list := views.EventList{Events: events, Page: page}
	if list.More = len(events) > eventsPerPage; list.More {
		list.Events = events[:eventsPerPage]
	}
	// A first page that is not full needs no count: it is all there is.
	if page > 1 || list.More {
		if list.Total, err = a.store.CountEvents(r.Context(), q); err != nil {
			return views.EventList{}, err
		}
	} else {
		list.Total = len(list.Events)
	}
	return list, nil
}
