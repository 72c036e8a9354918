package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"convene/app/store"
)

// A group that approves followers by hand holds a remote Follow until a
// moderator answers it on the group's followers page: an Accept or a
// Reject from the group reaches the follower's inbox. Members may not.
func TestGroupFollowersApprovedByModerators(t *testing.T) {
	fi, mp := newFedInstance(t), newMobilizonPeer(t)
	ctx := context.Background()
	g, admin := fedGroup(t, fi, store.OpennessOpen)
	ti := fi.ti
	res, body := ti.postFormBody(t, admin.Client, "/groups/velo/edit", url.Values{"display_name": {"Vélo Lyon"},
		"visibility": {"public"}, "openness": {"open"}, "manual": {"1"}, "locality": {"Lyon"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d\n%s", res.StatusCode, body)
	}
	bob, carol := ti.newPerson(t, "bob"), ti.newPerson(t, "carol")
	ti.postForm(t, bob.Client, "/groups/velo/join", nil)
	ti.postForm(t, carol.Client, "/groups/velo/join", nil)
	carolM, err := ti.App.store.MembershipOf(ctx, g.ID, carol.Identity.ID)
	if err != nil {
		t.Fatal(err)
	}
	ti.postForm(t, admin.Client, "/groups/velo/members/"+itoa(carolM.ID)+"/role", url.Values{"role": {store.RoleModerator}})
	if membershipRole(t, ti, "velo", carol.Identity.ID) != store.RoleModerator || membershipRole(t, ti, "velo", bob.Identity.ID) != store.RoleMember {
		t.Fatal("roles not set up")
	}

	G := fi.URL + "/@velo"
	malFollow, eveFollow := mp.srv.URL+"/follows/mal", mp.srv.URL+"/follows/eve"
	mp.send(t, fi, "mal", map[string]any{"type": "Follow", "id": malFollow, "actor": mp.actor("mal"), "object": G})
	mp.send(t, fi, "eve", map[string]any{"type": "Follow", "id": eveFollow, "actor": mp.actor("eve"), "object": G})
	drain(t, fi)
	if got := mp.got("Accept"); len(got) != 0 {
		t.Fatalf("a follow was accepted without a moderator: %v", got)
	}
	malF, err := ti.App.store.FollowByActivity(ctx, malFollow)
	if err != nil || malF.State != store.FollowPending {
		t.Fatalf("mal's follow not held: %v %v", malF, err)
	}
	eveF, err := ti.App.store.FollowByActivity(ctx, eveFollow)
	if err != nil {
		t.Fatal(err)
	}

	// The moderator sees the link with the count, and the requests.
	_, body = ti.get(t, carol.Client, "/@velo")
	if !strings.Contains(body, `href="/groups/velo/followers"`) || !strings.Contains(body, "2 follow requests") {
		t.Fatalf("moderator's group page has no followers link with the count:\n%s", body)
	}
	res, body = ti.get(t, carol.Client, "/groups/velo/followers")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Asks to follow the group") || !strings.Contains(body, "@mal@") {
		t.Fatalf("followers page: %d\n%s", res.StatusCode, body)
	}

	// A member neither sees the link nor may use the page.
	if _, body := ti.get(t, bob.Client, "/@velo"); strings.Contains(body, "/groups/velo/followers") {
		t.Fatal("a member is shown the followers link")
	}
	if res, _ := ti.get(t, bob.Client, "/groups/velo/followers"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("member reads followers: %d", res.StatusCode)
	}
	for _, verb := range []string{"accept", "remove"} {
		if res := ti.postForm(t, bob.Client, "/groups/velo/followers/"+itoa(malF.ID)+"/"+verb, nil); res.StatusCode != http.StatusForbidden {
			t.Fatalf("member %s: %d", verb, res.StatusCode)
		}
	}
	drain(t, fi)
	if f, _ := ti.App.store.FollowByID(ctx, malF.ID); f == nil || f.State != store.FollowPending || len(mp.got("Accept"))+len(mp.got("Reject")) != 0 {
		t.Fatalf("a member's attempt changed something: %v %v", f, mp.received)
	}

	// The moderator accepts Mal: an Accept from the group, with the Follow.
	if res := ti.postForm(t, carol.Client, "/groups/velo/followers/"+itoa(malF.ID)+"/accept", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: %d", res.StatusCode)
	}
	drain(t, fi)
	if f, _ := ti.App.store.FollowByID(ctx, malF.ID); f == nil || f.State != store.FollowAccepted {
		t.Fatalf("mal not accepted: %v", f)
	}
	acc := mp.got("Accept")
	if len(acc) != 1 || acc[0]["actor"] != G || acc[0]["object"].(map[string]any)["id"] != malFollow {
		t.Fatalf("accept sent: %v", mp.received)
	}

	// And refuses Eve: a Reject, and the request is gone.
	if res := ti.postForm(t, carol.Client, "/groups/velo/followers/"+itoa(eveF.ID)+"/remove", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("refuse: %d", res.StatusCode)
	}
	drain(t, fi)
	if _, err := ti.App.store.FollowByID(ctx, eveF.ID); err == nil {
		t.Fatal("eve's request is still there")
	}
	rej := mp.got("Reject")
	if len(rej) != 1 || rej[0]["actor"] != G || rej[0]["object"].(map[string]any)["id"] != eveFollow {
		t.Fatalf("reject sent: %v", mp.received)
	}
	if n, _ := ti.App.store.CountFollowers(ctx, g.ID); n != 1 {
		t.Fatalf("followers: %d", n)
	}
	// The log says who answered.
	if _, body := ti.get(t, admin.Client, "/groups/velo/log"); !strings.Contains(body, "carol let @mal@") || !strings.Contains(body, "carol removed the follower @eve@") {
		t.Fatalf("log:\n%s", body)
	}
}
