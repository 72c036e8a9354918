package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"convene/app/ap"
)

// sourceFixture is an instance following a Mobilizon-shaped group.
type sourceFixture struct {
	us    *fedInstance
	admin *http.Client
	mz    *mockPeer
	group string
}

func newSourceFixture(t *testing.T) *sourceFixture {
	t.Helper()
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	mz := newMockPeer(t, "mobilizon")
	group := mz.actor(t, "/@climat", ap.TypeGroup, "climat", 1)
	followPeerAsSource(t, us, admin, mz, group)
	return &sourceFixture{us: us, admin: admin, mz: mz, group: group}
}

// deliver sends an activity signed by actor to our shared inbox, expects
// 202 and processes the inbox.
func (f *sourceFixture) deliver(t *testing.T, peer *mockPeer, actor string, activity map[string]any) {
	t.Helper()
	if got := peer.send(t, f.us.URL+"/inbox", actor, activity); got != http.StatusAccepted {
		t.Fatalf("%s from %s: %d", activity["type"], actor, got)
	}
	drain(t, f.us)
}

func (f *sourceFixture) title(t *testing.T, uri string) string {
	t.Helper()
	ev, err := f.us.App.store.RemoteEventByURI(context.Background(), uri)
	if err != nil {
		return ""
	}
	e, err := f.us.App.store.EventByID(context.Background(), ev.EventID)
	if err != nil {
		t.Fatal(err)
	}
	return e.Title
}

func (f *sourceFixture) remoteEvents(t *testing.T) int {
	return count(t, f.us, `SELECT count(*) FROM remote_events`)
}

func update(actor string, obj map[string]any) map[string]any {
	return map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "Update",
		"id": obj["id"].(string) + "/update/" + time.Now().Format("150405.000000000"), "actor": actor, "object": obj, "to": obj["to"], "cc": obj["cc"]}
}

// Spec test 4: blocking the domain of an accepted source with 5 cached
// events deletes them, cancels the source, writes tombstones and sends
// nothing; unblocking restores nothing.
func TestBlockingAnExistingSource(t *testing.T) {
	f := newSourceFixture(t)
	for i := range 5 {
		ev := mzEvent(f.mz, "e"+itoa(int64(i)), "Atelier "+itoa(int64(i)), f.group, time.Now().Add(time.Duration(i+1)*24*time.Hour), []string{ap.Public}, nil)
		f.deliver(t, f.mz, f.group, create(f.mz, f.group, ev))
	}
	if f.remoteEvents(t) != 5 {
		t.Fatalf("%d events cached, want 5", f.remoteEvents(t))
	}
	if _, home := f.us.ti.get(t, f.us.ti.client(), "/"); !strings.Contains(home, "Atelier 3") {
		t.Fatal("the source's events are not on the home page")
	}
	sent := len(f.mz.received())
	// A local event, to see that the block does not touch it.
	_, org := f.us.ti.createAccount(t, "org@example.org", "org", "correct horse battery", false)
	publishEvent(t, f.us.App, org, "Bal local", "public")
	block(t, f.us, f.admin, url.Values{"domain": {"mobilizon.test"}})
	drain(t, f.us)
	if f.remoteEvents(t) != 0 {
		t.Fatalf("%d events of the blocked source are left", f.remoteEvents(t))
	}
	if n := count(t, f.us, `SELECT count(*) FROM tombstones WHERE uri LIKE ?`, f.mz.URL+"/events/%"); n != 5 {
		t.Fatalf("%d tombstones, want 5", n)
	}
	if n := count(t, f.us, `SELECT count(*) FROM follows fo JOIN actors a ON a.id = fo.followed_id WHERE a.uri = ?`, f.group); n != 0 {
		t.Fatal("the follow of the blocked source is still there")
	}
	_, home := f.us.ti.get(t, f.us.ti.client(), "/")
	if strings.Contains(home, "Atelier") || !strings.Contains(home, "Bal local") {
		t.Fatal("after the block, the home page still shows the source's events or lost the local one")
	}
	if got := len(f.mz.received()); got != sent {
		t.Fatalf("%d requests sent to the blocked domain", got-sent)
	}
	res := f.us.ti.postForm(t, f.admin, "/admin/federation/policies/remove", url.Values{"domain": {"mobilizon.test"}, "kind": {"block"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("unblock: %d", res.StatusCode)
	}
	drain(t, f.us)
	if f.remoteEvents(t) != 0 || count(t, f.us, `SELECT count(*) FROM tombstones WHERE uri LIKE ?`, f.mz.URL+"/events/%") != 5 {
		t.Fatal("unblocking restored something")
	}
	if got := len(f.mz.received()); got != sent {
		t.Fatal("unblocking sent something to the domain")
	}
}

// Spec test 7: an Announce from an allowed actor of an object on a
// blocked domain gets 202, stores nothing and fetches nothing.
func TestTangentialBlock(t *testing.T) {
	f := newSourceFixture(t)
	bad := newMockPeer(t, "blocked")
	badActor := bad.actor(t, "/@spam", ap.TypePerson, "spam", 2)
	ev := mzEvent(bad, "x", "Spam party", badActor, time.Now().Add(48*time.Hour), []string{ap.Public}, nil)
	bad.put("/events/x", ev)
	block(t, f.us, f.admin, url.Values{"domain": {"blocked.test"}})
	before := bad.requestCount()
	for i, object := range []any{ev["id"], ev} {
		announce := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "Announce",
			"id": f.group + "/announces/" + itoa(int64(i)), "actor": f.group, "object": object, "to": []string{ap.Public}}
		f.deliver(t, f.mz, f.group, announce)
	}
	if f.remoteEvents(t) != 0 {
		t.Fatal("an event from a blocked domain was stored through an Announce")
	}
	if bad.requestCount() != before {
		t.Fatalf("%d requests to the blocked domain", bad.requestCount()-before)
	}
	// The same Announce of an allowed origin's event is taken.
	good := mzEvent(f.mz, "g", "Atelier vélo", f.group, time.Now().Add(48*time.Hour), []string{ap.Public}, nil)
	f.mz.put("/events/g", good)
	f.deliver(t, f.mz, f.group, map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "Announce",
		"id": f.group + "/announces/good", "actor": f.group, "object": good["id"], "to": []string{ap.Public}})
	if f.remoteEvents(t) != 1 {
		t.Fatalf("an Announce of an allowed event stored %d events", f.remoteEvents(t))
	}
}

// Spec test 8: events from a silenced domain arriving through an accepted
// source are stored but absent from the lists, search and the calendar
// feed; its Follow requests stay pending while others' are accepted.
func TestSilencedDomain(t *testing.T) {
	f := newSourceFixture(t)
	_, org := f.us.ti.createAccount(t, "org@example.org", "org", "correct horse battery", false)
	block(t, f.us, f.admin, url.Values{"domain": {"mobilizon.test"}, "severity": {"silence"}})
	ev := mzEvent(f.mz, "s1", "Atelier silencieux", f.group, time.Now().Add(48*time.Hour), []string{ap.Public}, nil)
	f.deliver(t, f.mz, f.group, create(f.mz, f.group, ev))
	if f.remoteEvents(t) != 1 {
		t.Fatalf("a silenced source's event was not stored (%d)", f.remoteEvents(t))
	}
	visitor := f.us.ti.client()
	for _, path := range []string{"/", "/search", "/calendar.ics"} {
		if _, body := f.us.ti.get(t, visitor, path); strings.Contains(body, "Atelier silencieux") || strings.Contains(body, "/events/s1") {
			t.Fatalf("%s shows an event from a silenced domain", path)
		}
	}
	other := newMockPeer(t, "other")
	friend := other.actor(t, "/users/ami", ap.TypePerson, "ami", 2)
	person := f.mz.actor(t, "/@paul", ap.TypePerson, "paul", 0)
	target := f.us.App.actorURI(org)
	for _, c := range []struct {
		peer  *mockPeer
		actor string
	}{{f.mz, person}, {other, friend}} {
		follow := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
			"id": c.actor + "#follow", "actor": c.actor, "object": target}
		f.deliver(t, c.peer, c.actor, follow)
	}
	state := func(uri string) string {
		var s string
		f.us.App.store.DB().QueryRow(`SELECT fo.state FROM follows fo JOIN actors a ON a.id = fo.follower_id WHERE a.uri = ?`, uri).Scan(&s)
		return s
	}
	if state(person) != "pending" {
		t.Fatalf("a silenced domain's follow is %q, want pending (other: %q)", state(person), state(friend))
	}
	if state(friend) != "accepted" {
		t.Fatalf("another domain's follow is %q, want accepted", state(friend))
	}
}

// Spec test 10: a signed Create{Event} from an actor that is neither a
// source nor on a source's host gets 202 and nothing is stored; a
// same-origin Update from a Mobilizon person, not the relay, applies.
func TestUnfollowedSenders(t *testing.T) {
	f := newSourceFixture(t)
	stranger := newMockPeer(t, "stranger")
	who := stranger.actor(t, "/users/who", ap.TypePerson, "who", 2)
	ev := mzEvent(stranger, "z", "Événement inconnu", who, time.Now().Add(48*time.Hour), []string{ap.Public}, nil)
	f.deliver(t, stranger, who, create(stranger, who, ev))
	if f.remoteEvents(t) != 0 {
		t.Fatal("an event from an unfollowed sender was stored")
	}
	person := f.mz.actor(t, "/@paul", ap.TypePerson, "paul", 0)
	own := mzEvent(f.mz, "p1", "Atelier de Paul", person, time.Now().Add(72*time.Hour), []string{ap.Public}, nil)
	f.deliver(t, f.mz, f.group, create(f.mz, f.group, own))
	if f.title(t, own["id"].(string)) != "Atelier de Paul" {
		t.Fatal("the source's event was not stored")
	}
	changed := mzEvent(f.mz, "p1", "Atelier de Paul, salle 2", person, time.Now().Add(96*time.Hour), []string{ap.Public}, nil)
	changed["updated"] = time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	f.deliver(t, f.mz, person, update(person, changed))
	if got := f.title(t, own["id"].(string)); got != "Atelier de Paul, salle 2" {
		t.Fatalf("a same-origin Update from the person was not applied: %q", got)
	}
}

// Spec test 12: an Event with Public only in cc shows on the source's page
// but not in the calendar; an Event without Public is dropped.
func TestAudience(t *testing.T) {
	f := newSourceFixture(t)
	quiet := mzEvent(f.mz, "cc", "Réunion discrète", f.group, time.Now().Add(48*time.Hour), []string{f.group + "/followers"}, []string{ap.Public})
	private := mzEvent(f.mz, "priv", "Réunion privée", f.group, time.Now().Add(48*time.Hour), []string{f.group + "/followers"}, nil)
	f.deliver(t, f.mz, f.group, create(f.mz, f.group, quiet))
	f.deliver(t, f.mz, f.group, create(f.mz, f.group, private))
	if f.title(t, private["id"].(string)) != "" {
		t.Fatal("an event without Public was stored")
	}
	if f.title(t, quiet["id"].(string)) == "" {
		t.Fatal("an event with Public in cc was dropped")
	}
	public := mzEvent(f.mz, "pub", "Réunion publique", f.group, time.Now().Add(48*time.Hour), []string{ap.Public}, nil)
	f.deliver(t, f.mz, f.group, create(f.mz, f.group, public))
	for _, path := range []string{"/", "/search", "/calendar.ics"} {
		_, body := f.us.ti.get(t, f.us.ti.client(), path)
		if !strings.Contains(body, "Réunion publique") {
			t.Fatalf("%s lacks the public event", path)
		}
		if strings.Contains(body, "Réunion discrète") {
			t.Fatalf("%s lists an event with Public only in cc", path)
		}
	}
	sourceID := count(t, f.us, `SELECT id FROM actors WHERE uri = ?`, f.group)
	if _, page := f.us.ti.get(t, f.admin, "/admin/sources/"+itoa(int64(sourceID))); !strings.Contains(page, "Réunion discrète") {
		t.Fatal("the source's page lacks its cc-only event")
	}
}

// Spec test 13: a foreign-origin Update is rejected, an older updated
// never overwrites a newer one, a same-origin Update changes title and
// time.
func TestRemoteEventUpdates(t *testing.T) {
	f := newSourceFixture(t)
	start := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	ev := mzEvent(f.mz, "u1", "Atelier vélo", f.group, start, []string{ap.Public}, nil)
	f.deliver(t, f.mz, f.group, create(f.mz, f.group, ev))
	uri := ev["id"].(string)
	// Foreign origin: an actor of another server updates our copy.
	other := newMockPeer(t, "other")
	intruder := other.actor(t, "/users/x", ap.TypePerson, "x", 2)
	forged := mzEvent(f.mz, "u1", "Atelier annulé (faux)", f.group, start, []string{ap.Public}, nil)
	forged["updated"] = time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	other.send(t, f.us.URL+"/inbox", intruder, update(intruder, forged))
	drain(t, f.us)
	if got := f.title(t, uri); got != "Atelier vélo" {
		t.Fatalf("a foreign-origin Update applied: %q", got)
	}
	// Same origin, newer: applied, title and time.
	newer := mzEvent(f.mz, "u1", "Atelier vélo (nouvel horaire)", f.group, start.Add(2*time.Hour), []string{ap.Public}, nil)
	newer["updated"] = time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
	f.deliver(t, f.mz, f.group, update(f.group, newer))
	if got := f.title(t, uri); got != "Atelier vélo (nouvel horaire)" {
		t.Fatalf("a same-origin Update was not applied: %q", got)
	}
	remote, _ := f.us.App.store.RemoteEventByURI(context.Background(), uri)
	e, _ := f.us.App.store.EventByID(context.Background(), remote.EventID)
	if !e.StartsAt.Equal(start.Add(2 * time.Hour)) {
		t.Fatalf("start %v, want %v", e.StartsAt, start.Add(2*time.Hour))
	}
	// Same origin, older: ignored.
	older := mzEvent(f.mz, "u1", "Atelier vélo (ancienne version)", f.group, start, []string{ap.Public}, nil)
	older["updated"] = time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	f.deliver(t, f.mz, f.group, update(f.group, older))
	if got := f.title(t, uri); got != "Atelier vélo (nouvel horaire)" {
		t.Fatalf("an older Update overwrote a newer one: %q", got)
	}
}

// Spec test 14: a same-origin Delete removes the event and replaying the
// Create does not restore it; a Delete from an unknown actor gets 202
// without a key fetch.
func TestRemoteEventDeletes(t *testing.T) {
	f := newSourceFixture(t)
	ev := mzEvent(f.mz, "d1", "Atelier supprimé", f.group, time.Now().Add(72*time.Hour), []string{ap.Public}, nil)
	keep := mzEvent(f.mz, "d2", "Atelier gardé", f.group, time.Now().Add(72*time.Hour), []string{ap.Public}, nil)
	f.deliver(t, f.mz, f.group, create(f.mz, f.group, ev))
	f.deliver(t, f.mz, f.group, create(f.mz, f.group, keep))
	uri := ev["id"].(string)
	del := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "Delete", "id": uri + "/delete",
		"actor": f.group, "to": []string{ap.Public},
		"object": map[string]any{"type": "Tombstone", "id": uri, "formerType": "Event"}}
	f.deliver(t, f.mz, f.group, del)
	if f.title(t, uri) != "" {
		t.Fatal("a same-origin Delete did not remove the event")
	}
	if f.title(t, keep["id"].(string)) == "" {
		t.Fatal("the Delete removed another event")
	}
	f.deliver(t, f.mz, f.group, create(f.mz, f.group, ev))
	if f.title(t, uri) != "" {
		t.Fatal("replaying the Create restored a deleted event")
	}
	unknown := newMockPeer(t, "unknown")
	ghost := unknown.actor(t, "/users/ghost", ap.TypePerson, "ghost", 2)
	before := unknown.requestCount()
	gone := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "Delete", "id": ghost + "#delete",
		"actor": ghost, "object": ghost, "to": []string{ap.Public}}
	if got := unknown.send(t, f.us.URL+"/inbox", ghost, gone); got != http.StatusAccepted {
		t.Fatalf("Delete from an unknown actor: %d", got)
	}
	drain(t, f.us)
	if unknown.requestCount() != before {
		t.Fatal("a Delete from an unknown actor made us fetch its key")
	}
}

// Spec test 15: the daily job purges events that ended more than the
// retention ago (TestDailyWorkerPurgesPastRemoteEvents), and a refetch
// that answers 410 deletes the event.
func TestRefreshDeletesGoneEvents(t *testing.T) {
	f := newSourceFixture(t)
	gone := mzEvent(f.mz, "r1", "Atelier disparu", f.group, time.Now().Add(5*24*time.Hour), []string{ap.Public}, nil)
	kept := mzEvent(f.mz, "r2", "Atelier maintenu", f.group, time.Now().Add(5*24*time.Hour), []string{ap.Public}, nil)
	for _, ev := range []map[string]any{gone, kept} {
		f.deliver(t, f.mz, f.group, create(f.mz, f.group, ev))
	}
	renamed := mzEvent(f.mz, "r2", "Atelier maintenu (salle 3)", f.group, time.Now().Add(5*24*time.Hour), []string{ap.Public}, nil)
	renamed["updated"] = time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	f.mz.put("/events/r2", renamed)
	f.mz.gone("/events/r1", http.StatusGone)
	f.us.Clock.Advance(36 * time.Hour)
	if err := f.us.App.RefreshRemoteEvents(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.title(t, gone["id"].(string)) != "" {
		t.Fatal("an event answering 410 is still cached")
	}
	if got := f.title(t, kept["id"].(string)); got != "Atelier maintenu (salle 3)" {
		t.Fatalf("the refreshed event is %q", got)
	}
}
