package app

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// placeEventForm is an event at venue in locality, the rest of the
// address as given (empty: none).
func placeEventForm(title, venue, street, locality string) url.Values {
	form := fullEventForm()
	form.Set("title", title)
	form.Set("venue", venue)
	form.Set("street", street)
	form.Set("locality", locality)
	for _, f := range []string{"postal_code", "region", "country", "latitude", "longitude"} {
		form.Set(f, "")
	}
	return form
}

var placeLinkPattern = regexp.MustCompile(`href="(/places/[0-9]+)"`)

// placeOf reads the place the event page links to ("" when none).
func placeOf(t *testing.T, ti *eventsInstance, uuid string) string {
	t.Helper()
	_, body := ti.get(t, ti.alice, "/events/"+uuid)
	m := placeLinkPattern.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestPlacesMergeSpellingsOfOneVenue(t *testing.T) {
	ti := newEventsInstance(t)
	first := ti.createEvent(t, ti.alice, placeEventForm("Folk ball", "Salle des Fêtes", "3 rue de la Paix", "Lyon"))
	second := ti.createEvent(t, ti.bob, placeEventForm("Jam session", "  salle des fetes ", "3 rue de la Paix", "lyon"))
	elsewhere := ti.createEvent(t, ti.bob, placeEventForm("Choir", "Salle des fêtes", "Grand-Rue", "Villeurbanne"))
	place := placeOf(t, ti, first)
	if place == "" {
		t.Fatal("the event page does not link to its place")
	}
	if got := placeOf(t, ti, second); got != place {
		t.Errorf("“salle des fetes” in lyon is %q, “Salle des Fêtes” in Lyon is %q: want one place", got, place)
	}
	if got := placeOf(t, ti, elsewhere); got == place || got == "" {
		t.Errorf("the hall of another town is place %q, want its own", got)
	}
	_, body := ti.get(t, ti.alice, place)
	if !strings.Contains(body, "Folk ball") || !strings.Contains(body, "Jam session") || strings.Contains(body, "Choir") {
		t.Errorf("the place page should list both spellings' events and not the other town's:\n%s", pageText(body))
	}
}

func TestEventFormOffersKnownVenues(t *testing.T) {
	ti := newEventsInstance(t)
	ti.createEvent(t, ti.alice, placeEventForm("Folk ball", "Salle des Fêtes", "3 rue de la Paix", "Lyon"))
	_, body := ti.get(t, ti.bob, "/events/new")
	if !strings.Contains(body, `list="known-places"`) || !regexp.MustCompile(`<datalist id="known-places"><option value="Salle des Fêtes">Lyon</option>`).MatchString(body) {
		t.Fatalf("the venue field does not offer the venue used before:\n%s", body)
	}
	// Choosing it and nothing else takes the place's address.
	uuid := ti.createEvent(t, ti.bob, placeEventForm("Jam session", "Salle des Fêtes", "", ""))
	_, page := ti.get(t, ti.bob, "/events/"+uuid)
	if !strings.Contains(page, "3 rue de la Paix") || !strings.Contains(page, "Lyon") {
		t.Errorf("a known venue chosen alone should take its address:\n%s", pageText(page))
	}
}

func TestPlacePageListsUpcomingEventsOnly(t *testing.T) {
	ti := newEventsInstance(t, func(c *Config) { c.TileURL = "https://tiles.example.org/osm/{z}/{x}/{y}.png" })
	early := placeEventForm("Early ball", "Salle des Fêtes", "3 rue de la Paix", "Lyon")
	early.Set("starts_at", "2026-03-02T19:00")
	early.Set("ends_at", "2026-03-02T21:00")
	place := placeOf(t, ti, ti.createEvent(t, ti.alice, early))
	late := placeEventForm("Late ball", "Salle des Fêtes", "3 rue de la Paix", "Lyon")
	late.Set("latitude", "45.7676")
	late.Set("longitude", "4.8345")
	ti.createEvent(t, ti.alice, late)
	setClock(ti.clock, time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
	res, body := ti.get(t, ti.client(), place)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("place page: status %d", res.StatusCode)
	}
	if !strings.Contains(body, "Late ball") || strings.Contains(body, "Early ball") {
		t.Errorf("the place page should list the upcoming event only:\n%s", pageText(body))
	}
	if !strings.Contains(body, `class="map-placeholder" data-lat="45.7676"`) {
		t.Errorf("no map placeholder at the place's position on its page")
	}
	for _, feed := range []string{place + "/feed.rss", place + "/feed.atom", place + "/calendar.ics"} {
		if !strings.Contains(body, `href="`+feed+`"`) {
			t.Errorf("the place page does not link to %s", feed)
		}
	}
	if res, _ := ti.get(t, ti.client(), "/places/999"); res.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown place: status %d, want 404", res.StatusCode)
	}
}

func TestPlaceFeedsListPublicEventsOnly(t *testing.T) {
	ti := newEventsInstance(t)
	place := placeOf(t, ti, ti.createEvent(t, ti.alice, placeEventForm("Public ball", "Salle des Fêtes", "3 rue de la Paix", "Lyon")))
	for _, v := range []string{"unlisted", "private"} {
		form := placeEventForm("Secret "+v, "Salle des Fêtes", "3 rue de la Paix", "Lyon")
		form.Set("visibility", v)
		ti.createEvent(t, ti.alice, form)
	}
	ti.createEvent(t, ti.alice, placeEventForm("Elsewhere", "Town hall", "", "Lyon"))
	for _, feed := range []string{"/feed.rss", "/feed.atom", "/calendar.ics"} {
		res, body := ti.get(t, ti.client(), place+feed)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", feed, res.StatusCode)
		}
		if !strings.Contains(body, "Public ball") {
			t.Errorf("%s lacks the public event:\n%s", feed, body)
		}
		if strings.Contains(body, "Secret") || strings.Contains(body, "Elsewhere") {
			t.Errorf("%s lists an unlisted, private or other place's event:\n%s", feed, body)
		}
	}
	res, body := ti.get(t, ti.client(), place+"/feed.rss")
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, typeRSS) {
		t.Errorf("feed.rss type %q", ct)
	}
	if f := parseFeed(t, body); !strings.Contains(f.Title, "Salle des Fêtes") {
		t.Errorf("feed title %q does not name the place", f.Title)
	}
}

func TestPlaceEditRights(t *testing.T) {
	ti := newEventsInstance(t)
	ti.createAccount(t, "root@example.org", "root", "root-password-1", true)
	admin := ti.login(t, "root", "root-password-1")
	place := placeOf(t, ti, ti.createEvent(t, ti.alice, placeEventForm("Folk ball", "Salle des Fêtes", "3 rue de la Paix", "Lyon")))
	edit := func(c *http.Client, name string) int {
		return ti.postForm(t, c, place+"/edit", url.Values{"name": {name}, "street": {"5 place Bellecour"}, "locality": {"Lyon"}}).StatusCode
	}
	if res, _ := ti.get(t, ti.bob, place+"/edit"); res.StatusCode != http.StatusForbidden {
		t.Errorf("another user opening the edit form: status %d, want 403", res.StatusCode)
	}
	if got := edit(ti.bob, "Bob's hall"); got != http.StatusForbidden {
		t.Errorf("another user editing: status %d, want 403", got)
	}
	if res, _ := ti.get(t, ti.client(), place+"/edit"); res.StatusCode == http.StatusOK {
		t.Errorf("a visitor may open the edit form")
	}
	if _, body := ti.get(t, ti.client(), place); strings.Contains(body, "Bob's hall") {
		t.Fatal("a refused edit changed the place")
	}
	if res, _ := ti.get(t, ti.alice, place+"/edit"); res.StatusCode != http.StatusOK {
		t.Errorf("the creator opening the edit form: status %d", res.StatusCode)
	}
	if got := edit(ti.alice, "Salle des fêtes Jean Moulin"); got != http.StatusSeeOther {
		t.Errorf("the creator editing: status %d, want 303", got)
	}
	if got := edit(admin, "Grande salle des fêtes"); got != http.StatusSeeOther {
		t.Errorf("an administrator editing: status %d, want 303", got)
	}
	_, body := ti.get(t, ti.client(), place)
	if !strings.Contains(body, "Grande salle des fêtes") || !strings.Contains(body, "5 place Bellecour") {
		t.Errorf("the place page does not show the edits:\n%s", pageText(body))
	}
	if got := edit(ti.alice, ""); got != http.StatusUnprocessableEntity {
		t.Errorf("an empty name: status %d, want 422", got)
	}
}

// "Near" a venue this instance knows needs no geocoder: the place's own
// position is the centre (Lyon's hall; Villeurbanne is 4 km away, Grenoble
// 95 km).
func TestNearAKnownPlace(t *testing.T) {
	ti := newEventsInstance(t)
	hall := placeEventForm("Folk ball", "Salle des Fêtes", "3 rue de la Paix", "Lyon")
	hall.Set("latitude", "45.7640")
	hall.Set("longitude", "4.8357")
	ti.createEvent(t, ti.alice, hall)
	picnic := placeEventForm("Villeurbanne picnic", "Parc de la Feyssine", "", "Villeurbanne")
	picnic.Set("latitude", "45.7719")
	picnic.Set("longitude", "4.8902")
	ti.createEvent(t, ti.alice, picnic)
	hike := placeEventForm("Grenoble hike", "Bastille", "", "Grenoble")
	hike.Set("latitude", "45.1885")
	hike.Set("longitude", "5.7245")
	ti.createEvent(t, ti.alice, hike)
	res, body := ti.get(t, ti.client(), "/search?near="+url.QueryEscape("salle des fetes")+"&km=25")
	text := pageText(body)
	if res.StatusCode != http.StatusOK || !strings.Contains(text, "Villeurbanne picnic") || strings.Contains(text, "Grenoble hike") {
		t.Fatalf("near the known hall: %d %v\n%s", res.StatusCode, fieldErrorsIn(body), text)
	}
}
