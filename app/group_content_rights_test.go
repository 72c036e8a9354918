package app

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"convene/app/store"
)

func TestRemoveContentRule(t *testing.T) {
	m := func(actorID int64, role string) *store.Membership {
		return &store.Membership{ID: actorID, GroupID: 1, ActorID: actorID, Role: role}
	}
	const author = 7
	cases := []struct {
		name string
		who  *store.Membership
		want bool
	}{
		{"its author, a member", m(author, store.RoleMember), true},
		{"another member", m(8, store.RoleMember), false},
		{"a moderator", m(9, store.RoleModerator), true},
		{"an administrator", m(10, store.RoleAdministrator), true},
		{"its author, no longer a member (pending again)", m(author, store.RolePending), false},
		{"someone invited", m(11, store.RoleInvited), false},
		{"not in the group", nil, false},
	}
	for _, c := range cases {
		if got := mayRemoveContent(c.who, author); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

// M3: a member deletes only the discussions and resources they started;
// moderators and administrators delete anyone's. Others see no delete
// button and get a clear 403 that changes nothing; renaming a thread and
// renaming or moving a resource stay open to members. Every rename, move
// and deletion is in the group's log with who did it.
func TestDeletingGroupContentIsForItsAuthorAndModerators(t *testing.T) {
	ti := newTestInstance(t)
	alice, bob, _, dan := groupWithMembers(t, ti) // alice administrator; bob and dan members
	start := func(p person, title string) string {
		t.Helper()
		res := ti.postForm(t, p.Client, "/groups/velo/discussions", url.Values{"title": {title}, "body": {"Who comes?"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("start %q: %d", title, res.StatusCode)
		}
		thread, _, _ := strings.Cut(res.Header.Get("Location"), "?")
		return thread
	}
	discussions := func() int { return dbCount(t, ti.App, `SELECT count(*) FROM discussions`) }
	ride, picnic := start(bob, "Saturday ride"), start(bob, "Picnic")
	ti.postForm(t, dan.Client, ride, url.Values{"body": {"Me!"}})

	// Dan, a member, sees no delete button on bob's thread, and his POST is
	// refused with a reason; the thread and its messages stay.
	if _, page := ti.get(t, dan.Client, ride); strings.Contains(page, ride+"/delete") || !strings.Contains(page, ride+"/rename") {
		t.Fatalf("dan's view of bob's thread: delete offered or rename missing")
	}
	res, body := ti.postFormBody(t, dan.Client, ride+"/delete", nil)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(html.UnescapeString(body), "Only the discussion's author and the group's moderators and administrators can delete it.") {
		t.Fatalf("dan deletes bob's thread: %d", res.StatusCode)
	}
	if discussions() != 2 || dbCount(t, ti.App, `SELECT count(*) FROM discussion_messages`) != 3 {
		t.Fatal("a refused delete changed something")
	}
	// Renaming stays open to members.
	if res := ti.postForm(t, dan.Client, ride+"/rename", url.Values{"title": {"Sunday ride"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("dan renames: %d", res.StatusCode)
	}
	// Bob deletes his own; alice (administrator) deletes bob's other one.
	if _, page := ti.get(t, bob.Client, ride); !strings.Contains(page, ride+"/delete") {
		t.Fatal("the author is not offered to delete his thread")
	}
	if res := ti.postForm(t, bob.Client, ride+"/delete", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob deletes his thread: %d", res.StatusCode)
	}
	if _, page := ti.get(t, alice.Client, picnic); !strings.Contains(page, picnic+"/delete") {
		t.Fatal("the administrator is not offered to delete a member's thread")
	}
	if res := ti.postForm(t, alice.Client, picnic+"/delete", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("alice deletes bob's thread: %d", res.StatusCode)
	}
	if discussions() != 0 {
		t.Fatalf("%d discussions left", discussions())
	}

	// Resources: bob's pad, dan's folder.
	g := mustGroup(t, ti, "velo")
	ti.postForm(t, bob.Client, "/groups/velo/resources", url.Values{"kind": {"link"}, "tool": {"pad"}, "url": {"https://pad.example.org/p/velo"}, "title": {"Ride pad"}})
	ti.postForm(t, dan.Client, "/groups/velo/resources", url.Values{"kind": {"folder"}, "title": {"Maps"}})
	pad, maps := resourceNamed(t, ti, g, "Ride pad"), resourceNamed(t, ti, g, "Maps")
	base := "/groups/velo/resources/"
	if _, page := ti.get(t, dan.Client, "/groups/velo/resources"); strings.Contains(page, base+pad.UUID+"/delete") || !strings.Contains(page, base+maps.UUID+"/delete") {
		t.Fatal("dan's resources page: bob's pad deletable, or his own folder not")
	}
	res, body = ti.postFormBody(t, dan.Client, base+pad.UUID+"/delete", nil)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(html.UnescapeString(body), "Only the one who added it and the group's moderators and administrators can delete a resource.") {
		t.Fatalf("dan deletes bob's pad: %d", res.StatusCode)
	}
	// Members still rename and move anyone's resource.
	if res := ti.postForm(t, dan.Client, base+pad.UUID+"/edit", url.Values{"title": {"Route pad"}, "url": {pad.URL}, "tool": {"pad"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("dan renames bob's pad: %d", res.StatusCode)
	}
	if res := ti.postForm(t, dan.Client, base+pad.UUID+"/move", url.Values{"folder": {maps.UUID}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("dan moves bob's pad: %d", res.StatusCode)
	}
	// Dan's own folder now holds bob's pad: deleting it would delete the
	// pad too, so it is no longer his alone to delete.
	if res, _ := ti.postFormBody(t, dan.Client, base+maps.UUID+"/delete", nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("dan deletes his folder holding bob's pad: %d", res.StatusCode)
	}
	if dbCount(t, ti.App, `SELECT count(*) FROM group_resources`) != 2 {
		t.Fatal("a refused resource delete changed something")
	}
	if res := ti.postForm(t, bob.Client, base+pad.UUID+"/delete", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob deletes his pad: %d", res.StatusCode)
	}
	if res := ti.postForm(t, dan.Client, base+maps.UUID+"/delete", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("dan deletes his emptied folder: %d", res.StatusCode)
	}

	_, log := ti.get(t, alice.Client, "/groups/velo/log")
	log = html.UnescapeString(log)
	for _, line := range []string{
		"@dan renamed the discussion “Saturday ride” to “Sunday ride”.",
		"@bob deleted the discussion “Sunday ride” started by @bob.",
		"@alice deleted the discussion “Picnic” started by @bob.",
		"@dan renamed the resource “Ride pad” to “Route pad”.",
		"@dan moved the resource “Route pad” to the folder “Maps”.",
		"@bob deleted the resource “Route pad” added by @bob.",
		"@dan deleted the resource “Maps” added by @dan.",
	} {
		if !strings.Contains(log, line) {
			t.Errorf("the group's log lacks %q", line)
		}
	}
	if t.Failed() {
		t.Logf("log page:\n%s", log)
	}
}

// M3 over federation: members of other servers follow the same rule. A
// plain member's Delete of someone else's thread changes nothing; the
// author's own and a moderator's do, and the log says who.
func TestRemoteDiscussionDeletesFollowTheRule(t *testing.T) {
	fi, mp := newFedInstance(t), newMobilizonPeer(t)
	g, alice := fedGroup(t, fi, store.OpennessOpen)
	G := fi.URL + "/@velo"
	ctx := context.Background()
	for _, who := range []string{"eve", "mal"} {
		mp.send(t, fi, who, map[string]any{"type": "Join", "id": mp.srv.URL + "/join/" + who, "actor": mp.actor(who), "object": G})
	}
	res := fi.ti.postForm(t, alice.Client, "/groups/velo/discussions", url.Values{"title": {"Route"}, "body": {"North or south?"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("alice starts a thread: %d", res.StatusCode)
	}
	ds, err := fi.App.store.ListDiscussions(ctx, g.ID, 10, 0)
	if err != nil || len(ds) != 1 {
		t.Fatalf("discussions: %d %v", len(ds), err)
	}
	aliceThread := fi.App.discussionURI(g, ds[0])
	eveThread := mp.srv.URL + "/discussions/d1"
	mp.send(t, fi, "eve", map[string]any{"type": "Create", "id": eveThread + "/activity", "actor": mp.actor("eve"),
		"object": map[string]any{"type": "Note", "id": eveThread, "actor": mp.actor("eve"), "attributedTo": G, "name": "Picnic", "content": "<p>Sunday?</p>"}})
	n := 0
	del := func(as, thread string) {
		n++
		mp.send(t, fi, as, map[string]any{"type": "Delete", "id": fmt.Sprintf("%s/deletes/%d", mp.srv.URL, n), "actor": mp.actor(as),
			"object": map[string]any{"type": "Tombstone", "id": thread, "url": thread}})
	}
	exists := func(title string) bool {
		return count(t, fi, `SELECT count(*) FROM discussions WHERE title = ?`, title) == 1
	}
	del("mal", eveThread)
	del("mal", aliceThread)
	del("eve", aliceThread)
	if !exists("Picnic") || !exists("Route") {
		t.Fatal("a member deleted a thread someone else started")
	}
	del("eve", eveThread)
	if exists("Picnic") {
		t.Fatal("eve could not delete her own thread")
	}
	mal, err := fi.App.store.MembershipByURI(ctx, mp.srv.URL+"/join/mal")
	if err != nil {
		t.Fatal(err)
	}
	if res := fi.ti.postForm(t, alice.Client, "/groups/velo/members/"+itoa(mal.ID)+"/role", url.Values{"role": {store.RoleModerator}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("alice makes mal moderator: %d", res.StatusCode)
	}
	del("mal", aliceThread)
	if exists("Route") {
		t.Fatal("a moderator of another server could not delete a thread")
	}
	_, log := fi.ti.get(t, alice.Client, "/groups/velo/log")
	log = html.UnescapeString(log)
	for _, line := range []string{"deleted the discussion “Picnic” started by @eve@", "deleted the discussion “Route” started by @alice."} {
		if !strings.Contains(log, line) {
			t.Errorf("the group's log lacks %q", line)
		}
	}
}

// dbCount runs a count query on an instance's database.
func dbCount(t testing.TB, a *App, query string, args ...any) int {
	t.Helper()
	var n int
	if err := a.store.DB().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
