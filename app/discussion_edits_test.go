package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"convene/app/store"
)

// discussionWorld is an open group velo on b (alice administrator) with
// members on three other servers: bob on a, carol on c, eve on a
// Mobilizon-like peer.
type discussionWorld struct {
	a, b, c           *fedInstance
	mp                *mobilizonPeer
	g                 *store.Group
	alice, bob, carol person
	pathA, pathC, G   string
}

func newDiscussionWorld(t *testing.T) discussionWorld {
	t.Helper()
	w := discussionWorld{a: newFedInstance(t), b: newFedInstance(t), c: newFedInstance(t), mp: newMobilizonPeer(t)}
	w.g, w.alice = fedGroup(t, w.b, store.OpennessOpen)
	w.bob, w.carol = w.a.ti.newPerson(t, "bob"), w.c.ti.newPerson(t, "carol")
	w.pathA = joinAcross(t, w.a, w.bob, w.b, "")
	w.pathC = joinAcross(t, w.c, w.carol, w.b, "")
	w.G = w.b.URL + "/@velo"
	w.mp.send(t, w.b, "eve", map[string]any{"type": "Join", "id": w.mp.srv.URL + "/join/eve", "actor": w.mp.actor("eve"), "object": w.G})
	return w
}

// Renaming a discussion on one server renames it on every server of the
// group: bob on A renames a thread of B's group that carol on C follows.
// On B, a member of another server (a Mobilizon-like peer) edits her own
// message and everyone sees the new text; her edit of someone else's
// message, and a rename by a non-member, change nothing.
func TestGroupDiscussionRenameAndEditAcrossInstances(t *testing.T) {
	w := newDiscussionWorld(t)
	a, b, c, mp, g, alice, bob, carol, pathA, pathC, G := w.a, w.b, w.c, w.mp, w.g, w.alice, w.bob, w.carol, w.pathA, w.pathC, w.G
	if res := b.ti.postForm(t, alice.Client, "/groups/velo/discussions", url.Values{"title": {"Route"}, "body": {"North or south?"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("start a discussion: %d", res.StatusCode)
	}
	drain(t, a, b, c)
	ctx := context.Background()
	thread := func(fi *fedInstance, groupID int64) *store.Discussion {
		t.Helper()
		ds, err := fi.App.store.ListDiscussions(ctx, groupID, 10, 0)
		if err != nil || len(ds) != 1 {
			t.Fatalf("discussions on %s: %d %v", fi.Host, len(ds), err)
		}
		return ds[0]
	}
	groupA := remoteMembership(t, a, b.Host, bob.Identity).GroupID
	groupC := remoteMembership(t, c, b.Host, carol.Identity).GroupID
	onA := pathA + "/discussions/" + thread(a, groupA).Slug

	// Bad input changes nothing and keeps what was typed.
	long := strings.Repeat("x", maxDiscussionTitle+1)
	if res, body := a.ti.postFormBody(t, bob.Client, onA+"/rename", url.Values{"title": {long}}); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, long) {
		t.Fatalf("too long a title: %d", res.StatusCode)
	}
	if res, _ := a.ti.postFormBody(t, bob.Client, onA+"/rename", url.Values{"title": {"  "}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("an empty title: %d", res.StatusCode)
	}
	outsider := a.ti.newPerson(t, "olga")
	if res, _ := a.ti.postFormBody(t, outsider.Client, onA+"/rename", url.Values{"title": {"Mine now"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a rename by someone not a member: %d", res.StatusCode)
	}
	if res := a.ti.postForm(t, bob.Client, onA+"/rename", url.Values{"title": {"Route of Sunday"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("rename on A: %d", res.StatusCode)
	}
	drain(t, a, b, c)
	for _, on := range []struct {
		fi *fedInstance
		id int64
	}{{a, groupA}, {b, g.ID}, {c, groupC}} {
		if got := thread(on.fi, on.id).Title; got != "Route of Sunday" {
			t.Errorf("the thread on %s is called %q", on.fi.Host, got)
		}
	}
	if _, page := c.ti.get(t, carol.Client, pathC+"/discussions/"+thread(c, groupC).Slug); !strings.Contains(page, "Route of Sunday") || !strings.Contains(page, "North or south?") {
		t.Errorf("carol's page after the rename:\n%s", page)
	}

	// eve (a member on the peer) replies, then edits her reply.
	D := b.URL + "/groups/velo/discussions/" + thread(b, g.ID).Slug
	reply := map[string]any{"type": "Note", "id": mp.srv.URL + "/comments/e1", "actor": mp.actor("eve"), "attributedTo": G,
		"context": D, "content": "<p>South, by the river.</p>", "to": []string{b.URL + "/actors/velo/members"}}
	mp.send(t, b, "eve", map[string]any{"type": "Create", "id": mp.srv.URL + "/comments/e1/activity", "actor": mp.actor("eve"), "object": reply})
	reply["content"] = "<p>South, by the old bridge.</p>"
	mp.send(t, b, "eve", map[string]any{"type": "Update", "id": mp.srv.URL + "/comments/e1/activity", "actor": mp.actor("eve"), "object": reply})
	drain(t, a, b, c)
	for _, on := range []struct {
		fi   *fedInstance
		who  person
		path string
	}{{b, alice, "/groups/velo/discussions/" + thread(b, g.ID).Slug}, {a, bob, onA}} {
		_, page := on.fi.ti.get(t, on.who.Client, on.path)
		if !strings.Contains(page, "by the old bridge") || strings.Contains(page, "by the river") {
			t.Errorf("eve's edit on %s:\n%s", on.fi.Host, page)
		}
	}

	// Her edit of alice's opening message, and a rename by mal (not a
	// member), are refused.
	opening := map[string]any{"type": "Note", "id": D, "actor": b.URL + "/@alice", "attributedTo": G, "context": D,
		"name": "Route of Sunday", "content": "<p>Forget it.</p>"}
	mp.send(t, b, "eve", map[string]any{"type": "Update", "id": mp.srv.URL + "/u/1", "actor": mp.actor("eve"), "object": opening})
	opening["content"], opening["name"] = "<p>North or south?</p>", "Taken over"
	mp.send(t, b, "mal", map[string]any{"type": "Update", "id": mp.srv.URL + "/u/2", "actor": mp.actor("mal"), "object": opening})
	drain(t, a, b, c)
	if d := thread(b, g.ID); d.Title != "Route of Sunday" {
		t.Errorf("a non-member renamed the thread to %q", d.Title)
	}
	if _, page := b.ti.get(t, alice.Client, "/groups/velo/discussions/"+thread(b, g.ID).Slug); strings.Contains(page, "Forget it") || !strings.Contains(page, "North or south?") {
		t.Errorf("eve changed alice's message:\n%s", page)
	}
}

// Threads started elsewhere and renamed on C (carol's server): one by bob
// on A, one by eve on a Mobilizon-like peer that serves her Note with its
// first name. The group on B takes the rename although the Note is
// neither C's nor B's, and relays the new name; every server shows it,
// even those that fetch the Note from its author's server and get the
// old name there.
func TestGroupThreadRenamedByAThirdServer(t *testing.T) {
	w := newDiscussionWorld(t)
	a, b, c, mp, g, alice, bob, carol, pathA, pathC, G := w.a, w.b, w.c, w.mp, w.g, w.alice, w.bob, w.carol, w.pathA, w.pathC, w.G
	if res := a.ti.postForm(t, bob.Client, pathA+"/discussions", url.Values{"title": {"Route"}, "body": {"North or south?"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob starts a discussion on A: %d", res.StatusCode)
	}
	picnic := map[string]any{"type": "Note", "id": mp.srv.URL + "/comments/p1", "actor": mp.actor("eve"), "attributedTo": G,
		"name": "Picnic", "content": "<p>Who brings the bread?</p>", "to": []string{b.URL + "/actors/velo/members"}}
	mp.serve("/comments/p1", picnic)
	mp.send(t, b, "eve", map[string]any{"type": "Create", "id": mp.srv.URL + "/comments/p1/activity", "actor": mp.actor("eve"), "object": picnic})
	drain(t, a, b, c)

	ctx := context.Background()
	groupA := remoteMembership(t, a, b.Host, bob.Identity).GroupID
	groupC := remoteMembership(t, c, b.Host, carol.Identity).GroupID
	on := []struct {
		fi *fedInstance
		id int64
	}{{a, groupA}, {b, g.ID}, {c, groupC}}
	titles := func(fi *fedInstance, groupID int64) map[string]string {
		t.Helper()
		ds, err := fi.App.store.ListDiscussions(ctx, groupID, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, d := range ds {
			got[d.Title] = d.Slug
		}
		return got
	}
	onC := titles(c, groupC)
	if onC["Route"] == "" || onC["Picnic"] == "" {
		t.Fatalf("the threads on C: %v", onC)
	}
	for old, name := range map[string]string{"Route": "Route of Sunday", "Picnic": "Picnic at noon"} {
		if res := c.ti.postForm(t, carol.Client, pathC+"/discussions/"+onC[old]+"/rename", url.Values{"title": {name}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("carol renames %q on C: %d", old, res.StatusCode)
		}
	}
	drain(t, a, b, c)
	for _, o := range on {
		got := titles(o.fi, o.id)
		if len(got) != 2 || got["Route of Sunday"] == "" || got["Picnic at noon"] == "" {
			t.Errorf("after carol's renames, the threads on %s are %v", o.fi.Host, got)
		}
	}
	if _, page := b.ti.get(t, alice.Client, "/groups/velo/discussions/"+titles(b, g.ID)["Route of Sunday"]); !strings.Contains(page, "North or south?") {
		t.Errorf("bob's message on B after the rename:\n%s", page)
	}

	// eve (a member, on a fourth server) may rename bob's thread too, but
	// what she sends as his text is not taken.
	var bobsNote string
	if err := b.App.store.DB().QueryRow(`SELECT uri FROM discussion_messages WHERE uri LIKE ?`, a.URL+"/%").Scan(&bobsNote); err != nil {
		t.Fatalf("bob's Note on B: %v", err)
	}
	forged := map[string]any{"type": "Note", "id": bobsNote, "actor": a.URL + "/@bob", "attributedTo": G,
		"name": "Route, at last", "content": "<p>Forget it.</p>", "to": []string{b.URL + "/actors/velo/members"}}
	mp.send(t, b, "eve", map[string]any{"type": "Update", "id": mp.srv.URL + "/u/1", "actor": mp.actor("eve"), "object": forged})
	drain(t, a, b, c)
	slug := titles(b, g.ID)["Route, at last"]
	if slug == "" {
		t.Fatalf("eve's rename is not taken on B: %v", titles(b, g.ID))
	}
	if _, page := b.ti.get(t, alice.Client, "/groups/velo/discussions/"+slug); strings.Contains(page, "Forget it") || !strings.Contains(page, "North or south?") {
		t.Errorf("eve changed bob's words on B:\n%s", page)
	}
	if _, page := c.ti.get(t, carol.Client, pathC+"/discussions/"+titles(c, groupC)["Route, at last"]); strings.Contains(page, "Forget it") || !strings.Contains(page, "North or south?") {
		t.Errorf("eve changed bob's words on C:\n%s", page)
	}
}

// A member changes their own message from its page: the form holds the
// Markdown they typed; the thread then shows the new text, marked edited.
// Nobody else may change it, and bad input changes nothing.
func TestDiscussionMessageEditedByItsAuthor(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	g, alice := fedGroup(t, b, store.OpennessOpen)
	bob := a.ti.newPerson(t, "bob")
	pathA := joinAcross(t, a, bob, b, "")
	lou := b.ti.newPerson(t, "lou")
	b.ti.postForm(t, lou.Client, "/groups/velo/join", nil)
	if res := b.ti.postForm(t, alice.Client, "/groups/velo/discussions", url.Values{"title": {"Route"}, "body": {"North or *south*?"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("start a discussion: %d", res.StatusCode)
	}
	drain(t, a, b)
	ctx := context.Background()
	ds, _ := b.App.store.ListDiscussions(ctx, g.ID, 10, 0)
	if len(ds) != 1 {
		t.Fatalf("discussions on B: %v", ds)
	}
	onB := "/groups/velo/discussions/" + ds[0].Slug
	groupA := remoteMembership(t, a, b.Host, bob.Identity).GroupID
	dsA, _ := a.App.store.ListDiscussions(ctx, groupA, 10, 0)
	onA := pathA + "/discussions/" + dsA[0].Slug
	res := a.ti.postForm(t, bob.Client, onA, url.Values{"body": {"South, by the *river*."}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob replies on A: %d", res.StatusCode)
	}
	drain(t, a, b)
	msgs, _ := b.App.store.Messages(ctx, ds[0].ID, 0, 10)
	if len(msgs) != 2 {
		t.Fatalf("messages on B: %d", len(msgs))
	}
	opening := msgs[0]
	edit := onB + "/messages/" + itoa(opening.ID) + "/edit"

	// Only alice is offered to change her message, and only she can.
	if _, page := b.ti.get(t, alice.Client, onB); strings.Count(page, "/edit\"") != 1 || !strings.Contains(page, edit) {
		t.Errorf("alice's page should offer to change her message only:\n%s", page)
	}
	if _, page := b.ti.get(t, lou.Client, onB); strings.Contains(page, "/messages/") {
		t.Errorf("lou is offered to change someone else's message:\n%s", page)
	}
	if res, _ := b.ti.get(t, lou.Client, edit); res.StatusCode != http.StatusForbidden {
		t.Errorf("lou opens alice's message for editing: %d", res.StatusCode)
	}
	if res := b.ti.postForm(t, lou.Client, edit, url.Values{"body": {"Mine now"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("lou changes alice's message: %d", res.StatusCode)
	}
	if res, _ := b.ti.get(t, alice.Client, onB+"/messages/"+itoa(msgs[1].ID)+"/edit"); res.StatusCode != http.StatusForbidden {
		t.Errorf("alice opens bob's message for editing: %d", res.StatusCode)
	}
	if res, _ := b.ti.get(t, alice.Client, "/groups/velo/discussions/nope/messages/"+itoa(opening.ID)+"/edit"); res.StatusCode != http.StatusNotFound {
		t.Errorf("a message under another thread's address: %d", res.StatusCode)
	}
	if _, form := b.ti.get(t, alice.Client, edit); !strings.Contains(form, "North or *south*?") {
		t.Fatalf("the form does not hold what alice typed:\n%s", form)
	}
	long := strings.Repeat("y", maxMessageChars+1)
	for _, bad := range []string{"   ", long} {
		if res, body := b.ti.postFormBody(t, alice.Client, edit, url.Values{"body": {bad}}); res.StatusCode != http.StatusUnprocessableEntity || (bad == long && !strings.Contains(body, long)) {
			t.Errorf("a bad message (%d chars): %d", len(bad), res.StatusCode)
		}
	}
	if m, _ := b.App.store.MessageByID(ctx, opening.ID); m.Source != "North or *south*?" || !m.EditedAt.IsZero() {
		t.Fatalf("bad input changed the message: %+v", m)
	}

	// alice's change reaches bob's server; bob changes his on A, and B
	// takes it.
	if res := b.ti.postForm(t, alice.Client, edit, url.Values{"body": {"North, *surely*."}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("alice changes her message: %d", res.StatusCode)
	}
	msgsA, _ := a.App.store.Messages(ctx, dsA[0].ID, 0, 10)
	if len(msgsA) != 2 {
		t.Fatalf("messages on A: %d", len(msgsA))
	}
	if res := a.ti.postForm(t, bob.Client, onA+"/messages/"+itoa(msgsA[1].ID)+"/edit", url.Values{"body": {"South, by the *old bridge*."}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob changes his message on A: %d", res.StatusCode)
	}
	drain(t, a, b)
	for _, on := range []struct {
		fi   *fedInstance
		who  person
		path string
	}{{b, alice, onB}, {a, bob, onA}, {b, lou, onB}} {
		_, page := on.fi.ti.get(t, on.who.Client, on.path)
		if !strings.Contains(page, "North, <em>surely</em>.") || !strings.Contains(page, "South, by the <em>old bridge</em>.") ||
			strings.Contains(page, "river") || strings.Count(page, `class="edited"`) != 2 {
			t.Errorf("the thread on %s after both changes:\n%s", on.fi.Host, page)
		}
	}
	if d, _ := b.App.store.DiscussionByID(ctx, ds[0].ID); d.Title != "Route" {
		t.Errorf("changing the opening message renamed the thread: %q", d.Title)
	}
}
