package app

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"convene/app/ap"
	"convene/app/store"
)

func reactionActivity(typ, id, actor string, object any) []byte {
	b, _ := json.Marshal(map[string]any{"@context": ap.Context(), "type": typ, "id": id, "actor": actor, "object": object})
	return b
}

// Likes and Announces of an event are counted once per actor, shown on
// its page, and taken back only by their own actor's Undo.
func TestLikesAndSharesOfAnEvent(t *testing.T) {
	us := newFedInstance(t)
	_, bob := us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	peer := newFakePeer(t)
	ctx := context.Background()
	e := publishEvent(t, us.App, bob, "Bal folk", store.VisibilityPublic)
	eventURI := us.URL + "/events/" + e.UUID
	eve, mal := peer.actor("eve"), peer.actor("mal")
	counts := func() store.ReactionCounts {
		c, err := us.App.store.CountReactions(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	sendToInbox(t, us, peer, "eve", reactionActivity("Like", eve+"/likes/1", eve, eventURI))
	sendToInbox(t, us, peer, "eve", reactionActivity("Like", eve+"/likes/2", eve, eventURI)) // again: still one
	sendToInbox(t, us, peer, "mal", reactionActivity("Like", mal+"/likes/1", mal, eventURI))
	sendToInbox(t, us, peer, "eve", reactionActivity("Announce", eve+"/announces/1", eve, eventURI))
	if got := counts(); got != (store.ReactionCounts{Likes: 2, Announces: 1}) {
		t.Fatalf("counts %+v, want 2 likes and 1 share", got)
	}
	page := eventPage(t, us, e)
	if !strings.Contains(page, "2 likes") || !strings.Contains(page, "1 share") {
		t.Fatalf("the event page does not show the reactions:\n%s", commentsOf(page))
	}

	// mal cannot undo eve's like, by id or embedded.
	sendToInbox(t, us, peer, "mal", reactionActivity("Undo", mal+"/undo/1", mal, eve+"/likes/2"))
	sendToInbox(t, us, peer, "mal", reactionActivity("Undo", mal+"/undo/2", mal,
		json.RawMessage(reactionActivity("Like", eve+"/likes/2", eve, eventURI))))
	if got := counts(); got.Likes != 2 {
		t.Fatalf("someone else's Undo removed a like: %+v", got)
	}
	// eve's own Undo, embedded (Mastodon's shape), and of her Announce by id.
	sendToInbox(t, us, peer, "eve", reactionActivity("Undo", eve+"/undo/1", eve,
		json.RawMessage(reactionActivity("Like", eve+"/likes/2", eve, eventURI))))
	sendToInbox(t, us, peer, "eve", reactionActivity("Undo", eve+"/undo/2", eve, eve+"/announces/1"))
	if got := counts(); got != (store.ReactionCounts{Likes: 1}) {
		t.Fatalf("after eve's Undos: %+v, want 1 like", got)
	}
	if page := eventPage(t, us, e); !strings.Contains(page, "1 like") || strings.Contains(page, "1 share") {
		t.Fatal("the page does not follow the Undos")
	}

	// A Like of something that is not one of our events is none of ours.
	sendToInbox(t, us, peer, "eve", reactionActivity("Like", eve+"/likes/3", eve, us.URL+"/events/no-such-event"))
	if got := counts(); got.Likes != 1 {
		t.Fatalf("%+v", got)
	}
}

// The banner travels as a Document with its media type, and our uploads
// are served as pictures even to a peer asking for ActivityStreams.
func TestEventBannerInTheEventJSON(t *testing.T) {
	us := newFedInstance(t)
	_, bob := us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	ctx := context.Background()
	m, err := us.App.store.CreateMedia(ctx, "image/png", 1, 1, []byte("\x89PNG\r\n\x1a\nnot really"))
	if err != nil {
		t.Fatal(err)
	}
	e := publishEvent(t, us.App, bob, "Bal folk", store.VisibilityPublic)
	e.BannerID = m.ID
	updateEvent(t, us, e)

	doc := eventJSON(t, us, e)
	var banner map[string]any
	for _, att := range doc["attachment"].([]any) {
		if m := att.(map[string]any); m["type"] == "Document" {
			banner = m
		}
	}
	if banner == nil || banner["mediaType"] != "image/png" || banner["url"] != us.URL+"/media/"+m.UUID || banner["name"] != "Banner" {
		t.Fatalf("banner attachment %v", banner)
	}
	req, _ := http.NewRequest(http.MethodGet, us.URL+"/media/"+m.UUID, nil)
	req.Header.Set("Accept", ap.ContentTypeActivityJSON)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "image/png" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("an upload is served as %q (nosniff %q)", ct, res.Header.Get("X-Content-Type-Options"))
	}
	// Even a row claiming another type goes out as bytes, not as JSON.
	odd, _ := us.App.store.CreateMedia(ctx, ap.ContentTypeActivityJSON, 1, 1, []byte(`{"type":"Note"}`))
	res, err = http.Get(us.URL + "/media/" + odd.UUID)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Fatalf("a media row claiming %s is served as %q", ap.ContentTypeActivityJSON, ct)
	}
}
