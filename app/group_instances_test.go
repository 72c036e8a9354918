package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

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
