package app

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"convene/app/ap"
	"convene/app/store"
)

// gancioOrigin is the host the Gancio 1.21 captures were served from.
const gancioOrigin = "http://127.0.0.1:13120"

// gancioPeer is a Gancio 1.21 instance as captured live: its relay
// Application actor (key id …/relay#main-key), events at
// /federation/m/<number> announced by Creates named <event>#create.
type gancioPeer struct {
	*mockPeer
	relay string
}

func newGancioPeer(t *testing.T) *gancioPeer {
	t.Helper()
	g := &gancioPeer{mockPeer: newMockPeer(t, "gancio")}
	g.relay = g.URL + "/federation/u/relay"
	key := testKeys(t)[1]
	doc := gancioFixture(t, g, "gancio-1.21-relay-actor-live.json")
	pem, _ := ap.EncodePublicKeyPEM(&key.PublicKey)
	doc["publicKey"].(map[string]any)["publicKeyPem"] = pem
	g.put("/federation/u/relay", doc)
	g.mu.Lock()
	g.keys[g.relay] = key
	g.mu.Unlock()
	return g
}

// gancioFixture reads a Gancio capture with its host replaced by the
// peer's.
func gancioFixture(t *testing.T, g *gancioPeer, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/ap/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(b), gancioOrigin, g.URL)), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// event is the captured event (a place name with a one-line address, a
// UTC offset and no zone, no end) with the given changes.
func (g *gancioPeer) event(t *testing.T, changes map[string]any) map[string]any {
	ev := gancioFixture(t, g, "gancio-1.21-event-no-end-live.json")
	for k, v := range changes {
		ev[k] = v
	}
	return ev
}

// create wraps an event as Gancio sends it: id <event>#create, from the
// relay, to Public, cc its followers.
func (g *gancioPeer) create(ev map[string]any) map[string]any {
	return map[string]any{"@context": ev["@context"], "id": ev["id"].(string) + "#create", "type": "Create",
		"to": []string{ap.Public}, "cc": []string{g.relay + "/followers"}, "actor": g.relay, "object": ev}
}

func (g *gancioPeer) deliver(t *testing.T, us *fedInstance, activity map[string]any) {
	t.Helper()
	if got := g.send(t, us.URL+"/inbox", g.relay, activity); got != http.StatusAccepted {
		t.Fatalf("%s from Gancio: status %d", activity["type"], got)
	}
	drain(t, us)
}

// followedGancio is an instance following a Gancio as a source.
func followedGancio(t *testing.T) (*fedInstance, *gancioPeer) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	g := newGancioPeer(t)
	followPeerAsSource(t, us, admin, g.mockPeer, g.relay)
	return us, g
}

func remoteEventOf(t *testing.T, us *fedInstance, uri string) *store.Event {
	t.Helper()
	ctx := context.Background()
	re, err := us.App.store.RemoteEventByURI(ctx, uri)
	if err != nil {
		return nil
	}
	e, err := us.App.store.EventByID(ctx, re.EventID)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Gancio follows again after an Undo with the same Follow id (and undoes
// it with the same Undo id): each is a new follow, each Undo ends it,
// and a replay of the second Follow is still a replay.
func TestGancioFollowIDReusedAfterUndo(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	g := newGancioPeer(t)
	bob := us.URL + "/@bob"
	follow := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": g.relay + "/follow/bob", "type": "Follow",
		"actor": g.relay, "object": bob}
	undo := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": g.relay + "/follow/bob#undo", "type": "Undo",
		"actor": g.relay, "object": follow}
	follows := func() int { return count(t, us, `SELECT count(*) FROM follows WHERE state = 'accepted'`) }
	accepts := func() int { // the Accepts Gancio received
		n := 0
		for _, p := range g.received() {
			if strings.Contains(string(p.Body), `"Accept"`) {
				n++
			}
		}
		return n
	}
	for round := 1; round <= 2; round++ {
		g.deliver(t, us, follow)
		if follows() != 1 || accepts() != round {
			t.Fatalf("Follow #%d: %d follows, %d Accepts; want 1 and %d", round, follows(), accepts(), round)
		}
		g.deliver(t, us, follow) // the same Follow again: a replay
		if accepts() != round {
			t.Fatalf("a replay of Follow #%d was answered again (%d Accepts)", round, accepts())
		}
		g.deliver(t, us, undo)
		if follows() != 0 {
			t.Fatalf("Undo #%d left %d follows", round, follows())
		}
	}
}

// Gancio on SQLite gives the id of its newest event, once deleted, to the
// next event it creates (and names that event's Create and Delete as it
// did the first's). The deleted event coming back stays deleted; the new
// event, published after the deleted one, is taken in; its Delete works.
func TestGancioEventIDReusedAfterDelete(t *testing.T) {
	us, g := followedGancio(t)
	first := g.event(t, map[string]any{"name": "Concerto", "published": "2026-12-07T17:47:37.041Z"})
	uri := first["id"].(string)
	del := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": uri + "#delete", "type": "Delete",
		"actor": g.relay, "object": uri, "to": []string{ap.Public}}

	g.deliver(t, us, g.create(first))
	if remoteEventOf(t, us, uri) == nil {
		t.Fatal("Gancio's event was not taken in")
	}
	g.deliver(t, us, del)
	if remoteEventOf(t, us, uri) != nil {
		t.Fatal("Gancio's Delete did not remove the event")
	}
	// The deleted event again, even in other bytes (a relay's copy).
	again := g.event(t, map[string]any{"name": "Concerto", "published": "2026-12-07T17:47:37.041Z", "summary": "resent"})
	g.deliver(t, us, g.create(again))
	if remoteEventOf(t, us, uri) != nil {
		t.Fatal("the deleted event came back")
	}
	// A new event with the same id, published later.
	second := g.event(t, map[string]any{"name": "Mostra fotografica", "published": "2026-12-07T18:02:11.512Z"})
	g.deliver(t, us, g.create(second))
	e := remoteEventOf(t, us, uri)
	if e == nil || e.Title != "Mostra fotografica" {
		t.Fatalf("the new event reusing a deleted id was dropped: %+v", e)
	}
	g.deliver(t, us, del)
	if remoteEventOf(t, us, uri) != nil {
		t.Fatal("the second Delete (same id as the first) did not remove the new event")
	}
}
