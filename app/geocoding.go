package app

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"convene/app/admit"
	"convene/app/geocode"
	"convene/app/i18n"
	"convene/app/store"
	"convene/views"
)

// geocodeCache keeps the geocoder's answers in the database, as JSON.
type geocodeCache struct{ st *store.Store }

func (c geocodeCache) GeocodeCached(ctx context.Context, key string, notBefore time.Time) ([]geocode.Place, bool, error) {
	raw, found, err := c.st.GeocodeCached(ctx, key, notBefore)
	if err != nil || !found {
		return nil, false, err
	}
	var places []geocode.Place
	if json.Unmarshal([]byte(raw), &places) != nil {
		return nil, false, nil // unreadable: ask again
	}
	return places, true, nil
}

func (c geocodeCache) SaveGeocode(ctx context.Context, key string, places []geocode.Place) error {
	if places == nil {
		places = []geocode.Place{}
	}
	b, err := json.Marshal(places)
	if err != nil {
		return err
	}
	return c.st.SaveGeocode(ctx, key, string(b))
}

// newGeocoder is the instance's geocoder, nil when none is configured.
func newGeocoder(cfg Config, st *store.Store) (*geocode.Client, error) {
	if cfg.GeocoderURL == "" {
		return nil, nil
	}
	// Nominatim's policy asks for a User-Agent naming the application,
	// and a way to reach who runs it: the instance's address.
	c, err := geocode.New(cfg.GeocoderURL, "Convene/"+Version+" (+"+cfg.BaseURL+")", geocodeCache{st})
	if err != nil {
		return nil, err
	}
	c.Now = cfg.Now
	return c, nil
}

// addressQuery is what the geocoder is asked for an address: its street
// and town; the venue's name only when there is no street, since a
// service knows few halls by name.
func addressQuery(ad store.Address) string {
	var parts []string
	if ad.Street == "" && ad.Venue != "" {
		parts = append(parts, ad.Venue)
	}
	for _, s := range []string{ad.Street, strings.TrimSpace(ad.PostalCode + " " + ad.Locality), ad.Region, ad.Country} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// findPlaces asks the geocoder for an address; what went wrong, already
// said for the visitor, when it could not.
func (a *App) findPlaces(ctx context.Context, l *i18n.Printer, query string) ([]geocode.Place, string) {
	back := admit.Away(ctx) // a slow geocoder holds up no one's pages
	places, err := a.geocoder.Search(ctx, query, l.Lang)
	back()
	switch {
	case err == nil && len(places) == 0:
		return nil, l.T("No place was found for this address. Check it, or type the coordinates.")
	case errors.Is(err, geocode.ErrBusy):
		return nil, l.T("The map service is busy. Try again in a few seconds.")
	case err != nil:
		a.log.Warn("geocoding failed", "err", err)
		return nil, l.T("The map service could not be reached. Try again later, or type the coordinates.")
	}
	return places, ""
}

// geocodeOnSave gives an address without coordinates the service's best
// candidate. It never stops a save: when nothing is found, the event is
// saved without a position and the returned note says so.
func (a *App) geocodeOnSave(ctx context.Context, l *i18n.Printer, ad *store.Address) string {
	if a.geocoder == nil || ad.Latitude != nil || ad.Longitude != nil {
		return ""
	}
	query := addressQuery(*ad)
	if query == "" {
		return ""
	}
	places, _ := a.findPlaces(ctx, l, query)
	if len(places) == 0 {
		return l.T("Its address was not found on the map, so it has no map position: use “Find on map” in the form to choose one.")
	}
	ad.Latitude, ad.Longitude = &places[0].Lat, &places[0].Lon
	return ""
}

// placeCandidates is the form's list of places to choose from.
func placeCandidates(places []geocode.Place) []views.PlaceCandidate {
	out := make([]views.PlaceCandidate, len(places))
	for i, p := range places {
		out[i] = views.PlaceCandidate{Name: p.Name, Coordinates: formatCoordinates(p.Lat, p.Lon)}
	}
	return out
}

func formatCoordinates(lat, lon float64) string {
	return strconv.FormatFloat(lat, 'f', 6, 64) + "," + strconv.FormatFloat(lon, 'f', 6, 64)
}

// findPlaceInForm answers the event form's "Find on map" button: the form
// comes back as it was typed, with the candidates to choose from. Nothing
// is saved.
func (a *App) findPlaceInForm(w http.ResponseWriter, r *http.Request, title string, f views.EventForm) error {
	l := a.printer(r)
	f.PlaceFinder.Asked = true
	if a.geocoder == nil {
		return errNotFound() // the button is not offered
	}
	// The form as typed: other fields may not be valid yet.
	ad := store.Address{Venue: f.Venue, Street: f.Street, PostalCode: f.PostalCode, Locality: f.Locality, Region: f.Region, Country: f.Country}
	if q := addressQuery(ad); q == "" {
		f.PlaceFinder.Problem = l.T("Type an address first.")
	} else {
		places, problem := a.findPlaces(r.Context(), l, q)
		f.PlaceFinder.Places, f.PlaceFinder.Problem = placeCandidates(places), problem
	}
	return a.renderEventForm(w, r, http.StatusOK, title, f, views.FieldErrors{})
}

// suggestPlaces answers the event form's script, as the organiser types
// an address: the candidates as JSON. Only for people logged in, and
// paced per account, so that it is no open door to the map service.
func (a *App) suggestPlaces(w http.ResponseWriter, r *http.Request) error {
	identity := currentIdentity(r)
	if identity == nil {
		return errForbidden("Log in to look for places.")
	}
	if a.geocoder == nil {
		return errNotFound()
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) < 3 || len(q) > 300 {
		return &publicError{Status: http.StatusBadRequest, Message: "Type at least three letters."}
	}
	if !a.limits.allow("geocode:"+strconv.FormatInt(identity.ID, 10), 2*time.Second, 5) {
		return &publicError{Status: http.StatusTooManyRequests, Message: "Too many searches: wait a moment."}
	}
	l := a.printer(r)
	places, problem := a.findPlaces(r.Context(), l, q)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	return writeJSON(w, struct {
		Places  []views.PlaceCandidate `json:"places"`
		Problem string                 `json:"problem,omitempty"`
	}{placeCandidates(places), problem})
}
