package ap

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// wireFields is a document as a peer decodes it.
func wireFields(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestGroupContextAddsMobilizonCollections(t *testing.T) {
	c := GroupContext()
	base := Context()
	if len(c) != len(base) || c[0] != base[0] || c[1] != base[1] {
		t.Fatalf("group context %v does not extend %v", c[:2], base[:2])
	}
	terms := c[len(c)-1].(map[string]any)
	for _, name := range []string{"resources", "todos", "posts", "discussions"} {
		if !reflect.DeepEqual(terms[name], map[string]any{"@id": "mz:" + name, "@type": "@id"}) {
			t.Errorf("%s: %v", name, terms[name])
		}
	}
	if _, ok := Context()[2].(map[string]any)["todos"]; ok {
		t.Error("GroupContext altered the shared context")
	}
}

// Mobilizon tells "sent as []" from "not sent" and reads null as the root.
func TestGroupActivitiesKeepEmptyAndNullFields(t *testing.T) {
	res := NewResource("https://us/r/1", "https://us/@a", "https://us/@g", false, "Route", "", "", "https://us/g/resources", time.Unix(0, 0))
	move := wireFields(t, NewResourceMove("https://us/r/1/move/1", "https://us/@a", res, "", "https://us/r/2", []string{"https://us/m"}))
	if v, ok := move["origin"]; !ok || v != nil {
		t.Errorf("origin of a move from the root: %v (present %v), want null", v, ok)
	}
	if move["target"] != "https://us/r/2" || move["type"] != "Move" {
		t.Errorf("move: %v", move)
	}
	if cc, ok := move["cc"].([]any); !ok || len(cc) != 0 {
		t.Errorf("cc: %v, want []", move["cc"])
	}
	obj := move["object"].(map[string]any)
	if _, ok := obj["url"]; ok || obj["summary"] != "" || obj["context"] != "https://us/g/resources" || obj["type"] != "Document" {
		t.Errorf("resource: %v", obj)
	}
	reject := wireFields(t, NewJoinReject("https://us/@g", "https://peer/join/1", "https://peer/u/e"))
	for _, k := range []string{"cc", "id", "origin", "target", "attributedTo", "published", "participationMessage"} {
		if _, ok := reject[k]; ok {
			t.Errorf("reject carries %s: %v", k, reject)
		}
	}
	join := wireFields(t, NewGroupJoin("https://us/m/1", "https://us/@a", "https://peer/@g", "https://peer/g/members", ""))
	if _, ok := join["participationMessage"]; ok {
		t.Errorf("join without a message: %v", join)
	}
	join = wireFields(t, NewGroupJoin("https://us/m/1", "https://us/@a", "https://peer/@g", "https://peer/g/members", "Hi"))
	if join["participationMessage"] != "Hi" || len(join["cc"].([]any)) != 0 {
		t.Errorf("join with a message: %v", join)
	}
	del := wireFields(t, NewResourceDelete("https://us/@a", "https://us/@g", "https://us/r/1", true, []string{"https://us/m"}))
	if !reflect.DeepEqual(del["attributedTo"], []any{"https://us/@g"}) ||
		!reflect.DeepEqual(del["object"], map[string]any{"type": "Tombstone", "id": "https://us/r/1", "formerType": "ResourceCollection"}) {
		t.Errorf("delete: %v", del)
	}
}

func TestDiscussionNoteOptionalFields(t *testing.T) {
	at := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	n := wireFields(t, NewDiscussionNote("https://us/d/1", "https://us/@a", "https://us/@g", "https://us/d/1", "https://us/m", "<p>x</p>", at))
	for _, k := range []string{"name", "replies", "updated", "inReplyTo", "@context"} {
		if _, ok := n[k]; ok {
			t.Errorf("note carries %s: %v", k, n)
		}
	}
	if n["context"] != "https://us/d/1" || n["published"] != "2031-01-02T03:04:05Z" || n["mediaType"] != "text/html" {
		t.Errorf("note: %v", n)
	}
	opening := NewDiscussionNote("https://peer/d/1", "https://us/@a", "https://peer/@g", "https://peer/d/1", "https://peer/m", "", at)
	opening.Opening("", "")
	if o := wireFields(t, opening); o["name"] != "" {
		t.Errorf("an opening message without a name: %v", o)
	}
	c := wireFields(t, NewDiscussionCreate("https://us/d/1/activity", "https://us/@a", "https://us/@g", NewDiscussionNote("https://us/d/1", "https://us/@a", "https://us/@g", "https://us/d/1", "https://us/m", "", at)))
	if !reflect.DeepEqual(c["to"], []any{"https://us/m"}) || c["attributedTo"] != "https://us/@g" {
		t.Errorf("create: %v", c)
	}
}

func TestOrderedCollectionPages(t *testing.T) {
	root := wireFields(t, NewOrderedCollection("https://us/c", 45))
	if root["first"] != "https://us/c?page=1" || root["totalItems"] != 45.0 || root["type"] != "OrderedCollection" {
		t.Errorf("root: %v", root)
	}
	p := wireFields(t, NewOrderedCollectionPage("https://us/c", 2, 20, 45, []any{"a"}))
	if p["id"] != "https://us/c?page=2" || p["next"] != "https://us/c?page=3" || p["prev"] != "https://us/c?page=1" || p["partOf"] != "https://us/c" {
		t.Errorf("page 2: %v", p)
	}
	last := wireFields(t, NewOrderedCollectionPage("https://us/c", 3, 20, 45, nil))
	if _, ok := last["next"]; ok {
		t.Errorf("last page has a next: %v", last)
	}
}

func TestGroupActorCollections(t *testing.T) {
	g := wireFields(t, NewGroupActor("https://us/@g", "https://us/actors/g", "g", "G", "PEM", "https://us/inbox"))
	ep := g["endpoints"].(map[string]any)
	if ep["sharedInbox"] != "https://us/inbox" || len(ep) != 1+len(GroupCollections) {
		t.Errorf("endpoints: %v", ep)
	}
	for _, c := range GroupCollections {
		if g[c] != "https://us/actors/g/"+c || ep[c] != g[c] {
			t.Errorf("%s: %v / %v", c, g[c], ep[c])
		}
	}
	if g["memberCount"] != 0.0 || g["discoverable"] != false || g["name"] != "G" || g["@context"] == nil {
		t.Errorf("group: %v", g)
	}
	for _, k := range []string{"summary", "icon", "image", "location"} {
		if _, ok := g[k]; ok {
			t.Errorf("group carries an empty %s", k)
		}
	}
}

func TestEmbeddedDropsContextOnly(t *testing.T) {
	e := NewEvent("https://us/e/1", "https://us/@a", "Bal", time.Date(2031, 6, 21, 18, 0, 0, 0, time.UTC), time.Time{}, nil)
	m := Embedded(e)
	if _, ok := m["@context"]; ok || m["name"] != "Bal" || !strings.HasPrefix(m["startTime"].(string), "2031-06-21T18:00:00") {
		t.Errorf("embedded: %v", m)
	}
	if wireFields(t, e)["@context"] == nil {
		t.Error("the event lost its own @context")
	}
}
