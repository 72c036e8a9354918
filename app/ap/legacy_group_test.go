package ap

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The group documents as encoding/json wrote them from their struct tags
// before they were built on go-ap: the same structs, stripped of their
// methods. They are the reference of TestGroupDocumentsMatchLegacy and the
// baseline of BenchmarkSerialiseGroup.

type (
	legacyGroupActivity  GroupActivity
	legacyGroupTombstone GroupTombstone
	legacyMember         Member
	legacyDiscussionNote DiscussionNote
	legacyArticle        Article
	legacyResource       Resource
	legacyGroupActor     GroupActor
	legacyNoteName       NoteName
	legacyActivityRef    ActivityRef
)

// toLegacyGroup converts a group document, and those embedded in it, to
// its legacy struct; anything else is left as it is.
func toLegacyGroup(v any) any {
	switch d := v.(type) {
	case *GroupActivity:
		if d == nil {
			return v
		}
		c := legacyGroupActivity(*d)
		c.Object, c.Origin, c.Target, c.AttributedTo = toLegacyGroup(c.Object), toLegacyGroup(c.Origin), toLegacyGroup(c.Target), toLegacyGroup(c.AttributedTo)
		return &c
	case *GroupTombstone:
		c := legacyGroupTombstone(*d)
		return &c
	case *Member:
		c := legacyMember(*d)
		return &c
	case *DiscussionNote:
		c := legacyDiscussionNote(*d)
		return &c
	case *Article:
		c := legacyArticle(*d)
		if c.Attachment != nil {
			c.Attachment = make([]any, len(d.Attachment))
			for i, a := range d.Attachment {
				c.Attachment[i] = toLegacyGroup(a)
			}
		}
		return &c
	case *Resource:
		c := legacyResource(*d)
		return &c
	case *GroupActor:
		c := legacyGroupActor(*d)
		return &c
	case *NoteName:
		c := legacyNoteName(*d)
		return &c
	case *ActivityRef:
		c := legacyActivityRef(*d)
		return &c
	}
	return v
}

func groupLegacyCases() map[string]any {
	at := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	paris := time.Date(2031, 1, 2, 3, 4, 5, 250_000_000, goldenZone)
	g, m, a := "https://us/@g", "https://us/g/members", "https://us/@a"
	res := NewResource("https://us/r/1", a, g, false, `Route "A" C:\new`, "", "https://map.example/r?a=1&b=<2>", "https://us/g/resources", paris)
	folder := NewResource("https://us/r/2", "", g, true, "", "Docs", "", "", at)
	note := NewDiscussionNote("https://us/d/1", a, g, "https://us/d/1", m, `<p>C:\temp "x"</p>`, paris)
	note.Opening("", "https://us/d/1/replies")
	reply := NewDiscussionNote("https://us/d/1/m/2", a, g, "https://us/d/1", m, "", at)
	reply.InReplyTo, reply.Updated = "https://us/d/1", paris
	reply.To, reply.Cc = nil, nil
	art := NewArticle("https://us/p/1", a, g, "Été", "<p>post</p>", at, []string{Public}, []string{"https://us/g/followers"})
	art.Attachment = []any{NewBanner("https://us/media/b", "")}
	art.Updated = paris
	draft := NewArticle("https://us/p/2", a, g, "", "", time.Time{}, nil, []string{})
	draft.Draft, draft.MediaType = true, ""
	ctxArt := NewArticle("https://us/p/3", a, g, "T", "C", at, nil, nil)
	ctxArt.Context = GroupContext()
	ga := NewGroupActor(g, "https://us/actors/g", "g", "Walkers", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n", "https://us/inbox")
	ga.Summary, ga.Icon, ga.Image = "<p>We walk</p>", NewImage("https://us/media/i", "image/png"), NewImage("https://us/media/b", "")
	ga.Location = NewPlace("", "Parc", PostalAddress{AddressLocality: "Paris"})
	ga.MemberCount, ga.Openness, ga.Discoverable, ga.Published = 3, OpennessModerated, true, paris
	bare := NewGroupActor("https://peer/@h", "https://peer/h", "h", "", "", "")
	bare.Context = nil
	member := NewMember("https://us/members/1", a, g, "member")
	evil := `https://evil.example/a","cc":["x"],"z":"\`
	return map[string]any{
		"announce_note":        NewGroupAnnounce("https://us/announces/1", g, note, []string{m}, at),
		"announce_embedded":    NewGroupAnnounce("https://us/announces/2", g, map[string]any{"type": "Event", "id": "https://us/e/1"}, []string{Public, m}, paris),
		"announce_own_context": NewGroupAnnounce("https://us/announces/3", g, ctxArt, nil, time.Time{}),
		"join":                 NewGroupJoin("https://us/j/1", a, "https://peer/@g", "https://peer/g/members", "Hi \\o/"),
		"join_accept":          NewJoinAccept("https://us/a/1", g, m, member),
		"join_approval":        NewJoinApproval("https://us/a/2", a, g, m, member),
		"join_reject":          NewJoinReject(g, evil, evil),
		"member_remove":        NewMemberRemove(a, g, "https://us/members/1", nil),
		"member_update":        NewMemberUpdate("https://us/u/1", a, g, NewMember("", "", "", ""), []string{m}, []string{}),
		"invite":               NewGroupInvite("https://us/members/2", a, g, "https://peer/@b", m),
		"invitation_accept":    NewInvitationAccept("https://us/a/3", "https://peer/@b", g, m, member),
		"invitation_reject":    NewInvitationReject("https://peer/@b", g, m, "https://us/members/2"),
		"leave":                NewGroupLeave(a, g, m),
		"group_update":         NewGroupUpdate(g),
		"group_delete":         NewGroupDelete("https://us/actor", g),
		"discussion_create":    NewDiscussionCreate("https://us/d/1/activity", a, g, note),
		"discussion_update":    NewDiscussionUpdate("https://us/d/1/u", a, g, reply),
		"discussion_delete":    NewDiscussionDelete(a, g, "https://us/d/1", m),
		"discussion_note":      note,
		"article":              art,
		"article_draft":        draft,
		"post_update":          NewPostUpdate("https://us/p/1/u", g, art),
		"post_delete":          NewPostDelete("https://us/p/1/d", g, "https://us/p/1", []string{Public}),
		"resource":             res,
		"resource_create":      NewResourceCreate(a, g, res, []string{m}),
		"resource_add":         NewResourceAdd(a, g, folder, "https://us/r/9", []string{m}),
		"resource_update":      NewResourceUpdate("https://us/r/1/u", a, res, []string{m}),
		"resource_move_root":   NewResourceMove("https://us/r/1/m", a, res, "", "https://us/r/2", []string{m}),
		"resource_move_out":    NewResourceMove("https://us/r/1/m2", a, folder, "https://us/r/2", "", nil),
		"resource_delete":      NewResourceDelete(a, g, "https://us/r/2", true, []string{m}),
		"group_actor":          ga,
		"group_actor_bare":     bare,
		"note_name":            NewNoteName("https://peer/n/1", "New name", []string{"https://peer/@g"}, []string{m}),
		"note_name_nil":        NewNoteName("https://peer/n/2", "", nil, []string{}),
		"follow_ref":           NewFollowRef("https://peer/f/1", "https://peer/@b", a),
		"join_ref":             NewJoinRef(evil, evil, ""),
		"accept_join_ref":      NewAccept("https://us/a/4", a, NewJoinRef("https://peer/j/1", "https://peer/@b", "https://us/e/1"), []string{"https://peer/@b"}),
		"member_top":           &Member{Context: GroupContext(), Type: typeMember, ID: "https://us/members/3", Actor: a, Object: g, Role: "administrator"},
		"tombstone_nil_object": &GroupActivity{Type: TypeDelete, Actor: a},
	}
}

// Every group document writes what encoding/json wrote from its struct
// before: same fields, same JSON values (key order aside), for ordinary
// values and the edge ones (empty, nil and empty lists, times with an
// offset, backslashes, ids with quotes, an embedded @context, null).
func TestGroupDocumentsMatchLegacy(t *testing.T) {
	for name, doc := range groupLegacyCases() {
		if a, ok := doc.(*GroupActivity); ok && a.Context == nil && name != "tombstone_nil_object" {
			a.Context = GroupContext() // as sendTx sends them
		}
		want, err := json.Marshal(toLegacyGroup(doc))
		if err != nil {
			t.Fatalf("%s: legacy: %v", name, err)
		}
		got, err := json.Marshal(doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diffs := jsonDiff(want, got); len(diffs) > 0 {
			t.Errorf("%s differs from what peers received before:\n%s\ngot:  %s\nwant: %s", name, strings.Join(diffs, "\n"), got, want)
		}
	}
}

// Serialising group documents as peers receive them: go-ap against the
// encoding/json structs, same run.
// go test ./app/ap -run '^$' -bench SerialiseGroup -cpu 1
func BenchmarkSerialiseGroup(b *testing.B) {
	cases := groupLegacyCases()
	for _, name := range []string{"group_actor", "announce_note", "resource_move_root"} {
		doc := cases[name]
		if a, ok := doc.(*GroupActivity); ok {
			a.Context = GroupContext()
		}
		l := toLegacyGroup(doc)
		b.Run(name+"/legacy", func(b *testing.B) { benchMarshal(b, l) })
		b.Run(name+"/goap", func(b *testing.B) { benchMarshal(b, doc) })
	}
}
