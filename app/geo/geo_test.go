package geo

import (
	"errors"
	"math"
	"testing"
)

var (
	lyon        = Point{45.7640, 4.8357}
	villeurbane = Point{45.7719, 4.8902}
	grenoble    = Point{45.1885, 5.7245}
)

func TestDistances(t *testing.T) {
	tests := []struct {
		name   string
		a, b   Point
		wantKm float64
		within float64
	}{
		{"Lyon to Villeurbanne", lyon, villeurbane, 4.3, 0.3},
		{"Lyon to Grenoble", lyon, grenoble, 95, 3},
		{"across the antimeridian in Fiji", Point{-17.8, 179.9}, Point{-17.8, -179.9}, 21.2, 0.3},
		{"over the North Pole", Point{89.9, 0}, Point{89.9, 180}, 22.2, 0.2},
		{"the same point", lyon, lyon, 0, 1e-9},
		{"antipodes", Point{0, 0}, Point{0, 180}, math.Pi * EarthRadiusKm, 0.01},
	}
	for _, tt := range tests {
		if got := DistanceKm(tt.a, tt.b); math.Abs(got-tt.wantKm) > tt.within {
			t.Errorf("%s: %.2f km, want %.1f ± %.1f", tt.name, got, tt.wantKm, tt.within)
		}
	}
}

// TestBoxHoldsTheCircle checks that every point at the radius, all
// around, is in the box: the box may hold more, never less.
func TestBoxHoldsTheCircle(t *testing.T) {
	centres := []Point{lyon, {-17.8, 179.9}, {-17.8, -179.95}, {89.95, 10}, {-89.9, -120}, {64.1, -21.9}, {0, 0}}
	for _, c := range centres {
		for _, km := range []float64{1, 25, 500} {
			box := BoxAround(c, km)
			for deg := 0.0; deg < 360; deg += 5 {
				p := destination(c, deg, km*0.999)
				if !box.Contains(p) {
					t.Errorf("box around %v for %v km misses %v (bearing %v°): %+v", c, km, p, deg, box)
				}
			}
		}
	}
	if b := BoxAround(lyon, 25); b.Contains(grenoble) {
		t.Errorf("a 25 km box around Lyon holds Grenoble")
	}
	if b := BoxAround(Point{-17.8, 179.9}, 50); len(b.Lons) != 2 {
		t.Errorf("a box over the antimeridian has one longitude range: %+v", b)
	}
	if b := BoxAround(Point{89.9, 0}, 50); b.Lons[0] != [2]float64{-180, 180} {
		t.Errorf("a box reaching the pole does not hold every longitude: %+v", b)
	}
}

// destination is the point at km from c on a bearing (degrees).
func destination(c Point, bearing, km float64) Point {
	d := km / EarthRadiusKm
	lat1, lon1, th := radians(c.Lat), radians(c.Lon), radians(bearing)
	lat2 := math.Asin(math.Sin(lat1)*math.Cos(d) + math.Cos(lat1)*math.Sin(d)*math.Cos(th))
	lon2 := lon1 + math.Atan2(math.Sin(th)*math.Sin(d)*math.Cos(lat1), math.Cos(d)-math.Sin(lat1)*math.Sin(lat2))
	lon := math.Mod(degrees(lon2)+540, 360) - 180
	return Point{degrees(lat2), lon}
}

func TestParsePoint(t *testing.T) {
	tests := []struct {
		in  string
		err error
	}{
		{"45.76,4.83", nil},
		{" -33.9 , 151.2 ", nil},
		{"90,180", nil},
		{"91,4", ErrOutOfRange},
		{"45,181", ErrOutOfRange},
		{"45.76", ErrNotCoordinates},
		{"abc,def", ErrNotCoordinates},
		{"NaN,1", ErrNotCoordinates},
		{"", ErrNotCoordinates},
	}
	for _, tt := range tests {
		if _, err := ParsePoint(tt.in); !errors.Is(err, tt.err) {
			t.Errorf("ParsePoint(%q): %v, want %v", tt.in, err, tt.err)
		}
	}
	for in, want := range map[string]bool{"45.76,4.83": true, "45.76": true, "Lyon": false, "Lyon 3": false, "": false, "-,": false} {
		if LooksLikeCoordinates(in) != want {
			t.Errorf("LooksLikeCoordinates(%q) != %v", in, want)
		}
	}
}
