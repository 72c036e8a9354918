package app

// The documents our group features send and serve, compared field by
// field (key order aside) with what they were before app/ap built them
// (ap/testdata/golden_handlers/): peers must receive the same fields and
// values. go test -run TestVocabularyGolden -update-golden rewrites the
// files from the current code.

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite ap/testdata/golden_handlers from the current code")

var (
	goldenUUID    = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	goldenTime    = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	goldenPEM     = regexp.MustCompile(`-----BEGIN [A-Z ]+-----[^"]*-----END [A-Z ]+-----(\\n)?`)
	goldenPort    = regexp.MustCompile(`(http://)?127\.0\.0\.1:\d+`)
	goldenSameDay = regexp.MustCompile(`<day> – \d\d:\d\d`)
	goldenDay     = regexp.MustCompile(`[A-Z][a-z]+day \d+ [A-Z][a-z]+ \d{4}, \d\d:\d\d`)
)

// goldenJSON normalises what changes from run to run (hosts, uuids,
// times, keys) and decodes the document.
func goldenJSON(t *testing.T, raw []byte, hosts *strings.Replacer) any {
	t.Helper()
	s := hosts.Replace(string(raw))
	s = goldenPort.ReplaceAllString(s, "peer.example")
	s = goldenDay.ReplaceAllString(s, "<day>")
	s = strings.ReplaceAll(goldenSameDay.ReplaceAllString(s, "<day> – <day>"), "<day> – <day>", "<days>")
	s = goldenUUID.ReplaceAllString(s, "<uuid>")
	s = goldenTime.ReplaceAllString(s, "<time>")
	s = goldenPEM.ReplaceAllString(s, "<pem>")
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v in %s", err, raw)
	}
	// The @context is checked once (ap's tests): here only which one.
	contexts := map[string]any{"<ap-context>": ap.Context(), "<group-context>": ap.GroupContext()}
	name := func(m map[string]any) {
		if c, ok := m["@context"]; ok {
			for n, want := range contexts {
				b, _ := json.Marshal(want)
				var w any
				json.Unmarshal(b, &w)
				if reflect.DeepEqual(c, w) {
					m["@context"] = n
				}
			}
		}
	}
	switch d := v.(type) {
	case map[string]any:
		name(d)
	case []any:
		for _, e := range d {
			if m, ok := e.(map[string]any); ok {
				name(m)
			}
		}
	}
	return v
}

// goldenDiff lists the paths where got and want differ.
func goldenDiff(path string, got, want any) []string {
	gm, gok := got.(map[string]any)
	wm, wok := want.(map[string]any)
	if gok && wok {
		var out []string
		keys := map[string]bool{}
		for k := range gm {
			keys[k] = true
		}
		for k := range wm {
			keys[k] = true
		}
		var sorted []string
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			gv, gin := gm[k]
			wv, win := wm[k]
			switch {
			case !gin:
				out = append(out, fmt.Sprintf("%s.%s missing (want %v)", path, k, wv))
			case !win:
				out = append(out, fmt.Sprintf("%s.%s unexpected (%v)", path, k, gv))
			default:
				out = append(out, goldenDiff(path+"."+k, gv, wv)...)
			}
		}
		return out
	}
	gl, gok := got.([]any)
	wl, wok := want.([]any)
	if gok && wok && len(gl) == len(wl) {
		var out []string
		for i := range gl {
			out = append(out, goldenDiff(fmt.Sprintf("%s[%d]", path, i), gl[i], wl[i])...)
		}
		return out
	}
	if !reflect.DeepEqual(got, want) {
		return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
	}
	return nil
}

func checkGolden(t *testing.T, name string, got any) {
	t.Helper()
	file := filepath.Join("ap", "testdata", "golden_handlers", name+".json")
	if *updateGolden {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		enc.Encode(got)
		if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if d := goldenDiff(name, got, want); len(d) > 0 {
		t.Errorf("%s differs from before:\n%s", name, strings.Join(d, "\n"))
	}
}

func TestVocabularyGolden(t *testing.T) {
	fi, mp := newFedInstance(t), newMobilizonPeer(t)
	a, ctx := fi.App, context.Background()
	hosts := strings.NewReplacer(fi.URL, "https://us.example", mp.srv.URL, "https://peer.example", fi.Host, "us.example")
	g, alice := fedGroup(t, fi, store.OpennessOpen)
	G := fi.URL + "/@velo"
	J := mp.srv.URL + "/member/3e9f"
	mp.send(t, fi, "eve", map[string]any{"type": "Join", "id": J, "actor": mp.actor("eve"), "object": G, "to": []string{G, G + "/members"}, "cc": []string{}})
	drain(t, fi)
	info, err := a.store.RemoteActorByURI(ctx, mp.actor("eve"))
	if err != nil {
		t.Fatal(err)
	}
	eve := &info.Actor
	if g, err = a.store.GroupByID(ctx, g.ID); err != nil {
		t.Fatal(err)
	}

	var last int64
	a.store.DB().QueryRow(`SELECT coalesce(max(id), 0) FROM outgoing_activities`).Scan(&last)
	// sent returns the activities queued since the last call.
	sent := func() any {
		t.Helper()
		rows, err := a.store.DB().Query(`SELECT id, body FROM outgoing_activities WHERE id > ? ORDER BY id`, last)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []any
		for rows.Next() {
			var body string
			if err := rows.Scan(&last, &body); err != nil {
				t.Fatal(err)
			}
			out = append(out, goldenJSON(t, []byte(body), hosts))
		}
		if len(out) == 0 {
			t.Fatal("nothing sent")
		}
		return out
	}
	tx := func(f func(tx *sql.Tx) error) {
		t.Helper()
		if err := a.store.Tx(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	doc := func(v any) any {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return goldenJSON(t, b, hosts)
	}

	// Served documents.
	res, err := http.DefaultClient.Do(func() *http.Request {
		req, _ := http.NewRequest(http.MethodGet, G, nil)
		req.Header.Set("Accept", ap.ContentTypeActivityJSON)
		return req
	}())
	if err != nil {
		t.Fatal(err)
	}
	var actorDoc json.RawMessage
	json.NewDecoder(res.Body).Decode(&actorDoc)
	res.Body.Close()
	checkGolden(t, "group_actor", goldenJSON(t, actorDoc, hosts))
	page := func(u string) any {
		t.Helper()
		m := mp.signedGet(t, u, "eve")
		b, _ := json.Marshal(m)
		return goldenJSON(t, b, hosts)
	}
	checkGolden(t, "group_members_collection", page(fi.URL+"/actors/velo/members"))
	checkGolden(t, "group_members_page", page(fi.URL+"/actors/velo/members?page=1"))
	checkGolden(t, "outbox_collection", page(fi.URL+"/actors/alice/outbox"))
	checkGolden(t, "followers_page", page(fi.URL+"/actors/velo/followers?page=1"))

	at := time.Date(2031, 5, 4, 10, 0, 0, 0, time.UTC)
	d := &store.Discussion{GroupID: g.ID, AuthorID: alice.Identity.ID, Title: "Ride on Sunday"}
	first := &store.Message{BodyHTML: "<p>Who comes?</p>", Author: alice.Identity}
	var post *store.Post
	var folder, link *store.Resource
	tx(func(tx *sql.Tx) error {
		if err := a.store.CreateDiscussionTx(ctx, tx, d, first); err != nil {
			return err
		}
		post = &store.Post{GroupID: g.ID, AuthorID: alice.Identity.ID, Author: alice.Identity, Title: "News", BodyHTML: "<p>Hi</p>", Visibility: store.PostPublic}
		if err := a.store.CreatePostTx(ctx, tx, post); err != nil {
			return err
		}
		folder = &store.Resource{GroupID: g.ID, CreatorID: alice.Identity.ID, Kind: store.ResourceFolder, Title: "Maps"}
		if err := a.store.CreateResourceTx(ctx, tx, folder); err != nil {
			return err
		}
		link = &store.Resource{GroupID: g.ID, CreatorID: alice.Identity.ID, Kind: store.ResourceLink, Title: "Route",
			Description: "The loop", URL: "https://maps.example/loop", ParentID: folder.ID}
		return a.store.CreateResourceTx(ctx, tx, link)
	})
	first.Author = alice.Identity
	checkGolden(t, "discussion_json", page(fi.URL+"/groups/velo/discussions/"+d.Slug))
	checkGolden(t, "discussion_replies_collection", page(fi.URL+"/groups/velo/discussions/"+d.Slug+"/replies"))
	checkGolden(t, "post_json", page(fi.URL+"/groups/velo/posts/"+post.Slug))
	checkGolden(t, "resource_json", page(fi.URL+"/groups/velo/resources/"+link.UUID))
	checkGolden(t, "group_discussions_page", page(fi.URL+"/actors/velo/discussions?page=1"))
	checkGolden(t, "group_posts_page", page(fi.URL+"/actors/velo/posts?page=1"))
	checkGolden(t, "group_resources_page", page(fi.URL+"/actors/velo/resources?page=1"))

	// Built objects, every branch.
	reply := &store.Message{ID: 7, BodyHTML: "<p>Me</p>", CreatedAt: at, EditedAt: at.Add(time.Hour)}
	checkGolden(t, "message_note_first", doc(a.messageNote(g, d, first, alice.Identity, true, "")))
	checkGolden(t, "message_note_reply", doc(a.messageNote(g, d, reply, eve, false, G+"/messages/3")))
	for _, vis := range []string{store.PostPublic, store.PostUnlisted, store.PostMembers} {
		p := &store.Post{Slug: "p-" + vis, Title: "T", BodyHTML: "<p>B</p>", Visibility: vis, PublishedAt: at, BannerUUID: "b-" + vis}
		checkGolden(t, "post_article_"+vis, doc(a.postArticle(g, p, alice.Identity)))
	}
	pending := &store.Membership{URI: fi.URL + "/members/x", Role: store.RolePending}
	checkGolden(t, "member_pending", doc(a.memberObject(g, pending, eve)))
	checkGolden(t, "resource_folder", doc(a.resourceObject(ctx, g, folder)))
	checkGolden(t, "resource_link", doc(a.resourceObject(ctx, g, link)))

	// A member elsewhere renaming one of our threads: the part we keep.
	rename, err := ap.ParseActivity([]byte(mustJSON(map[string]any{"type": "Update", "id": mp.srv.URL + "/u/1", "actor": mp.actor("eve"),
		"object": map[string]any{"type": "Note", "id": a.discussionURI(g, d), "name": "Ride on Saturday", "content": "<p>dropped</p>",
			"attributedTo": G, "to": []string{G + "/members"}}})))
	if err != nil {
		t.Fatal(err)
	}
	origin, err := a.originObjectOf(ctx, rename)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "rename_origin_object", goldenJSON(t, origin.Raw, hosts))

	// Sent activities, local group.
	tx(func(tx *sql.Tx) error { return a.federateMessageTx(ctx, tx, g, d, first, alice.Identity, true) })
	checkGolden(t, "message_announce", sent())
	tx(func(tx *sql.Tx) error { return a.federateDiscussionDeleteTx(ctx, tx, g, d, alice.Identity) })
	checkGolden(t, "discussion_delete", sent())
	tx(func(tx *sql.Tx) error { return a.federateNoteEditTx(ctx, tx, g, d, first, true, alice.Identity) })
	checkGolden(t, "note_edit_announce", sent())
	// eve follows the group so posts reach followers too.
	mp.send(t, fi, "eve", map[string]any{"type": "Follow", "id": mp.srv.URL + "/follow/1", "actor": mp.actor("eve"), "object": G})
	drain(t, fi)
	for _, acc := range mp.got("Accept") {
		if obj, _ := acc["object"].(map[string]any); obj["type"] == "Follow" {
			delete(acc, "_inbox")
			checkGolden(t, "follow_accept", doc(acc))
		}
	}
	a.store.DB().QueryRow(`SELECT coalesce(max(id), 0) FROM outgoing_activities`).Scan(&last)
	tx(func(tx *sql.Tx) error { return a.federatePostTx(ctx, tx, g, post, alice.Identity) })
	checkGolden(t, "post_announce", sent())
	tx(func(tx *sql.Tx) error { return a.federatePostEditTx(ctx, tx, g, post, store.PostPublic) })
	checkGolden(t, "post_edit", sent())
	members := *post
	members.Visibility = store.PostMembers
	tx(func(tx *sql.Tx) error {
		return a.sendTx(ctx, tx, g.Actor, a.postDelete(g, &members, []string{G + "/followers"}), inboxOf(eve))
	})
	checkGolden(t, "post_delete_followers", sent())
	tx(func(tx *sql.Tx) error { return a.federatePostDeleteTx(ctx, tx, g, post) })
	checkGolden(t, "post_delete", sent())
	tx(func(tx *sql.Tx) error { return a.federateResourceTx(ctx, tx, g, folder, nil, alice.Identity) })
	checkGolden(t, "resource_create", sent())
	tx(func(tx *sql.Tx) error { return a.federateResourceTx(ctx, tx, g, link, folder, alice.Identity) })
	checkGolden(t, "resource_add", sent())
	tx(func(tx *sql.Tx) error { return a.federateResourceUpdateTx(ctx, tx, g, link, alice.Identity) })
	checkGolden(t, "resource_update", sent())
	tx(func(tx *sql.Tx) error { return a.federateResourceMoveTx(ctx, tx, g, link, 0, alice.Identity) })
	checkGolden(t, "resource_move_from_root", sent())
	moved := *link
	moved.ParentID = 0
	tx(func(tx *sql.Tx) error { return a.federateResourceMoveTx(ctx, tx, g, &moved, folder.ID, alice.Identity) })
	checkGolden(t, "resource_move_to_root", sent())
	tx(func(tx *sql.Tx) error { return a.federateResourceDeleteTx(ctx, tx, g, link, alice.Identity) })
	checkGolden(t, "resource_delete", sent())
	if err := a.federateGroupUpdate(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "group_update", sent())
	m := &store.Membership{URI: J, Role: store.RoleMember}
	tx(func(tx *sql.Tx) error { return a.acceptMemberTx(ctx, tx, g, m, eve, nil) })
	checkGolden(t, "accept_join_by_group", sent())
	tx(func(tx *sql.Tx) error { return a.acceptMemberTx(ctx, tx, g, m, eve, alice.Identity) })
	checkGolden(t, "accept_join_by_moderator", sent())
	tx(func(tx *sql.Tx) error { return a.federateDecisionTx(ctx, tx, g, m, alice.Identity, eve, "remove", "") })
	checkGolden(t, "decision_remove", sent())
	tx(func(tx *sql.Tx) error {
		return a.federateDecisionTx(ctx, tx, g, m, alice.Identity, eve, "role", store.RoleModerator)
	})
	checkGolden(t, "decision_role", sent())
	tx(func(tx *sql.Tx) error { return a.federateInviteTx(ctx, tx, g, m, alice.Identity, eve) })
	checkGolden(t, "invite", sent())
	e := publishGroupEvent(t, fi, alice.Identity, g, "Critical mass")
	checkGolden(t, "group_event_create_and_announce", sent())
	checkGolden(t, "outbox_page", page(fi.URL+"/actors/alice/outbox?page=1"))
	checkGolden(t, "group_events_page", page(fi.URL+"/actors/velo/events?page=1"))
	checkGolden(t, "group_event_embedded", doc(a.embeddedEvent(e)))

	// A Join refused by an invite-only group.
	createGroupVia(t, fi.ti, alice.Client, "priv", "Private", store.OpennessInviteOnly)
	P := fi.URL + "/@priv"
	mp.send(t, fi, "eve", map[string]any{"type": "Join", "id": mp.srv.URL + "/member/priv", "actor": mp.actor("eve"), "object": P})
	rejects := mp.got("Reject")
	if len(rejects) != 1 {
		t.Fatalf("rejects: %v", rejects)
	}
	delete(rejects[0], "_inbox")
	checkGolden(t, "join_rejected", doc(rejects[0]))

	// Sent activities, remote group.
	mp.group(t, "club", store.OpennessOpen)
	bob := fi.ti.newPerson(t, "bob")
	joinPeerGroup(t, fi, mp, bob, "club")
	var join map[string]any
	for _, j := range mp.got("Join") {
		if j["actor"] == fi.URL+"/@bob" {
			join = j
		}
	}
	delete(join, "_inbox")
	checkGolden(t, "join_remote_group", doc(join))
	a.store.DB().QueryRow(`SELECT coalesce(max(id), 0) FROM outgoing_activities`).Scan(&last)
	rg, err := a.rememberRemoteGroup(ctx, mp.actor("club"))
	if err != nil {
		t.Fatal(err)
	}
	rd := &store.Discussion{URI: mp.srv.URL + "/discussions/1", Title: "Theirs"}
	rm := &store.Message{ID: 9, BodyHTML: "<p>Hello</p>", CreatedAt: at, Author: bob.Identity}
	tx(func(tx *sql.Tx) error { return a.federateMessageTx(ctx, tx, rg, rd, rm, bob.Identity, false) })
	checkGolden(t, "message_create_remote", sent())
	tx(func(tx *sql.Tx) error { return a.federateNoteEditTx(ctx, tx, rg, rd, rm, false, bob.Identity) })
	checkGolden(t, "note_edit_update_remote", sent())
	tx(func(tx *sql.Tx) error { return a.federateDiscussionDeleteTx(ctx, tx, rg, rd, bob.Identity) })
	checkGolden(t, "discussion_delete_remote", sent())
	inv := &store.Membership{URI: mp.srv.URL + "/member/inv", Role: store.RoleInvited}
	tx(func(tx *sql.Tx) error { return a.federateInvitationAnswerTx(ctx, tx, rg, inv, bob.Identity, false) })
	checkGolden(t, "invitation_reject", sent())
	tx(func(tx *sql.Tx) error { return a.federateInvitationAnswerTx(ctx, tx, rg, inv, bob.Identity, true) })
	checkGolden(t, "invitation_accept", sent())
	tx(func(tx *sql.Tx) error { return a.federateLeaveTx(ctx, tx, rg, inv, bob.Identity) })
	checkGolden(t, "leave", sent())

	if err := a.federateGroupDelete(ctx, g); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "group_delete", sent())
}
