package app

import (
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// Where the test events are.
var (
	atLyon         = [2]float64{45.7640, 4.8357}
	atVilleurbanne = [2]float64{45.7719, 4.8902}
	atGrenoble     = [2]float64{45.1885, 5.7245}
)

// placedAt puts an event at a position.
func placedAt(pos [2]float64, locality string) func(*store.Event) {
	return func(e *store.Event) {
		e.Address = store.Address{Locality: locality, Latitude: &pos[0], Longitude: &pos[1]}
	}
}

// nearInstance holds events in Lyon, Villeurbanne and Grenoble, an online
// event, a remote event in Lyon, two events either side of the
// antimeridian in Fiji and two near the North Pole.
func nearInstance(t *testing.T, configure ...func(*Config)) *testInstance {
	t.Helper()
	ti := newTestInstance(t, append([]func(*Config){func(c *Config) {
		c.Now = func() time.Time { return time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC) }
	}}, configure...)...)
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "alice-password", false)
	day := 24 * time.Hour
	addEvent(t, ti, alice.ID, "Lyon folk ball", 3*day, placedAt(atLyon, "Lyon"))
	addEvent(t, ti, alice.ID, "Villeurbanne picnic", 4*day, placedAt(atVilleurbanne, "Villeurbanne"))
	addEvent(t, ti, alice.ID, "Grenoble hike", 5*day, placedAt(atGrenoble, "Grenoble"))
	addEvent(t, ti, alice.ID, "Online talk", 6*day, func(e *store.Event) { e.Address = store.Address{}; e.OnlineURL = "https://video.example/talk" })
	addEvent(t, ti, alice.ID, "Suva east", 7*day, placedAt([2]float64{-17.80, 179.90}, "Fiji"))
	addEvent(t, ti, alice.ID, "Taveuni west", 8*day, placedAt([2]float64{-17.80, -179.90}, "Fiji"))
	addEvent(t, ti, alice.ID, "Pole camp", 9*day, placedAt([2]float64{89.95, 100}, "Arctic"))
	addEvent(t, ti, alice.ID, "Pole other side", 10*day, placedAt([2]float64{89.95, -80}, "Arctic"))

	// An event from a followed Mobilizon server, with its coordinates.
	ctx := t.Context()
	st := ti.App.Store()
	org, err := st.SaveRemoteActor(ctx, store.RemoteActor{Kind: store.KindGroup, Username: "collectif", Domain: "mobilizon.example",
		DisplayName: "Collectif", URI: "https://mobilizon.example/@collectif", InboxURL: "https://mobilizon.example/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	now := ti.App.now()
	published := now.Add(-time.Hour)
	remote := &store.Event{URI: "https://mobilizon.example/events/1", OrganizerID: org.ID, Title: "Remote Lyon march",
		StartsAt: now.Add(2 * day), EndsAt: now.Add(2*day + time.Hour), Timezone: "Europe/Paris", Category: "causes",
		Status: store.StatusConfirmed, Visibility: store.VisibilityPublic, JoinMode: store.JoinFree,
		CommentModeration: store.CommentsAllowAll, PublishedAt: &published}
	placedAt([2]float64{45.7600, 4.8400}, "Lyon")(remote)
	err = st.Tx(ctx, func(tx *sql.Tx) error {
		return st.SaveRemoteEventTx(ctx, tx, remote, store.RemoteEventMeta{URL: remote.URI, OriginDomain: "mobilizon.example",
			PublicInTo: true, RemoteJoin: "free", RemoteUpdated: published, Raw: []byte(`{}`)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return ti
}

func searchNear(t *testing.T, ti *testInstance, near, km string) (int, string) {
	t.Helper()
	q := url.Values{"near": {near}}
	if km != "" {
		q.Set("km", km)
	}
	res, body := ti.get(t, ti.client(), "/search?"+q.Encode())
	return res.StatusCode, body
}

func TestSearchNear(t *testing.T) {
	ti := nearInstance(t)
	tests := []struct {
		name, near, km string
		want, not      []string
	}{
		{"Lyon within 25 km: Villeurbanne (4 km) in, Grenoble (95 km) out", "45.7640,4.8357", "25",
			[]string{"Lyon folk ball", "Villeurbanne picnic", "Remote Lyon march", "4.3 km away", "0.0 km away"},
			[]string{"Grenoble hike", "Online talk", "Suva", "Pole"}},
		{"25 km is the default radius", "45.7640,4.8357", "",
			[]string{"Villeurbanne picnic"}, []string{"Grenoble hike"}},
		{"within 100 km, Grenoble too", "45.7640,4.8357", "100",
			[]string{"Grenoble hike", "94 km away"}, []string{"Online talk"}},
		{"Villeurbanne within 1 km: only itself", "45.7719,4.8902", "1",
			[]string{"Villeurbanne picnic"}, []string{"Lyon folk ball"}},
		{"across the antimeridian", "-17.80,179.95", "30",
			[]string{"Suva east", "Taveuni west"}, []string{"Lyon folk ball"}},
		{"over the North Pole", "89.95,-80", "20",
			[]string{"Pole camp", "Pole other side"}, []string{"Suva"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := searchNear(t, ti, tt.near, tt.km)
			text := pageText(body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %v", status, fieldErrorsIn(body))
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("no %q", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(text, n) {
					t.Errorf("%q shown", n)
				}
			}
		})
	}
}

// Words and distance together (the full-text path).
func TestSearchWordsNear(t *testing.T) {
	ti := nearInstance(t)
	body := getOK(t, ti, ti.client(), "/search?q=picnic&near=45.7640,4.8357&km=25")
	if text := pageText(body); !strings.Contains(text, "Villeurbanne picnic") || !strings.Contains(text, "4.3 km away") {
		t.Errorf("words near Lyon: %s", text)
	}
	body = getOK(t, ti, ti.client(), "/search?q=hike&near=45.7640,4.8357&km=25")
	if strings.Contains(body, "Grenoble hike") {
		t.Errorf("a match 94 km away found within 25 km")
	}
}

func TestSearchNearBadInput(t *testing.T) {
	ti := nearInstance(t)
	tests := []struct {
		near, km, field, msg string
	}{
		{"91,4.83", "25", "near", "A latitude is between -90 and 90"},
		{"45.76,200", "25", "near", "A latitude is between -90 and 90"},
		{"45.76", "25", "near", "Type coordinates like 45.76,4.83"},
		{"Lyon", "25", "near", "This instance cannot look places up"},
		{"45.76,4.83", "600", "km", "The distance is between 0 and 500 km."},
		{"45.76,4.83", "-1", "km", "The distance is between 0 and 500 km."},
		{"45.76,4.83", "far", "km", "Type a distance in kilometres"},
	}
	for _, tt := range tests {
		status, body := searchNear(t, ti, tt.near, tt.km)
		errs := fieldErrorsIn(body)
		if status != http.StatusBadRequest || !strings.HasPrefix(errs[tt.field], tt.msg) {
			t.Errorf("near=%q km=%q: status %d, errors %v", tt.near, tt.km, status, errs)
		}
		if strings.Contains(body, "Lyon folk ball") {
			t.Errorf("near=%q km=%q: results shown despite the error", tt.near, tt.km)
		}
		if !strings.Contains(body, `value="`+tt.near+`"`) {
			t.Errorf("near=%q: what was typed is lost", tt.near)
		}
	}
}

func TestNearATypedPlace(t *testing.T) {
	n := &localNominatim{}
	srv := newNominatimServer(t, n)
	ti := nearInstance(t, func(c *Config) { c.GeocoderURL = srv })
	status, body := searchNear(t, ti, "Villeurbanne, France", "10")
	if status != http.StatusOK {
		t.Fatalf("status %d %v", status, fieldErrorsIn(body))
	}
	if text := pageText(body); !strings.Contains(text, "Lyon folk ball") || strings.Contains(text, "Grenoble hike") {
		t.Errorf("near a typed place: %s", text)
	}
	// Nowhere known: said next to the field.
	status, body = searchNear(t, ti, "Atlantis", "10")
	if status != http.StatusBadRequest || !strings.Contains(fieldErrorsIn(body)["near"], "No place was found") {
		t.Errorf("unknown place: %d %v", status, fieldErrorsIn(body))
	}
}

func TestCalendarNear(t *testing.T) {
	ti := nearInstance(t)
	body := getOK(t, ti, ti.client(), "/calendar?month=2026-03&near=45.7640,4.8357&km=25")
	if !strings.Contains(body, "Villeurbanne picnic") || strings.Contains(body, "Grenoble hike") {
		t.Errorf("the calendar does not filter by distance")
	}
	if !strings.Contains(body, "km=25&amp;month=2026-04&amp;near=45.7640%2C4.8357") {
		t.Errorf("the next month link drops the distance filter")
	}
	if res, body := ti.get(t, ti.client(), "/calendar?month=2026-03&near=45.7640,4.8357&km=501"); res.StatusCode != http.StatusBadRequest || fieldErrorsIn(body)["km"] == "" {
		t.Errorf("a radius over 500 km: %d", res.StatusCode)
	}
}
