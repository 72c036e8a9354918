package ap

import (
	"reflect"
	"slices"
	"time"

	vocab "github.com/go-ap/activitypub"
)

// The group documents of constructors.go on go-ap, as vocab.go's are:
// each builds the go-ap value of its standard vocabulary (vocab.Activity,
// vocab.Object for a Note, an Article or a resource, vocab.Actor for the
// Group, vocab.Tombstone) in an ext that appends Mobilizon's fields
// (actor on an object, role, draft, the group's collections and
// counters), and a top-level one goes through go-ap/jsonld with its
// @context (GroupContext(), set by the sender).
//
// Beside the cases goap.go lists (times with an offset, backslashes, one-
// item lists, escaping), Mobilizon's shapes need our code where go-ap
// leaves a value out that peers received:
//   - fields written even when empty (an actor, a name, a summary, a
//     mediaType, a folder's context that is ""; to and cc as [] or null;
//     a published date that is zero): go-ap omits empty values;
//   - the group's endpoints: go-ap's vocab.Endpoints has sharedInbox but
//     no field for Mobilizon's collections (members, resources, ...); go-ap
//     writes its part, ours are merged into the same object;
//   - an origin or target sent as null (a Move from or to the root
//     folder), and an embedded document that carries its own @context:
//     written as they are (value), not through go-ap.

// setIRI gives go-ap the id s, or writes the empty id where peers
// received "".
func setIRI(dst *vocab.Item, f *extras, k, s string) {
	if s != "" {
		*dst = asIRI(s)
	} else {
		f.str(k, "")
	}
}

// setNL gives go-ap a natural-language value it writes as it is, or
// writes it (always: empty too).
func setNL(dst *vocab.NaturalLanguageValues, f *extras, k, s string) {
	if n, ok := asNL(s); ok {
		*dst = n
	} else {
		f.str(k, s)
	}
}

// setIRIs gives go-ap a list of ids; an empty list is written [] and a
// nil one null, or left out when omitNil (encoding/json's omitzero).
func setIRIs(dst *vocab.ItemCollection, f *extras, k string, ids []string, omitNil bool) {
	switch {
	case len(ids) > 0:
		*dst = asIRIs(ids).ItemCollection
	case ids != nil:
		f.raw(k, "[]")
	case !omitNil:
		f.raw(k, "null")
	}
}

// setTime gives go-ap a time it writes as it is, or writes it; a zero
// time is left out when omitZero, else written as encoding/json does.
func setTime(dst *time.Time, f *extras, k string, t time.Time, omitZero bool) {
	switch {
	case t.IsZero() && omitZero:
	case !t.IsZero() && goapWritesTime(t):
		*dst = t
	default:
		f.time(k, t)
	}
}

// setType gives go-ap the type, or writes the empty one.
func setType(dst *vocab.ActivityVocabularyType, f *extras, s string) {
	*dst = asType(s)
	if s == "" {
		f.str("type", "")
	}
}

// setID gives go-ap the id, or writes the empty one (always written).
func setID(dst *vocab.ID, f *extras, s string) {
	*dst = asIRI(s)
	if s == "" {
		f.str("id", "")
	}
}

// embed is a value put in an activity's object (or origin, target,
// attributedTo, attachment) as a go-ap item: through asItem, except a
// nil pointer (null) and a document with its own @context, written whole
// as they were.
func embed(o any) vocab.Item {
	if o == nil {
		return nil
	}
	if rv := reflect.ValueOf(o); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return value{v: o}
	}
	if hasOwnContext(o) {
		return value{v: o}
	}
	return asItem(o)
}

func hasOwnContext(o any) bool {
	switch d := o.(type) {
	case *GroupActivity:
		return d.Context != nil
	case *Member:
		return d.Context != nil
	case *DiscussionNote:
		return d.Context != nil
	case *Article:
		return d.Context != nil
	case *Resource:
		return d.Context != nil
	case *GroupActor:
		return d.Context != nil
	case *Event:
		return d.Context != nil
	case *Actor:
		return d.Context != nil
	case *Activity:
		return d.Context != nil
	case *Note:
		return d.Context != nil
	}
	return false
}

// MarshalJSON writes the activity, with its @context if it is the
// top-level document.
func (a GroupActivity) MarshalJSON() ([]byte, error) { return marshalDoc(a.Context, a.item()) }

// item is the activity on go-ap's vocab.Activity; participationMessage
// is Mobilizon's.
func (a GroupActivity) item() vocab.Item {
	v := &vocab.Activity{ID: asIRI(a.ID), Object: embed(a.Object), AttributedTo: embed(a.AttributedTo),
		Origin: embed(a.Origin), Target: embed(a.Target)}
	x := ext{Item: v}
	f := &x.f
	setType(&v.Type, f, a.Type)
	setIRI(&v.Actor, f, "actor", a.Actor)
	if a.Object == nil {
		f.raw("object", "null")
	}
	f.strOmit("participationMessage", a.ParticipationMessage)
	setIRIs(&v.To, f, "to", a.To, true)
	setIRIs(&v.CC, f, "cc", a.Cc, true)
	setTime(&v.Published, f, "published", a.Published, true)
	return x
}

// MarshalJSON writes the tombstone.
func (t GroupTombstone) MarshalJSON() ([]byte, error) { return marshalDoc(nil, t.item()) }

// item is the tombstone on go-ap's vocab.Tombstone, without a deletion
// date.
func (t GroupTombstone) item() vocab.Item {
	v := &vocab.Tombstone{FormerType: asType(t.FormerType)}
	x := ext{Item: v}
	setType(&v.Type, &x.f, t.Type)
	setID(&v.ID, &x.f, t.ID)
	if t.URL != "" {
		v.URL = asIRI(t.URL)
	}
	return x
}

// MarshalJSON writes the membership, with its @context if it is the
// top-level document.
func (m Member) MarshalJSON() ([]byte, error) { return marshalDoc(m.Context, m.item()) }

// item is the membership on go-ap's vocab.Activity, whose actor and
// object Mobilizon's Member has; role is Mobilizon's.
func (m Member) item() vocab.Item {
	v := &vocab.Activity{}
	x := ext{Item: v}
	f := &x.f
	setType(&v.Type, f, m.Type)
	setID(&v.ID, f, m.ID)
	setIRI(&v.Actor, f, "actor", m.Actor)
	setIRI(&v.Object, f, "object", m.Object)
	f.str("role", m.Role)
	return x
}

// MarshalJSON writes the message, with its @context if it is the
// top-level document.
func (n DiscussionNote) MarshalJSON() ([]byte, error) { return marshalDoc(n.Context, n.item()) }

// item is the message on go-ap's vocab.Object of type Note, its
// discussion as the object's context; actor is Mobilizon's.
func (n DiscussionNote) item() vocab.Item {
	o := &vocab.Object{}
	x := ext{Item: o}
	f := &x.f
	setType(&o.Type, f, n.Type)
	setID(&o.ID, f, n.ID)
	if n.Name != nil {
		setNL(&o.Name, f, "name", *n.Name)
	}
	setNL(&o.Content, f, "content", n.Content)
	o.MediaType = asMime(n.MediaType)
	if n.MediaType == "" {
		f.str("mediaType", "")
	}
	f.str("actor", n.Actor)
	setIRI(&o.AttributedTo, f, "attributedTo", n.AttributedTo)
	setIRI(&o.Context, f, "context", n.DiscussionID)
	if n.InReplyTo != "" {
		o.InReplyTo = asIRI(n.InReplyTo)
	}
	if n.Replies != "" {
		o.Replies = asIRI(n.Replies)
	}
	setIRIs(&o.To, f, "to", n.To, false)
	setIRIs(&o.CC, f, "cc", n.Cc, false)
	setTime(&o.Published, f, "published", n.Published, false)
	setTime(&o.Updated, f, "updated", n.Updated, true)
	return x
}

// MarshalJSON writes the post, with its @context if it is the top-level
// document.
func (a Article) MarshalJSON() ([]byte, error) { return marshalDoc(a.Context, a.item()) }

// item is the post on go-ap's vocab.Object of type Article; actor and
// draft are Mobilizon's.
func (a Article) item() vocab.Item {
	o := &vocab.Object{}
	x := ext{Item: o}
	f := &x.f
	setType(&o.Type, f, a.Type)
	setID(&o.ID, f, a.ID)
	f.str("actor", a.Actor)
	setIRI(&o.AttributedTo, f, "attributedTo", a.AttributedTo)
	setNL(&o.Name, f, "name", a.Name)
	setNL(&o.Content, f, "content", a.Content)
	o.MediaType = asMime(a.MediaType)
	if a.MediaType == "" {
		f.str("mediaType", "")
	}
	if len(a.Attachment) > 0 {
		c := make(vocab.ItemCollection, len(a.Attachment))
		for i, it := range a.Attachment {
			if c[i] = embed(it); c[i] == nil {
				c[i] = value{v: nil}
			}
		}
		o.Attachment = list{c}
	}
	f.boolean("draft", a.Draft)
	setIRIs(&o.To, f, "to", a.To, false)
	setIRIs(&o.CC, f, "cc", a.Cc, false)
	setTime(&o.Published, f, "published", a.Published, false)
	setTime(&o.Updated, f, "updated", a.Updated, true)
	return x
}

// MarshalJSON writes the resource, with its @context if it is the
// top-level document.
func (r Resource) MarshalJSON() ([]byte, error) { return marshalDoc(r.Context, r.item()) }

// item is the resource on go-ap's vocab.Object (a Document, or
// Mobilizon's ResourceCollection), its folder as the object's context;
// actor is Mobilizon's.
func (r Resource) item() vocab.Item {
	o := &vocab.Object{}
	x := ext{Item: o}
	f := &x.f
	setType(&o.Type, f, r.Type)
	setID(&o.ID, f, r.ID)
	f.str("actor", r.Actor)
	setIRI(&o.AttributedTo, f, "attributedTo", r.AttributedTo)
	setNL(&o.Name, f, "name", r.Name)
	setNL(&o.Summary, f, "summary", r.Summary)
	if r.URL != "" {
		o.URL = asIRI(r.URL)
	}
	setIRI(&o.Context, f, "context", r.Folder)
	setTime(&o.Published, f, "published", r.Published, false)
	return x
}

// MarshalJSON writes the group, with its @context if it is the top-level
// document.
func (g GroupActor) MarshalJSON() ([]byte, error) { return marshalDoc(g.Context, g.item()) }

// item is the group on go-ap's vocab.Actor (inbox, outbox, publicKey,
// endpoints' sharedInbox, ...), with Mobilizon's collections, openness
// and memberCount and Mastodon's discoverable and
// manuallyApprovesFollowers.
func (g GroupActor) item() vocab.Item {
	v := &vocab.Actor{Icon: embed(g.Icon), Image: embed(g.Image), Location: embed(g.Location)}
	x := ext{Item: v}
	f := &x.f
	setType(&v.Type, f, g.Type)
	setID(&v.ID, f, g.ID)
	setIRI(&v.URL, f, "url", g.URL)
	setNL(&v.PreferredUsername, f, "preferredUsername", g.PreferredUsername)
	setNL(&v.Name, f, "name", g.Name)
	if n, ok := asNL(g.Summary); ok {
		v.Summary = n
	} else {
		f.strOmit("summary", g.Summary)
	}
	setIRI(&v.Inbox, f, "inbox", g.Inbox)
	setIRI(&v.Outbox, f, "outbox", g.Outbox)
	setIRI(&v.Followers, f, "followers", g.Followers)
	setIRI(&v.Following, f, "following", g.Following)
	for _, c := range []struct{ k, v string }{{"members", g.Members}, {"resources", g.Resources}, {"todos", g.Todos},
		{"posts", g.Posts}, {"events", g.Events}, {"discussions", g.Discussions}} {
		f.str(c.k, c.v)
	}
	f.raw("endpoints", string(groupEndpoints(g.Endpoints)))
	if k := g.PublicKey; k.ID != "" && k.Owner != "" && k.PublicKeyPEM != "" {
		v.PublicKey = vocab.PublicKey{ID: asIRI(k.ID), Owner: asIRI(k.Owner), PublicKeyPem: k.PublicKeyPEM}
	} else {
		// go-ap leaves out an empty id, owner or key.
		f.json("publicKey", k)
	}
	setTime(&v.Published, f, "published", g.Published, false)
	f.int("memberCount", g.MemberCount)
	f.str("openness", g.Openness)
	f.boolean("discoverable", g.Discoverable)
	f.boolean("manuallyApprovesFollowers", g.ManuallyApprovesFollowers)
	return x
}

// groupEndpoints writes a group's endpoints: the shared inbox through
// go-ap's vocab.Endpoints, Mobilizon's collections (which it has no field
// for) merged into the same object, in encoding/json's key order.
func groupEndpoints(ep map[string]string) []byte {
	if ep == nil {
		return []byte("null")
	}
	var e vocab.Endpoints
	var rest extras
	keys := make([]string, 0, len(ep))
	for k := range ep {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == "sharedInbox" && ep[k] != "" {
			e.SharedInbox = asIRI(ep[k])
			continue
		}
		rest.b = appendString(append(rest.b, ','), k)
		rest.b = append(rest.b, ':')
		rest.b = appendString(rest.b, ep[k])
	}
	b, err := e.MarshalJSON()
	if err != nil {
		b = nil
	}
	return rest.mergeInto(b)
}

// MarshalJSON writes what we keep of the renaming Note.
func (n NoteName) MarshalJSON() ([]byte, error) { return marshalDoc(nil, n.item()) }

// item is the note on go-ap's vocab.Object.
func (n NoteName) item() vocab.Item {
	o := &vocab.Object{}
	x := ext{Item: o}
	f := &x.f
	setType(&o.Type, f, n.Type)
	setID(&o.ID, f, n.ID)
	setNL(&o.Name, f, "name", n.Name)
	if n.AttributedTo != nil {
		o.AttributedTo = asIRIs(n.AttributedTo)
	} else {
		f.raw("attributedTo", "null")
	}
	setIRIs(&o.To, f, "to", n.To, false)
	return x
}

// MarshalJSON writes the peer's activity.
func (r ActivityRef) MarshalJSON() ([]byte, error) { return marshalDoc(nil, r.item()) }

// item is the peer's activity on go-ap's vocab.Activity.
func (r ActivityRef) item() vocab.Item {
	v := &vocab.Activity{}
	x := ext{Item: v}
	f := &x.f
	setID(&v.ID, f, r.ID)
	setType(&v.Type, f, r.Type)
	setIRI(&v.Actor, f, "actor", r.Actor)
	setIRI(&v.Object, f, "object", r.Object)
	return x
}
