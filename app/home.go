package app

import (
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

func (a *App) serveMedia(w http.ResponseWriter, r *http.Request) error {
	m, err := a.store.MediaByUUID(r.Context(), r.PathValue("uuid"))
	if err != nil {
		return err
	}
	// Our own uploads are only ever pictures we re-encoded: never serve
	// them as anything a browser or a fediverse peer would interpret.
	// Whatever a row says, only a picture type goes out: never an
	// ActivityStreams or HTML type a peer or browser would interpret.
	ct := m.ContentType
	if !strings.HasPrefix(ct, "image/") || strings.Contains(ct, "svg") || strings.ContainsAny(ct, ";,") {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	_, err = w.Write(m.Data)
	return err
}
