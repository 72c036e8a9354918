// Package geo is the little geometry "near me" needs: the distance between
// two points on the Earth, and a latitude/longitude box holding every
// point within a distance, for an index to narrow the search before the
// exact distance decides.
package geo

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// EarthRadiusKm is the Earth's mean radius.
const EarthRadiusKm = 6371.0088

// Point is a position in degrees.
type Point struct{ Lat, Lon float64 }

func radians(d float64) float64 { return d * math.Pi / 180 }
func degrees(r float64) float64 { return r * 180 / math.Pi }

// DistanceKm is the great-circle distance between a and b (haversine,
// which stays exact for short distances).
func DistanceKm(a, b Point) float64 {
	dLat := radians(b.Lat - a.Lat)
	dLon := radians(b.Lon - a.Lon)
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(radians(a.Lat))*math.Cos(radians(b.Lat))*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * EarthRadiusKm * math.Asin(math.Min(1, math.Sqrt(h)))
}

// Box is a latitude band and one or two longitude ranges (two when it
// crosses the antimeridian). Every point within the distance it was made
// for lies in it; some points in it are further.
type Box struct {
	MinLat, MaxLat float64
	Lons           [][2]float64 // ranges of longitude, each [min, max]
}

// Contains tells whether p is in the box.
func (b Box) Contains(p Point) bool {
	if p.Lat < b.MinLat || p.Lat > b.MaxLat {
		return false
	}
	for _, r := range b.Lons {
		if p.Lon >= r[0] && p.Lon <= r[1] {
			return true
		}
	}
	return false
}

// BoxAround is the box holding every point within km of c.
func BoxAround(c Point, km float64) Box {
	angle := km / EarthRadiusKm // the radius as an angle at the centre
	dLat := degrees(angle)
	b := Box{MinLat: c.Lat - dLat, MaxLat: c.Lat + dLat}
	if b.MinLat <= -90 || b.MaxLat >= 90 || angle >= math.Pi/2 {
		// A pole is within reach: every longitude is.
		b.MinLat, b.MaxLat = math.Max(b.MinLat, -90), math.Min(b.MaxLat, 90)
		b.Lons = [][2]float64{{-180, 180}}
		return b
	}
	// The widest longitude reached, at the latitude where the circle
	// touches its meridians (not at the centre's latitude).
	dLon := degrees(math.Asin(math.Sin(angle) / math.Cos(radians(c.Lat))))
	lo, hi := c.Lon-dLon, c.Lon+dLon
	switch {
	case lo < -180:
		b.Lons = [][2]float64{{lo + 360, 180}, {-180, hi}}
	case hi > 180:
		b.Lons = [][2]float64{{lo, 180}, {-180, hi - 360}}
	default:
		b.Lons = [][2]float64{{lo, hi}}
	}
	return b
}

// Problems reading a position.
var (
	ErrNotCoordinates = errors.New("not coordinates")
	ErrOutOfRange     = errors.New("coordinates out of range")
)

// ParsePoint reads "45.76,4.83" (latitude first, as people say it).
func ParsePoint(s string) (Point, error) {
	latS, lonS, ok := strings.Cut(strings.TrimSpace(s), ",")
	if !ok {
		return Point{}, ErrNotCoordinates
	}
	lat, errLat := strconv.ParseFloat(strings.TrimSpace(latS), 64)
	lon, errLon := strconv.ParseFloat(strings.TrimSpace(lonS), 64)
	if errLat != nil || errLon != nil || math.IsNaN(lat) || math.IsNaN(lon) {
		return Point{}, ErrNotCoordinates
	}
	if lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return Point{}, ErrOutOfRange
	}
	return Point{lat, lon}, nil
}

// LooksLikeCoordinates tells whether s was meant as numbers (digits,
// signs, dots, a comma) rather than a place's name.
func LooksLikeCoordinates(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	return strings.Trim(s, "0123456789.,+-eE ") == "" && strings.ContainsAny(s, "0123456789")
}
