package app

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A member who chose the daily digest gets one mail gathering the day's
// discussion news, once the oldest of it is a day old, and never two in a
// day.
func TestGroupDailyDigest(t *testing.T) {
	ms := startMailServer(t, true)
	clock := &fedClock{}
	ti := newTestInstance(t, ms.withMail, func(c *Config) { c.Now = clock.Now })
	alice, bob, _, _ := groupWithMembers(t, ti)
	ti.postForm(t, bob.Client, "/groups/velo/notify", url.Values{"notify": {"digest"}})
	ctx := context.Background()
	send := func() int {
		t.Helper()
		n, err := ti.App.SendGroupDigests(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ti.App.DeliverMailDue(ctx); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Sessions last an hour and the clock moves by days: a fresh one each time.
	discuss := func(title, body string) {
		t.Helper()
		c := ti.sessionClient(t, alice.Account.ID, alice.Identity.ID)
		res := ti.postForm(t, c, "/groups/velo/discussions", url.Values{"title": {title}, "body": {body}})
		if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/groups/velo/discussions/") {
			t.Fatalf("discussion %q: %d %s", title, res.StatusCode, loc)
		}
	}
	send()
	before := ms.countTo("bob@example.org")
	discuss("Saturday ride", "Who comes?")
	clock.Advance(3 * time.Hour)
	discuss("Flat tyres", "Bring pumps.")
	if n := send(); n != 0 || ms.countTo("bob@example.org") != before {
		t.Fatalf("a digest went out before the news was a day old (%d)", n)
	}
	clock.Advance(21*time.Hour + time.Minute)
	if n := send(); n != 1 {
		t.Fatalf("%d digests sent a day later, want 1", n)
	}
	mail := ms.lastTo(t, "bob@example.org")
	if !strings.Contains(mail.Text, "Saturday ride") || !strings.Contains(mail.Text, "Flat tyres") || ms.countTo("bob@example.org") != before+1 {
		t.Fatalf("digest:\n%s", mail.Text)
	}
	// News after the digest waits for its own day.
	discuss("Night ride", "Lights!")
	clock.Advance(time.Hour)
	if n := send(); n != 0 {
		t.Fatalf("a second digest within the day")
	}
	clock.Advance(24 * time.Hour)
	if n := send(); n != 1 || !strings.Contains(ms.lastTo(t, "bob@example.org").Text, "Night ride") {
		t.Fatalf("the next day's digest: %d", n)
	}
	for _, m := range ms.messages() {
		if m.Subject == "Your groups today" && m.To[0] != "bob@example.org" {
			t.Errorf("a digest to %v, who did not ask for one", m.To)
		}
	}
}
