package app

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"convene/app/geo"
	"convene/app/store"
)

// seedPlacedEvents stores n upcoming public events spread at random (a
// fixed seed) over Europe, from 36°N to 60°N and 10°W to 30°E, starting
// between from and from+span.
func seedPlacedEvents(b *testing.B, ti *testInstance, n int, from time.Time, span time.Duration) {
	b.Helper()
	ctx := context.Background()
	st := ti.App.Store()
	_, org, err := st.CreateAccountWithIdentity(ctx, "org@example.org", "", false, store.NewIdentity{Username: "org"})
	if err != nil {
		b.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	published := from.Add(-24 * time.Hour)
	err = st.Tx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			lat, lon := 36+rnd.Float64()*24, -10+rnd.Float64()*40
			starts := from.Add(time.Duration(rnd.Int64N(int64(span)))).Truncate(time.Minute)
			e := &store.Event{
				OrganizerID: org.ID, Title: fmt.Sprintf("Event %d", i),
				StartsAt: starts, EndsAt: starts.Add(2 * time.Hour), Timezone: "Europe/Paris",
				Address:  store.Address{Venue: "Hall", Locality: fmt.Sprintf("Town %d", i%500), Latitude: &lat, Longitude: &lon},
				Category: store.Categories[i%len(store.Categories)], Status: store.StatusConfirmed,
				Visibility: store.VisibilityPublic, JoinMode: store.JoinFree, CommentModeration: store.CommentsAllowAll,
				PublishedAt: &published, Tags: []string{"tag" + fmt.Sprint(i%50)},
			}
			if err := st.CreateEventTx(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// A "near" search over 100,000 events spread over Europe, against the
// plain query of upcoming events (the home page's), on the same database
// in the same run: the box on events_position keeps it from reading every
// event.
func BenchmarkNearSearch(b *testing.B) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	ti := newTestInstance(b, func(c *Config) { c.Now = func() time.Time { return now } })
	seedPlacedEvents(b, ti, 100000, now.Add(time.Hour), 365*24*time.Hour)
	ctx := context.Background()
	st := ti.App.Store()
	lyon := geo.Point{Lat: 45.764, Lon: 4.8357}
	for _, c := range []struct {
		name string
		q    store.SearchQuery
	}{
		{"upcoming", store.SearchQuery{Now: now, Limit: eventsPerPage + 1}},
		{"near-25km", store.SearchQuery{Now: now, Limit: eventsPerPage + 1, Near: &store.Near{Point: lyon, Km: 25}}},
		{"near-100km", store.SearchQuery{Now: now, Limit: eventsPerPage + 1, Near: &store.Near{Point: lyon, Km: 100}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				events, err := st.SearchEvents(ctx, c.q)
				if err != nil || len(events) == 0 {
					b.Fatalf("%d events, %v", len(events), err)
				}
			}
		})
	}
}

// The month calendar with 2,000 events in the month, against the home
// page on the same database, both rendered every time (page cache off).
func BenchmarkCalendarMonth(b *testing.B) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	ti := newTestInstance(b, func(c *Config) { c.Now = func() time.Time { return now } })
	seedPlacedEvents(b, ti, 2000, now.Add(time.Hour), 29*24*time.Hour)
	ti.App.pages = nil
	for _, c := range []struct{ name, path string }{
		{"home", "/"},
		{"calendar-month", "/calendar?month=2026-03"},
		{"calendar-week", "/calendar?week=2026-W11"},
	} {
		b.Run(c.name, func(b *testing.B) { benchPath(b, ti.App.Handler(), c.path) })
	}
}
