package app

import (
	"context"
	"crypto/rsa"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// mobilizonPeer is a Mobilizon-like server: actors whose keys the test
// holds (some of them groups), documents it serves, and an inbox that
// records what it receives.
type mobilizonPeer struct {
	*fakePeer
	mu       sync.Mutex
	received []map[string]any  // each with "_inbox", the path it came to
	groups   map[string]string // group name -> openness
	docs     map[string]any    // path -> document
	notFound map[string]bool   // paths answered 404 even when in docs
	gets     []string          // "path keyId" of the GETs of docs
}

func newMobilizonPeer(t testing.TB) *mobilizonPeer {
	mp := &mobilizonPeer{fakePeer: &fakePeer{keys: map[string]*rsa.PrivateKey{"eve": testKeys(t)[0], "mal": testKeys(t)[1]}},
		groups: map[string]string{}, docs: map[string]any{}, notFound: map[string]bool{}}
	mp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/inbox") {
			b, _ := io.ReadAll(r.Body)
			var m map[string]any
			json.Unmarshal(b, &m)
			if m != nil {
				m["_inbox"] = r.URL.Path
			}
			mp.mu.Lock()
			mp.received = append(mp.received, m)
			mp.mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
			return
		}
		mp.mu.Lock()
		doc, isDoc := mp.docs[r.URL.RequestURI()]
		hidden := mp.notFound[r.URL.RequestURI()]
		if isDoc {
			_, keyID, _ := strings.Cut(r.Header.Get("Signature"), `keyId="`)
			keyID, _, _ = strings.Cut(keyID, `"`)
			mp.gets = append(mp.gets, r.URL.RequestURI()+" "+keyID)
		}
		mp.mu.Unlock()
		if hidden {
			http.NotFound(w, r)
			return
		}
		if isDoc {
			w.Header().Set("Content-Type", ap.ContentTypeActivityJSON)
			json.NewEncoder(w).Encode(doc)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, "/users/")
		mp.fakePeer.mu.Lock()
		key := mp.keys[name]
		mp.fakePeer.mu.Unlock()
		if !ok || key == nil {
			http.NotFound(w, r)
			return
		}
		pem, _ := ap.EncodePublicKeyPEM(&key.PublicKey)
		mp.mu.Lock()
		openness, isGroup := mp.groups[name]
		mp.mu.Unlock()
		typ := ap.TypePerson
		if isGroup {
			typ = ap.TypeGroup
		}
		actorDoc := ap.NewActor(typ, mp.actor(name), name, pem, mp.srv.URL+"/inbox")
		actorDoc.Openness = openness
		w.Header().Set("Content-Type", ap.ContentTypeActivityJSON)
		json.NewEncoder(w).Encode(actorDoc)
	}))
	t.Cleanup(mp.srv.Close)
	return mp
}

// group makes name a Group actor of the peer (with the third test key)
// and returns its id.
func (mp *mobilizonPeer) group(t testing.TB, name, openness string) string {
	mp.fakePeer.mu.Lock()
	mp.keys[name] = testKeys(t)[2]
	mp.fakePeer.mu.Unlock()
	mp.mu.Lock()
	mp.groups[name] = openness
	mp.mu.Unlock()
	return mp.actor(name)
}

// serve makes the peer answer GETs of path (with its query) with doc; an
// id in it is the peer's address of path.
func (mp *mobilizonPeer) serve(path string, doc any) string {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	mp.docs[path] = doc
	return mp.srv.URL + path
}

// webfinger makes acct:name@host find the peer's actor name, and returns
// the host.
func (mp *mobilizonPeer) webfinger(name string) string {
	host := strings.TrimPrefix(mp.srv.URL, "http://")
	mp.serve("/.well-known/webfinger?resource="+url.QueryEscape("acct:"+name+"@"+host), map[string]any{
		"subject": "acct:" + name + "@" + host, "links": []any{map[string]any{"rel": "self", "type": ap.ContentTypeActivityJSON, "href": mp.actor(name)}}})
	return host
}

// hide makes the peer answer 404 for path, as Mobilizon does for a
// private post, whatever it serves there otherwise.
func (mp *mobilizonPeer) hide(path string) {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	mp.notFound[path] = true
}

// getsOf returns the key ids that signed the GETs of path ("" unsigned).
func (mp *mobilizonPeer) getsOf(path string) []string {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	var out []string
	for _, g := range mp.gets {
		if p, key, _ := strings.Cut(g, " "); p == path {
			out = append(out, key)
		}
	}
	return out
}

// got returns the received activities of a type.
func (mp *mobilizonPeer) got(typ string) []map[string]any {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	var out []map[string]any
	for _, m := range mp.received {
		if m["type"] == typ {
			out = append(out, m)
		}
	}
	return out
}

// send posts a Mobilizon-shaped activity to the shared inbox, signed.
func (mp *mobilizonPeer) send(t testing.TB, fi *fedInstance, as string, act map[string]any) int {
	t.Helper()
	b, _ := json.Marshal(act)
	code := mp.post(t, fi.URL+"/inbox", as, nil, b, nil)
	drain(t, fi)
	return code
}

// signedGet fetches url signed as a peer actor.
func (mp *mobilizonPeer) signedGet(t testing.TB, u, as string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", ap.ContentTypeActivityJSON)
	if as != "" {
		if err := ap.SignRequest(req, nil, ap.KeyID(mp.actor(as)), mp.keys[as]); err != nil {
			t.Fatal(err)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	m["_status"] = float64(res.StatusCode)
	return m
}

func fedGroup(t testing.TB, fi *fedInstance, openness string) (*store.Group, person) {
	admin := fi.ti.newPerson(t, "alice")
	createGroupVia(t, fi.ti, admin.Client, "velo", "Vélo Lyon", openness)
	return mustGroup(t, fi.ti, "velo"), admin
}

// Acceptance 1: a Join to an open group makes a member, answered by an
// Accept whose object is a Member with the Join's id.
func TestGroupAcceptance01OpenJoin(t *testing.T) {
	fi, mp := newFedInstance(t), newMobilizonPeer(t)
	g, _ := fedGroup(t, fi, store.OpennessOpen)
	G := fi.URL + "/@velo"
	J := mp.srv.URL + "/member/3e9f"
	mp.send(t, fi, "eve", map[string]any{"type": "Join", "id": J, "actor": mp.actor("eve"), "object": G, "to": []string{G, G + "/members"}, "cc": []string{}})
	drain(t, fi)
	acc := mp.got("Accept")
	if len(acc) != 1 {
		t.Fatalf("accepts: %v", mp.received)
	}
	obj := acc[0]["object"].(map[string]any)
	if acc[0]["actor"] != G || obj["type"] != "Member" || obj["id"] != J || obj["role"] != "member" {
		t.Fatalf("accept shape: %v", acc[0])
	}
	g, _ = fi.App.store.GroupByID(context.Background(), g.ID)
	if g.MemberCount != 2 {
		t.Fatalf("member count %d", g.MemberCount)
	}
}

// Acceptances 2 and 3: moderated groups answer after approval; refusing
// sends Remove{object: J, origin: G}.
func TestGroupAcceptance02And03Moderated(t *testing.T) {
	fi, mp := newFedInstance(t), newMobilizonPeer(t)
	g, admin := fedGroup(t, fi, store.OpennessModerated)
	G := fi.URL + "/@velo"
	J := mp.srv.URL + "/member/eve"
	mp.send(t, fi, "eve", map[string]any{"type": "Join", "id": J, "actor": mp.actor("eve"), "object": G, "participationMessage": "bonjour"})
	if len(mp.got("Accept")) != 0 {
		t.Fatal("accepted before approval")
	}
	m, err := fi.App.store.MembershipByURI(context.Background(), J)
	if err != nil || m.Role != store.RolePending || m.Message != "bonjour" {
		t.Fatalf("pending membership: %v %v", m, err)
	}
	fi.ti.postForm(t, admin.Client, "/groups/velo/members/"+itoa(m.ID)+"/approve", nil)
	drain(t, fi)
	acc := mp.got("Accept")
	if len(acc) != 1 || acc[0]["object"].(map[string]any)["id"] != J || acc[0]["attributedTo"] != G {
		t.Fatalf("accept after approval: %v", acc)
	}
	g, _ = fi.App.store.GroupByID(context.Background(), g.ID)
	if g.MemberCount != 2 {
		t.Fatalf("member count %d", g.MemberCount)
	}
	// Mal asks, and is refused: a Remove reaches his server.
	J2 := mp.srv.URL + "/member/mal"
	mp.send(t, fi, "mal", map[string]any{"type": "Join", "id": J2, "actor": mp.actor("mal"), "object": G})
	m2, _ := fi.App.store.MembershipByURI(context.Background(), J2)
	fi.ti.postForm(t, admin.Client, "/groups/velo/members/"+itoa(m2.ID)+"/refuse", nil)
	drain(t, fi)
	rm := mp.got("Remove")
	if len(rm) == 0 || rm[0]["object"] != J2 || rm[0]["origin"] != G {
		t.Fatalf("remove: %v", rm)
	}
}

// Acceptance 6: Leave without id is accepted; a Remove without origin or
// from a non-moderator is refused. Also: an Invite without target changes
// nothing, a Join to an invite-only group without invitation is refused.
func TestGroupAcceptance06RefusalsAndIdless(t *testing.T) {
	fi, mp := newFedInstance(t), newMobilizonPeer(t)
	g, admin := fedGroup(t, fi, store.OpennessOpen)
	G := fi.URL + "/@velo"
	for _, who := range []string{"eve", "mal"} {
		mp.send(t, fi, who, map[string]any{"type": "Join", "id": mp.srv.URL + "/member/" + who, "actor": mp.actor(who), "object": G})
	}
	adminM, _ := fi.App.store.MembershipOf(context.Background(), g.ID, admin.Identity.ID)
	// Mal (a plain member) tries to remove the administrator, with and without origin.
	mp.send(t, fi, "mal", map[string]any{"type": "Remove", "actor": mp.actor("mal"), "object": adminM.URI, "origin": G})
	mp.send(t, fi, "mal", map[string]any{"type": "Remove", "actor": mp.actor("mal"), "object": mp.srv.URL + "/member/eve"})
	if membershipRole(t, fi.ti, "velo", admin.Identity.ID) != store.RoleAdministrator {
		t.Fatal("forged remove applied")
	}
	if m, err := fi.App.store.MembershipByURI(context.Background(), mp.srv.URL+"/member/eve"); err != nil || !m.IsMember() {
		t.Fatal("remove without origin applied")
	}
	// A plain member's Update Member is refused.
	mp.send(t, fi, "mal", map[string]any{"type": "Update", "id": mp.srv.URL + "/member/mal/activity", "actor": mp.actor("mal"),
		"object": map[string]any{"type": "Member", "id": mp.srv.URL + "/member/mal", "actor": mp.actor("mal"), "object": G, "role": "administrator"}})
	if m, _ := fi.App.store.MembershipByURI(context.Background(), mp.srv.URL+"/member/mal"); m.Role != store.RoleMember {
		t.Fatalf("self-promotion applied: %s", m.Role)
	}
	// Leave without id.
	if code := mp.send(t, fi, "eve", map[string]any{"type": "Leave", "actor": mp.actor("eve"), "object": G, "to": []string{G + "/members"}}); code != http.StatusAccepted {
		t.Fatalf("leave without id: %d", code)
	}
	if _, err := fi.App.store.MembershipByURI(context.Background(), mp.srv.URL+"/member/eve"); err == nil {
		t.Fatal("leave not applied")
	}
	// An Invite without target changes nothing.
	before, _ := fi.App.store.CountMembers(context.Background(), g.ID)
	mp.send(t, fi, "mal", map[string]any{"type": "Invite", "id": mp.srv.URL + "/member/x", "actor": mp.actor("mal"), "object": G})
	if after, _ := fi.App.store.CountMembers(context.Background(), g.ID); after != before {
		t.Fatal("invite without target changed something")
	}
	// Invite-only: a Join without invitation is refused with a Reject.
	fi.ti.postForm(t, admin.Client, "/groups/velo/edit", url.Values{"display_name": {"Vélo Lyon"}, "visibility": {"public"}, "openness": {"invite_only"}})
	mp.send(t, fi, "eve", map[string]any{"type": "Join", "id": mp.srv.URL + "/member/eve2", "actor": mp.actor("eve"), "object": G})
	drain(t, fi)
	if _, err := fi.App.store.MembershipByURI(context.Background(), mp.srv.URL+"/member/eve2"); err == nil {
		t.Fatal("join to an invite-only group accepted")
	}
	if len(mp.got("Reject")) != 1 {
		t.Fatal("no Reject for a join to an invite-only group")
	}
}

// Acceptances 8, 9, 17: the actor document; collections and objects
// empty or 404 to anonymous GETs, full to a member's signed GET.
func TestGroupAcceptance08And09And17Documents(t *testing.T) {
	fi, mp := newFedInstance(t), newMobilizonPeer(t)
	_, admin := fedGroup(t, fi, store.OpennessOpen)
	G := fi.URL + "/@velo"
	doc := mp.signedGet(t, G, "")
	ep, _ := doc["endpoints"].(map[string]any)
	for _, c := range ap.GroupCollections {
		if doc[c] != G[:len(fi.URL)]+"/actors/velo/"+c || ep[c] != doc[c] {
			t.Errorf("collection %s: %v / %v", c, doc[c], ep[c])
		}
	}
	for _, k := range []string{"memberCount", "openness", "discoverable", "manuallyApprovesFollowers", "location"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("actor lacks %s", k)
		}
	}
	if doc["type"] != "Group" || !strings.Contains(mustJSON(doc["@context"]), "joinmobilizon.org/ns#") {
		t.Errorf("type/context: %v", doc["type"])
	}
	mp.send(t, fi, "eve", map[string]any{"type": "Join", "id": mp.srv.URL + "/member/eve", "actor": mp.actor("eve"), "object": G})
	res := fi.ti.postForm(t, admin.Client, "/groups/velo/discussions", url.Values{"title": {"Secret plans"}, "body": {"members only"}})
	thread := fi.URL + res.Header.Get("Location")
	for _, c := range []string{"members", "discussions"} {
		anon := mp.signedGet(t, fi.URL+"/actors/velo/"+c, "")
		if anon["_status"] != 200.0 || anon["totalItems"] != 0.0 {
			t.Errorf("anonymous %s: %v", c, anon)
		}
		asMal := mp.signedGet(t, fi.URL+"/actors/velo/"+c, "mal")
		if asMal["totalItems"] != 0.0 {
			t.Errorf("non-member %s: %v", c, asMal)
		}
		page := mp.signedGet(t, fi.URL+"/actors/velo/"+c+"?page=1", "eve")
		if page["totalItems"] == 0.0 || !strings.Contains(mustJSON(page), `"role"`) && c == "members" {
			t.Errorf("member %s: %v", c, page)
		}
	}
	if anon := mp.signedGet(t, thread, ""); anon["_status"] != 404.0 {
		t.Errorf("anonymous discussion: %v", anon["_status"])
	}
	if m := mp.signedGet(t, thread, "eve"); m["name"] != "Secret plans" || m["attributedTo"] != G {
		t.Errorf("member's discussion: %v", m)
	}
}

// Acceptances 10 and 11: a Follow is auto-accepted with the Follow
// embedded; a public group event reaches followers by Announce; a
// members-only post never does.
func TestGroupAcceptance10And11FollowAndAnnounce(t *testing.T) {
	fi, mp := newFedInstance(t), newMobilizonPeer(t)
	g, admin := fedGroup(t, fi, store.OpennessOpen)
	G := fi.URL + "/@velo"
	mp.send(t, fi, "mal", map[string]any{"type": "Follow", "id": mp.srv.URL + "/follows/1", "actor": mp.actor("mal"), "object": G})
	drain(t, fi)
	acc := mp.got("Accept")
	if len(acc) != 1 || acc[0]["object"].(map[string]any)["id"] != mp.srv.URL+"/follows/1" {
		t.Fatalf("follow accept: %v", mp.received)
	}
	publishGroupEvent(t, fi, admin.Identity, g, "Critical mass")
	fi.ti.postForm(t, admin.Client, "/groups/velo/posts", url.Values{"title": {"Members secret"}, "body": {"x"}, "visibility": {"members"}})
	fi.ti.postForm(t, admin.Client, "/groups/velo/posts", url.Values{"title": {"Public news"}, "body": {"x"}, "visibility": {"public"}})
	drain(t, fi)
	var names []string
	for _, an := range mp.got("Announce") {
		obj := an["object"].(map[string]any)
		names = append(names, obj["name"].(string))
		if an["actor"] != G {
			t.Errorf("announce actor %v", an["actor"])
		}
		if obj["type"] == "Event" && (obj["attributedTo"] != G || obj["actor"] != fi.URL+"/@alice") {
			t.Errorf("event attribution: %v", obj)
		}
	}
	joined := strings.Join(names, "|")
	if !strings.Contains(joined, "Critical mass") || !strings.Contains(joined, "Public news") || strings.Contains(joined, "Members secret") {
		t.Fatalf("announced to a follower: %s", joined)
	}
}

func publishGroupEvent(t testing.TB, fi *fedInstance, organizer *store.Actor, g *store.Group, title string) *store.Event {
	t.Helper()
	e := addJoinableEvent(t, fi.ti, organizer.ID, title, 72*3600e9, func(e *store.Event) { e.AttributedToID = g.ID })
	err := fi.App.store.Tx(context.Background(), func(tx *sql.Tx) error {
		return fi.App.enqueueEventActivity(context.Background(), tx, e, VerbCreate)
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// Acceptance 5: an incoming Invite from Mobilizon (the fixture's shape,
// ids moved to our peer) is stored as an invitation; accepting it answers
// with an Accept whose object id is the Invite id, sent to the group's
// inbox; declining answers with a Reject of it. Invites without target,
// or from another server by someone not known as the group's
// administrator, store nothing.
func TestGroupAcceptance05IncomingInvite(t *testing.T) {
	fi, mp, stranger := newFedInstance(t), newMobilizonPeer(t), newMobilizonPeer(t)
	G := mp.group(t, "velo", ap.OpennessInviteOnly)
	bob, carol := fi.ti.newPerson(t, "bob"), fi.ti.newPerson(t, "carol")
	raw, err := os.ReadFile("testdata/mobilizon-invite-group-activity-fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	invite := func(from *mobilizonPeer, id, target string) map[string]any {
		var act map[string]any
		if err := json.Unmarshal(raw, &act); err != nil {
			t.Fatal(err)
		}
		delete(act, "signature")
		act["id"], act["actor"], act["object"] = from.srv.URL+"/member/"+id, from.actor("eve"), G
		if target != "" {
			act["target"] = fi.URL + "/@" + target
		} else {
			delete(act, "target")
		}
		return act
	}
	ctx := context.Background()
	invitation := func(who *store.Actor) *store.Membership {
		g, err := fi.App.store.GroupByURI(ctx, G)
		if err != nil {
			return nil
		}
		m, _ := fi.App.store.MembershipOf(ctx, g.ID, who.ID)
		return m
	}

	if code := mp.send(t, fi, "eve", invite(mp, "no-target", "")); code != http.StatusAccepted {
		t.Fatalf("invite without target: %d", code)
	}
	if code := stranger.send(t, fi, "eve", invite(stranger, "cross", "bob")); code != http.StatusAccepted {
		t.Fatalf("cross-server invite: %d", code)
	}
	if m := invitation(bob.Identity); m != nil {
		t.Fatalf("an invite without target or from a stranger of another server was stored: %+v", m)
	}

	mp.send(t, fi, "eve", invite(mp, "bob", "bob"))
	mp.send(t, fi, "eve", invite(mp, "carol", "carol"))
	m := invitation(bob.Identity)
	if m == nil || m.Role != store.RoleInvited || m.URI != mp.srv.URL+"/member/bob" {
		t.Fatalf("bob's invitation: %+v", m)
	}
	if _, page := fi.ti.get(t, bob.Client, "/groups"); !strings.Contains(page, "invites you to join") {
		t.Errorf("bob is not told of the invitation:\n%s", page)
	}
	handle := "velo@" + strings.TrimPrefix(mp.srv.URL, "http://")
	if res := fi.ti.postForm(t, bob.Client, "/groups/"+handle+"/invitation/accept", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: %d", res.StatusCode)
	}
	if res := fi.ti.postForm(t, carol.Client, "/groups/"+handle+"/invitation/decline", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("decline: %d", res.StatusCode)
	}
	drain(t, fi)
	accepts := mp.got("Accept")
	if len(accepts) != 1 {
		t.Fatalf("accepts: %v", accepts)
	}
	acc := accepts[0]
	obj, _ := acc["object"].(map[string]any)
	to, _ := acc["to"].([]any)
	if obj["id"] != mp.srv.URL+"/member/bob" || acc["actor"] != fi.URL+"/@bob" || obj["object"] != G ||
		len(to) == 0 || to[0] != G || acc["_inbox"] != "/users/velo/inbox" {
		t.Fatalf("the Accept of the invitation: %v", acc)
	}
	rejects := mp.got("Reject")
	if len(rejects) != 1 || rejects[0]["object"] != mp.srv.URL+"/member/carol" || rejects[0]["_inbox"] != "/users/velo/inbox" {
		t.Fatalf("the Reject of the invitation: %v", rejects)
	}
	if m := invitation(bob.Identity); m == nil || m.Role != store.RoleMember {
		t.Fatalf("bob after accepting: %+v", m)
	}
	if m := invitation(carol.Identity); m != nil {
		t.Fatalf("carol's declined invitation is kept: %+v", m)
	}
}

// mzFixture reads a Mobilizon fixture of testdata with its hosts and
// names replaced (old -> new, in order).
func mzFixture(t testing.TB, name string, replace ...string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer(replace...).Replace(string(raw))
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Acceptance 12: a Create Event with actor P and attributedTo G is G's
// event when P is known here as one of G's moderators — learnt from G's
// members collection, read signed as the local member once G accepts
// them — and a plain member's is not. An Announce from G is resolved by
// a signed refetch: the origin's copy wins; when the origin answers 404
// the embedded copy is used if it is G's own, never one of another host.
func TestGroupAcceptance12CreateFromModeratorAndRefetch(t *testing.T) {
	fi, mp, other := newFedInstance(t), newMobilizonPeer(t), newMobilizonPeer(t)
	G := mp.group(t, "velo", ap.OpennessOpen)
	host := mp.webfinger("velo")
	// Its members collection, in Mobilizon's shape: eve administrates, mal is a member.
	mp.serve("/users/velo/members", mzFixture(t, "mobilizon-group-members-collection-fixture.json",
		"http://mobilizon.test/@demo", G, "http://mobilizon.test/@tcit", mp.actor("eve"),
		"http://mobilizon2.com/@tcit", mp.actor("mal"), "http://mobilizon.test", mp.srv.URL))
	ctx := context.Background()

	bob := fi.ti.newPerson(t, "bob")
	if res, body := fi.ti.get(t, bob.Client, "/groups/velo@"+host); res.StatusCode != http.StatusOK {
		t.Fatalf("the group's page: %d\n%s", res.StatusCode, body)
	}
	if res := fi.ti.postForm(t, bob.Client, "/groups/velo@"+host+"/join", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("join: %d", res.StatusCode)
	}
	drain(t, fi)
	joins := mp.got("Join")
	if len(joins) != 1 {
		t.Fatalf("joins: %v", joins)
	}
	if got := mp.getsOf("/users/velo/members"); len(got) != 0 {
		t.Fatalf("the members collection was read before bob was let in: %v", got)
	}
	mp.send(t, fi, "velo", map[string]any{"type": "Accept", "id": mp.srv.URL + "/accept/1", "actor": G,
		"object": map[string]any{"type": "Member", "id": joins[0]["id"], "actor": fi.URL + "/@bob", "object": G, "role": "member"},
		"to":     []string{fi.URL + "/@bob"}})
	if got := mp.getsOf("/users/velo/members"); len(got) != 1 || got[0] != fi.URL+"/@bob#main-key" {
		t.Fatalf("the members collection should be read once, signed as bob: %v", got)
	}
	g, err := fi.App.store.GroupByURI(ctx, G)
	if err != nil {
		t.Fatal(err)
	}
	role := func(uri string) string {
		info, err := fi.App.store.RemoteActorByURI(ctx, uri)
		if err != nil {
			return ""
		}
		m, err := fi.App.store.MembershipOf(ctx, g.ID, info.ID)
		if err != nil {
			return ""
		}
		return m.Role
	}
	if r := role(mp.actor("eve")); r != store.RoleAdministrator {
		t.Fatalf("eve is known here as %q, want administrator", r)
	}
	if r := role(mp.actor("mal")); r != "" {
		t.Fatalf("a plain member is remembered as %q", r)
	}

	event := func(path, name, actor string) map[string]any {
		act := mzFixture(t, "mobilizon-create-event-in-group-fixture.json", "http://mobilizon1.com/@group", G,
			"http://mobilizon1.com/@user", actor, "http://mobilizon1.com/events/f270ae07-7991-453c-9bb7-3d2122ededae", mp.srv.URL+path)
		obj := act["object"].(map[string]any)
		obj["name"], obj["startTime"] = name, fi.App.now().Add(72*time.Hour).UTC().Format(time.RFC3339)
		obj["to"] = []any{G, ap.Public} // a public event: Mobilizon adds Public
		act["to"] = obj["to"]
		return act
	}
	kept := func(uri string) *store.Event {
		remote, err := fi.App.store.RemoteEventByURI(ctx, uri)
		if err != nil {
			return nil
		}
		e, err := fi.App.store.EventByID(ctx, remote.EventID)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	groupOf := func(uri string) int64 {
		if e := kept(uri); e != nil {
			return e.AttributedToID
		}
		return -1
	}
	mp.send(t, fi, "eve", event("/events/by-eve", "Night ride", mp.actor("eve")))
	if got := groupOf(mp.srv.URL + "/events/by-eve"); got != g.ID {
		t.Fatalf("the administrator's Create: group %d, want %d", got, g.ID)
	}
	if _, page := fi.ti.get(t, bob.Client, "/groups/velo@"+host); !strings.Contains(page, "Night ride") {
		t.Errorf("the group's event is not on its page here")
	}
	mp.send(t, fi, "mal", event("/events/by-mal", "Fake ride", mp.actor("mal")))
	if got := groupOf(mp.srv.URL + "/events/by-mal"); got > 0 {
		t.Fatalf("a plain member's Create was taken as the group's event")
	}

	announce := func(id string, obj any) map[string]any {
		return map[string]any{"type": "Announce", "id": mp.srv.URL + "/announces/" + id, "actor": G,
			"object": obj, "to": []any{ap.Public}}
	}
	// The origin serves a newer copy than the embedded one: that copy wins.
	served := event("/events/served", "Ride (new time)", mp.actor("eve"))["object"]
	mp.serve("/events/served", served)
	mp.send(t, fi, "velo", announce("served", event("/events/served", "Ride (old time)", mp.actor("eve"))["object"]))
	if e := kept(mp.srv.URL + "/events/served"); e == nil || e.Title != "Ride (new time)" || e.AttributedToID != g.ID {
		t.Fatalf("announced event kept as %+v, want the origin's copy, the group's", e)
	}
	if got := mp.getsOf("/events/served"); len(got) != 1 || got[0] == "" {
		t.Fatalf("the announced event was not refetched signed: %v", got)
	}
	// 404 at the origin: the group's own embedded copy is used.
	mp.serve("/events/hidden", event("/events/hidden", "Members' picnic", mp.actor("eve"))["object"])
	mp.hide("/events/hidden")
	mp.send(t, fi, "velo", announce("hidden", event("/events/hidden", "Members' picnic", mp.actor("eve"))["object"]))
	if got := groupOf(mp.srv.URL + "/events/hidden"); got != g.ID {
		t.Fatalf("the embedded copy after a 404: group %d, want %d", got, g.ID)
	}
	// 404 at another host: its embedded copy is not the group's to vouch for.
	foreign := event("/events/foreign", "Not theirs", mp.actor("eve"))["object"].(map[string]any)
	foreign["id"] = other.srv.URL + "/events/foreign"
	mp.send(t, fi, "velo", announce("foreign", foreign))
	if got := groupOf(other.srv.URL + "/events/foreign"); got != -1 {
		t.Fatalf("an embedded copy of another host's object was kept")
	}
}

// A remote group's profile Update, sent as Mobilizon does by one of its
// administrators, refreshes what this server knows of the group (here:
// it became moderated) from the group's own address; the same Update
// from someone of another server changes nothing.
func TestRemoteGroupProfileUpdate(t *testing.T) {
	fi, mp, other := newFedInstance(t), newMobilizonPeer(t), newMobilizonPeer(t)
	G := mp.group(t, "velo", ap.OpennessOpen)
	host := mp.webfinger("velo")
	bob := fi.ti.newPerson(t, "bob")
	if _, page := fi.ti.get(t, bob.Client, "/groups/velo@"+host); !strings.Contains(page, "Join this group") {
		t.Fatalf("an open group's page offers no Join:\n%s", page)
	}
	openness := func() string {
		g, err := fi.App.store.GroupByURI(context.Background(), G)
		if err != nil {
			t.Fatal(err)
		}
		return g.Openness
	}
	mp.mu.Lock()
	mp.groups["velo"] = ap.OpennessModerated
	mp.mu.Unlock()
	update := func(from *mobilizonPeer) map[string]any {
		return map[string]any{"type": "Update", "id": from.srv.URL + "/u/velo", "actor": from.actor("eve"),
			"object": map[string]any{"type": "Group", "id": G, "preferredUsername": "velo", "openness": ap.OpennessModerated},
			"to":     []any{ap.Public}}
	}
	other.send(t, fi, "eve", update(other))
	if got := openness(); got != ap.OpennessOpen {
		t.Fatalf("an Update from another server changed the group: %q", got)
	}
	mp.send(t, fi, "eve", update(mp))
	if got := openness(); got != ap.OpennessModerated {
		t.Fatalf("after its administrator's Update the group is %q here", got)
	}
	if _, page := fi.ti.get(t, bob.Client, "/groups/velo@"+host); !strings.Contains(page, "Ask to join") {
		t.Errorf("the page of the now moderated group:\n%s", page)
	}
}

// joinPeerGroup makes who, on fi, a member of the peer's group name: the
// page is looked up, the Join sent, and the group's Accept delivered.
func joinPeerGroup(t testing.TB, fi *fedInstance, mp *mobilizonPeer, who person, name string) {
	t.Helper()
	host := mp.webfinger(name)
	G := mp.actor(name)
	if res, _ := fi.ti.get(t, who.Client, "/groups/"+name+"@"+host); res.StatusCode != http.StatusOK {
		t.Fatalf("the group's page: %d", res.StatusCode)
	}
	if res := fi.ti.postForm(t, who.Client, "/groups/"+name+"@"+host+"/join", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("join: %d", res.StatusCode)
	}
	drain(t, fi)
	var join map[string]any
	for _, j := range mp.got("Join") {
		if j["actor"] == fi.URL+"/@"+who.Identity.Username {
			join = j
		}
	}
	if join == nil {
		t.Fatal("no Join reached the group")
	}
	mp.send(t, fi, name, map[string]any{"type": "Accept", "id": mp.srv.URL + "/accept/" + who.Identity.Username, "actor": G,
		"object": map[string]any{"type": "Member", "id": join["id"], "actor": join["actor"], "object": G, "role": "member"}})
}

// A remote group's post edited on its server (Mobilizon relays the new
// version with an Announce) is edited here too; deleted there, it is
// deleted here — by the group's server only.
func TestRemoteGroupPostEditedAndDeleted(t *testing.T) {
	fi, mp, other := newFedInstance(t), newMobilizonPeer(t), newMobilizonPeer(t)
	G := mp.group(t, "velo", ap.OpennessOpen)
	bob := fi.ti.newPerson(t, "bob")
	joinPeerGroup(t, fi, mp, bob, "velo")
	ctx := context.Background()
	g, err := fi.App.store.GroupByURI(ctx, G)
	if err != nil {
		t.Fatal(err)
	}
	postID := mp.srv.URL + "/p/meeting"
	mp.hide("/p/meeting") // Mobilizon does not serve members-only posts, even to members
	article := func(name string) map[string]any {
		return map[string]any{"type": "Article", "id": postID, "actor": mp.actor("eve"), "attributedTo": G, "name": name,
			"content": "<p>At the workshop.</p>", "to": []any{G + "/members"}, "cc": []any{}}
	}
	relay := func(n int, name string) {
		mp.send(t, fi, "velo", map[string]any{"type": "Announce", "id": mp.srv.URL + "/announces/" + itoa(int64(n)), "actor": G,
			"object": article(name), "to": []any{G + "/members"}})
	}
	posts := func() []*store.Post {
		list, err := fi.App.store.ListPosts(ctx, g.ID, []string{store.PostPublic, store.PostUnlisted, store.PostMembers}, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	relay(1, "Meeting on Monday")
	if list := posts(); len(list) != 1 || list[0].Title != "Meeting on Monday" || list[0].Visibility != store.PostMembers {
		t.Fatalf("the relayed post: %+v", list)
	}
	relay(2, "Meeting moved to Tuesday")
	if list := posts(); len(list) != 1 || list[0].Title != "Meeting moved to Tuesday" {
		t.Fatalf("the edited post: %+v", list)
	}
	// An Update from the group's server changes it too (Convene sends one
	// for Mastodon's sake); an Update of a post not here adds nothing.
	edited := article("Meeting moved to Wednesday")
	edited["updated"] = time.Now().UTC().Format(time.RFC3339)
	mp.send(t, fi, "velo", map[string]any{"type": "Update", "id": mp.srv.URL + "/updates/1", "actor": G, "object": edited})
	if list := posts(); len(list) != 1 || list[0].Title != "Meeting moved to Wednesday" {
		t.Fatalf("the post after the group's Update: %+v", list)
	}
	stranger := article("Not relayed")
	stranger["id"] = mp.srv.URL + "/p/other"
	mp.send(t, fi, "velo", map[string]any{"type": "Update", "id": mp.srv.URL + "/updates/2", "actor": G, "object": stranger})
	if list := posts(); len(list) != 1 {
		t.Fatalf("an Update of an unknown post added one: %+v", list)
	}
	del := func(from *mobilizonPeer, as string) {
		from.send(t, fi, as, map[string]any{"type": "Delete", "id": from.srv.URL + "/deletes/1", "actor": from.actor(as),
			"object": map[string]any{"type": "Tombstone", "id": postID, "formerType": "Article"}})
	}
	// Someone of another server, known here (they follow bob), cannot.
	other.send(t, fi, "eve", map[string]any{"type": "Follow", "id": other.srv.URL + "/follows/1", "actor": other.actor("eve"), "object": fi.URL + "/@bob"})
	del(other, "eve")
	if len(posts()) != 1 {
		t.Fatal("a Delete from another server removed the post")
	}
	del(mp, "velo")
	if list := posts(); len(list) != 0 {
		t.Fatalf("the group's Delete left the post: %+v", list)
	}
}
