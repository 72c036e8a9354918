package app

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// Logged-in people get lists read through a.lists (the page cache is for
// visitors without cookies only): every write that changes a list shows
// on the next request, and time alone takes an ended event off.
func TestListCacheFollowsEveryChange(t *testing.T) {
	setClock, move := clockAt(findClock)
	ti := newTestInstance(t, setClock)
	ti.App.pages = nil // only the list cache is under test
	ctx := context.Background()
	_, org := ti.createAccount(t, "org@example.org", "org", "correct horse battery", false)
	ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	bob := ti.login(t, "bob", "correct horse battery")
	e := addEvent(t, ti, org.ID, "Bal folk", 24*time.Hour)

	for _, p := range []string{"/", "/tags/neighbours"} {
		if body := getOK(t, ti, bob, p); !strings.Contains(body, "Bal folk") {
			t.Fatalf("%s misses the event", p)
		}
	}
	if ti.App.lists.Len() == 0 {
		t.Fatal("nothing kept in the list cache: the test tests nothing")
	}

	// An edit shows at once.
	e.Title = "Bal folk et crêpes"
	if err := ti.App.Store().UpdateEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", "/tags/neighbours"} {
		if body := getOK(t, ti, bob, p); !strings.Contains(body, "Bal folk et crêpes") {
			t.Errorf("%s still shows the old title after an edit", p)
		}
	}

	// Someone joining changes the going count on the card.
	if body := getOK(t, ti, bob, "/"); strings.Contains(body, "1 person going") {
		t.Fatal("a count before anyone joined")
	}
	err := ti.App.Store().Tx(ctx, func(tx *sql.Tx) error {
		return ti.App.Store().InsertParticipationTx(ctx, tx, &store.Participation{EventID: e.ID, Name: "Ann", Email: "ann@example.org", State: store.ParticipationConfirmed})
	})
	if err != nil {
		t.Fatal(err)
	}
	if body := getOK(t, ti, bob, "/"); !strings.Contains(body, "1 person going") {
		t.Error("the home page does not count the new participant")
	}

	// The cards are kept per language: a French reader after an English one.
	req, _ := http.NewRequest(http.MethodGet, ti.URL+"/", nil)
	req.Header.Set("Accept-Language", "fr")
	res, err := ti.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	fr, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(fr), "Par org") || !strings.Contains(string(fr), "1 participant") {
		t.Error("a French reader gets cards drawn in another language")
	}
	if body := getOK(t, ti, bob, "/"); !strings.Contains(body, "By org") {
		t.Error("an English reader gets cards drawn in another language")
	}

	// A new event, and a private one that must never be listed.
	addEvent(t, ti, org.ID, "Soon over", time.Hour)
	addEvent(t, ti, org.ID, "Secret meeting", 2*time.Hour, func(e *store.Event) { e.Visibility = store.VisibilityPrivate })
	body := getOK(t, ti, bob, "/")
	if !strings.Contains(body, "Soon over") {
		t.Error("a new event is not on the home page")
	}
	if strings.Contains(body, "Secret meeting") {
		t.Error("a private event is listed")
	}

	// A deleted event is gone at once.
	if err := ti.App.Store().DeleteEvent(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if body := getOK(t, ti, bob, "/"); strings.Contains(body, "Bal folk") {
		t.Error("a deleted event stays on the home page")
	}

	// Time alone: an event that ended leaves the list with no write.
	move(4 * time.Hour)
	if body := getOK(t, ti, bob, "/"); strings.Contains(body, "Soon over") {
		t.Error("an ended event stays on the home page")
	}
}

// The event page reads an event anyone may read in full through a.events:
// an edit, a new participant, a new organiser name or a change of
// visibility shows on the next request; an event with private details or
// a private event is never kept there.
func TestEventCacheFollowsEveryChange(t *testing.T) {
	setClock, _ := clockAt(findClock)
	ti := newTestInstance(t, setClock)
	ti.App.pages = nil // only the event cache is under test
	ctx := context.Background()
	orgAcc, org := ti.createAccount(t, "org@example.org", "org", "correct horse battery", false)
	ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	bob := ti.login(t, "bob", "correct horse battery")
	e := addEvent(t, ti, org.ID, "Bal folk", 24*time.Hour, func(e *store.Event) {
		e.DescriptionMD, e.DescriptionHTML = "Bring shoes", "<p>Bring shoes</p>"
	})
	path := "/events/" + e.UUID
	if body := getOK(t, ti, bob, path); !strings.Contains(body, "Bring shoes") {
		t.Fatal("the event page misses the description")
	}
	if ti.App.events.Len() != 1 {
		t.Fatalf("%d events kept: the test tests nothing", ti.App.events.Len())
	}

	// Editing the description shows at once.
	e.DescriptionMD, e.DescriptionHTML = "Bring **good** shoes", "<p>Bring <strong>good</strong> shoes</p>"
	if err := ti.App.Store().UpdateEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	body := getOK(t, ti, bob, path)
	if !strings.Contains(body, "Bring <strong>good</strong> shoes") {
		t.Error("the event page shows the old description after an edit")
	}
	if !strings.Contains(body, `"description":"Bring good shoes"`) {
		t.Error("the structured data keeps the old description after an edit")
	}

	// A participant.
	err := ti.App.Store().Tx(ctx, func(tx *sql.Tx) error {
		return ti.App.Store().InsertParticipationTx(ctx, tx, &store.Participation{EventID: e.ID, Name: "Ann", Email: "ann@example.org", State: store.ParticipationConfirmed})
	})
	if err != nil {
		t.Fatal(err)
	}
	if body := getOK(t, ti, bob, path); !strings.Contains(body, "1 person going") {
		t.Error("the event page does not count the new participant")
	}

	// The organiser's new name.
	if err := ti.App.Store().UpdateIdentity(ctx, orgAcc.ID, org.ID, store.IdentityUpdate{DisplayName: "Orchestre du Quartier"}); err != nil {
		t.Fatal(err)
	}
	if body := getOK(t, ti, bob, path); !strings.Contains(body, "Orchestre du Quartier") {
		t.Error("the event page shows the organiser's old name")
	}

	// Made private: gone at once for others.
	e.Visibility = store.VisibilityPrivate
	if err := ti.App.Store().UpdateEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	if res, _ := ti.get(t, bob, path); res.StatusCode != http.StatusNotFound {
		t.Errorf("an event made private: status %d for another member", res.StatusCode)
	}
	if ti.App.events.Len() != 0 {
		t.Error("a private event is kept in the shared cache")
	}

	// An event whose online address is for accepted participants only is
	// never kept, and others never see that address.
	approval := addEvent(t, ti, org.ID, "Closed workshop", 48*time.Hour, func(e *store.Event) {
		e.JoinMode, e.OnlineURL = store.JoinApproval, "https://video.example.org/secret-room"
	})
	for range 2 {
		if body := getOK(t, ti, bob, "/events/"+approval.UUID); strings.Contains(body, "secret-room") {
			t.Fatal("the private online address is shown to someone not accepted")
		}
	}
	if ti.App.events.Len() != 0 {
		t.Error("an event with private details is kept in the shared cache")
	}
}

// The visible comments under an event anyone may read are kept with it:
// a new comment, an edit, a comment held for moderation and one deleted
// each show as they should on the next request.
func TestCommentCacheFollowsEveryChange(t *testing.T) {
	setClock, _ := clockAt(findClock)
	ti := newTestInstance(t, setClock)
	ti.App.pages = nil
	ctx := context.Background()
	_, org := ti.createAccount(t, "org@example.org", "org", "correct horse battery", false)
	_, bobID := ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	bob := ti.login(t, "bob", "correct horse battery")
	e := addEvent(t, ti, org.ID, "Bal folk", 24*time.Hour)
	path := "/events/" + e.UUID
	getOK(t, ti, bob, path)
	if ti.App.comments.Len() != 1 {
		t.Fatalf("%d comment lists kept: the test tests nothing", ti.App.comments.Len())
	}
	add := func(text, state string) *store.Comment {
		c := &store.Comment{EventID: e.ID, AuthorID: bobID.ID, ContentHTML: "<p>" + text + "</p>", State: state}
		if err := ti.App.Store().Tx(ctx, func(tx *sql.Tx) error { return ti.App.Store().InsertCommentTx(ctx, tx, c) }); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := add("See you there", store.CommentVisible)
	if body := getOK(t, ti, bob, path); !strings.Contains(body, "See you there") {
		t.Error("a new comment is missing")
	}
	if err := ti.App.Store().UpdateCommentContent(ctx, c.ID, "<p>See you all there</p>"); err != nil {
		t.Fatal(err)
	}
	if body := getOK(t, ti, bob, path); !strings.Contains(body, "See you all there") {
		t.Error("an edited comment shows its old text")
	}
	add("Buy my stuff", store.CommentHeld)
	if body := getOK(t, ti, bob, path); strings.Contains(body, "Buy my stuff") {
		t.Error("a comment held for moderation is shown")
	}
	if err := ti.App.Store().DeleteComment(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if body := getOK(t, ti, bob, path); strings.Contains(body, "See you all there") {
		t.Error("a deleted comment is still shown")
	}
}
