package app

import (
	"testing"

	"convene/app/ap"
	"convene/app/store"
)

// publishSoftware makes a peer serve NodeInfo 2.1 naming its software, in
// the shape Gancio and Mastodon publish it.
func publishSoftware(p *mockPeer, name, version string) {
	p.putRaw("/.well-known/nodeinfo", "application/json", []byte(`{"links":[{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.1","href":"`+p.URL+`/nodeinfo/2.1"}]}`))
	p.putRaw("/nodeinfo/2.1", "application/json", []byte(`{"version":"2.1","software":{"name":"`+name+`","version":"`+version+`"},"protocols":["activitypub"],"openRegistrations":false,"usage":{"users":{}},"metadata":{}}`))
}

// A person following from a server that lists everything it receives
// (NodeInfo names Gancio) gets bob's public events but never his unlisted
// ones; a person on Mastodon, which honours addressing, gets both.
func TestUnlistedEventsKeptFromServersThatIgnoreAudience(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	_, bob := us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	blind := newMockPeer(t, "agenda")
	publishSoftware(blind, "gancio", "1.21.0")
	lu := blind.actor(t, "/users/lu", ap.TypePerson, "lu", 0)
	peerFollows(t, us, blind, lu, blind.URL+"/users/lu#follows/1", us.URL+"/@bob")
	masto := newMockPeer(t, "masto")
	publishSoftware(masto, "mastodon", "4.3.0")
	ann := masto.actor(t, "/users/ann", ap.TypePerson, "ann", 1)
	peerFollows(t, us, masto, ann, masto.URL+"/users/ann#follows/1", us.URL+"/@bob")

	publishEvent(t, us.App, bob, "Répétition", store.VisibilityUnlisted)
	publishEvent(t, us.App, bob, "Bal folk", store.VisibilityPublic)
	drain(t, us)
	created := func(p *mockPeer) map[string]bool {
		names := map[string]bool{}
		for _, a := range receivedActivities(t, p, "Create") {
			if obj, ok := a["object"].(map[string]any); ok {
				names[obj["name"].(string)] = true
			}
		}
		return names
	}
	if got := created(blind); got["Répétition"] || !got["Bal folk"] {
		t.Fatalf("the server that lists everything received %v, want the public event only", got)
	}
	if got := created(masto); !got["Répétition"] || !got["Bal folk"] {
		t.Fatalf("the Mastodon follower received %v, want both events", got)
	}
}
