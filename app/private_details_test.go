package app

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

const (
	secretRoom = "https://video.example.org/room/secret-4711"
	secretPad  = "https://pad.example.org/p/secret-pad-4711"
	publicTix  = "https://tickets.example.org/open-4711"
)

// addPrivateDetailsEvent is an event whose organisers approve each
// participant, with an online address, a pad and a tickets link.
func addPrivateDetailsEvent(t *testing.T, ti *testInstance, organizerID int64) *store.Event {
	t.Helper()
	return addJoinableEvent(t, ti, organizerID, "Assemblée des cyclistes", 72*time.Hour, func(e *store.Event) {
		e.JoinMode = store.JoinApproval
		e.OnlineURL = secretRoom
		e.Links = []store.Link{{Kind: "pad", Title: "Ordre du jour", URL: secretPad}, {Kind: "tickets", URL: publicTix}}
	})
}

// secretsIn names which of the private details a text shows.
func secretsIn(text string) []string {
	var out []string
	for _, s := range []string{secretRoom, secretPad} {
		if strings.Contains(text, s) || strings.Contains(text, url.QueryEscape(s)) {
			out = append(out, s)
		}
	}
	return out
}

// Item 3 of issue 12: an approval event's online address and tool links
// are absent from everything public: the page, the feeds and calendars,
// the .ics, the ActivityPub object and the link preview data.
func TestPrivateDetailsAbsentFromPublicViews(t *testing.T) {
	ti := newTestInstance(t)
	org := ti.newPerson(t, "organiser")
	e := addPrivateDetailsEvent(t, ti, org.Identity.ID)

	for _, path := range []string{
		eventPagePath(e), "/events/" + e.UUID + "/calendar.ics",
		"/feed.rss", "/feed.atom", "/calendar.ics",
		"/feeds/@organiser.rss", "/feeds/@organiser.atom", "/feeds/@organiser.ics",
	} {
		res, body := ti.get(t, ti.client(), path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		if !strings.Contains(body, e.Title) && !strings.Contains(body, "Assembl") {
			t.Fatalf("GET %s does not show the event at all:\n%s", path, body)
		}
		if s := secretsIn(body); len(s) > 0 {
			t.Errorf("GET %s shows %v to a visitor", path, s)
		}
	}
	_, page := ti.get(t, ti.client(), eventPagePath(e))
	if !strings.Contains(page, `data-testid="details-withheld"`) || !strings.Contains(page, publicTix) {
		t.Errorf("the page should say the details go to participants and still show the tickets link")
	}

	res, body := getAS(t, ti.URL+eventPagePath(e), ap.ContentTypeActivityJSON)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("event as ActivityPub: %d", res.StatusCode)
	}
	if s := secretsIn(string(body)); len(s) > 0 {
		t.Errorf("the public ActivityPub object carries %v:\n%s", s, body)
	}
	ev, err := ap.ParseEvent(body)
	if err != nil {
		t.Fatal(err)
	}
	if ev.OnlineAddress() != "" || !strings.Contains(string(body), publicTix) {
		t.Errorf("ActivityPub object: online address %q, want none; tickets link kept", ev.OnlineAddress())
	}

	// The organiser sees everything, on the page and in the .ics.
	for _, path := range []string{eventPagePath(e), "/events/" + e.UUID + "/calendar.ics"} {
		if _, body := ti.get(t, org.Client, path); len(secretsIn(body)) != 2 {
			t.Errorf("the organiser's %s shows %v, want both details", path, secretsIn(body))
		}
	}
}

// A participant with an identity sees the details once accepted, not while
// waiting; a visitor without an account gets them in the acceptance email
// and not before.
func TestPrivateDetailsReachAcceptedParticipants(t *testing.T) {
	ms := startMailServer(t, false)
	ti := newTestInstance(t, ms.withMail)
	org := ti.newPerson(t, "organiser")
	e := addPrivateDetailsEvent(t, ti, org.Identity.ID)

	zoe := ti.newPerson(t, "zoe")
	if res := ti.postForm(t, zoe.Client, "/events/"+e.UUID+"/join", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("join: %d", res.StatusCode)
	}
	for _, path := range []string{eventPagePath(e), "/events/" + e.UUID + "/calendar.ics"} {
		if _, body := ti.get(t, zoe.Client, path); len(secretsIn(body)) != 0 {
			t.Errorf("waiting for approval, %s shows %v", path, secretsIn(body))
		}
	}

	const email = "camille@example.org"
	ti.joinAnonymously(t, e, "Camille", email)
	ti.deliverMail(t)
	confirm := ms.lastTo(t, email)
	if s := secretsIn(confirm.Text + confirm.HTML); len(s) > 0 {
		t.Errorf("the confirmation email, before acceptance, has %v", s)
	}
	if res, _ := ti.followEmailLink(t, confirm.link(t, "/participations/confirm/")); res.StatusCode != http.StatusOK {
		t.Fatalf("confirm: %d", res.StatusCode)
	}

	ps, err := ti.App.store.ListParticipations(context.Background(), e.ID, store.ParticipationPending)
	if err != nil || len(ps) != 2 {
		t.Fatalf("pending: %d %v", len(ps), err)
	}
	for _, p := range ps {
		path := "/events/" + e.UUID + "/participants/" + strconv.FormatInt(p.ID, 10) + "/accept"
		if res := ti.postForm(t, org.Client, path, url.Values{}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("accept: %d", res.StatusCode)
		}
	}
	ti.deliverMail(t)
	accepted := ms.lastTo(t, email)
	if s := secretsIn(accepted.Text); len(s) != 2 {
		t.Errorf("the acceptance email has %v, want both details:\n%s", s, accepted.Text)
	}
	if s := secretsIn(accepted.HTML); len(s) != 2 {
		t.Errorf("the acceptance email's HTML has %v, want both details", s)
	}
	for _, path := range []string{eventPagePath(e), "/events/" + e.UUID + "/calendar.ics"} {
		if _, body := ti.get(t, zoe.Client, path); len(secretsIn(body)) != 2 {
			t.Errorf("accepted, %s shows %v, want both details", path, secretsIn(body))
		}
	}
	// Still nothing for visitors, now that people are in.
	if _, body := ti.get(t, ti.client(), eventPagePath(e)); len(secretsIn(body)) != 0 {
		t.Errorf("the public page shows %v", secretsIn(body))
	}
}
