// Package geocode turns an address into coordinates through a
// Nominatim-compatible search service. Nominatim's usage policy asks for at
// most one request per second and an identifying User-Agent; this client
// keeps both for the whole instance, caches every answer (through a Cache
// the caller provides, the database in Convene) and gives up after a few
// seconds, because saving an event must never wait on a map service.
package geocode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Place is one candidate for an address.
type Place struct {
	Name string  `json:"name"` // the service's full one-line name
	Lat  float64 `json:"lat"`
	Lon  float64 `json:"lon"`
}

// Cache keeps answers by query. A found entry with no places is a
// remembered "not found".
type Cache interface {
	GeocodeCached(ctx context.Context, key string, notBefore time.Time) (places []Place, found bool, err error)
	SaveGeocode(ctx context.Context, key string, places []Place) error
}

var (
	// ErrUnavailable: the service did not answer, answered an error, or
	// was too slow.
	ErrUnavailable = errors.New("geocoder unavailable")
	// ErrMalformed: the service answered something that is not
	// Nominatim's JSON.
	ErrMalformed = errors.New("geocoder answer malformed")
	// ErrBusy: too many addresses are waiting for their turn already.
	ErrBusy = errors.New("geocoder busy")
)

const (
	// Interval is the least time between two requests (Nominatim's
	// policy: one per second, for the whole application).
	Interval = time.Second
	// Timeout bounds one request, answer included.
	Timeout = 5 * time.Second
	// maxWait is how long a search waits for its turn before giving up.
	maxWait = 3 * time.Second
	// maxAnswer bounds what is read of an answer.
	maxAnswer = 512 << 10
	// maxPlaces is how many candidates are asked for and kept.
	maxPlaces = 5
	// cacheFor is how long an answer is reused.
	cacheFor = 90 * 24 * time.Hour
	// maxQuery bounds what is sent.
	maxQuery = 300
)

// Client searches one service.
type Client struct {
	search    *url.URL
	userAgent string
	cache     Cache
	http      *http.Client

	// Now and Sleep are the clock; tests replace them.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	mu   sync.Mutex
	next time.Time // the earliest time the next request may go
}

// New makes a client of the service at baseURL (its /search is asked),
// sending userAgent.
func New(baseURL, userAgent string, cache Cache) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("the geocoder URL %q is not an http(s) URL", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/search") + "/search"
	return &Client{
		search: u, userAgent: userAgent, cache: cache,
		http: &http.Client{Timeout: Timeout},
		Now:  time.Now, Sleep: sleep,
	}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Key is how a query is remembered: another case, spacing or commas do
// not make another request.
func Key(query, lang string) string {
	f := strings.FieldsFunc(strings.ToLower(query), func(r rune) bool {
		return unicode.IsSpace(r) || r == ','
	})
	return lang + "|" + strings.Join(f, " ")
}

// Search returns the candidates for query, best first; none when the
// service knows no such place. lang is the visitor's language, for names.
func (c *Client) Search(ctx context.Context, query, lang string) ([]Place, error) {
	query = strings.TrimSpace(query)
	if len(query) > maxQuery {
		query = query[:maxQuery]
	}
	if query == "" {
		return nil, nil
	}
	key := Key(query, lang)
	if places, found, err := c.cache.GeocodeCached(ctx, key, c.Now().Add(-cacheFor)); err != nil {
		return nil, err
	} else if found {
		return places, nil
	}
	if err := c.waitTurn(ctx); err != nil {
		return nil, err
	}
	places, err := c.ask(ctx, query, lang)
	if err != nil {
		return nil, err
	}
	if err := c.cache.SaveGeocode(ctx, key, places); err != nil {
		return nil, err
	}
	return places, nil
}

// waitTurn takes the next free slot, one Interval after the last, and
// sleeps until it; ErrBusy when that is more than maxWait away.
func (c *Client) waitTurn(ctx context.Context) error {
	c.mu.Lock()
	now := c.Now()
	slot := c.next
	if slot.Before(now) {
		slot = now
	}
	if slot.Sub(now) > maxWait {
		c.mu.Unlock()
		return ErrBusy
	}
	c.next = slot.Add(Interval)
	c.mu.Unlock()
	if d := slot.Sub(now); d > 0 {
		return c.Sleep(ctx, d)
	}
	return nil
}

// answer is one element of Nominatim's JSON: coordinates are strings
// there, numbers in some compatible services.
type answer struct {
	Lat         json.RawMessage `json:"lat"`
	Lon         json.RawMessage `json:"lon"`
	DisplayName string          `json:"display_name"`
}

func (c *Client) ask(ctx context.Context, query, lang string) ([]Place, error) {
	u := *c.search
	q := url.Values{"q": {query}, "format": {"json"}, "limit": {strconv.Itoa(maxPlaces)}}
	if lang != "" {
		q.Set("accept-language", lang)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: status %d", ErrUnavailable, res.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if len(body) > maxAnswer {
		return nil, fmt.Errorf("%w: answer over %d bytes", ErrMalformed, maxAnswer)
	}
	var answers []answer
	if err := json.Unmarshal(body, &answers); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var out []Place
	for _, a := range answers {
		lat, okLat := coordinate(a.Lat, 90)
		lon, okLon := coordinate(a.Lon, 180)
		if !okLat || !okLon {
			continue // one bad candidate does not spoil the others
		}
		name := strings.TrimSpace(a.DisplayName)
		if len(name) > 300 {
			name = name[:300]
		}
		out = append(out, Place{Name: name, Lat: lat, Lon: lon})
		if len(out) == maxPlaces {
			break
		}
	}
	if len(out) == 0 && len(answers) > 0 {
		return nil, fmt.Errorf("%w: no candidate with usable coordinates", ErrMalformed)
	}
	return out, nil
}

// coordinate reads "45.76" or 45.76 within ±limit.
func coordinate(raw json.RawMessage, limit float64) (float64, bool) {
	s := strings.Trim(string(raw), `"`)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < -limit || v > limit || v != v {
		return 0, false
	}
	return v, true
}
