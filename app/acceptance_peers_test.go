package app

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"convene/app/ap"
)

// fixtureOn reads a fixture from testdata/ap with its host replaced by a
// mock peer's; the 2019 Mobilizon event is moved into the future so that
// it is upcoming.
func fixtureOn(t *testing.T, name string, p *mockPeer, origin string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/ap/" + name)
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.ReplaceAll(string(b), origin, p.URL))
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["startTime"]; ok {
		start := time.Now().Add(10 * 24 * time.Hour).UTC().Truncate(time.Hour)
		doc["startTime"], doc["endTime"] = start.Format(time.RFC3339), start.Add(time.Hour).Format(time.RFC3339)
	}
	return doc
}

// withFields re-serves an actor with extra fields (outbox, ...).
func withFields(t *testing.T, p *mockPeer, path string, extra map[string]any) {
	t.Helper()
	p.mu.Lock()
	raw := p.docs[path].body
	p.mu.Unlock()
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for k, v := range extra {
		doc[k] = v
	}
	p.put(path, doc)
}

func sourceState(t *testing.T, us *fedInstance, uri string) string {
	t.Helper()
	var s string
	us.App.store.DB().QueryRow(`SELECT s.state FROM follow_sources s JOIN actors a ON a.id = s.actor_id WHERE a.uri = ?`, uri).Scan(&s)
	return s
}

// Spec test 9: following a Mobilizon host resolves its actor through
// NodeInfo (FEP-2677) and sends a Follow; an Accept whose actor is not the
// target is ignored; a valid Accept sets accepted and backfills.
func TestFollowHandshakeByHost(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	mz := newMockPeer(t, "mobilizon")
	relay := mz.actor(t, "/relay", ap.TypeApplication, "relay", 1)
	withFields(t, mz, "/relay", map[string]any{"outbox": relay + "/outbox"})
	mz.actor(t, "/@climat", ap.TypeGroup, "climat", 2)
	// Mobilizon's /.well-known/nodeinfo, plus the FEP-2677 link that
	// current versions add.
	b, _ := os.ReadFile("testdata/ap/mobilizon-nodeinfo-wellknown-mobilizon.fr.json")
	var links struct {
		Links []map[string]string `json:"links"`
	}
	json.Unmarshal([]byte(strings.ReplaceAll(string(b), "https://mobilizon.fr", mz.URL)), &links)
	links.Links = append(links.Links, map[string]string{"rel": "https://www.w3.org/ns/activitystreams#Application", "href": relay})
	nodeinfo, _ := json.Marshal(links)
	mz.putRaw("/.well-known/nodeinfo", "application/json", nodeinfo)
	ev := fixtureOn(t, "mobilizon-event-mobilizon.org-2019.json", mz, "https://mobilizon.org")
	mz.actor(t, "/@tcit", ap.TypePerson, "tcit", 0)
	mz.put("/relay/outbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "OrderedCollection",
		"id": relay + "/outbox", "totalItems": 1, "orderedItems": []any{map[string]any{"type": "Create", "id": ev["id"].(string) + "/activity",
			"actor": relay, "object": ev, "to": []string{ap.Public}}}})

	res, body := us.ti.postFormBody(t, admin, "/admin/sources", map[string][]string{"address": {mz.Host}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("follow %s: %d\n%s", mz.Host, res.StatusCode, body)
	}
	drain(t, us)
	var follow map[string]any
	for _, p := range mz.received() {
		var a map[string]any
		json.Unmarshal(p.Body, &a)
		if a["type"] == "Follow" {
			follow = a
		}
	}
	if follow == nil || follow["object"] != relay || follow["actor"] != us.URL+"/actor" {
		t.Fatalf("no Follow of the NodeInfo actor from our instance actor: %v", follow)
	}
	if sourceState(t, us, relay) != "pending" {
		t.Fatalf("source state %q before any Accept", sourceState(t, us, relay))
	}
	wrong := map[string]any{"type": "Accept", "id": mz.URL + "/@climat#accept", "actor": mz.URL + "/@climat", "object": follow, "to": []string{us.URL + "/actor"}}
	mz.send(t, us.URL+"/actor/inbox", mz.URL+"/@climat", wrong)
	drain(t, us)
	if sourceState(t, us, relay) != "pending" || count(t, us, `SELECT count(*) FROM remote_events`) != 0 {
		t.Fatal("an Accept from another actor than the target was taken")
	}
	accept := map[string]any{"type": "Accept", "id": relay + "#accept", "actor": relay, "object": follow, "to": []string{us.URL + "/actor"}}
	if got := mz.send(t, us.URL+"/actor/inbox", relay, accept); got != http.StatusAccepted {
		t.Fatalf("accept: %d", got)
	}
	drain(t, us)
	if sourceState(t, us, relay) != "accepted" {
		t.Fatalf("source state %q after the Accept", sourceState(t, us, relay))
	}
	if _, home := us.ti.get(t, us.ti.client(), "/"); !strings.Contains(home, "Mobilizon Launching Party") {
		t.Fatal("the source's outbox was not backfilled onto the home page")
	}
}

// Spec test 11: a relay's Announce embedding an Event of its own host is
// stored and linked to the source; an embedded Event of another host is
// refetched from its id (the embedded copy is not trusted).
func TestMobilizonRelayAnnounce(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	mz := newMockPeer(t, "mobilizon")
	relay := mz.actor(t, "/relay", ap.TypeApplication, "relay", 1)
	followPeerAsSource(t, us, admin, mz, relay)
	mz.actor(t, "/@tcit", ap.TypePerson, "tcit", 0)
	own := fixtureOn(t, "mobilizon-event-mobilizon.org-2019.json", mz, "https://mobilizon.org")
	announce := func(i string, obj any) map[string]any {
		return map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "Announce", "id": relay + "/announces/" + i,
			"actor": relay, "object": obj, "to": []string{relay + "/followers"}, "cc": []string{ap.Public}}
	}
	if got := mz.send(t, us.URL+"/inbox", relay, announce("1", own)); got != http.StatusAccepted {
		t.Fatalf("announce: %d", got)
	}
	drain(t, us)
	linked := count(t, us, `SELECT count(*) FROM event_sources es JOIN events e ON e.id = es.event_id JOIN actors a ON a.id = es.source_id
		WHERE e.uri = ? AND a.uri = ?`, own["id"], relay)
	if linked != 1 {
		t.Fatal("the relay's own event is not stored and linked to the source")
	}
	other := newMockPeer(t, "elsewhere")
	orga := other.actor(t, "/@orga", ap.TypePerson, "orga", 2)
	real := mzEvent(other, "x1", "Fête de quartier", orga, time.Now().Add(5*24*time.Hour), []string{ap.Public}, nil)
	other.put("/events/x1", real)
	forged := mzEvent(other, "x1", "Fête de quartier (copie modifiée)", orga, time.Now().Add(5*24*time.Hour), []string{ap.Public}, nil)
	before := other.requestCount()
	mz.send(t, us.URL+"/inbox", relay, announce("2", forged))
	drain(t, us)
	if other.requestCount() == before {
		t.Fatal("an embedded Event of another host was not refetched")
	}
	var title string
	us.App.store.DB().QueryRow(`SELECT title FROM events WHERE uri = ?`, real["id"]).Scan(&title)
	if title != "Fête de quartier" {
		t.Fatalf("stored %q, want the origin's version", title)
	}
}

// Spec test 16: a followed Mastodon account's Notes are not stored; its
// Announce of a Mobilizon Event URI fetches and stores the Event.
func TestMastodonAccountSource(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	masto := newMockPeer(t, "mastodon")
	account := masto.actor(t, "/users/agenda", ap.TypePerson, "agenda", 1)
	followPeerAsSource(t, us, admin, masto, account)
	note := map[string]any{"type": "Note", "id": account + "/statuses/1", "attributedTo": account, "content": "<p>Bonjour</p>",
		"to": []string{ap.Public}, "published": time.Now().UTC().Format(time.RFC3339)}
	if got := masto.send(t, us.URL+"/inbox", account, create(masto, account, note)); got != http.StatusAccepted {
		t.Fatalf("note: %d", got)
	}
	drain(t, us)
	if n := count(t, us, `SELECT count(*) FROM events`); n != 0 {
		t.Fatal("a Mastodon Note was stored as an event")
	}
	for _, table := range []string{"comments"} {
		if n := count(t, us, `SELECT count(*) FROM `+table+` WHERE content_html LIKE '%Bonjour%'`); n != 0 {
			t.Fatalf("a Mastodon Note was stored in %s", table)
		}
	}
	mz := newMockPeer(t, "mobilizon")
	mz.actor(t, "/@tcit", ap.TypePerson, "tcit", 0)
	ev := fixtureOn(t, "mobilizon-event-mobilizon.org-2019.json", mz, "https://mobilizon.org")
	mz.put(strings.TrimPrefix(ev["id"].(string), mz.URL), ev)
	boost := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "Announce", "id": account + "/statuses/2/activity",
		"actor": account, "object": ev["id"], "to": []string{ap.Public}}
	if got := masto.send(t, us.URL+"/inbox", account, boost); got != http.StatusAccepted {
		t.Fatalf("boost: %d", got)
	}
	drain(t, us)
	if _, home := us.ti.get(t, us.ti.client(), "/"); !strings.Contains(home, "Mobilizon Launching Party") {
		t.Fatal("the boosted Mobilizon event was not fetched and shown")
	}
}
