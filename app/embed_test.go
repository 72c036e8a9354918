package app

import (
	"html"
	"net/http"
	"strings"
	"testing"

	"convene/app/store"
)

func TestEmbedWidgetListsUpcomingEventsAndMayBeFramed(t *testing.T) {
	ti := newTestInstance(t)
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	_, bob := ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	for i, title := range []string{"Alice one", "Alice two", "Alice three"} {
		storeEvent(t, ti, alice, func(e *store.Event) {
			e.Title = title
			e.StartsAt = e.StartsAt.AddDate(0, 0, i)
			e.EndsAt = e.EndsAt.AddDate(0, 0, i)
			if i == 0 {
				e.Tags = []string{"folk"}
			}
		})
	}
	storeEvent(t, ti, alice, func(e *store.Event) { e.Title = "Alice private"; e.Visibility = store.VisibilityPrivate })
	storeEvent(t, ti, bob, func(e *store.Event) { e.Title = "Bob one"; e.Tags = []string{"folk"} })
	c := ti.client()

	res, body := ti.get(t, c, "/embed?identity=alice&limit=2")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors *") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("widget CSP %q", csp)
	}
	if xfo := res.Header.Get("X-Frame-Options"); xfo != "" {
		t.Errorf("widget X-Frame-Options %q", xfo)
	}
	if !strings.Contains(body, "Alice one") || !strings.Contains(body, "Alice two") || strings.Contains(body, "Alice three") ||
		strings.Contains(body, "private") || strings.Contains(body, "Bob") {
		t.Errorf("widget for alice, limit 2: %s", body)
	}
	if !strings.Contains(body, `<base target="_blank">`) {
		t.Errorf("widget links do not open in a new tab")
	}

	_, body = ti.get(t, c, "/embed?tag=folk")
	if !strings.Contains(body, "Alice one") || !strings.Contains(body, "Bob one") || strings.Contains(body, "Alice two") {
		t.Errorf("widget for a tag: %s", body)
	}
	_, body = ti.get(t, c, "/embed?limit=999")
	if strings.Count(body, `class="embed-title"`) != 4 {
		t.Errorf("instance widget shows %d events, want 4", strings.Count(body, `class="embed-title"`))
	}
	if res, _ := ti.get(t, c, "/embed?identity=nobody"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown identity: status %d", res.StatusCode)
	}

	// Every other page still refuses to be framed.
	for _, path := range []string{"/", "/@alice", "/feed.rss", "/embed/", "/login", "/nothing-here"} {
		res, _ := ti.get(t, c, path)
		if res.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s may be framed: %v", path, res.Header)
		}
	}

	// The identity page offers the snippet to copy.
	_, body = ti.get(t, c, "/@alice")
	if !strings.Contains(html.UnescapeString(body), `<iframe src="`+ti.URL+`/embed?identity=alice&amp;limit=5"`) {
		t.Errorf("identity page lacks the embed snippet")
	}
}
