package geocode

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// lyonAnswer is Nominatim's documented JSON shape (format=json: an array,
// coordinates as strings), for Lyon.
const lyonAnswer = `[{"place_id":88701836,"licence":"Data © OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright",
 "osm_type":"relation","osm_id":120965,"boundingbox":["45.7073666","45.8082628","4.7718134","4.8983774"],
 "lat":"45.7578137","lon":"4.8320114","display_name":"Lyon, Métropole de Lyon, Rhône, Auvergne-Rhône-Alpes, France métropolitaine, France",
 "class":"boundary","type":"administrative","importance":0.8},
 {"place_id":1,"lat":"44.5","lon":"not a number","display_name":"Broken candidate"},
 {"place_id":2,"lat":"38.0","lon":"-85.7","display_name":"Lyon, Kentucky, United States"}]`

// nominatim is a local stand-in for a Nominatim server: it answers by
// query and remembers what it was asked, and when (on the test's clock).
type nominatim struct {
	t     *testing.T
	clock *fakeClock
	mu    sync.Mutex
	asked []string
	at    []time.Time
}

func (n *nominatim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n.mu.Lock()
	n.asked = append(n.asked, q.Get("q"))
	n.at = append(n.at, n.clock.Now())
	n.mu.Unlock()
	if r.URL.Path != "/search" || q.Get("format") != "json" || r.Header.Get("User-Agent") == "" {
		n.t.Errorf("asked %s with User-Agent %q", r.URL, r.Header.Get("User-Agent"))
	}
	w.Header().Set("Content-Type", "application/json")
	switch q.Get("q") {
	case "Lyon, France":
		w.Write([]byte(lyonAnswer))
	case "Nowhere at all":
		w.Write([]byte(`[]`))
	case "Broken":
		w.Write([]byte(`<html>Bad gateway</html>`))
	case "Object":
		w.Write([]byte(`{"error":"Unable to geocode"}`))
	case "Bad coordinates":
		w.Write([]byte(`[{"lat":"91.5","lon":"4.8","display_name":"North of the pole"}]`))
	case "Down":
		http.Error(w, "down", http.StatusServiceUnavailable)
	case "Slow":
		time.Sleep(Timeout + time.Second)
		w.Write([]byte(lyonAnswer))
	default:
		w.Write([]byte(`[{"lat":"1","lon":"2","display_name":"` + q.Get("q") + `"}]`))
	}
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type mapCache struct {
	mu sync.Mutex
	m  map[string][]Place
}

func (c *mapCache) GeocodeCached(_ context.Context, key string, _ time.Time) ([]Place, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.m[key]
	return p, ok, nil
}

func (c *mapCache) SaveGeocode(_ context.Context, key string, places []Place) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = places
	return nil
}

// newTestClient is a client of a local Nominatim whose waits move a fake
// clock instead of sleeping.
func newTestClient(t *testing.T) (*Client, *nominatim, *fakeClock) {
	clock := &fakeClock{now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	n := &nominatim{t: t, clock: clock}
	srv := httptest.NewServer(n)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "Convene/test (+http://events.example)", &mapCache{m: map[string][]Place{}})
	if err != nil {
		t.Fatal(err)
	}
	c.Now = clock.Now
	c.Sleep = func(_ context.Context, d time.Duration) error { clock.Advance(d); return nil }
	return c, n, clock
}

func TestSearchReadsNominatimAnswers(t *testing.T) {
	c, n, _ := newTestClient(t)
	ctx := context.Background()
	places, err := c.Search(ctx, "Lyon, France", "fr")
	if err != nil {
		t.Fatal(err)
	}
	// The candidate with a broken longitude is left out, not the others.
	if len(places) != 2 || places[0].Lat != 45.7578137 || places[0].Lon != 4.8320114 || places[1].Lon != -85.7 {
		t.Fatalf("places %+v", places)
	}
	if places[0].Name == "" {
		t.Errorf("no name")
	}
	// Asked again, with other case and spacing: the cache answers.
	if again, err := c.Search(ctx, "  lyon,   FRANCE ", "fr"); err != nil || len(again) != 2 {
		t.Errorf("second search: %v %v", again, err)
	}
	if len(n.asked) != 1 {
		t.Errorf("the service was asked %d times, want once: %v", len(n.asked), n.asked)
	}
	// "Not found" is an answer too, kept as such.
	for range 2 {
		if none, err := c.Search(ctx, "Nowhere at all", "fr"); err != nil || len(none) != 0 {
			t.Errorf("nowhere: %v %v", none, err)
		}
	}
	if len(n.asked) != 2 {
		t.Errorf("a place not found was asked again: %v", n.asked)
	}
}

func TestSearchRefusesMalformedAnswers(t *testing.T) {
	c, n, _ := newTestClient(t)
	ctx := context.Background()
	for q, want := range map[string]error{
		"Broken":          ErrMalformed,
		"Object":          ErrMalformed,
		"Bad coordinates": ErrMalformed,
		"Down":            ErrUnavailable,
	} {
		if _, err := c.Search(ctx, q, "en"); !errors.Is(err, want) {
			t.Errorf("%s: error %v, want %v", q, err, want)
		}
	}
	// Failures are not remembered: the next save asks again.
	asked := len(n.asked)
	c.Search(ctx, "Down", "en")
	if len(n.asked) != asked+1 {
		t.Errorf("a failure was cached")
	}
}

func TestSearchKeepsOneRequestPerSecond(t *testing.T) {
	c, n, clock := newTestClient(t)
	start := clock.Now()
	ctx := context.Background()
	for _, q := range []string{"a place", "b place", "c place"} {
		if _, err := c.Search(ctx, q, "en"); err != nil {
			t.Fatal(err)
		}
	}
	for i, at := range n.at {
		if want := start.Add(time.Duration(i) * Interval); !at.Equal(want) {
			t.Errorf("request %d sent at +%v, want +%v", i, at.Sub(start), want.Sub(start))
		}
	}

	// A burst from many organisers at once: each waits its turn, and
	// those whose turn is too far off give up rather than hold a form.
	c2, n2, _ := newTestClient(t)
	c2.Sleep = func(context.Context, time.Duration) error { return nil } // no time passes
	var busy int
	for i := range 6 {
		_, err := c2.Search(ctx, "burst "+string(rune('a'+i)), "en")
		if errors.Is(err, ErrBusy) {
			busy++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if len(n2.asked) != 4 || busy != 2 {
		t.Errorf("burst: %d requests sent, %d busy; want 4 sent (now and the next 3 seconds) and 2 busy", len(n2.asked), busy)
	}
}

func TestSearchGivesUpOnASlowService(t *testing.T) {
	t.Parallel()
	c, _, _ := newTestClient(t)
	// The service answers a second after the timeout: the client has
	// given up by then.
	_, err := c.Search(context.Background(), "Slow", "en")
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("slow service: %v, want ErrUnavailable", err)
	}
}

func TestNewRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"", "nominatim.example", "ftp://x/", "http://"} {
		if _, err := New(u, "ua", &mapCache{}); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	c, err := New("https://nominatim.openstreetmap.org/", "ua", &mapCache{})
	if err != nil || c.search.String() != "https://nominatim.openstreetmap.org/search" {
		t.Errorf("search URL %v %v", c.search, err)
	}
}
