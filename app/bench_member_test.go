package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"convene/app/sessioncache"
	"convene/app/store"
)

// BenchmarkMemberPagesOwnBytes is what a logged-in member pays: the event
// page and the home page of 10,000 events read with a session cookie
// (never from the page cache, and with the member's own header and
// participation block drawn every time), each against a handler writing
// that same page's bytes and headers with no database and no template,
// in the same run: the ratio is baseline ns/op over rendered ns/op.
// "cold" empties every cache of what readers see, the session's too,
// before each request, as right after a write.
//
//	go test ./app -run '^$' -bench BenchmarkMemberPagesOwnBytes -count 3 -cpu 2,1
func BenchmarkMemberPagesOwnBytes(b *testing.B) {
	ti := newTestInstance(b)
	seedEvents(b, ti, 10000)
	event := benchEventPage(b, ti)
	ctx := context.Background()
	acc, id, err := ti.App.Store().CreateAccountWithIdentity(ctx, "member@example.org", "", false, store.NewIdentity{Username: "member"})
	if err != nil {
		b.Fatal(err)
	}
	secret, err := ti.App.store.CreateSession(ctx, acc.ID, id.ID, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	ti.App.pages = nil
	h := ti.App.Handler()
	loop := func(b *testing.B, h http.Handler, path string) {
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: secret})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("GET %s: status %d", path, rec.Code)
			}
		}
	}
	for _, page := range []struct{ name, path string }{{"event", event}, {"home", "/"}} {
		req := httptest.NewRequest(http.MethodGet, page.path, nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: secret})
		first := httptest.NewRecorder()
		h.ServeHTTP(first, req)
		if first.Code != http.StatusOK {
			b.Fatalf("GET %s: status %d", page.path, first.Code)
		}
		if !strings.Contains(first.Body.String(), `action="/logout"`) {
			b.Fatalf("GET %s with a session: not the member's page", page.path)
		}
		body, header := first.Body.Bytes(), first.Header().Clone()
		own := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(body)
		})
		b.Run(page.name+"/baseline", func(b *testing.B) {
			b.ReportMetric(float64(len(body)), "bytes/page")
			loop(b, own, page.path)
		})
		b.Run(page.name+"/rendered", func(b *testing.B) { loop(b, h, page.path) })
	}
	// Caches that keep nothing, the session's included: every request
	// reads and draws everything.
	coldCaches(ti.App)
	ti.App.viewers = sessioncache.New[viewer](1, 0)
	for _, page := range []struct{ name, path string }{{"event", event}, {"home", "/"}} {
		b.Run(page.name+"/cold", func(b *testing.B) { loop(b, h, page.path) })
	}
}
