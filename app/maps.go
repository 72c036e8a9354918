package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"convene/app/store"
	"convene/views"
)

// DefaultTileURL is OpenStreetMap's standard tile layer. Its usage policy
// suits a small instance; a busy one should run its own tile server or
// use a commercial one (README, "Maps and geocoding").
const DefaultTileURL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

// DefaultTileAttribution is the credit OpenStreetMap's tiles require.
const DefaultTileAttribution = "© OpenStreetMap contributors"

// mapTiles checks the configured tile server. Only its origin enters the
// Content-Security-Policy, and only for pictures.
func mapTiles(cfg Config) (views.MapTiles, error) {
	if cfg.TileURL == "" {
		return views.MapTiles{}, nil
	}
	u, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0", "{s}", "a").Replace(cfg.TileURL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !strings.Contains(cfg.TileURL, "{z}") {
		return views.MapTiles{}, fmt.Errorf("the tile URL %q is not an http(s) URL with {z}, {x} and {y}", cfg.TileURL)
	}
	if strings.Contains(cfg.TileURL, "{s}") {
		return views.MapTiles{}, fmt.Errorf("the tile URL %q uses {s} subdomains: give one host, so that the Content-Security-Policy can name it", cfg.TileURL)
	}
	attribution := cfg.TileAttribution
	if attribution == "" {
		attribution = DefaultTileAttribution
	}
	return views.MapTiles{URL: cfg.TileURL, Origin: u.Scheme + "://" + u.Host, Attribution: attribution}, nil
}

// maxMapEvents bounds the events one map shows.
const maxMapEvents = 1000

// showMap is the upcoming events with a place on the map, filtered like
// the calendar. Without JavaScript (and until the visitor asks for the
// map) it is the list of the same events grouped by place.
func (a *App) showMap(w http.ResponseWriter, r *http.Request) error {
	p := a.page(r, "")
	p.Title = p.T("Map of upcoming events")
	p.NoIndex = true
	q := store.SearchQuery{Now: a.now(), Placed: true, Limit: maxMapEvents + 1}
	v := views.MapView{}
	v.Filters, v.Errors = a.readEventFilters(r, p, &q)
	if len(v.Errors) > 0 {
		return a.render(w, r, http.StatusBadRequest, views.MapPage(p, v))
	}
	events, err := a.store.SearchEvents(r.Context(), q)
	if err != nil {
		return err
	}
	if len(events) > maxMapEvents {
		events, v.Truncated = events[:maxMapEvents], true
	}
	v.Places = groupByPlace(events)
	markers := make([]views.MapMarker, 0, len(events))
	for _, e := range events {
		start := e.StartsAt.In(e.Location())
		markers = append(markers, views.MapMarker{
			Lat: *e.Address.Latitude, Lon: *e.Address.Longitude, Title: e.Title,
			When: p.L.ShortDate(start) + ", " + p.L.Time(start), URL: "/events/" + e.UUID,
		})
	}
	b, err := json.Marshal(markers)
	if err != nil {
		return err
	}
	v.MarkersJSON = string(b)
	return a.render(w, r, http.StatusOK, views.MapPage(p, v))
}

// groupByPlace gathers events at the same position (to about a metre)
// and address, in the order their first event comes.
func groupByPlace(events []*store.Event) []views.MapPlace {
	var out []views.MapPlace
	index := map[string]int{}
	for _, e := range events {
		key := fmt.Sprintf("%.5f,%.5f|%s", *e.Address.Latitude, *e.Address.Longitude, strings.ToLower(e.Address.OneLine()))
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, views.MapPlace{Name: e.Address.OneLine()})
		}
		out[i].Events = append(out[i].Events, e)
	}
	return out
}
