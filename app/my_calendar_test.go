package app

import (
	"strings"
	"testing"

	"convene/app/store"
)

// A person's follow brings the followed account's events to that
// person's own calendar, not to the instance's public lists.
func TestMyCalendarShowsFollowedRemoteEventsOnlyToTheFollower(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	a.ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	a.ti.createAccount(t, "carol@example.org", "carol", "correct horse battery", false)
	_, bob := b.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	alice := a.ti.login(t, "alice@example.org", "correct horse battery")
	carol := a.ti.login(t, "carol@example.org", "correct horse battery")

	followAcross(t, a, alice, b, "bob")
	publishEvent(t, b.App, bob, "Bal folk des Monts", store.VisibilityPublic)
	drain(t, a, b)

	if _, page := b.ti.get(t, b.ti.client(), "/"); !strings.Contains(page, "Bal folk des Monts") {
		t.Fatalf("the event is not public on its own instance:\n%s", page)
	}
	_, page := a.ti.get(t, alice, "/me/calendar")
	if !strings.Contains(page, "Bal folk des Monts") {
		t.Fatalf("alice's calendar does not show bob's event:\n%s", page)
	}
	if !strings.Contains(page, b.Host) {
		t.Fatalf("alice's calendar does not say where the event comes from:\n%s", page)
	}
	for _, path := range []string{"/", "/search?q=folk", "/search?q=Monts"} {
		if _, page := a.ti.get(t, a.ti.client(), path); strings.Contains(page, "Bal folk des Monts") {
			t.Fatalf("%s on A lists an event no instance source brought:\n%s", path, page)
		}
		if _, page := a.ti.get(t, alice, path); strings.Contains(page, "Bal folk des Monts") {
			t.Fatalf("%s on A lists, for alice, an event no instance source brought:\n%s", path, page)
		}
	}
	if _, page := a.ti.get(t, carol, "/me/calendar"); strings.Contains(page, "Bal folk des Monts") ||
		!strings.Contains(page, "Nothing coming up from the accounts you follow.") {
		t.Fatalf("carol, who follows nobody, sees alice's calendar:\n%s", page)
	}
	if res, _ := a.ti.get(t, a.ti.client(), "/me/calendar"); res.StatusCode != 303 || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("an anonymous visitor reached a personal calendar: status %d, location %q", res.StatusCode, res.Header.Get("Location"))
	}
}
