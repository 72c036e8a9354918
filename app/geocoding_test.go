package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// localNominatim stands in for a Nominatim server (the public one cannot
// be reached from tests): it answers Nominatim's documented JSON for the
// few addresses the tests use, and counts what it is asked.
type localNominatim struct {
	mu     sync.Mutex
	asked  []string
	down   bool
	agents []string
}

func (n *localNominatim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	n.mu.Lock()
	n.asked = append(n.asked, q)
	n.agents = append(n.agents, r.Header.Get("User-Agent"))
	down := n.down
	n.mu.Unlock()
	if down {
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch {
	case strings.Contains(q, "Rue de la République"):
		w.Write([]byte(`[{"place_id":123,"licence":"Data © OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright",
			"osm_type":"way","osm_id":4567,"lat":"45.7640430","lon":"4.8356590",
			"display_name":"Rue de la République, Lyon 2e, Lyon, Métropole de Lyon, Rhône, France",
			"class":"highway","type":"pedestrian","importance":0.5},
			{"place_id":124,"lat":"45.7710000","lon":"4.8900000",
			"display_name":"Rue de la République, Villeurbanne, Métropole de Lyon, Rhône, France",
			"class":"highway","type":"residential","importance":0.4}]`))
	case strings.HasPrefix(q, "Villeurbanne"):
		w.Write([]byte(`[{"place_id":125,"osm_type":"relation","osm_id":120972,"lat":"45.7719","lon":"4.8902",
			"display_name":"Villeurbanne, Métropole de Lyon, Rhône, France","class":"boundary","type":"administrative"}]`))
	default:
		w.Write([]byte(`[]`))
	}
}

// newNominatimServer serves n on loopback and returns its URL.
func newNominatimServer(t *testing.T, n *localNominatim) string {
	srv := httptest.NewServer(n)
	t.Cleanup(srv.Close)
	return srv.URL
}

func (n *localNominatim) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.asked)
}

// geocodedInstance is an instance configured with a local Nominatim,
// with alice logged in.
func geocodedInstance(t *testing.T) (*testInstance, *localNominatim, *http.Client) {
	t.Helper()
	n := &localNominatim{}
	srv := newNominatimServer(t, n)
	clock := newTestClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	ti := newTestInstance(t, func(c *Config) { c.Now = clock.Now; c.GeocoderURL = srv })
	ti.createAccount(t, "alice@example.org", "alice", "alice-password", false)
	return ti, n, ti.login(t, "alice", "alice-password")
}

// addressForm is an event form with an address and no coordinates.
func addressForm(street string) url.Values {
	f := fullEventForm()
	f.Set("street", street)
	f.Set("latitude", "")
	f.Set("longitude", "")
	return f
}

func TestGeocodingOnSave(t *testing.T) {
	ti, n, alice := geocodedInstance(t)
	id := ti.createEvent(t, alice, addressForm("12 Rue de la République"))
	e, err := ti.App.store.EventByUUID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if e.Address.Latitude == nil || *e.Address.Latitude != 45.764043 || *e.Address.Longitude != 4.835659 {
		t.Fatalf("the address was not placed: %v %v", e.Address.Latitude, e.Address.Longitude)
	}
	if n.count() != 1 || !strings.HasPrefix(n.agents[0], "Convene/") || !strings.Contains(n.agents[0], ti.URL) {
		t.Errorf("asked %v with User-Agent %v", n.asked, n.agents)
	}
	if !strings.Contains(n.asked[0], "69001 Lyon") || strings.Contains(n.asked[0], "Salle des fêtes") {
		t.Errorf("the query was %q: the street and town, not the hall's name", n.asked[0])
	}

	// The same address again (another event): the database remembers it,
	// the service is not asked.
	id2 := ti.createEvent(t, alice, addressForm("12 rue de la république"))
	e2, _ := ti.App.store.EventByUUID(t.Context(), id2)
	if e2.Address.Latitude == nil || n.count() != 1 {
		t.Errorf("second save: placed %v, service asked %d times", e2.Address.Latitude != nil, n.count())
	}

	// Coordinates typed by the organiser are kept: nothing is asked.
	typed := addressForm("1 Place Bellecour")
	typed.Set("latitude", "45.7578")
	typed.Set("longitude", "4.8320")
	ti.createEvent(t, alice, typed)
	if n.count() != 1 {
		t.Errorf("the service was asked for an event with coordinates")
	}
}

func TestGeocodingFailureNeverBlocksSaving(t *testing.T) {
	ti, n, alice := geocodedInstance(t)
	// An address the service does not know.
	id := ti.createEvent(t, alice, addressForm("999 Nonexistent Street"))
	e, _ := ti.App.store.EventByUUID(t.Context(), id)
	if e.Address.Latitude != nil {
		t.Errorf("an unknown address got coordinates")
	}
	_, page := ti.get(t, alice, "/events/"+id)
	if !strings.Contains(pageText(page), "Its address was not found on the map") {
		t.Errorf("the organiser is not told the address was not found")
	}
	// The service is down: the event is saved all the same, and said so.
	n.mu.Lock()
	n.down = true
	n.mu.Unlock()
	id = ti.createEvent(t, alice, addressForm("3 Rue de la République"))
	e, _ = ti.App.store.EventByUUID(t.Context(), id)
	if e.Title == "" || e.Address.Latitude != nil {
		t.Errorf("saving with the service down: %+v", e.Address)
	}
	_, page = ti.get(t, alice, "/events/"+id)
	if !strings.Contains(pageText(page), "Its address was not found on the map") {
		t.Errorf("the organiser is not told the event has no position")
	}
	// The service down is not remembered as "not found".
	n.mu.Lock()
	n.down = false
	n.mu.Unlock()
	id = ti.createEvent(t, alice, addressForm("3 Rue de la République"))
	if e, _ = ti.App.store.EventByUUID(t.Context(), id); e.Address.Latitude == nil {
		t.Errorf("after the service came back, the address is still not placed")
	}
}

func TestFindOnMapWithoutJavaScript(t *testing.T) {
	ti, _, alice := geocodedInstance(t)
	form := addressForm("12 Rue de la République")
	form.Set("title", "") // not finished yet: finding a place does not complain
	form.Set("find_place", "1")
	before := ti.countEvents(t)
	res, body := ti.postFormBody(t, alice, "/events", form)
	if res.StatusCode != http.StatusOK || ti.countEvents(t) != before {
		t.Fatalf("Find on map: status %d, saved %d", res.StatusCode, ti.countEvents(t)-before)
	}
	text := pageText(body)
	for _, want := range []string{"Which place is it?", "Lyon 2e", "Villeurbanne"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q among the candidates", want)
		}
	}
	if len(fieldErrorsIn(body)) != 0 {
		t.Errorf("errors shown while only finding a place: %v", fieldErrorsIn(body))
	}
	if !strings.Contains(body, `value="12 Rue de la République"`) {
		t.Errorf("the typed address is lost")
	}
	// The organiser picks the second candidate and saves.
	form.Del("find_place")
	form.Set("title", "Picnic")
	form.Set("place_pick", "45.771000,4.890000")
	id := ti.createEvent(t, alice, form)
	e, _ := ti.App.store.EventByUUID(t.Context(), id)
	if e.Address.Latitude == nil || *e.Address.Latitude != 45.771 || *e.Address.Longitude != 4.89 {
		t.Errorf("the chosen place was not kept: %v", e.Address.Latitude)
	}

	// An address nobody knows: said next to the button.
	form = addressForm("999 Nonexistent Street")
	form.Set("find_place", "1")
	_, body = ti.postFormBody(t, alice, "/events", form)
	if !strings.Contains(pageText(body), "No place was found for this address") {
		t.Errorf("no 'not found' message")
	}
}

func TestPlaceSuggestionsEndpoint(t *testing.T) {
	ti, n, alice := geocodedInstance(t)
	res, body := ti.get(t, alice, "/places/suggest?q="+url.QueryEscape("Rue de la République, Lyon"))
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("suggest: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var got struct {
		Places []struct{ Name, Coordinates string }
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || len(got.Places) != 2 || got.Places[0].Coordinates != "45.764043,4.835659" {
		t.Errorf("suggestions %s (%v)", body, err)
	}
	// Visitors who are not logged in cannot use it as a free geocoder.
	if res, _ := ti.get(t, ti.client(), "/places/suggest?q=Lyon"); res.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous suggestions: %d", res.StatusCode)
	}
	// Nor can an organiser hammer it.
	asked := n.count()
	limited := false
	for i := range 8 {
		res, _ := ti.get(t, alice, "/places/suggest?q="+url.QueryEscape("Rue de la République "+strings.Repeat("x", i)))
		if res.StatusCode == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited || n.count()-asked > 5 {
		t.Errorf("suggestions are not paced: limited %v, %d requests", limited, n.count()-asked)
	}
}

func TestNoGeocoderNoRequest(t *testing.T) {
	// The form's event is in March 2026: the clock stands before it.
	clock := newTestClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	ti := newTestInstance(t, func(c *Config) { c.Now = clock.Now })
	ti.createAccount(t, "alice@example.org", "alice", "alice-password", false)
	alice := ti.login(t, "alice", "alice-password")
	_, form := ti.get(t, alice, "/events/new")
	if strings.Contains(form, "Find on map") {
		t.Errorf("the form offers a map service the instance does not have")
	}
	id := ti.createEvent(t, alice, addressForm("12 Rue de la République"))
	if e, _ := ti.App.store.EventByUUID(t.Context(), id); e.Address.Latitude != nil {
		t.Errorf("coordinates from nowhere")
	}
	if res, _ := ti.get(t, alice, "/places/suggest?q=Lyon"); res.StatusCode != http.StatusNotFound {
		t.Errorf("suggest without a geocoder: %d", res.StatusCode)
	}
}
