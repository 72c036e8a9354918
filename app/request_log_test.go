package app

import (
	"bytes"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// With --verbose, every request is logged by its route, so that the
// secrets in password, setup, participation and private calendar links
// never reach the log.
func TestVerboseLogKeepsSecretsOut(t *testing.T) {
	var logs syncBuffer
	ti := newTestInstance(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	secrets := map[string]string{
		"/password/SECRET-PASSWORD-TOKEN":                  "/password/{token}",
		"/setup/SECRET-SETUP-TOKEN":                        "/setup/{token}",
		"/participations/cancel/SECRET-CANCEL-TOKEN":       "/participations/cancel/{token}",
		"/participations/confirm/SECRET-CONFIRM-TOKEN":     "/participations/confirm/{token}",
		"/feeds/private/SECRET-CALENDAR-ADDRESS.ics":       "/feeds/private/{file}",
		"/no/such/page/SECRET-IN-AN-UNKNOWN-PATH?x=SECRET": "/",
	}
	for path := range secrets {
		ti.get(t, ti.client(), path)
	}
	ti.postForm(t, ti.client(), "/password/SECRET-PASSWORD-TOKEN", url.Values{"password": {"a long enough password"}})
	got := logs.String()
	if strings.Contains(got, "SECRET") {
		t.Fatalf("a secret reached the log:\n%s", got)
	}
	for path, route := range secrets {
		if !strings.Contains(got, route) {
			t.Errorf("no line for %s logged as route %s:\n%s", path, route, got)
		}
	}
}
