package app

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"convene/app/ap"
)

// Servers asking to follow the instance actor wait on /admin/followers;
// an accepted one gets an Accept and then the public events, a refused
// one a Reject and nothing more; each answer is logged.
func TestAdminAnswersInstanceFollowers(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	friend := newMockPeer(t, "friend")
	stranger := newMockPeer(t, "stranger")
	friendActor := friend.actor(t, "/actor", ap.TypeApplication, "friend", 1)
	strangerActor := stranger.actor(t, "/actor", ap.TypeApplication, "stranger", 2)
	for _, c := range []struct {
		peer  *mockPeer
		actor string
	}{{friend, friendActor}, {stranger, strangerActor}} {
		follow := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
			"id": c.actor + "#follow", "actor": c.actor, "object": us.URL + "/actor"}
		if got := c.peer.send(t, us.URL+"/actor/inbox", c.actor, follow); got != http.StatusAccepted {
			t.Fatalf("follow: %d", got)
		}
	}
	drain(t, us)
	followID := func(actor string) int {
		return count(t, us, `SELECT coalesce(max(f.id), 0) FROM follows f JOIN actors a ON a.id = f.follower_id WHERE a.uri = ?`, actor)
	}
	state := func(actor string) string {
		var s string
		us.App.store.DB().QueryRow(`SELECT f.state FROM follows f JOIN actors a ON a.id = f.follower_id WHERE a.uri = ?`, actor).Scan(&s)
		return s
	}
	if state(friendActor) != "pending" || state(strangerActor) != "pending" {
		t.Fatal("follows of the instance actor were not held for an admin")
	}
	_, page := us.ti.get(t, admin, "/admin/followers")
	if !strings.Contains(page, "friend") || !strings.Contains(page, "stranger") {
		t.Fatal("/admin/followers does not list the requests")
	}
	us.ti.createAccount(t, "ana@example.org", "ana", "correct horse battery", false)
	ana := us.ti.login(t, "ana@example.org", "correct horse battery")
	us.ti.postForm(t, ana, "/admin/followers/"+itoa(int64(followID(friendActor)))+"/accept", url.Values{})
	if state(friendActor) != "pending" {
		t.Fatal("a non-admin accepted a follower of the instance")
	}
	logged := count(t, us, `SELECT count(*) FROM moderation_log`)
	if res := us.ti.postForm(t, admin, "/admin/followers/"+itoa(int64(followID(friendActor)))+"/accept", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: %d", res.StatusCode)
	}
	if res := us.ti.postForm(t, admin, "/admin/followers/"+itoa(int64(followID(strangerActor)))+"/remove", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("refuse: %d", res.StatusCode)
	}
	drain(t, us)
	if state(friendActor) != "accepted" || state(strangerActor) != "" {
		t.Fatalf("after the answers: friend %q, stranger %q", state(friendActor), state(strangerActor))
	}
	if n := count(t, us, `SELECT count(*) FROM moderation_log`) - logged; n != 2 {
		t.Fatalf("%d log rows for two answers", n)
	}
	types := func(p *mockPeer) []string {
		var out []string
		for _, post := range p.received() {
			var a map[string]any
			json.Unmarshal(post.Body, &a)
			out = append(out, a["type"].(string))
		}
		return out
	}
	if got := types(friend); len(got) != 1 || got[0] != "Accept" {
		t.Fatalf("the accepted server received %v", got)
	}
	if got := types(stranger); len(got) != 1 || got[0] != "Reject" {
		t.Fatalf("the refused server received %v", got)
	}
	_, org := us.ti.createAccount(t, "org@example.org", "org", "correct horse battery", false)
	publishEvent(t, us.App, org, "Bal public", "public")
	drain(t, us)
	if got := types(friend); len(got) != 2 || got[1] != "Create" {
		t.Fatalf("the accepted server did not get the new public event: %v", got)
	}
	if got := types(stranger); len(got) != 1 {
		t.Fatalf("the refused server got %v", got)
	}
}
