package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"convene/app/store"
)

// One allowed and one refused case for every line of the spec's role table.
func TestGroupPermissionTable(t *testing.T) {
	m := func(id int64, role string) *store.Membership {
		return &store.Membership{ID: id, GroupID: 1, ActorID: id, Role: role}
	}
	admin, admin2, mod, member, pending, invited := m(1, store.RoleAdministrator), m(2, store.RoleAdministrator),
		m(3, store.RoleModerator), m(4, store.RoleMember), m(5, store.RolePending), m(6, store.RoleInvited)
	cases := []struct {
		name    string
		who     *store.Membership
		act     groupAction
		target  *store.Membership
		newRole string
		admins  int
		want    bool
	}{
		{"member reads discussions", member, actRead, nil, "", 1, true},
		{"pending person cannot read", pending, actRead, nil, "", 1, false},
		{"non-member cannot read", nil, actRead, nil, "", 1, false},
		{"member discusses", member, actDiscuss, nil, "", 1, true},
		{"invited person cannot discuss", invited, actDiscuss, nil, "", 1, false},
		{"member manages resources", member, actManageResources, nil, "", 1, true},
		{"pending person cannot manage resources", pending, actManageResources, nil, "", 1, false},
		{"moderator manages events", mod, actManageEvents, nil, "", 1, true},
		{"member cannot manage events", member, actManageEvents, nil, "", 1, false},
		{"moderator posts", mod, actPost, nil, "", 1, true},
		{"member cannot post", member, actPost, nil, "", 1, false},
		{"moderator invites", mod, actInvite, nil, "", 1, true},
		{"member cannot invite", member, actInvite, nil, "", 1, false},
		{"moderator approves a request", mod, actManageMembers, pending, store.RoleMember, 1, true},
		{"member cannot approve", member, actManageMembers, pending, store.RoleMember, 1, false},
		{"moderator removes a member", mod, actManageMembers, member, "", 1, true},
		{"member cannot remove", member, actManageMembers, mod, "", 1, false},
		{"moderator promotes to moderator", mod, actManageMembers, member, store.RoleModerator, 1, true},
		{"moderator cannot make an administrator", mod, actManageMembers, member, store.RoleAdministrator, 1, false},
		{"moderator cannot remove an administrator", mod, actManageMembers, admin, "", 2, false},
		{"administrator demotes another administrator", admin, actManageMembers, admin2, store.RoleMember, 2, true},
		{"the last administrator cannot be demoted", admin, actManageMembers, admin, store.RoleMember, 1, false},
		{"the last administrator cannot be removed", admin, actManageMembers, admin, "", 1, false},
		{"role of an invitation is not changed", admin, actManageMembers, invited, store.RoleModerator, 1, false},
		{"administrator edits the group", admin, actEditGroup, nil, "", 1, true},
		{"moderator cannot edit the group", mod, actEditGroup, nil, "", 1, false},
		{"member leaves", member, actLeave, member, "", 1, true},
		{"one leaves only oneself", member, actLeave, mod, "", 1, false},
		{"administrator leaves when another remains", admin, actLeave, admin, "", 2, true},
		{"the last administrator cannot leave", admin, actLeave, admin, "", 1, false},
	}
	for _, c := range cases {
		if got := groupMay(c.who, c.act, c.target, c.newRole, c.admins); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

// createGroupVia creates a group through the form.
func createGroupVia(t testing.TB, ti *testInstance, c *http.Client, handle, name, openness string) {
	t.Helper()
	res, body := ti.postFormBody(t, c, "/groups", url.Values{"username": {handle}, "display_name": {name},
		"bio": {"We ride bikes."}, "visibility": {"public"}, "openness": {openness}, "locality": {"Lyon"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create group %s: status %d\n%s", handle, res.StatusCode, body)
	}
}

func membershipRole(t testing.TB, ti *testInstance, handle string, actorID int64) string {
	t.Helper()
	ctx := context.Background()
	g, err := ti.App.store.LocalGroupByUsername(ctx, handle)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ti.App.store.MembershipOf(ctx, g.ID, actorID)
	if err != nil {
		return ""
	}
	return m.Role
}

func TestGroupCreateAndOneNamespace(t *testing.T) {
	ti := newTestInstance(t)
	alice := ti.newPerson(t, "alice")
	ti.newPerson(t, "bob")
	createGroupVia(t, ti, alice.Client, "velo", "Vélo Lyon", "moderated")
	if got := membershipRole(t, ti, "velo", alice.Identity.ID); got != store.RoleAdministrator {
		t.Fatalf("creator's role = %q", got)
	}
	// The group page is /@velo and says what it is.
	res, body := ti.get(t, ti.client(), "/@velo")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Vélo Lyon") || !strings.Contains(body, "1 member") {
		t.Fatalf("group page: %d\n%s", res.StatusCode, body)
	}
	for _, path := range []string{"/@velo", "/groups"} {
		if _, body := ti.get(t, ti.client(), path); strings.Contains(body, "%!") {
			t.Errorf("%s shows a formatting error: %s", path, body[strings.Index(body, "%!"):][:40])
		}
	}
	// A handle taken by an identity (or a group) is refused next to the field, keeping what was typed.
	for _, taken := range []string{"bob", "velo"} {
		res, body = ti.postFormBody(t, alice.Client, "/groups", url.Values{"username": {taken}, "display_name": {"Other"},
			"visibility": {"public"}, "openness": {"open"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "already used by an identity or a group") ||
			!strings.Contains(body, `value="Other"`) {
			t.Fatalf("taken handle %s: %d\n%s", taken, res.StatusCode, body)
		}
	}
	// A group's handle cannot become an identity either.
	res, _ = ti.postFormBody(t, alice.Client, "/me/identities", url.Values{"username": {"velo"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("identity with a group's handle: %d", res.StatusCode)
	}
}

func TestGroupMembershipFlow(t *testing.T) {
	ti := newTestInstance(t)
	ctx := context.Background()
	alice, bob, carol := ti.newPerson(t, "alice"), ti.newPerson(t, "bob"), ti.newPerson(t, "carol")
	createGroupVia(t, ti, alice.Client, "velo", "Vélo Lyon", "moderated")

	// Bob asks to join with a message: pending, Alice is told.
	res := ti.postForm(t, bob.Client, "/groups/velo/join", url.Values{"message": {"I have a bike"}})
	if res.StatusCode != http.StatusSeeOther || membershipRole(t, ti, "velo", bob.Identity.ID) != store.RolePending {
		t.Fatalf("join moderated: %d, role %q", res.StatusCode, membershipRole(t, ti, "velo", bob.Identity.ID))
	}
	_, body := ti.get(t, alice.Client, "/groups")
	if !strings.Contains(body, "bob asks to join Vélo Lyon.") {
		t.Fatalf("alice not told of the request:\n%s", body)
	}
	// A pending person reads no discussion.
	if res, _ := ti.get(t, bob.Client, "/groups/velo/discussions"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("pending reads discussions: %d", res.StatusCode)
	}
	_, body = ti.get(t, alice.Client, "/groups/velo/members")
	if !strings.Contains(body, "I have a bike") {
		t.Fatalf("request message not shown:\n%s", body)
	}
	bobM, _ := ti.App.store.MembershipOf(ctx, mustGroup(t, ti, "velo").ID, bob.Identity.ID)
	res = ti.postForm(t, alice.Client, "/groups/velo/members/"+itoa(bobM.ID)+"/approve", nil)
	if res.StatusCode != http.StatusSeeOther || membershipRole(t, ti, "velo", bob.Identity.ID) != store.RoleMember {
		t.Fatalf("approve: %d", res.StatusCode)
	}
	_, body = ti.get(t, bob.Client, "/groups")
	if !strings.Contains(body, "Your request to join Vélo Lyon is accepted") {
		t.Fatalf("bob not told:\n%s", body)
	}
	// Bob (member) may not do a moderator's action: invite, remove.
	res, _ = ti.postFormBody(t, bob.Client, "/groups/velo/invite", url.Values{"handle": {"@carol"}})
	if res.StatusCode != http.StatusForbidden || membershipRole(t, ti, "velo", carol.Identity.ID) != "" {
		t.Fatalf("member invites: %d", res.StatusCode)
	}
	aliceM, _ := ti.App.store.MembershipOf(ctx, mustGroup(t, ti, "velo").ID, alice.Identity.ID)
	if res := ti.postForm(t, bob.Client, "/groups/velo/members/"+itoa(aliceM.ID)+"/remove", nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("member removes: %d", res.StatusCode)
	}
	// Alice invites Carol, who accepts.
	res = ti.postForm(t, alice.Client, "/groups/velo/invite", url.Values{"handle": {"@carol"}})
	if res.StatusCode != http.StatusSeeOther || membershipRole(t, ti, "velo", carol.Identity.ID) != store.RoleInvited {
		t.Fatalf("invite: %d", res.StatusCode)
	}
	_, body = ti.get(t, carol.Client, "/@velo")
	if !strings.Contains(body, "You are invited to join this group.") {
		t.Fatalf("carol does not see the invitation:\n%s", body)
	}
	ti.postForm(t, carol.Client, "/groups/velo/invitation/accept", nil)
	if membershipRole(t, ti, "velo", carol.Identity.ID) != store.RoleMember {
		t.Fatal("invitation not accepted")
	}
	// The last administrator can neither leave nor be demoted.
	res, body = ti.postFormBody(t, alice.Client, "/groups/velo/leave", nil)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "last administrator") {
		t.Fatalf("last admin leaves: %d", res.StatusCode)
	}
	res = ti.postForm(t, alice.Client, "/groups/velo/members/"+itoa(aliceM.ID)+"/role", url.Values{"role": {"member"}})
	if res.StatusCode != http.StatusForbidden || membershipRole(t, ti, "velo", alice.Identity.ID) != store.RoleAdministrator {
		t.Fatalf("last admin demoted: %d", res.StatusCode)
	}
	// Alice makes Bob moderator; Bob removes Carol; Carol leaves nothing behind.
	ti.postForm(t, alice.Client, "/groups/velo/members/"+itoa(bobM.ID)+"/role", url.Values{"role": {"moderator"}})
	if membershipRole(t, ti, "velo", bob.Identity.ID) != store.RoleModerator {
		t.Fatal("role change")
	}
	carolM, _ := ti.App.store.MembershipOf(ctx, mustGroup(t, ti, "velo").ID, carol.Identity.ID)
	if res := ti.postForm(t, bob.Client, "/groups/velo/members/"+itoa(carolM.ID)+"/remove", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("moderator removes: %d", res.StatusCode)
	}
	_, body = ti.get(t, carol.Client, "/groups")
	if !strings.Contains(body, "You were removed from Vélo Lyon.") {
		t.Fatalf("carol not told:\n%s", body)
	}
	// Only administrators read the log, which holds it all.
	if res, _ := ti.get(t, bob.Client, "/groups/velo/log"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("moderator reads the log: %d", res.StatusCode)
	}
	_, body = ti.get(t, alice.Client, "/groups/velo/log")
	for _, want := range []string{"@alice created the group.", "@bob asked to join.", "@alice approved the request of @bob.",
		"@alice invited @carol.", "@carol accepted the invitation.", "@alice made @bob moderator.", "@bob removed @carol."} {
		if !strings.Contains(body, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

func mustGroup(t testing.TB, ti *testInstance, handle string) *store.Group {
	t.Helper()
	g, err := ti.App.store.LocalGroupByUsername(context.Background(), handle)
	if err != nil {
		t.Fatal(err)
	}
	return g
}
