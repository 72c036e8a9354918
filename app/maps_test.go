package app

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// The tile server enters the Content-Security-Policy for pictures only,
// and only when one is configured; without one, the page offers no map
// but keeps its links to map apps.
func TestMapTilesInTheContentSecurityPolicy(t *testing.T) {
	lat, lon := 45.7640, 4.8357
	placed := func(e *store.Event) { e.Address.Latitude, e.Address.Longitude = &lat, &lon }

	ti := newTestInstance(t, func(c *Config) { c.TileURL = "https://tiles.example.org/osm/{z}/{x}/{y}.png" })
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	e := storeEvent(t, ti, alice, placed)
	res, body := ti.get(t, ti.client(), "/events/"+e.UUID)
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "img-src 'self' data: https://tiles.example.org;") {
		t.Errorf("the tile server is not allowed for pictures: %s", csp)
	}
	if strings.Count(csp, "tiles.example.org") != 1 {
		t.Errorf("the tile server is allowed for more than pictures: %s", csp)
	}
	for _, want := range []string{`class="map-placeholder"`, `data-tiles="https://tiles.example.org/osm/{z}/{x}/{y}.png"`, "Open in a map app", "See on OpenStreetMap"} {
		if !strings.Contains(body, want) {
			t.Errorf("the event page has no %s", want)
		}
	}
	// Leaflet and its licence are served from this instance.
	for _, name := range []string{"leaflet/leaflet.js", "leaflet/leaflet.css", "leaflet/LICENSE.txt", "leaflet/marker-icon.png"} {
		if res, _ := ti.get(t, ti.client(), ti.App.assets.URL(name)); res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", name, res.StatusCode)
		}
	}

	off := newTestInstance(t)
	_, bob := off.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	e = storeEvent(t, off, bob, placed)
	res, body = off.get(t, off.client(), "/events/"+e.UUID)
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:;") {
		t.Errorf("without a tile server the policy changed: %s", csp)
	}
	if strings.Contains(body, "map-placeholder") || !strings.Contains(body, "Open in a map app") {
		t.Errorf("without a tile server: a map is offered, or the map links are gone")
	}
}

func TestTileURLChecked(t *testing.T) {
	for _, u := range []string{"tiles.example.org/{z}/{x}/{y}.png", "https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://tiles.example.org/tile.png"} {
		if _, err := mapTiles(Config{TileURL: u}); err == nil {
			t.Errorf("tile URL %q accepted", u)
		}
	}
	m, err := mapTiles(Config{TileURL: DefaultTileURL})
	if err != nil || m.Origin != "https://tile.openstreetmap.org" || m.Attribution != DefaultTileAttribution {
		t.Errorf("default tiles: %+v %v", m, err)
	}
}

func TestMapPage(t *testing.T) {
	ti := nearInstance(t, func(c *Config) { c.TileURL = "https://tiles.example.org/{z}/{x}/{y}.png" })
	_, alice := ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	addEvent(t, ti, alice.ID, "Second Lyon dance", 11*24*time.Hour, placedAt(atLyon, "Lyon"))
	c := ti.client()
	body := getOK(t, ti, c, "/map")
	text := pageText(body)
	// Without JavaScript: the events grouped by place; online events
	// (no place) are not on a map.
	first, second := strings.Index(body, "Lyon folk ball"), strings.Index(body, "Second Lyon dance")
	if first < 0 || second < first || strings.Contains(body[first:second], "<h2>") || strings.Contains(text, "Online talk") {
		t.Errorf("not grouped by place: %s", text)
	}
	if strings.Count(body, "<h2>Lyon</h2>") != 2 { // the remote march's position differs: its own place
		t.Errorf("places: %d Lyon headings", strings.Count(body, "<h2>Lyon</h2>"))
	}
	for _, want := range []string{`class="events-map"`, `data-markers="[{`, `leaflet.markercluster`} {
		if !strings.Contains(body, want) {
			t.Errorf("no %s", want)
		}
	}
	// The same filters as search.
	near := getOK(t, ti, c, "/map?near=45.7640,4.8357&km=25")
	if !strings.Contains(near, "Villeurbanne picnic") || strings.Contains(near, "Grenoble hike") || !strings.Contains(near, "4.3 km away") {
		t.Errorf("the map ignores near")
	}
	if res, body := ti.get(t, c, "/map?near=91,4"); res.StatusCode != http.StatusBadRequest || fieldErrorsIn(body)["near"] == "" {
		t.Errorf("bad near on the map: %d", res.StatusCode)
	}
	// Titles reach the script as data, not markup.
	addEvent(t, ti, alice.ID, `<img src=x onerror=alert(1)>`, 12*24*time.Hour, placedAt(atLyon, "Lyon"))
	if body := getOK(t, ti, c, "/map"); strings.Contains(body, "<img src=x") {
		t.Errorf("a title reaches the page as markup")
	}
}
