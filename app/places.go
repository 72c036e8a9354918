package app

// Places: the venues this instance's events were held at. Saving an event
// with a venue links it to the place of that name in that town (created
// the first time), the event form suggests the known venues, and each
// place has a page, feeds and a calendar:
//
//	/places/{id}                                   upcoming events there
//	/places/{id}/feed.rss|feed.atom|calendar.ics   its feeds
//	/places/{id}/edit                              its creator and admins

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"convene/app/store"
	"convene/views"
)

// knownPlacesOffered bounds the form's venue suggestions.
const knownPlacesOffered = 500

// placeOfEvent links e to the place its venue names, creating the place
// (by identity) when new. A venue named without an address takes the
// known place's address: choosing a suggested venue is enough.
func (a *App) placeOfEvent(ctx context.Context, identity int64, e *store.Event) error {
	addr := &e.Address
	if addr.Venue == "" {
		e.PlaceID = 0
		return nil
	}
	if addr.Street == "" && addr.PostalCode == "" && addr.Locality == "" && addr.Latitude == nil {
		known, err := a.store.PlaceNamed(ctx, addr.Venue, "")
		switch {
		case err == nil:
			venue := addr.Venue
			*addr = known.Address
			addr.Venue = venue
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	id, err := a.store.EnsurePlace(ctx, identity, *addr)
	e.PlaceID = id
	return err
}

// knownPlaces fills the form's venue suggestions.
func (a *App) knownPlaces(ctx context.Context, f *views.EventForm) error {
	places, err := a.store.KnownPlaces(ctx, knownPlacesOffered)
	if err != nil {
		return err
	}
	f.KnownPlaces = nil
	for _, p := range places {
		f.KnownPlaces = append(f.KnownPlaces, views.KnownPlace{Name: p.Name(), Locality: p.Address.Locality})
	}
	return nil
}

// placeFromPath reads the place /places/{id} names.
func (a *App) placeFromPath(r *http.Request) (*store.Place, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, errNotFound()
	}
	return a.store.PlaceByID(r.Context(), id)
}

// mayEditPlace: the identity that first used a place, and administrators.
func mayEditPlace(r *http.Request, p *store.Place) bool {
	if acc := currentAccount(r); acc != nil && acc.IsAdmin {
		return true
	}
	id := currentIdentity(r)
	return id != nil && p.CreatedBy != 0 && id.ID == p.CreatedBy
}

func placeDir(p *store.Place) string { return "/places/" + strconv.FormatInt(p.ID, 10) }

func (a *App) placeScope(r *http.Request, p *store.Place) feedScope {
	l := a.feedPrinter(r)
	return feedScope{
		key:     "place:" + strconv.FormatInt(p.ID, 10) + ":" + strconv.FormatInt(p.UpdatedAt.Unix(), 10),
		title:   l.T("Events at %s", p.Name()) + " · " + a.setting(r.Context(), SettingName),
		pageURL: a.URL(placeDir(p)),
		dir:     placeDir(p),
		query:   store.FeedQuery{Now: a.now(), PlaceID: p.ID},
	}
}

func (a *App) showPlace(w http.ResponseWriter, r *http.Request) error {
	place, err := a.placeFromPath(r)
	if err != nil {
		return err
	}
	list, err := a.eventList(r, store.EventQuery{Now: a.now(), Listed: true, PlaceID: place.ID, OnePerSeries: true}, pageNumber(r))
	if err != nil {
		return err
	}
	p := a.page(r, place.Name())
	p.Description = place.Address.OneLine()
	p.Feeds = a.feedLinks(r, feedScope{dir: placeDir(place)})
	return a.render(w, r, http.StatusOK, views.PlacePage(p, views.PlaceView{
		Place: place, Events: list, CanEdit: mayEditPlace(r, place),
	}))
}

// showPlaceFeed serves /places/{id}/feed.rss, feed.atom and calendar.ics.
func (a *App) showPlaceFeed(format string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		place, err := a.placeFromPath(r)
		if err != nil {
			return err
		}
		return a.serveFeed(w, r, a.placeScope(r, place), format)
	}
}

// placeForEditor reads the place and refuses whoever may not edit it.
func (a *App) placeForEditor(r *http.Request) (*store.Place, error) {
	place, err := a.placeFromPath(r)
	if err != nil {
		return nil, err
	}
	if !mayEditPlace(r, place) {
		return nil, errForbidden(a.printer(r).T("Only who first used this place and administrators may edit it."))
	}
	return place, nil
}

func (a *App) showEditPlace(w http.ResponseWriter, r *http.Request) error {
	place, err := a.placeForEditor(r)
	if err != nil {
		return err
	}
	a0 := place.Address
	return a.renderPlaceForm(w, r, http.StatusOK, place, views.PlaceForm{
		Name: a0.Venue, Street: a0.Street, PostalCode: a0.PostalCode, Locality: a0.Locality, Region: a0.Region, Country: a0.Country,
	}, nil)
}

func (a *App) renderPlaceForm(w http.ResponseWriter, r *http.Request, status int, place *store.Place, f views.PlaceForm, errs views.FieldErrors) error {
	p := a.page(r, a.printer(r).T("Edit the place “%s”", place.Name()))
	p.NoIndex = true
	f.Action = placeDir(place) + "/edit"
	return a.render(w, r, status, views.PlaceFormPage(p, f, errs))
}

func (a *App) updatePlace(w http.ResponseWriter, r *http.Request) error {
	place, err := a.placeForEditor(r)
	if err != nil {
		return err
	}
	l := a.printer(r)
	f := views.PlaceForm{
		Name: cleanSpace(r.PostFormValue("name")), Street: cleanSpace(r.PostFormValue("street")),
		PostalCode: cleanSpace(r.PostFormValue("postal_code")), Locality: cleanSpace(r.PostFormValue("locality")),
		Region: cleanSpace(r.PostFormValue("region")), Country: cleanSpace(r.PostFormValue("country")),
	}
	errs := views.FieldErrors{}
	for _, field := range []struct {
		name, value string
		max         int
	}{
		{"name", f.Name, maxPlacePart}, {"street", f.Street, maxPlacePart},
		{"postal_code", f.PostalCode, maxPostalCode}, {"locality", f.Locality, maxPlacePart},
		{"region", f.Region, maxPlacePart}, {"country", f.Country, maxPlacePart},
	} {
		if msg := validText(l, field.value, field.max, false); msg != "" {
			errs[field.name] = msg
		}
	}
	if f.Name == "" {
		errs["name"] = l.T("Give the place a name.")
	}
	if len(errs) > 0 {
		return a.renderPlaceForm(w, r, http.StatusUnprocessableEntity, place, f, errs)
	}
	edited := *place
	edited.Address = store.Address{Venue: f.Name, Street: f.Street, PostalCode: f.PostalCode, Locality: f.Locality,
		Region: f.Region, Country: f.Country, Latitude: place.Address.Latitude, Longitude: place.Address.Longitude}
	if err := a.store.UpdatePlace(r.Context(), &edited); err != nil {
		if errors.Is(err, store.ErrPlaceTaken) {
			errs["name"] = l.T("Another place has this name in this town.")
			return a.renderPlaceForm(w, r, http.StatusUnprocessableEntity, place, f, errs)
		}
		return err
	}
	return a.redirect(w, r, placeDir(place), l.T("The place is saved."))
}
