package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// joinAcross makes who (on from) ask to join velo on to through the forms:
// the group is looked up by its handle, then joined with a message.
func joinAcross(t testing.TB, from *fedInstance, who person, to *fedInstance, message string) string {
	t.Helper()
	path := "/groups/velo@" + to.Host
	if res, body := from.ti.get(t, who.Client, path); res.StatusCode != http.StatusOK || !strings.Contains(body, "Vélo Lyon") {
		t.Fatalf("remote group page: %d\n%s", res.StatusCode, body)
	}
	if res := from.ti.postForm(t, who.Client, path+"/join", url.Values{"message": {message}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("join remote group: %d", res.StatusCode)
	}
	drain(t, from, to)
	return path
}

// approveRemote approves, on the group's instance, the pending request of
// the person whose handle is given.
func approveRemote(t testing.TB, b *fedInstance, admin person, g *store.Group, handle string) {
	t.Helper()
	ctx := context.Background()
	pending, err := b.App.store.ListMembers(ctx, g.ID, []string{store.RolePending}, 50, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range pending {
		if m.Actor.Handle() == handle {
			if res := b.ti.postForm(t, admin.Client, "/groups/velo/members/"+itoa(m.ID)+"/approve", nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("approve: %d", res.StatusCode)
			}
			return
		}
	}
	t.Fatalf("no pending request from %s among %d", handle, len(pending))
}

func remoteMembership(t testing.TB, fi *fedInstance, groupHost string, who *store.Actor) *store.Membership {
	t.Helper()
	ctx := context.Background()
	g, err := fi.App.store.GroupByHandle(ctx, "velo@"+groupHost)
	if err != nil {
		t.Fatalf("group not known on %s: %v", fi.Host, err)
	}
	m, err := fi.App.store.MembershipOf(ctx, g.ID, who.ID)
	if err != nil {
		t.Fatalf("membership on %s: %v", fi.Host, err)
	}
	return m
}

// Three instances: bob on A asks to join a moderated group on B and is
// approved; a follower on C gets the group's public event by its Announce
// and never a members-only post.
func TestGroupThreeInstancesJoinAndFollow(t *testing.T) {
	a, b, c := newFedInstance(t), newFedInstance(t), newFedInstance(t)
	g, alice := fedGroup(t, b, store.OpennessModerated)
	bob := a.ti.newPerson(t, "bob")
	dora := c.ti.newPerson(t, "dora")

	path := joinAcross(t, a, bob, b, "I ride every day")
	if m := remoteMembership(t, a, b.Host, bob.Identity); m.Role != store.RolePending {
		t.Fatalf("before approval bob is %s on A", m.Role)
	}
	if _, page := b.ti.get(t, alice.Client, "/groups/velo/members"); !strings.Contains(page, "I ride every day") {
		t.Fatalf("the moderator does not see bob's message:\n%s", page)
	}
	approveRemote(t, b, alice, g, "@bob@"+a.Host)
	drain(t, a, b)
	if m := remoteMembership(t, a, b.Host, bob.Identity); m.Role != store.RoleMember {
		t.Fatalf("after approval bob is %s on A", m.Role)
	}
	if _, page := a.ti.get(t, bob.Client, "/groups"); !strings.Contains(page, "is accepted") {
		t.Errorf("bob is not told he was accepted:\n%s", page)
	}
	if g, _ = b.App.store.GroupByID(context.Background(), g.ID); g.MemberCount != 2 {
		t.Errorf("member count on B: %d", g.MemberCount)
	}
	_ = path

	// Dora on C follows the group.
	followAcross(t, c, dora.Client, b, "velo")
	posts := recordPosts(c)
	e := publishGroupEvent(t, b, alice.Identity, g, "Critical mass")
	b.ti.postForm(t, alice.Client, "/groups/velo/posts", url.Values{"title": {"Members secret"}, "body": {"the key is under the mat"}, "visibility": {"members"}})
	b.ti.postForm(t, alice.Client, "/groups/velo/posts", url.Values{"title": {"Public news"}, "body": {"x"}, "visibility": {"public"}})
	drain(t, a, b, c)
	remote, err := c.App.store.RemoteEventByURI(context.Background(), b.App.eventURI(e))
	if err != nil {
		t.Fatalf("the group's event did not reach C: %v", err)
	}
	if got, err := c.App.store.EventByID(context.Background(), remote.EventID); err != nil || got.Title != "Critical mass" {
		t.Errorf("C has the event as %v (%v)", got, err)
	}
	close(posts)
	announced := false
	for body := range posts {
		if strings.Contains(body, "Members secret") || strings.Contains(body, "under the mat") {
			t.Errorf("a members-only post reached C: %s", body)
		}
		if strings.Contains(body, `"Announce"`) && strings.Contains(body, "Critical mass") {
			announced = true
		}
	}
	if !announced {
		t.Errorf("C received no Announce of the group event")
	}
}

// Three instances: bob on A starts a discussion in the group on B, carol
// on C replies; alice on B, bob and carol each see both messages, and the
// people who did not write are told.
func TestGroupThreeInstancesDiscussion(t *testing.T) {
	a, b, c := newFedInstance(t), newFedInstance(t), newFedInstance(t)
	g, alice := fedGroup(t, b, store.OpennessModerated)
	bob, carol := a.ti.newPerson(t, "bob"), c.ti.newPerson(t, "carol")
	pathA := joinAcross(t, a, bob, b, "")
	pathC := joinAcross(t, c, carol, b, "")
	approveRemote(t, b, alice, g, "@bob@"+a.Host)
	approveRemote(t, b, alice, g, "@carol@"+c.Host)
	drain(t, a, b, c)

	res := a.ti.postForm(t, bob.Client, pathA+"/discussions", url.Values{"title": {"Saturday ride"}, "body": {"Who brings the *map*?"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("start a discussion on A: %d", res.StatusCode)
	}
	drain(t, a, b, c)
	ctx := context.Background()
	ds, err := c.App.store.ListDiscussions(ctx, remoteMembership(t, c, b.Host, carol.Identity).GroupID, 10, 0)
	if err != nil || len(ds) != 1 {
		t.Fatalf("discussions on C: %v %v", ds, err)
	}
	threadC := pathC + "/discussions/" + ds[0].Slug
	if res := c.ti.postForm(t, carol.Client, threadC, url.Values{"body": {"I do, and a pump."}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply on C: %d", res.StatusCode)
	}
	drain(t, a, b, c)

	threadOn := func(fi *fedInstance, groupID int64) string {
		ds, err := fi.App.store.ListDiscussions(ctx, groupID, 10, 0)
		if err != nil || len(ds) != 1 {
			t.Fatalf("discussions on %s: %d %v", fi.Host, len(ds), err)
		}
		return ds[0].Slug
	}
	pages := map[string]string{}
	_, pages["alice on B"] = b.ti.get(t, alice.Client, "/groups/velo/discussions/"+threadOn(b, g.ID))
	aGroup := remoteMembership(t, a, b.Host, bob.Identity).GroupID
	_, pages["bob on A"] = a.ti.get(t, bob.Client, pathA+"/discussions/"+threadOn(a, aGroup))
	_, pages["carol on C"] = c.ti.get(t, carol.Client, threadC)
	for who, page := range pages {
		if !strings.Contains(page, "Saturday ride") || !strings.Contains(page, "<em>map</em>") || !strings.Contains(page, "I do, and a pump.") {
			t.Errorf("%s does not see the whole discussion:\n%s", who, page)
		}
		if i, j := strings.Index(page, "map"), strings.Index(page, "a pump"); i < 0 || j < i {
			t.Errorf("%s sees the messages out of order", who)
		}
	}
	if _, news := b.ti.get(t, alice.Client, "/groups"); !strings.Contains(news, "started a discussion") || !strings.Contains(news, "replied in") {
		t.Errorf("alice is not told:\n%s", news)
	}
	if _, news := a.ti.get(t, bob.Client, "/groups"); !strings.Contains(news, "replied in") {
		t.Errorf("bob is not told of carol's reply:\n%s", news)
	}
	if _, news := c.ti.get(t, carol.Client, "/groups"); !strings.Contains(news, "started a discussion") {
		t.Errorf("carol is not told of bob's discussion:\n%s", news)
	}
}

// A discussion Note attributed to our group from someone not a member is
// refused; the same from a member starts a thread.
func TestGroupRemoteDiscussionNeedsMembership(t *testing.T) {
	fi, mp := newFedInstance(t), newMobilizonPeer(t)
	g, _ := fedGroup(t, fi, store.OpennessOpen)
	G := fi.URL + "/@velo"
	note := func(id string) map[string]any {
		n := map[string]any{"type": "Note", "id": mp.srv.URL + "/c/" + id, "actor": mp.actor("eve"), "attributedTo": G,
			"name": "Hello " + id, "content": "<p>hi<script>x()</script></p>", "to": []string{G + "/members"}}
		return map[string]any{"type": "Create", "id": mp.srv.URL + "/c/" + id + "/activity", "actor": mp.actor("eve"), "object": n, "to": n["to"]}
	}
	mp.send(t, fi, "eve", note("1"))
	if n, _ := fi.App.store.CountDiscussions(context.Background(), g.ID); n != 0 {
		t.Fatalf("a stranger started %d discussions", n)
	}
	mp.send(t, fi, "eve", map[string]any{"type": "Join", "id": mp.srv.URL + "/join/1", "actor": mp.actor("eve"), "object": G})
	mp.send(t, fi, "eve", note("2"))
	d, err := fi.App.store.DiscussionByURI(context.Background(), mp.srv.URL+"/c/2")
	if err != nil || d.Title != "Hello 2" {
		t.Fatalf("member's discussion: %v %v", d, err)
	}
	msgs, _ := fi.App.store.Messages(context.Background(), d.ID, 0, 5)
	if len(msgs) != 1 || strings.Contains(msgs[0].BodyHTML, "script") {
		t.Fatalf("messages: %v", msgs)
	}
}

// Acceptance 4, across instances: the Invite B sends has id M, target,
// object G and goes to the invitee and G/members; bob's Accept of M on A
// makes him a member on B; a moderator then removes him and A is told;
// carol's Reject deletes her invitation.
func TestGroupAcceptance04InviteAcrossInstances(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	g, alice := fedGroup(t, b, store.OpennessInviteOnly)
	bob, carol := a.ti.newPerson(t, "bob"), a.ti.newPerson(t, "carol")
	posts := recordPosts(a)
	for _, who := range []string{"bob", "carol"} {
		if res := b.ti.postForm(t, alice.Client, "/groups/velo/invite", url.Values{"handle": {"@" + who + "@" + a.Host}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("invite %s: %d", who, res.StatusCode)
		}
	}
	drain(t, a, b)
	ctx := context.Background()
	bobOnB, err := b.App.store.RemoteActorByURI(ctx, a.URL+"/@bob")
	if err != nil {
		t.Fatal(err)
	}
	M, err := b.App.store.MembershipOf(ctx, g.ID, bobOnB.ID)
	if err != nil || M.Role != store.RoleInvited {
		t.Fatalf("bob's invitation on B: %v %v", M, err)
	}
	G := b.URL + "/@velo"
	found := false
	for len(posts) > 0 {
		body := <-posts
		var act map[string]any
		if json.Unmarshal([]byte(body), &act) != nil || act["type"] != "Invite" || act["target"] != a.URL+"/@bob" {
			continue
		}
		found = true
		to, _ := act["to"].([]any)
		if act["id"] != M.URI || act["object"] != G || len(to) != 2 || to[0] != a.URL+"/@bob" || to[1] != b.URL+"/actors/velo/members" {
			t.Errorf("invite shape: %s", body)
		}
	}
	if !found {
		t.Fatal("no Invite reached A")
	}
	if m := remoteMembership(t, a, b.Host, bob.Identity); m.Role != store.RoleInvited || m.URI != M.URI {
		t.Fatalf("bob's invitation on A: %+v", m)
	}
	if res := a.ti.postForm(t, bob.Client, "/groups/velo@"+b.Host+"/invitation/accept", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: %d", res.StatusCode)
	}
	if res := a.ti.postForm(t, carol.Client, "/groups/velo@"+b.Host+"/invitation/decline", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("decline: %d", res.StatusCode)
	}
	drain(t, a, b)
	if got := membershipRole(t, b.ti, "velo", bobOnB.ID); got != store.RoleMember {
		t.Fatalf("bob on B after his Accept: %q", got)
	}
	carolOnB, _ := b.App.store.RemoteActorByURI(ctx, a.URL+"/@carol")
	if _, err := b.App.store.MembershipOf(ctx, g.ID, carolOnB.ID); err == nil {
		t.Fatal("carol's invitation survived her Reject")
	}
	// The moderator removes bob; A forgets his membership and tells him.
	if res := b.ti.postForm(t, alice.Client, "/groups/velo/members/"+itoa(M.ID)+"/remove", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", res.StatusCode)
	}
	drain(t, a, b)
	ag, _ := a.App.store.GroupByHandle(ctx, "velo@"+b.Host)
	if _, err := a.App.store.MembershipOf(ctx, ag.ID, bob.Identity.ID); err == nil {
		t.Fatal("bob is still a member on A after his removal")
	}
	if _, news := a.ti.get(t, bob.Client, "/groups"); !strings.Contains(news, "You were removed from") {
		t.Errorf("bob is not told:\n%s", news)
	}
}

// Acceptance 7: an Update Member from a known moderator changes a role;
// from a plain member, or demoting the last administrator, it is refused.
func TestGroupAcceptance07UpdateMember(t *testing.T) {
	fi, mp := newFedInstance(t), newMobilizonPeer(t)
	g, alice := fedGroup(t, fi, store.OpennessOpen)
	G := fi.URL + "/@velo"
	ctx := context.Background()
	for _, who := range []string{"eve", "mal"} {
		mp.send(t, fi, who, map[string]any{"type": "Join", "id": mp.srv.URL + "/join/" + who, "actor": mp.actor(who), "object": G})
	}
	eve, _ := fi.App.store.MembershipByURI(ctx, mp.srv.URL+"/join/eve")
	mal, _ := fi.App.store.MembershipByURI(ctx, mp.srv.URL+"/join/mal")
	admin, _ := fi.App.store.MembershipOf(ctx, g.ID, alice.Identity.ID)
	update := func(as, memberURI, role string, n int) {
		mp.send(t, fi, as, map[string]any{"type": "Update", "id": fmt.Sprintf("%s/updates/%d", mp.srv.URL, n), "actor": mp.actor(as),
			"object": map[string]any{"type": "Member", "id": memberURI, "role": role, "object": G, "actor": mp.actor("x")}})
	}
	role := func(m *store.Membership) string {
		got, _ := fi.App.store.MembershipByURI(ctx, m.URI)
		return got.Role
	}
	update("mal", eve.URI, store.RoleAdministrator, 1)
	if role(eve) != store.RoleMember {
		t.Fatal("a plain member changed a role")
	}
	fi.ti.postForm(t, alice.Client, "/groups/velo/members/"+itoa(eve.ID)+"/role", url.Values{"role": {store.RoleModerator}})
	if role(eve) != store.RoleModerator {
		t.Fatal("eve was not made moderator")
	}
	update("eve", mal.URI, store.RoleModerator, 2)
	if role(mal) != store.RoleModerator {
		t.Fatal("a known moderator's Update Member was refused")
	}
	update("eve", admin.URI, store.RoleMember, 3)
	if role(admin) != store.RoleAdministrator {
		t.Fatal("the last administrator was demoted")
	}
}

// Acceptance 14: a Mobilizon-shaped Delete whose Tombstone has only a url
// removes the discussion; from a stranger it changes nothing.
func TestGroupAcceptance14DeleteByTombstoneURL(t *testing.T) {
	fi, mp := newFedInstance(t), newMobilizonPeer(t)
	fedGroup(t, fi, store.OpennessOpen)
	G := fi.URL + "/@velo"
	mp.send(t, fi, "eve", map[string]any{"type": "Join", "id": mp.srv.URL + "/join/eve", "actor": mp.actor("eve"), "object": G})
	D := mp.srv.URL + "/discussions/d1"
	mp.send(t, fi, "eve", map[string]any{"type": "Create", "id": D + "/activity", "actor": mp.actor("eve"),
		"object": map[string]any{"type": "Note", "id": D, "actor": mp.actor("eve"), "attributedTo": G, "name": "Route", "content": "<p>north</p>"}})
	ctx := context.Background()
	if _, err := fi.App.store.DiscussionByURI(ctx, D); err != nil {
		t.Fatal("no discussion:", err)
	}
	del := func(as string, n int) {
		mp.send(t, fi, as, map[string]any{"type": "Delete", "id": fmt.Sprintf("%s/deletes/%d", mp.srv.URL, n), "actor": mp.actor(as),
			"object": map[string]any{"type": "Tombstone", "url": D}})
	}
	del("mal", 1)
	if _, err := fi.App.store.DiscussionByURI(ctx, D); err != nil {
		t.Fatal("a stranger deleted the discussion")
	}
	del("eve", 2)
	if _, err := fi.App.store.DiscussionByURI(ctx, D); err == nil {
		t.Fatal("the Tombstone with only a url did not remove the discussion")
	}
}

// Acceptance 13: a discussion Note with a name starts a thread, one with
// context D adds to it, one not attributed to the group is no discussion.
func TestGroupAcceptance13DiscussionNotes(t *testing.T) {
	fi, mp := newFedInstance(t), newMobilizonPeer(t)
	g, _ := fedGroup(t, fi, store.OpennessOpen)
	G := fi.URL + "/@velo"
	mp.send(t, fi, "eve", map[string]any{"type": "Join", "id": mp.srv.URL + "/join/eve", "actor": mp.actor("eve"), "object": G})
	create := func(note map[string]any) {
		note["type"], note["actor"] = "Note", mp.actor("eve")
		mp.send(t, fi, "eve", map[string]any{"type": "Create", "id": note["id"].(string) + "/activity", "actor": mp.actor("eve"), "object": note})
	}
	D := mp.srv.URL + "/discussions/d1"
	create(map[string]any{"id": D, "attributedTo": G, "name": "Route", "content": "<p>north</p>", "context": D})
	create(map[string]any{"id": mp.srv.URL + "/comments/c2", "attributedTo": G, "context": D, "content": "<p>or south</p>"})
	create(map[string]any{"id": mp.srv.URL + "/comments/c3", "attributedTo": mp.actor("eve"), "context": D, "content": "<p>not here</p>"})
	ctx := context.Background()
	if n, _ := fi.App.store.CountDiscussions(ctx, g.ID); n != 1 {
		t.Fatalf("%d discussions, want 1", n)
	}
	d, err := fi.App.store.DiscussionByURI(ctx, D)
	if err != nil || d.Title != "Route" {
		t.Fatalf("thread: %v %v", d, err)
	}
	msgs, _ := fi.App.store.Messages(ctx, d.ID, 0, 10)
	if len(msgs) != 2 || !strings.Contains(msgs[1].BodyHTML, "or south") {
		t.Fatalf("messages: %d", len(msgs))
	}
}

// Acceptance 15: posts of the three visibilities go out with the to/cc of
// the spec's table and a member's server reads the same visibility back;
// the members-only post reaches members only.
func TestGroupAcceptance15PostVisibilityRoundTrip(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	g, alice := fedGroup(t, b, store.OpennessOpen)
	bob := a.ti.newPerson(t, "bob")
	joinAcross(t, a, bob, b, "")
	drain(t, a, b)
	posts := recordPosts(a)
	for _, vis := range []string{store.PostPublic, store.PostUnlisted, store.PostMembers} {
		if res := b.ti.postForm(t, alice.Client, "/groups/velo/posts", url.Values{"title": {"News " + vis}, "body": {"x"}, "visibility": {vis}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("post %s: %d", vis, res.StatusCode)
		}
	}
	drain(t, a, b)
	members, followers := b.URL+"/actors/velo/members", b.URL+"/actors/velo/followers"
	want := map[string][2]string{
		"News public":   {mustJSON([]string{ap.Public}), mustJSON([]string{members, followers})},
		"News unlisted": {mustJSON([]string{members, followers}), mustJSON([]string{ap.Public})},
		"News members":  {mustJSON([]string{members}), mustJSON([]string{})},
	}
	seen := 0
	for len(posts) > 0 {
		var act struct {
			Object map[string]any `json:"object"`
		}
		if json.Unmarshal([]byte(<-posts), &act) != nil || act.Object["type"] != "Article" {
			continue
		}
		name, _ := act.Object["name"].(string)
		if w, ok := want[name]; ok {
			seen++
			if got := [2]string{mustJSON(act.Object["to"]), mustJSON(act.Object["cc"])}; got != w {
				t.Errorf("%s: to/cc %v, want %v", name, got, w)
			}
		}
	}
	if seen != 3 {
		t.Fatalf("%d of 3 posts reached the member's server", seen)
	}
	ctx := context.Background()
	ag, _ := a.App.store.GroupByHandle(ctx, "velo@"+b.Host)
	for _, vis := range []string{store.PostPublic, store.PostUnlisted, store.PostMembers} {
		list, err := a.App.store.ListPosts(ctx, ag.ID, []string{vis}, 10, 0)
		if err != nil || len(list) != 1 || list[0].Title != "News "+vis {
			t.Errorf("%s posts on A: %v %v", vis, list, err)
		}
	}
	// Deleting the members-only post on B deletes A's copy too.
	onB, err := b.App.store.ListPosts(ctx, g.ID, []string{store.PostMembers}, 10, 0)
	if err != nil || len(onB) != 1 {
		t.Fatalf("the members-only post on B: %v %v", onB, err)
	}
	if res := b.ti.postForm(t, alice.Client, "/groups/velo/posts/"+onB[0].Slug+"/delete", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	drain(t, a, b)
	if list, _ := a.App.store.ListPosts(ctx, ag.ID, []string{store.PostMembers}, 10, 0); len(list) != 0 {
		t.Fatalf("the deleted post is still on A: %v", list)
	}
	if list, _ := a.App.store.ListPosts(ctx, ag.ID, []string{store.PostPublic}, 10, 0); len(list) != 1 {
		t.Fatalf("the public post went with it: %v", list)
	}
}

// Acceptance 12 (through the group's Announce): a member's server keeps
// the group's event, organised by the moderator for the group, though
// nobody there follows the group.
func TestGroupAcceptance12EventThroughAnnounce(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	g, alice := fedGroup(t, b, store.OpennessOpen)
	bob := a.ti.newPerson(t, "bob")
	joinAcross(t, a, bob, b, "")
	e := publishGroupEvent(t, b, alice.Identity, g, "Critical mass")
	drain(t, a, b)
	ctx := context.Background()
	remote, err := a.App.store.RemoteEventByURI(ctx, b.App.eventURI(e))
	if err != nil {
		t.Fatal("the group's event did not reach its member's server:", err)
	}
	got, err := a.App.store.EventByID(ctx, remote.EventID)
	if err != nil {
		t.Fatal(err)
	}
	ag, _ := a.App.store.GroupByHandle(ctx, "velo@"+b.Host)
	org, _ := a.App.store.ActorByID(ctx, got.OrganizerID)
	if got.AttributedToID != ag.ID || org == nil || org.URI != b.URL+"/@alice" {
		t.Fatalf("event for group %d (want %d), organiser %v", got.AttributedToID, ag.ID, org)
	}
	if _, page := a.ti.get(t, bob.Client, "/groups/velo@"+b.Host); !strings.Contains(page, "Critical mass") {
		t.Errorf("the event is not on the group's page on A")
	}
}

// Acceptance 16, the sending side: a link at the root goes out as a
// Create of a Document with url, a link in a folder as an Add whose target
// and context are the folder's id, which a member can fetch; a deleted
// resource as a Delete of its Tombstone.
func TestGroupAcceptance16ResourcesSent(t *testing.T) {
	fi, mp := newFedInstance(t), newMobilizonPeer(t)
	g, alice := fedGroup(t, fi, store.OpennessOpen)
	G := fi.URL + "/@velo"
	mp.send(t, fi, "eve", map[string]any{"type": "Join", "id": mp.srv.URL + "/join/eve", "actor": mp.actor("eve"), "object": G})
	fi.ti.postForm(t, alice.Client, "/groups/velo/resources", url.Values{"kind": {"link"}, "tool": {"pad"}, "url": {"https://pad.example.org/p/velo"}, "title": {"Ride pad"}})
	fi.ti.postForm(t, alice.Client, "/groups/velo/resources", url.Values{"kind": {"folder"}, "title": {"Maps"}})
	ctx := context.Background()
	folders, err := fi.App.store.ListResources(ctx, g.ID, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	var folder *store.Resource
	for _, r := range folders {
		if r.Kind == store.ResourceFolder {
			folder = r
		}
	}
	if folder == nil {
		t.Fatal("no folder")
	}
	fi.ti.postForm(t, alice.Client, "/groups/velo/resources", url.Values{"kind": {"link"}, "tool": {"document"}, "url": {"https://maps.example.org/north"}, "title": {"North"}, "folder": {folder.UUID}})
	drain(t, fi)
	var pad map[string]any
	for _, c := range mp.got("Create") {
		if o := c["object"].(map[string]any); o["name"] == "Ride pad" {
			pad = o
		}
	}
	if pad == nil || pad["type"] != "Document" || pad["url"] != "https://pad.example.org/p/velo" || pad["attributedTo"] != G {
		t.Fatalf("pad: %v", pad)
	}
	adds := mp.got("Add")
	if len(adds) != 1 {
		t.Fatalf("adds: %v", adds)
	}
	obj := adds[0]["object"].(map[string]any)
	if adds[0]["target"] != obj["context"] || obj["name"] != "North" {
		t.Fatalf("add: %v", adds[0])
	}
	if got := mp.signedGet(t, adds[0]["target"].(string), "eve"); got["_status"] != float64(200) || got["name"] != "Maps" || got["type"] != "ResourceCollection" {
		t.Fatalf("the folder's id, fetched by a member: %v", got)
	}
	// Dan, another member, renames alice's pad: the Update still names
	// alice, its creator, as actor, as Mobilizon does.
	dan := fi.ti.newPerson(t, "dan")
	fi.ti.postForm(t, dan.Client, "/groups/velo/join", nil)
	padRes, err := fi.App.store.ResourceByUUID(ctx, g.ID, pad["id"].(string)[strings.LastIndex(pad["id"].(string), "/")+1:])
	if err != nil {
		t.Fatal(err)
	}
	if res := fi.ti.postForm(t, dan.Client, "/groups/velo/resources/"+padRes.UUID+"/edit", url.Values{"title": {"Ride plans"}, "tool": {"pad"}, "url": {"https://pad.example.org/p/velo"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("rename: %d", res.StatusCode)
	}
	drain(t, fi)
	creator := fi.URL + "/@alice"
	ups := mp.got("Update")
	if len(ups) != 1 {
		t.Fatalf("updates: %v", ups)
	}
	up, upObj := ups[0], ups[0]["object"].(map[string]any)
	if up["actor"] != creator || upObj["id"] != pad["id"] || upObj["name"] != "Ride plans" || upObj["type"] != "Document" ||
		fmt.Sprint(up["to"]) != fmt.Sprint(adds[0]["to"]) || fmt.Sprint(up["attributedTo"]) != fmt.Sprint([]any{creator}) {
		t.Fatalf("update: %v", up)
	}
	// The pad goes into the folder, then North comes back to the root.
	north := adds[0]["object"].(map[string]any)
	northRes, _ := fi.App.store.ResourceByUUID(ctx, g.ID, north["id"].(string)[strings.LastIndex(north["id"].(string), "/")+1:])
	fi.ti.postForm(t, dan.Client, "/groups/velo/resources/"+padRes.UUID+"/move", url.Values{"folder": {folder.UUID}})
	fi.ti.postForm(t, dan.Client, "/groups/velo/resources/"+northRes.UUID+"/move", url.Values{"folder": {""}})
	drain(t, fi)
	moves := mp.got("Move")
	if len(moves) != 2 {
		t.Fatalf("moves: %v", moves)
	}
	// Deliveries may come in any order.
	in, out := moves[0], moves[1]
	if in["object"].(map[string]any)["id"] != pad["id"] {
		in, out = out, in
	}
	if in["object"].(map[string]any)["id"] != pad["id"] || in["origin"] != nil || in["target"] != adds[0]["target"] ||
		in["object"].(map[string]any)["context"] != adds[0]["target"] || in["actor"] != creator ||
		!strings.HasPrefix(in["id"].(string), pad["id"].(string)+"/move") || fmt.Sprint(in["to"]) != fmt.Sprint(adds[0]["to"]) {
		t.Fatalf("move into the folder: %v", in)
	}
	if v, ok := out["target"]; out["object"].(map[string]any)["id"] != north["id"] || out["origin"] != adds[0]["target"] || !ok || v != nil {
		t.Fatalf("move to the root: %v", out)
	}
	if in["id"] == out["id"] {
		t.Fatal("two moves share an id")
	}
	if res := fi.ti.postForm(t, alice.Client, "/groups/velo/resources/"+folder.UUID+"/delete", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	drain(t, fi)
	dels := mp.got("Delete")
	if len(dels) == 0 || dels[len(dels)-1]["object"].(map[string]any)["id"] != adds[0]["target"] {
		t.Fatalf("delete: %v", dels)
	}
}

// Acceptance 16 between two instances: a member's server keeps the
// group's resources (a pad at the root, a folder, a link in it) and drops
// the folder when the group deletes it.
func TestGroupAcceptance16ResourcesReceived(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	g, alice := fedGroup(t, b, store.OpennessOpen)
	bob := a.ti.newPerson(t, "bob")
	joinAcross(t, a, bob, b, "")
	b.ti.postForm(t, alice.Client, "/groups/velo/resources", url.Values{"kind": {"link"}, "tool": {"pad"}, "url": {"https://pad.example.org/p/velo"}, "title": {"Ride pad"}})
	b.ti.postForm(t, alice.Client, "/groups/velo/resources", url.Values{"kind": {"folder"}, "title": {"Maps"}})
	drain(t, a, b) // deliveries may cross; an Add before its folder is retried later
	ctx := context.Background()
	var folder *store.Resource
	list, _ := b.App.store.ListResources(ctx, g.ID, 0, false)
	for _, r := range list {
		if r.Kind == store.ResourceFolder {
			folder = r
		}
	}
	b.ti.postForm(t, alice.Client, "/groups/velo/resources", url.Values{"kind": {"link"}, "tool": {"document"}, "url": {"https://maps.example.org/north"}, "title": {"North"}, "folder": {folder.UUID}})
	drain(t, a, b)
	path := "/groups/velo@" + b.Host + "/resources"
	_, page := a.ti.get(t, bob.Client, path)
	if !strings.Contains(page, "Ride pad") || !strings.Contains(page, "https://pad.example.org/p/velo") || !strings.Contains(page, "Maps") || strings.Contains(page, "North") {
		t.Fatalf("root of the resources on A:\n%s", page)
	}
	ag, _ := a.App.store.GroupByHandle(ctx, "velo@"+b.Host)
	aFolder, err := a.App.store.ResourceByURI(ctx, b.App.resourceURI(g, folder))
	if err != nil || aFolder.GroupID != ag.ID {
		t.Fatalf("folder on A: %v %v", aFolder, err)
	}
	if in, _ := a.App.store.ListResources(ctx, ag.ID, aFolder.ID, false); len(in) != 1 || in[0].Title != "North" {
		t.Fatalf("in the folder on A: %v", in)
	}
	// B renames the pad, brings North back to the root and puts the pad
	// into Maps: A follows.
	padB, northB := resourceNamed(t, b.ti, g, "Ride pad"), resourceNamed(t, b.ti, g, "North")
	b.ti.postForm(t, alice.Client, "/groups/velo/resources/"+padB.UUID+"/edit", url.Values{"title": {"Ride plans"},
		"description": {"Who brings what"}, "tool": {"pad"}, "url": {"https://pad.example.org/p/velo"}})
	drain(t, a, b)
	if _, page := a.ti.get(t, bob.Client, path); !strings.Contains(page, "Ride plans") || strings.Contains(page, "Ride pad") || !strings.Contains(page, "Who brings what") {
		t.Fatalf("the rename is not on A:\n%s", page)
	}
	b.ti.postForm(t, alice.Client, "/groups/velo/resources/"+northB.UUID+"/move", url.Values{"folder": {""}})
	b.ti.postForm(t, alice.Client, "/groups/velo/resources/"+padB.UUID+"/move", url.Values{"folder": {folder.UUID}})
	drain(t, a, b)
	aPad, err := a.App.store.ResourceByURI(ctx, b.App.resourceURI(g, padB))
	if err != nil || aPad.ParentID != aFolder.ID || aPad.Title != "Ride plans" {
		t.Fatalf("pad on A: %+v %v", aPad, err)
	}
	if aNorth, err := a.App.store.ResourceByURI(ctx, b.App.resourceURI(g, northB)); err != nil || aNorth.ParentID != 0 {
		t.Fatalf("North on A: %+v %v", aNorth, err)
	}
	_, page = a.ti.get(t, bob.Client, path)
	if !strings.Contains(page, "North") || strings.Contains(page, "Ride plans") {
		t.Fatalf("root of the resources on A after the moves:\n%s", page)
	}
	// A remote group's resources are changed on its server: no forms on A.
	if !strings.Contains(page, "kept on its own server") || strings.Contains(page, `name="kind"`) || strings.Contains(page, "/edit") {
		t.Errorf("A offers to change a remote group's resources:\n%s", page)
	}
	if _, page := a.ti.get(t, bob.Client, path+"?folder="+aFolder.UUID); !strings.Contains(page, "Ride plans") {
		t.Fatalf("the pad is not in the folder on A:\n%s", page)
	}
	// A Move and an Update from another server change nothing.
	mp := newMobilizonPeer(t)
	mp.send(t, a, "eve", map[string]any{"type": "Move", "id": mp.srv.URL + "/move/1", "actor": mp.actor("eve"),
		"object": map[string]any{"type": "Document", "id": aPad.URI}, "origin": aFolder.URI, "target": nil})
	mp.send(t, a, "eve", map[string]any{"type": "Update", "id": mp.srv.URL + "/update/1", "actor": mp.actor("eve"),
		"object": map[string]any{"type": "Document", "id": aPad.URI, "name": "Spam", "url": "https://spam.example", "attributedTo": b.URL + "/@velo"}})
	if got, err := a.App.store.ResourceByURI(ctx, aPad.URI); err != nil || got.ParentID != aFolder.ID || got.Title != "Ride plans" || got.URL != aPad.URL {
		t.Fatalf("a forged Move or Update changed the pad on A: %+v %v", got, err)
	}
	// Alice makes bob a moderator on B; A applies the Update Member (A
	// knows alice as an administrator from the group's members
	// collection) and tells bob on A's group page that its posts and
	// events are written on B, where no form of A would take them.
	bobOnB, err := b.App.store.RemoteActorByURI(ctx, a.URL+"/@bob")
	if err != nil {
		t.Fatal(err)
	}
	bobM, err := b.App.store.MembershipOf(ctx, g.ID, bobOnB.ID)
	if err != nil {
		t.Fatal(err)
	}
	b.ti.postForm(t, alice.Client, "/groups/velo/members/"+itoa(bobM.ID)+"/role", url.Values{"role": {store.RoleModerator}})
	drain(t, a, b)
	if m := remoteMembership(t, a, b.Host, bob.Identity); m.Role != store.RoleModerator {
		t.Fatalf("bob's role on A after alice's Update Member: %q", m.Role)
	}
	if _, page := a.ti.get(t, bob.Client, "/groups/velo@"+b.Host); !strings.Contains(page, "published on its own server") || strings.Contains(page, "/posts/new") || strings.Contains(page, "/events/new?group=") {
		t.Errorf("A's page of the remote group offers to write a post:\n%s", page)
	}
	// Nor to edit or delete one of its posts: that would change A's copy only.
	b.ti.postForm(t, alice.Client, "/groups/velo/posts", url.Values{"title": {"Workshop"}, "body": {"x"}, "visibility": {store.PostPublic}})
	drain(t, a, b)
	copies, _ := a.App.store.ListPosts(ctx, ag.ID, []string{store.PostPublic}, 10, 0)
	if len(copies) != 1 {
		t.Fatalf("the post on A: %v", copies)
	}
	postOnA := "/groups/velo@" + b.Host + "/posts/" + copies[0].Slug
	if _, page := a.ti.get(t, bob.Client, postOnA); strings.Contains(page, "/edit") || strings.Contains(page, "/delete") {
		t.Errorf("A's page of a remote post offers to edit or delete it:\n%s", page)
	}
	if res := a.ti.postForm(t, bob.Client, postOnA+"/delete", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("deleting a remote group's post on A: %d", res.StatusCode)
	}
	if left, _ := a.App.store.ListPosts(ctx, ag.ID, []string{store.PostPublic}, 10, 0); len(left) != 1 {
		t.Errorf("A's copy of the post was deleted")
	}
	// Adding one from A would stay on A: refused with a reason.
	if res, body := a.ti.postFormBody(t, bob.Client, path, url.Values{"kind": {"link"}, "tool": {"chat"}, "url": {"https://chat.example.org"}, "title": {"Chat"}}); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "on its own server") {
		t.Errorf("adding a resource to a remote group on A: %d", res.StatusCode)
	}
	b.ti.postForm(t, alice.Client, "/groups/velo/resources/"+folder.UUID+"/delete", nil)
	drain(t, a, b)
	if _, err := a.App.store.ResourceByURI(ctx, aFolder.URI); err == nil {
		t.Fatal("the deleted folder is still on A")
	}
}

// A group deleted on its server is forgotten on its members' servers —
// membership, discussions, posts — and they are told; a Delete of the
// group from another server, or while the group's address still answers,
// changes nothing.
func TestRemoteGroupDeleted(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	mp := newMobilizonPeer(t)
	_, alice := fedGroup(t, b, store.OpennessOpen)
	bob := a.ti.newPerson(t, "bob")
	joinAcross(t, a, bob, b, "")
	b.ti.postForm(t, alice.Client, "/groups/velo/discussions", url.Values{"title": {"Route"}, "body": {"Members only."}})
	b.ti.postForm(t, alice.Client, "/groups/velo/posts", url.Values{"title": {"Minutes"}, "body": {"Members only."}, "visibility": {store.PostMembers}})
	drain(t, a, b)
	ctx := context.Background()
	G := b.URL + "/@velo"
	ag, err := a.App.store.GroupByURI(ctx, G)
	if err != nil {
		t.Fatal(err)
	}
	kept := func() (discussions, posts int) {
		discussions, _ = a.App.store.CountDiscussions(ctx, ag.ID)
		posts, _ = a.App.store.CountPosts(ctx, ag.ID, store.PostPublic, store.PostUnlisted, store.PostMembers)
		return
	}
	if d, p := kept(); d != 1 || p != 1 {
		t.Fatalf("before: %d discussions, %d posts on A", d, p)
	}
	deleteOf := func(from *mobilizonPeer) map[string]any {
		return map[string]any{"type": "Delete", "id": from.srv.URL + "/deletes/velo", "actor": from.actor("eve"),
			"object": map[string]any{"type": "Tombstone", "id": G, "formerType": "Group"}}
	}
	// Someone of another server, known on A (they follow bob), cannot.
	mp.send(t, a, "eve", map[string]any{"type": "Follow", "id": mp.srv.URL + "/follows/1", "actor": mp.actor("eve"), "object": a.URL + "/@bob"})
	mp.send(t, a, "eve", deleteOf(mp))
	// B's instance says it is gone while it is not: A asks the group's address.
	inst, err := b.App.instanceActor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.App.store.Tx(ctx, func(tx *sql.Tx) error {
		del := ap.NewGroupDelete(b.URL+"/actor", G)
		del.ID, del.To = b.App.newActivityURI(), nil
		return b.App.sendTx(ctx, tx, inst, del, []store.Inbox{{URL: a.URL + "/inbox", Host: a.Host}})
	}); err != nil {
		t.Fatal(err)
	}
	drain(t, a, b)
	if _, err := a.App.store.GroupByURI(ctx, G); err != nil {
		t.Fatalf("a Delete of a group still served, or from another server, removed it on A: %v", err)
	}

	if res := b.ti.postForm(t, alice.Client, "/groups/velo/delete", url.Values{"confirm": {"velo"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete the group on B: %d", res.StatusCode)
	}
	drain(t, a, b)
	if _, err := a.App.store.GroupByURI(ctx, G); err == nil {
		t.Fatal("the deleted group is still on A")
	}
	if d, p := kept(); d != 0 || p != 0 {
		t.Fatalf("after: %d discussions, %d posts kept on A", d, p)
	}
	if _, news := a.ti.get(t, bob.Client, "/groups"); !strings.Contains(news, "was deleted on its server") {
		t.Errorf("bob is not told:\n%s", news)
	}
}

// Someone who joins a group of another server finds what it had before:
// its resources (folders and what they hold), its posts (members-only
// ones too) and its upcoming events, read from the group signed as them.
func TestRemoteGroupReadOnJoining(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	g, alice := fedGroup(t, b, store.OpennessModerated)
	ctx := context.Background()
	b.ti.postForm(t, alice.Client, "/groups/velo/resources", url.Values{"kind": {"folder"}, "title": {"Maps"}})
	list, _ := b.App.store.ListResources(ctx, g.ID, 0, false)
	if len(list) != 1 {
		t.Fatalf("resources on B: %v", list)
	}
	b.ti.postForm(t, alice.Client, "/groups/velo/resources", url.Values{"kind": {"link"}, "tool": {"document"}, "url": {"https://maps.example.org/north"}, "title": {"North loop"}, "folder": {list[0].UUID}})
	b.ti.postForm(t, alice.Client, "/groups/velo/resources", url.Values{"kind": {"link"}, "tool": {"pad"}, "url": {"https://pad.example.org/p/velo"}, "title": {"Ride pad"}})
	b.ti.postForm(t, alice.Client, "/groups/velo/posts", url.Values{"title": {"Minutes of May"}, "body": {"Members only."}, "visibility": {store.PostMembers}})
	publishGroupEvent(t, b, alice.Identity, g, "Summer ride")
	drain(t, b)

	bob := a.ti.newPerson(t, "bob")
	path := joinAcross(t, a, bob, b, "")
	if _, page := a.ti.get(t, bob.Client, path+"/resources"); strings.Contains(page, "Ride pad") {
		t.Fatal("a person waiting for approval is shown the group's resources")
	}
	approveRemote(t, b, alice, g, "@bob@"+a.Host)
	drain(t, a, b)

	_, page := a.ti.get(t, bob.Client, path+"/resources")
	if !strings.Contains(page, "Ride pad") || !strings.Contains(page, "Maps") {
		t.Errorf("the group's resources on A after joining:\n%s", page)
	}
	ag, _ := a.App.store.GroupByHandle(ctx, "velo@"+b.Host)
	aFolder, err := a.App.store.ResourceByURI(ctx, b.App.resourceURI(g, list[0]))
	if err != nil {
		t.Fatalf("the folder on A: %v", err)
	}
	if in, _ := a.App.store.ListResources(ctx, ag.ID, aFolder.ID, false); len(in) != 1 || in[0].Title != "North loop" {
		t.Errorf("in the folder on A: %v", in)
	}
	if posts, _ := a.App.store.ListPosts(ctx, ag.ID, []string{store.PostMembers}, 10, 0); len(posts) != 1 || posts[0].Title != "Minutes of May" {
		t.Errorf("the members-only post on A: %v", posts)
	}
	if _, page := a.ti.get(t, bob.Client, path); !strings.Contains(page, "Summer ride") {
		t.Errorf("the group's event is not on its page on A:\n%s", page)
	}
}

// Joining a remote group brings its earlier discussions, each thread
// whole (its opening Note names the rest, which is read to the end) or not
// at all, in order, with their authors and dates, and without news of
// old messages. A Mobilizon-like group whose threads do not name their
// replies, or name fewer than they count, has none read back.
func TestRemoteGroupThreadsReadOnJoining(t *testing.T) {
	a, b, c := newFedInstance(t), newFedInstance(t), newFedInstance(t)
	g, alice := fedGroup(t, b, store.OpennessModerated)
	carol := c.ti.newPerson(t, "carol")
	pathC := joinAcross(t, c, carol, b, "")
	approveRemote(t, b, alice, g, "@carol@"+c.Host)
	drain(t, b, c)
	if res := c.ti.postForm(t, carol.Client, pathC+"/discussions", url.Values{"title": {"Route"}, "body": {"North or south?"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("carol starts a thread: %d", res.StatusCode)
	}
	drain(t, b, c)
	ctx := context.Background()
	slugOf := func(fi *fedInstance, groupID int64, title string) string {
		t.Helper()
		ds, _ := fi.App.store.ListDiscussions(ctx, groupID, 10, 0)
		for _, d := range ds {
			if d.Title == title {
				return d.Slug
			}
		}
		t.Fatalf("no thread %q on %s", title, fi.Host)
		return ""
	}
	for _, fi := range []*fedInstance{a, b, c} {
		fi.Clock.Advance(20 * time.Minute)
	}
	b.ti.postForm(t, alice.Client, "/groups/velo/discussions/"+slugOf(b, g.ID, "Route"), url.Values{"body": {"South, by the river."}})
	drain(t, b, c)
	groupC := remoteMembership(t, c, b.Host, carol.Identity).GroupID
	if res := c.ti.postForm(t, carol.Client, pathC+"/discussions/"+slugOf(c, groupC, "Route"), url.Values{"body": {"Then *south* it is."}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("carol replies: %d", res.StatusCode)
	}
	b.ti.postForm(t, alice.Client, "/groups/velo/discussions", url.Values{"title": {"Picnic"}, "body": {"Who brings the bread?"}})
	drain(t, b, c)

	bob := a.ti.newPerson(t, "bob")
	path := joinAcross(t, a, bob, b, "")
	approveRemote(t, b, alice, g, "@bob@"+a.Host)
	drain(t, a, b, c)

	ag, _ := a.App.store.GroupByHandle(ctx, "velo@"+b.Host)
	ds, _ := a.App.store.ListDiscussions(ctx, ag.ID, 10, 0)
	titles := map[string]*store.Discussion{}
	for _, d := range ds {
		titles[d.Title] = d
	}
	if len(ds) != 2 || titles["Route"] == nil || titles["Picnic"] == nil {
		t.Fatalf("the threads on A after joining: %v", ds)
	}
	msgs, _ := a.App.store.Messages(ctx, titles["Route"].ID, 0, 10)
	var got []string
	for _, m := range msgs {
		got = append(got, m.Author.Handle()+": "+strings.TrimSpace(m.BodyHTML))
	}
	want := []string{"@carol@" + c.Host + ": <p>North or south?</p>", "@alice@" + b.Host + ": <p>South, by the river.</p>",
		"@carol@" + c.Host + ": <p>Then <em>south</em> it is.</p>"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the thread on A reads\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(msgs) == 3 && !msgs[1].CreatedAt.After(msgs[0].CreatedAt) {
		t.Errorf("alice's reply is dated %v, carol's opening %v: the 20 minutes between are lost", msgs[1].CreatedAt, msgs[0].CreatedAt)
	}
	if _, page := a.ti.get(t, bob.Client, path+"/discussions/"+titles["Route"].Slug); !strings.Contains(page, "Then <em>south</em> it is.") {
		t.Errorf("bob's page of the thread:\n%s", page)
	}
	if _, news := a.ti.get(t, bob.Client, "/groups"); strings.Contains(news, "Route") || strings.Contains(news, "Picnic") {
		t.Errorf("bob is told of old messages as news:\n%s", news)
	}
	// Read again (the daily read): nothing is doubled.
	if err := a.App.SyncRemoteGroups(ctx); err != nil {
		t.Fatal(err)
	}
	if ds, _ := a.App.store.ListDiscussions(ctx, ag.ID, 10, 0); len(ds) != 2 || ds[0].MessageCount+ds[1].MessageCount != 4 {
		t.Errorf("after another read: %v", ds)
	}

	// A Mobilizon-like group: one thread names no replies, one names a
	// collection counting 2 that holds 1, one is whole.
	mp := newMobilizonPeer(t)
	G := mp.group(t, "club", ap.OpennessOpen)
	pem, _ := ap.EncodePublicKeyPEM(&testKeys(t)[2].PublicKey)
	raw, _ := json.Marshal(ap.NewActor(ap.TypeGroup, G, "club", pem, mp.srv.URL+"/inbox"))
	var doc map[string]any
	json.Unmarshal(raw, &doc)
	doc["openness"], doc["discussions"] = "open", G+"/discussions"
	mp.serve("/users/club", doc)
	thread := func(n string, replies any) map[string]any {
		note := map[string]any{"type": "Note", "id": mp.srv.URL + "/c/" + n, "actor": mp.actor("eve"), "attributedTo": G,
			"context": mp.srv.URL + "/c/" + n, "name": "Thread " + n, "content": "<p>Opening " + n + "</p>"}
		if replies != nil {
			note["replies"] = replies
		}
		return note
	}
	reply := func(n string) map[string]any {
		return map[string]any{"type": "Note", "id": mp.srv.URL + "/comments/" + n, "actor": mp.actor("mal"), "attributedTo": G,
			"context": mp.srv.URL + "/c/" + n, "content": "<p>Reply to " + n + "</p>"}
	}
	mp.serve("/users/club/discussions", map[string]any{"type": "OrderedCollection", "id": G + "/discussions", "totalItems": 3,
		"orderedItems": []any{thread("1", nil), thread("2", G+"/c/2/replies"), thread("3", G+"/c/3/replies")}})
	mp.serve("/users/club/c/2/replies", map[string]any{"type": "OrderedCollection", "id": G + "/c/2/replies", "totalItems": 2,
		"orderedItems": []any{reply("2")}})
	mp.serve("/users/club/c/3/replies", map[string]any{"type": "OrderedCollection", "id": G + "/c/3/replies", "totalItems": 1,
		"orderedItems": []any{reply("3")}})
	joinPeerGroup(t, a, mp, bob, "club")
	drain(t, a)
	club, err := a.App.store.GroupByURI(ctx, G)
	if err != nil {
		t.Fatal(err)
	}
	ds, _ = a.App.store.ListDiscussions(ctx, club.ID, 10, 0)
	if len(ds) != 1 || ds[0].Title != "Thread 3" || ds[0].MessageCount != 2 {
		t.Errorf("the peer group's threads on A: %v (want Thread 3 only, whole)", ds)
	}
}

// Accepting an invitation to a remote group brings what the group had
// before, once the group has taken the Accept in. Read too early, the
// group lists bob nowhere and shows him nothing: the read is tried again
// later, and stops once he is in.
func TestRemoteGroupReadAfterInvitation(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	g, alice := fedGroup(t, b, store.OpennessInviteOnly)
	ctx := context.Background()
	b.ti.postForm(t, alice.Client, "/groups/velo/resources", url.Values{"kind": {"link"}, "tool": {"pad"}, "url": {"https://pad.example.org/p/velo"}, "title": {"Ride pad"}})
	b.ti.postForm(t, alice.Client, "/groups/velo/posts", url.Values{"title": {"Minutes of May"}, "body": {"Members only."}, "visibility": {store.PostMembers}})
	if list, _ := b.App.store.ListResources(ctx, g.ID, 0, false); len(list) != 1 {
		t.Fatalf("resources on B: %v", list)
	}
	bob := a.ti.newPerson(t, "bob")
	if res := b.ti.postForm(t, alice.Client, "/groups/velo/invite", url.Values{"handle": {"@bob@" + a.Host}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite: %d", res.StatusCode)
	}
	drain(t, a, b)
	path := "/groups/velo@" + b.Host
	if res := a.ti.postForm(t, bob.Client, path+"/invitation/accept", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: %d", res.StatusCode)
	}
	resources := func() string {
		t.Helper()
		_, page := a.ti.get(t, bob.Client, path+"/resources")
		return page
	}
	syncDue := func(want int) {
		t.Helper()
		if n, err := a.App.SyncDueGroups(ctx); err != nil || n != want {
			t.Fatalf("SyncDueGroups read %d groups (%v), want %d", n, err, want)
		}
	}

	// Half a minute on, B has not had bob's Accept (it waits in A's queue).
	a.Clock.Advance(31 * time.Second)
	syncDue(1)
	if strings.Contains(resources(), "Ride pad") {
		t.Fatal("B showed its resources before it let bob in")
	}
	drain(t, a, b) // B takes the Accept in
	if got := membershipRole(t, b.ti, "velo", remoteActorID(t, b, a.URL+"/@bob")); got != store.RoleMember {
		t.Fatalf("bob on B: %q", got)
	}
	syncDue(0) // the next read waits its turn
	a.Clock.Advance(2 * time.Minute)
	syncDue(1)
	if page := resources(); !strings.Contains(page, "Ride pad") {
		t.Errorf("the group's resources on A after the invitation:\n%s", page)
	}
	ag, _ := a.App.store.GroupByHandle(ctx, "velo@"+b.Host)
	if posts, _ := a.App.store.ListPosts(ctx, ag.ID, []string{store.PostMembers}, 10, 0); len(posts) != 1 || posts[0].Title != "Minutes of May" {
		t.Errorf("the members-only post on A: %v", posts)
	}
	if next, err := a.App.store.NextGroupSyncDue(ctx); err != nil || !next.IsZero() {
		t.Errorf("bob is in, yet a read is still due at %v (%v)", next, err)
	}
}

// A moderator edits a post: the member's server takes the new version;
// made members-only, it is withdrawn from a follower's server with a
// Delete. A plain member cannot edit; bad input changes nothing.
func TestGroupPostEdited(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	mp := newMobilizonPeer(t)
	_, alice := fedGroup(t, b, store.OpennessOpen)
	bob := a.ti.newPerson(t, "bob")
	joinAcross(t, a, bob, b, "")
	G := b.URL + "/@velo"
	mp.send(t, b, "eve", map[string]any{"type": "Follow", "id": mp.srv.URL + "/follows/eve", "actor": mp.actor("eve"), "object": G})
	lou := b.ti.newPerson(t, "lou")
	b.ti.postForm(t, lou.Client, "/groups/velo/join", nil)
	res := b.ti.postForm(t, alice.Client, "/groups/velo/posts", url.Values{"title": {"Picnic"}, "body": {"Sunday at *noon*."}, "visibility": {store.PostPublic}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("post: %d", res.StatusCode)
	}
	postPath := res.Header.Get("Location")
	drain(t, a, b)
	if len(mp.got("Announce")) != 1 {
		t.Fatalf("the follower's server got %d Announces of the public post", len(mp.got("Announce")))
	}

	if res, _ := b.ti.get(t, lou.Client, postPath+"/edit"); res.StatusCode != http.StatusForbidden {
		t.Errorf("a plain member opens the edit form: %d", res.StatusCode)
	}
	if res, body := b.ti.postFormBody(t, alice.Client, postPath+"/edit", url.Values{"title": {""}, "body": {"Typed text"}, "visibility": {store.PostMembers}}); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Typed text") {
		t.Fatalf("an edit without title: %d", res.StatusCode)
	}
	if _, form := b.ti.get(t, alice.Client, postPath+"/edit"); !strings.Contains(form, "Sunday at *noon*.") {
		t.Fatalf("the edit form does not hold the post's text:\n%s", form)
	}
	// Still public: the follower's server (Mastodon shows edits only so)
	// gets the group's Update of the post.
	if res := b.ti.postForm(t, alice.Client, postPath+"/edit", url.Values{"title": {"Picnic"}, "body": {"Sunday at *half past noon*."}, "visibility": {store.PostPublic}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	drain(t, a, b)
	updates := mp.got("Update")
	if len(updates) != 1 || updates[0]["actor"] != G {
		t.Fatalf("the follower's server got %v, want one Update by the group", updates)
	}
	if art, _ := updates[0]["object"].(map[string]any); art["id"] != b.URL+postPath || !strings.Contains(fmt.Sprint(art["content"]), "half past noon") || art["updated"] == nil {
		t.Errorf("the Update's post: %v", art)
	}
	announces := len(mp.got("Announce"))
	if res := b.ti.postForm(t, alice.Client, postPath+"/edit", url.Values{"title": {"Picnic (members)"}, "body": {"Sunday at *one*."}, "visibility": {store.PostMembers}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	drain(t, a, b)
	ctx := context.Background()
	ag, _ := a.App.store.GroupByHandle(ctx, "velo@"+b.Host)
	list, _ := a.App.store.ListPosts(ctx, ag.ID, []string{store.PostPublic, store.PostUnlisted, store.PostMembers}, 10, 0)
	if len(list) != 1 || list[0].Title != "Picnic (members)" || list[0].Visibility != store.PostMembers || !strings.Contains(list[0].BodyHTML, "<em>one</em>") {
		t.Fatalf("the post on the member's server: %+v", list)
	}
	dels := mp.got("Delete")
	if len(dels) != 1 || dels[0]["object"].(map[string]any)["id"] != b.URL+postPath {
		t.Fatalf("the follower's server was not told to drop the post: %v", dels)
	}
	if n := len(mp.got("Announce")); n != announces {
		t.Fatalf("the members-only version reached the follower's server (%d Announces, %d before)", n, announces)
	}
	if n := len(mp.got("Update")); n != 1 {
		t.Fatalf("the members-only version reached the follower's server (%d Updates)", n)
	}
}
