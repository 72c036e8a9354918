package app

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"

	"convene/app/geo"
	"convene/app/i18n"
	"convene/app/store"
	"convene/views"
)

const (
	defaultNearKm = 25
	maxNearKm     = 500
)

// readNear reads "within km of near": near is coordinates ("45.76,4.83")
// or a place's name, looked up with the geocoder. It returns nil when no
// place is asked for, and puts what is wrong in errs under "near" and
// "km".
func (a *App) readNear(ctx context.Context, l *i18n.Printer, near, km string, errs views.FieldErrors) *store.Near {
	near, km = strings.TrimSpace(near), strings.TrimSpace(km)
	radius := float64(defaultNearKm)
	if km != "" {
		v, err := strconv.ParseFloat(strings.Replace(km, ",", ".", 1), 64)
		switch {
		case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
			errs["km"] = l.T("Type a distance in kilometres, like 25.")
		case v < 0 || v > maxNearKm:
			errs["km"] = l.T("The distance is between 0 and %d km.", maxNearKm)
		default:
			radius = v
		}
	}
	if near == "" {
		return nil
	}
	var at geo.Point
	if geo.LooksLikeCoordinates(near) {
		p, err := geo.ParsePoint(near)
		switch {
		case errors.Is(err, geo.ErrOutOfRange):
			errs["near"] = l.T("A latitude is between -90 and 90 and a longitude between -180 and 180.")
		case err != nil:
			errs["near"] = l.T("Type coordinates like 45.76,4.83 (latitude, longitude), or a place's name.")
		}
		at = p
	} else if len(near) > 200 {
		errs["near"] = l.T("A place's name has at most %d characters.", 200)
	} else if known := a.knownPlaceAt(ctx, near); known != nil {
		// A venue this instance knows (places) needs no geocoder.
		at = *known
	} else if a.geocoder == nil {
		errs["near"] = l.T("This instance cannot look places up: type coordinates like 45.76,4.83.")
	} else {
		places, problem := a.findPlaces(ctx, l, near)
		if len(places) == 0 {
			errs["near"] = problem
		} else {
			at = geo.Point{Lat: places[0].Lat, Lon: places[0].Lon}
		}
	}
	if errs.Has("near") || errs.Has("km") {
		return nil
	}
	return &store.Near{Point: at, Km: radius}
}

// knownPlaceAt is the position of a venue events here were held at, named
// as people write it ("salle des fetes"), or nil when none has one.
func (a *App) knownPlaceAt(ctx context.Context, name string) *geo.Point {
	p, err := a.store.PlaceNamed(ctx, name, "")
	if err != nil || p.Address.Latitude == nil || p.Address.Longitude == nil {
		return nil
	}
	return &geo.Point{Lat: *p.Address.Latitude, Lon: *p.Address.Longitude}
}
