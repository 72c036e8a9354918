package app

import (
	"net/http"
	"strconv"

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
	page := pageNumber(r)
	// Every server by default: following sources is how an instance shows
	// more than its own events; "only this instance" narrows it.
	localOnly := r.URL.Query().Get("origin") == "local"
	events, err := a.store.ListEvents(r.Context(), store.EventQuery{
		Now: a.now(), Listed: true, LocalOnly: localOnly, Limit: eventsPerPage + 1, Offset: (page - 1) * eventsPerPage,
	})
	if err != nil {
		return err
	}
	more := len(events) > eventsPerPage
	if more {
		events = events[:eventsPerPage]
	}
	base := ""
	if localOnly {
		base = "origin=local&"
	}
	p := a.page(r, "")
	p.Description = a.setting(r.Context(), SettingDescription)
	p.Feeds = a.instanceFeeds(r)
	return a.render(w, r, http.StatusOK, views.HomePage(p, views.EventList{
		Events: events, Page: page, More: more, BaseQuery: base,
	}, a.setting(r.Context(), SettingDescription), localOnly))
}
