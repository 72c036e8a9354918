package app

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"convene/app/store"
)

// A group's public event announced to 5,000 followers on 500 servers and
// 200 remote members (100 of them on the followers' servers, 100 on
// servers of their own): one request per shared inbox, 600 in all. The
// baseline is a person's event to the same 5,000 followers: 500 requests.
//
//	go test ./app -run '^$' -bench BenchmarkGroupFanOut -benchtime 1x
func BenchmarkGroupFanOut(b *testing.B) {
	b.Run("group-5000-followers-500-servers-200-members", func(b *testing.B) { benchmarkGroupFanOut(b, true) })
	b.Run("person-5000-followers-500-servers-baseline", func(b *testing.B) { benchmarkGroupFanOut(b, false) })
}

func benchmarkGroupFanOut(b *testing.B, group bool) {
	const followers, servers, members = 5_000, 500, 200
	var requests atomic.Int64
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer peer.Close()
	fi := newFedInstance(b)
	alice := fi.ti.newPerson(b, "alice")
	createGroupVia(b, fi.ti, alice.Client, "velo", "Vélo Lyon", store.OpennessOpen)
	g := mustGroup(b, fi.ti, "velo")
	followed := alice.Identity.ID
	if group {
		followed = g.ID
	}
	ctx := context.Background()
	err := fi.App.store.Tx(ctx, func(tx *sql.Tx) error {
		now := time.Now().Unix()
		addActor := func(name string, server int) (int64, error) {
			res, err := tx.ExecContext(ctx, `INSERT INTO actors (kind, username, domain, uri, inbox_url, shared_inbox_url, created_at, updated_at)
				VALUES ('person', ?, ?, ?, ?, ?, ?, ?)`, name, fmt.Sprintf("peer%d.test", server),
				fmt.Sprintf("https://peer%d.test/users/%s", server, name), fmt.Sprintf("%s/users/%s/inbox", peer.URL, name),
				fmt.Sprintf("%s/shared/%d", peer.URL, server), now, now)
			if err != nil {
				return 0, err
			}
			return res.LastInsertId()
		}
		for i := 0; i < followers; i++ {
			id, err := addActor(fmt.Sprintf("f%d", i), i%servers)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO follows (follower_id, followed_id, activity_uri, state, created_at)
				VALUES (?, ?, ?, 'accepted', ?)`, id, followed, fmt.Sprintf("https://peer%d.test/follows/%d", i%servers, i), now); err != nil {
				return err
			}
		}
		if !group {
			return nil
		}
		for i := 0; i < members; i++ {
			server := i // the first 100 share the followers' servers
			if i >= members/2 {
				server = servers + i
			}
			id, err := addActor(fmt.Sprintf("m%d", i), server)
			if err != nil {
				return err
			}
			if _, err := fi.App.store.AddMemberTx(ctx, tx, store.Membership{GroupID: g.ID, ActorID: id, Role: store.RoleMember,
				URI: fmt.Sprintf("https://peer%d.test/join/%d", server, i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	fi.App.actorKeys(ctx, alice.Identity.ID)
	fi.App.actorKeys(ctx, g.ID)
	want := int64(servers)
	if group {
		want += members / 2
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		requests.Store(0)
		runtime.GC()
		start := time.Now()
		if group {
			publishGroupEvent(b, fi, alice.Identity, g, "Critical mass")
		} else {
			publishEvent(b, fi.App, alice.Identity, "Critical mass", store.VisibilityPublic)
		}
		queued := time.Since(start)
		if _, err := fi.App.DeliverDue(ctx); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		if requests.Load() != want {
			b.Fatalf("%d requests, want %d", requests.Load(), want)
		}
		b.ReportMetric(float64(requests.Load()), "requests")
		b.ReportMetric(float64(queued.Milliseconds()), "ms-to-queue")
		b.ReportMetric(float64(elapsed.Milliseconds()), "ms-total")
	}
}

// Memory to render one page of a discussion of 1,000 messages, against
// one of 10: pages hold messagesPerPage messages, so the long thread
// costs about the same.
//
//	go test ./app -run '^$' -bench BenchmarkDiscussionPage -benchtime 50x
func BenchmarkDiscussionPage(b *testing.B) {
	for _, n := range []int{1000, 10} {
		name := fmt.Sprintf("%d-messages", n)
		if n == 10 {
			name += "-baseline"
		}
		b.Run(name, func(b *testing.B) {
			ti := newTestInstance(b)
			alice, _, _, _ := groupWithMembers(b, ti)
			path := seedDiscussion(b, ti, alice, n)
			secret, err := ti.App.store.CreateSession(context.Background(), alice.Account.ID, alice.Identity.ID, time.Hour)
			if err != nil {
				b.Fatal(err)
			}
			h := ti.App.Handler()
			render := func(p string) {
				req := httptest.NewRequest(http.MethodGet, ti.URL+p, nil)
				req.AddCookie(&http.Cookie{Name: sessionCookie, Value: secret})
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
			render(path)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				render(path + "?last=1")
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N), "bytes-allocated/render")
		})
	}
}

// BenchmarkDiscussionPageOwnBytes is a member reading a discussion of 50
// messages (one full page), logged in so never from the page cache,
// against a handler writing that same page's bytes and headers with no
// database and no template, in the same run: the ratio is baseline ns/op
// over rendered ns/op.
//
//	go test ./app -run '^$' -bench BenchmarkDiscussionPageOwnBytes -benchtime 1s
func BenchmarkDiscussionPageOwnBytes(b *testing.B) {
	ti := newTestInstance(b)
	alice, _, _, _ := groupWithMembers(b, ti)
	path := seedDiscussion(b, ti, alice, messagesPerPage)
	secret, err := ti.App.store.CreateSession(context.Background(), alice.Account.ID, alice.Identity.ID, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	h := ti.App.Handler()
	serve := func(h http.Handler) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, ti.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: secret})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
		return rec
	}
	page := serve(h)
	if n := strings.Count(page.Body.String(), "<p>message "); n != messagesPerPage {
		b.Fatalf("%d messages on the page, want %d", n, messagesPerPage)
	}
	body, header := page.Body.Bytes(), page.Header().Clone()
	b.Run("baseline", func(b *testing.B) {
		b.ReportMetric(float64(len(body)), "bytes/page")
		own := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(body)
		})
		b.ReportAllocs()
		for b.Loop() {
			serve(own)
		}
	})
	b.Run("rendered", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			serve(h)
		}
	})
}
