package app

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"convene/app/store"

	"github.com/chromedp/chromedp"
)

// tileServer is a local map tile server: a green square for every tile,
// and a count of the tiles asked for.
type tileServer struct {
	mu    sync.Mutex
	tiles []string
}

func (s *tileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tiles = append(s.tiles, r.URL.Path)
	s.mu.Unlock()
	img := image.NewRGBA(image.Rect(0, 0, 256, 256))
	for x := range 256 {
		for y := range 256 {
			img.Set(x, y, color.RGBA{200, 230, 200, 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	w.Header().Set("Content-Type", "image/png")
	w.Write(b.Bytes())
}

func (s *tileServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tiles)
}

// An event page asks nothing of the tile server until the visitor
// presses "Show map"; then the map shows tiles from the server the
// administrator chose, with its attribution.
func TestBrowserShowMapLoadsTilesOnlyAfterTheClick(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	tiles := &tileServer{}
	tileSrv := httptest.NewServer(tiles)
	t.Cleanup(tileSrv.Close)
	ti := newTestInstance(t, func(c *Config) {
		c.TileURL = tileSrv.URL + "/{z}/{x}/{y}.png"
		c.TileAttribution = "Local tiles for tests"
	})
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	lat, lon := 45.7640, 4.8357
	e := storeEvent(t, ti, alice, func(e *store.Event) {
		e.Title = "Folk ball on the square"
		e.Address.Latitude, e.Address.Longitude = &lat, &lon
	})

	ctx := newBrowser(t)
	browserDo(t, ctx, "open the event page", chromedp.Navigate(ti.URL+"/events/"+e.UUID),
		chromedp.WaitVisible(chromedp.CSS(`.show-map`)))
	if n := tiles.count(); n != 0 {
		t.Fatalf("%d tiles asked for before the click", n)
	}
	browserDo(t, ctx, "press Show map", chromedp.Click(chromedp.CSS(`.show-map`)),
		chromedp.WaitVisible(chromedp.CSS(`.leaflet-tile-loaded`)),
		chromedp.WaitVisible(chromedp.CSS(`.leaflet-marker-icon`)))
	if tiles.count() == 0 {
		t.Errorf("no tile asked for after the click")
	}
	if credit := browserText(t, ctx, `.leaflet-control-attribution`); !strings.Contains(credit, "Local tiles for tests") {
		t.Errorf("attribution %q", credit)
	}
	screenshot(t, ctx, "event-map.png")
}

// The map of upcoming events: a list by place until "Show map", then
// clustered markers on tiles from the local server.
func TestBrowserEventsMapClustersAfterTheClick(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	tiles := &tileServer{}
	tileSrv := httptest.NewServer(tiles)
	t.Cleanup(tileSrv.Close)
	ti := nearInstance(t, func(c *Config) { c.TileURL = tileSrv.URL + "/{z}/{x}/{y}.png" })
	ctx := newBrowser(t)
	browserDo(t, ctx, "open the map page", chromedp.Navigate(ti.URL+"/map?near=45.7640,4.8357&km=25"),
		chromedp.WaitVisible(chromedp.CSS(`.show-map`)))
	if list := browserText(t, ctx, `.map-places`); !strings.Contains(list, "Villeurbanne picnic") {
		t.Errorf("the list by place: %q", list)
	}
	if n := tiles.count(); n != 0 {
		t.Fatalf("%d tiles asked for before the click", n)
	}
	browserDo(t, ctx, "press Show map", chromedp.Click(chromedp.CSS(`.show-map`)),
		chromedp.WaitVisible(chromedp.CSS(`.leaflet-tile-loaded`)),
		chromedp.WaitVisible(chromedp.CSS(`.marker-cluster, .leaflet-marker-icon`)))
	if tiles.count() == 0 {
		t.Errorf("no tile asked for after the click")
	}
}

// A visitor on a phone opens "More filters", types coordinates in the
// home page's "near" field and finds the event nearby, with its distance.
func TestBrowserPhoneFindsAnEventNear(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	ti := nearInstance(t)
	ctx := newBrowser(t)
	browserDo(t, ctx, "search near Villeurbanne at phone width",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(ti.URL+"/"),
		chromedp.Click(chromedp.CSS(`details.more-filters > summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-near`)),
		chromedp.SendKeys(chromedp.CSS(`#f-near`), "45.7719,4.8902"),
		chromedp.SendKeys(chromedp.CSS(`#f-km`), "10"),
		chromedp.Submit(chromedp.CSS(`#f-near`)),
		chromedp.WaitVisible(chromedp.CSS(`.event-cards`)))
	results := browserText(t, ctx, `.event-cards`)
	if !strings.Contains(results, "Villeurbanne picnic") || !strings.Contains(results, "0.0 km away") ||
		!strings.Contains(results, "Lyon folk ball") || strings.Contains(results, "Grenoble") {
		t.Errorf("results near Villeurbanne on a phone: %q", results)
	}
	screenshot(t, ctx, "near-phone.png")
}
