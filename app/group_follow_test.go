package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"convene/app/store"
)

// A person follows a group from its page: a group of this server at
// once, a group of another server by a Follow it accepts. The group's
// events then come into the person's own calendar; stopping following
// takes them out. An unlisted group cannot be followed.
func TestGroupFollowFromItsPage(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	g, alice := fedGroup(t, b, store.OpennessModerated)
	local, remote := b.ti.newPerson(t, "lou"), a.ti.newPerson(t, "bob")
	ctx := context.Background()

	if res := b.ti.postForm(t, local.Client, "/groups/velo/follow", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("follow a local group: %d", res.StatusCode)
	}
	if _, page := b.ti.get(t, local.Client, "/@velo"); !strings.Contains(page, "You follow this group") {
		t.Fatalf("the group's page does not say lou follows it:\n%s", page)
	}
	if m, err := b.App.store.MembershipOf(ctx, g.ID, local.Identity.ID); err == nil {
		t.Fatalf("following made lou a member: %+v", m)
	}
	remotePath := "/groups/velo@" + b.Host
	if res, _ := a.ti.get(t, remote.Client, remotePath); res.StatusCode != http.StatusOK {
		t.Fatalf("the remote group's page: %d", res.StatusCode)
	}
	if res := a.ti.postForm(t, remote.Client, remotePath+"/follow", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("follow a remote group: %d", res.StatusCode)
	}
	if _, page := a.ti.get(t, remote.Client, remotePath); !strings.Contains(page, "waits for the group") {
		t.Errorf("before the group's answer, bob's page should say the request waits:\n%s", page)
	}
	drain(t, a, b)
	if _, page := a.ti.get(t, remote.Client, remotePath); !strings.Contains(page, "You follow this group") {
		t.Fatalf("the group's Accept did not reach A:\n%s", page)
	}

	publishGroupEvent(t, b, alice.Identity, g, "Bike repair evening")
	drain(t, a, b)
	if _, cal := b.ti.get(t, local.Client, "/me/calendar"); !strings.Contains(cal, "Bike repair evening") {
		t.Errorf("the group's event is not in lou's calendar:\n%s", cal)
	}
	if _, cal := a.ti.get(t, remote.Client, "/me/calendar"); !strings.Contains(cal, "Bike repair evening") {
		t.Errorf("the group's event is not in bob's calendar on A:\n%s", cal)
	}

	b.ti.postForm(t, local.Client, "/groups/velo/unfollow", nil)
	a.ti.postForm(t, remote.Client, remotePath+"/unfollow", nil)
	drain(t, a, b)
	if _, cal := b.ti.get(t, local.Client, "/me/calendar"); strings.Contains(cal, "Bike repair evening") {
		t.Errorf("lou's calendar keeps the event of a group lou stopped following")
	}
	if n := count(t, b, `SELECT count(*) FROM follows WHERE followed_id = ?`, g.ID); n != 0 {
		t.Errorf("%d follows of the group left on B after both stopped", n)
	}

	// An unlisted group: refused, nothing stored.
	createGroupVia(t, b.ti, alice.Client, "quiet", "Quiet circle", store.OpennessOpen)
	b.ti.postForm(t, alice.Client, "/groups/quiet/edit", url.Values{"display_name": {"Quiet circle"}, "visibility": {"unlisted"}, "openness": {"open"}})
	quiet := mustGroup(t, b.ti, "quiet")
	if quiet.Visibility != store.GroupUnlisted {
		t.Fatalf("the group did not become unlisted: %q", quiet.Visibility)
	}
	if res, body := b.ti.postFormBody(t, local.Client, "/groups/quiet/follow", nil); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Only public groups") {
		t.Fatalf("following an unlisted group: %d", res.StatusCode)
	}
	if n := count(t, b, `SELECT count(*) FROM follows WHERE followed_id = ?`, quiet.ID); n != 0 {
		t.Fatalf("a follow of the unlisted group was stored")
	}
}
