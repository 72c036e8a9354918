package app

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// seedRemoteEvents stores n events as if followed sources had sent them:
// events rows with a URI and a remote organiser, plus their remote part,
// spread over 20 servers and the same two years as seedEvents.
func seedRemoteEvents(b *testing.B, ti *testInstance, n int) {
	b.Helper()
	ctx := context.Background()
	st := ti.App.Store()
	var orgs []*store.Actor
	for k := range 20 {
		host := fmt.Sprintf("events%d.example", k)
		a, err := st.SaveRemoteActor(ctx, store.RemoteActor{
			Kind: store.KindGroup, Username: "collectif", Domain: host, DisplayName: "Collectif " + host,
			URI: "https://" + host + "/@collectif", InboxURL: "https://" + host + "/inbox",
		})
		if err != nil {
			b.Fatal(err)
		}
		orgs = append(orgs, a)
	}
	now := ti.App.now()
	start := now.AddDate(-2, 0, 0)
	span := now.AddDate(1, 0, 0).Sub(start)
	err := st.Tx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			org := orgs[i%len(orgs)]
			w := func(k int) string { return benchWords[(i*7+k*13)%len(benchWords)] }
			starts := start.Add(time.Duration(int64(span) / int64(n) * int64(i))).Truncate(time.Minute)
			published := starts.AddDate(0, 0, -30)
			uri := fmt.Sprintf("https://%s/events/%d", org.Domain, i)
			e := &store.Event{
				URI: uri, OrganizerID: org.ID,
				Title:         fmt.Sprintf("%s %s %s", strings.ToUpper(w(0)[:1])+w(0)[1:], w(1), w(2)),
				DescriptionMD: fmt.Sprintf("A %s %s with %s and %s.", w(3), w(4), w(5), w(6)),
				StartsAt:      starts, EndsAt: starts.Add(2 * time.Hour), Timezone: "Europe/Paris",
				Address:  store.Address{Locality: benchPlaces[i%len(benchPlaces)], Country: "France"},
				Category: store.Categories[i%len(store.Categories)], Status: store.StatusConfirmed,
				Visibility: store.VisibilityPublic, JoinMode: store.JoinFree, CommentModeration: store.CommentsAllowAll,
				PublishedAt: &published, Tags: []string{w(7)},
			}
			e.DescriptionHTML = "<p>" + e.DescriptionMD + "</p>"
			if err := st.SaveRemoteEventTx(ctx, tx, e, store.RemoteEventMeta{
				URL: uri, OriginDomain: org.Domain, PublicInTo: true, RemoteJoin: "free",
				RemoteUpdated: published, Raw: []byte(`{}`),
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// Following other servers must not make our own pages slow. Two
// instances seeded with the same 10,000 local events, one of them also
// holding 50,000 remote events from 20 servers; the home page and a
// search, rendered every time (page cache off), on each, in the same run.
// The baseline is the instance without remote events: its database
// never saw them, so the ratio is what they cost. The remote instance's
// pages filtered to its own events (origin=local) are measured too.
//
//	go test ./app -run '^$' -bench BenchmarkHomeAndSearchWithRemoteEvents -benchtime 2s
func BenchmarkHomeAndSearchWithRemoteEvents(b *testing.B) {
	baseline := newTestInstance(b)
	seedEvents(b, baseline, 10000)
	baseline.App.pages = nil
	withRemote := newTestInstance(b)
	seedEvents(b, withRemote, 10000)
	seedRemoteEvents(b, withRemote, 50000)
	withRemote.App.pages = nil
	for _, page := range []struct{ name, path string }{
		{"home", "/"},
		{"search", "/search?q=jazz+concert&past=1"},
	} {
		sep := "?"
		if strings.Contains(page.path, "?") {
			sep = "&"
		}
		b.Run(page.name+"/no-remote-events-baseline", func(b *testing.B) { benchPath(b, baseline.App.Handler(), page.path) })
		b.Run(page.name+"/50k-remote-events", func(b *testing.B) { benchPath(b, withRemote.App.Handler(), page.path) })
		b.Run(page.name+"/50k-remote-events-local-only", func(b *testing.B) {
			benchPath(b, withRemote.App.Handler(), page.path+sep+"origin=local")
		})
	}
}
