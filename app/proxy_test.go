package app

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// Behind a reverse proxy, X-Forwarded-* is believed only from the proxy's
// own address: the visitor's address then keys the rate limits, and
// anyone else sending the headers is ignored (else a visitor could dodge
// the login limit by making up addresses).
func TestForwardedHeadersTrustedOnlyFromTheProxy(t *testing.T) {
	ti := newTestInstance(t)
	site := trustProxy("10.0.0.1", ti.App.Handler())
	attempt := 0
	login := func(from, forwardedFor string) int {
		// A different account name each time, so only the per-IP limit
		// can refuse.
		attempt++
		form := url.Values{"login": {"nobody" + itoa(int64(attempt))}, "password": {"wrong password"}}
		req := httptest.NewRequest(http.MethodPost, "/login", nil)
		req.PostForm = form
		req.Form = form
		req.RemoteAddr = from + ":4242"
		if forwardedFor != "" {
			req.Header.Set("X-Forwarded-For", forwardedFor)
			req.Header.Set("X-Forwarded-Proto", "https")
		}
		rec := httptest.NewRecorder()
		site.ServeHTTP(rec, req)
		return rec.Code
	}

	// A stranger cycling through made-up X-Forwarded-For values is still
	// one address: the per-IP limit catches it.
	var last int
	for i := 0; i < loginPerIPBurst+1; i++ {
		last = login("203.0.113.9", "198.51.100."+itoa(int64(i)))
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("forged X-Forwarded-For from a non-proxy: status %d after %d attempts, want 429", last, loginPerIPBurst+1)
	}

	// Through the proxy, each visitor has their own allowance.
	for i := 0; i < loginPerIPBurst; i++ {
		login("10.0.0.1", "192.0.2.1")
	}
	if code := login("10.0.0.1", "192.0.2.2"); code == http.StatusTooManyRequests {
		t.Fatal("a second visitor behind the proxy was limited by the first one's attempts")
	}
	if code := login("10.0.0.1", "192.0.2.1"); code != http.StatusTooManyRequests {
		t.Fatalf("the first visitor behind the proxy: status %d, want 429", code)
	}
}
