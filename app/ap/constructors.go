package ap

// The documents of groups and their things (discussions, posts,
// resources, memberships) and of paged collections, in the shapes
// Mobilizon 5 sends and reads (../shared/specs/groups.md). The app builds
// them only through these constructors, never as maps of its own, so this
// package stays the one place that knows the vocabulary.
//
// Each type's struct tags describe exactly the fields Mobilizon's peers
// receive: a field written even when empty has no omitempty, a list that
// is sometimes absent and sometimes [] has omitzero (nil: absent; empty:
// []). The documents are written on go-ap (constructors_goap.go), and
// legacy_group_test.go holds them to what encoding/json writes from these
// tags.

import (
	"encoding/json"
	"time"
)

// Types of group things and collections (unexported: vocab.go may come
// to declare the same names).
const (
	typeArticle               = "Article"
	typeMember                = "Member"
	typeAdd                   = "Add"
	typeMove                  = "Move"
	typeResourceCollection    = "ResourceCollection"
	typeOrderedCollection     = "OrderedCollection"
	typeOrderedCollectionPage = "OrderedCollectionPage"
)

// GroupCollections are a group's collections, each at the group's base
// address followed by its name, at the actor's top level and in its
// endpoints.
var GroupCollections = []string{"members", "resources", "todos", "posts", "events", "discussions"}

// groupContextNames are the collections GroupContext declares beside
// Context's terms.
var groupContextNames = []string{"resources", "todos", "posts", "discussions"}

// GroupContext is the @context of group documents: Context with
// Mobilizon's terms for the collections too, so a JSON-LD reader sees
// them as Mobilizon's.
func GroupContext() []any {
	c := Context()
	var terms map[string]any
	if len(c) > 0 {
		terms, _ = c[len(c)-1].(map[string]any)
	}
	if terms == nil {
		terms = map[string]any{}
		c = append(c, terms)
	}
	for _, name := range groupContextNames {
		terms[name] = map[string]any{"@id": "mz:" + name, "@type": "@id"}
	}
	return c
}

// GroupActivity is an activity about a group or its things, as Mobilizon
// sends them: attributed to the group (an id, or a list of one), with an
// origin or a target for moves, and no published date but on Announces.
type GroupActivity struct {
	Context any    `json:"@context,omitempty"`
	Type    string `json:"type"`
	// ID may be left empty until sending: the sender then gives a fresh one.
	ID                   string    `json:"id,omitempty"`
	Actor                string    `json:"actor"`
	AttributedTo         any       `json:"attributedTo,omitempty"` // string or []string, as Mobilizon has each
	Object               any       `json:"object"`
	Origin               any       `json:"origin,omitempty"` // string, or null (the root) on a Move
	Target               any       `json:"target,omitempty"` // string, or null (the root) on a Move
	ParticipationMessage string    `json:"participationMessage,omitempty"`
	To                   []string  `json:"to,omitzero"`
	Cc                   []string  `json:"cc,omitzero"`
	Published            time.Time `json:"published,omitzero"`
}

// null is JSON's null for the fields that Mobilizon sends as null rather
// than leaves out.
var null = json.RawMessage("null")

func idOrNull(id string) any {
	if id == "" {
		return null
	}
	return id
}

// GroupTombstone stands for a deleted group thing in a Delete, without a
// deletion date, as Mobilizon sends it.
type GroupTombstone struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	URL        string `json:"url,omitempty"`
	FormerType string `json:"formerType,omitempty"`
}

// NewGroupAnnounce is a group relaying an object (embedded) to its
// audience: members, followers.
func NewGroupAnnounce(id, group string, object any, to []string, published time.Time) *GroupActivity {
	return &GroupActivity{Context: GroupContext(), Type: TypeAnnounce, ID: id, Actor: group, AttributedTo: group,
		Object: object, To: to, Cc: []string{}, Published: published}
}

// Member is a membership as Mobilizon reads it; its id is the Join's (or
// the Invite's) that made it.
type Member struct {
	Context any    `json:"@context,omitempty"`
	Type    string `json:"type"`
	ID      string `json:"id"`
	Actor   string `json:"actor"`
	Object  string `json:"object"`
	Role    string `json:"role"`
}

// NewMember is actor's membership of group, with Mobilizon's role name
// (not_approved for a pending one).
func NewMember(id, actor, group, role string) *Member {
	return &Member{Type: typeMember, ID: id, Actor: actor, Object: group, Role: role}
}

// NewGroupJoin asks group to take actor in; message is what the person
// wrote to the moderators, if anything.
func NewGroupJoin(id, actor, group, members, message string) *GroupActivity {
	return &GroupActivity{Type: TypeJoin, ID: id, Actor: actor, Object: group, ParticipationMessage: message,
		To: []string{group, members}, Cc: []string{}}
}

// NewJoinAccept is a group taking someone in at once: the Member whose id
// is the Join's.
func NewJoinAccept(id, group, members string, member *Member) *GroupActivity {
	return &GroupActivity{Type: TypeAccept, ID: id, Actor: group, Object: member,
		To: []string{group, members}, Cc: []string{}}
}

// NewJoinApproval is a moderator of group accepting a Join.
func NewJoinApproval(id, moderator, group, members string, member *Member) *GroupActivity {
	return &GroupActivity{Type: TypeAccept, ID: id, Actor: moderator, AttributedTo: group, Object: member,
		To: []string{members}, Cc: []string{group}}
}

// NewJoinReject is a group refusing a Join (invite-only groups).
func NewJoinReject(group, joinID, to string) *GroupActivity {
	return &GroupActivity{Type: TypeReject, Actor: group, Object: joinID, To: []string{to}}
}

// NewMemberRemove is a moderator removing (or refusing) a membership.
func NewMemberRemove(moderator, group, memberID string, to []string) *GroupActivity {
	return &GroupActivity{Type: TypeRemove, Actor: moderator, Object: memberID, Origin: group, To: to}
}

// NewMemberUpdate is a moderator changing a member's role.
func NewMemberUpdate(id, moderator, group string, member *Member, to, cc []string) *GroupActivity {
	return &GroupActivity{Type: TypeUpdate, ID: id, Actor: moderator, AttributedTo: []string{group}, Object: member,
		To: to, Cc: cc}
}

// NewGroupInvite is a moderator inviting invitee into group; its id is
// the membership's.
func NewGroupInvite(id, moderator, group, invitee, members string) *GroupActivity {
	return &GroupActivity{Type: TypeInvite, ID: id, Actor: moderator, Object: group, Target: invitee, AttributedTo: group,
		To: []string{invitee, members}, Cc: []string{group}}
}

// NewInvitationAccept is someone invited into a group saying yes.
func NewInvitationAccept(id, actor, group, members string, member *Member) *GroupActivity {
	return &GroupActivity{Type: TypeAccept, ID: id, Actor: actor, AttributedTo: group, Object: member,
		To: []string{group, members}, Cc: []string{group}}
}

// NewInvitationReject is someone invited into a group saying no.
func NewInvitationReject(actor, group, members, memberID string) *GroupActivity {
	return &GroupActivity{Type: TypeReject, Actor: actor, AttributedTo: group, Object: memberID,
		To: []string{group, members}, Cc: []string{group}}
}

// NewGroupLeave is a member leaving a group.
func NewGroupLeave(actor, group, members string) *GroupActivity {
	return &GroupActivity{Type: TypeLeave, Actor: actor, Object: group, AttributedTo: group,
		To: []string{members}, Cc: []string{group}}
}

// NewGroupUpdate tells a group's audience that its profile changed (by
// id: they fetch it).
func NewGroupUpdate(group string) *GroupActivity {
	return &GroupActivity{Type: TypeUpdate, Actor: group, Object: group, To: []string{Public}}
}

// NewGroupDelete is the instance telling a group's audience it is gone.
func NewGroupDelete(instanceActor, group string) *GroupActivity {
	return &GroupActivity{Type: TypeDelete, Actor: instanceActor,
		Object: &GroupTombstone{Type: TypeTombstone, ID: group, FormerType: TypeGroup}, To: []string{Public}}
}

// DiscussionNote is a message of a group's discussion, as Mobilizon
// reads it: by its author (actor), attributed to the group, in the
// discussion's context. The opening one shares the discussion's id and
// carries its name.
type DiscussionNote struct {
	Context      any       `json:"@context,omitempty"`
	Type         string    `json:"type"`
	ID           string    `json:"id"`
	Name         *string   `json:"name,omitempty"` // the opening one's only, even empty: see Opening
	Content      string    `json:"content"`
	MediaType    string    `json:"mediaType"`
	Actor        string    `json:"actor"`
	AttributedTo string    `json:"attributedTo"`
	DiscussionID string    `json:"context"`
	InReplyTo    string    `json:"inReplyTo,omitempty"`
	Replies      string    `json:"replies,omitempty"`
	To           []string  `json:"to"`
	Cc           []string  `json:"cc"`
	Published    time.Time `json:"published"`
	Updated      time.Time `json:"updated,omitzero"`
}

// NewDiscussionNote is a message (HTML content) of discussion by author
// in group, addressed to the group's members.
func NewDiscussionNote(id, author, group, discussion, members, content string, published time.Time) *DiscussionNote {
	return &DiscussionNote{Type: TypeNote, ID: id, Content: content, MediaType: "text/html", Actor: author,
		AttributedTo: group, DiscussionID: discussion, To: []string{members}, Cc: []string{}, Published: published}
}

// Opening makes n the discussion's opening message, which carries its
// name (sent even when empty: a thread from elsewhere may have none) and,
// for our own groups, where its replies are.
func (n *DiscussionNote) Opening(name, replies string) {
	n.Name, n.Replies = &name, replies
}

// NewDiscussionCreate sends a new message to the group's server.
func NewDiscussionCreate(id, author, group string, note *DiscussionNote) *GroupActivity {
	return &GroupActivity{Type: TypeCreate, ID: id, Actor: author, AttributedTo: group, Object: note,
		To: note.To, Cc: []string{}}
}

// NewDiscussionUpdate sends a changed message (or a renamed thread) to
// the group's server.
func NewDiscussionUpdate(id, editor, group string, note *DiscussionNote) *GroupActivity {
	a := NewDiscussionCreate(id, editor, group, note)
	a.Type = TypeUpdate
	return a
}

// NewDiscussionDelete removes a whole discussion.
func NewDiscussionDelete(actor, group, discussion, members string) *GroupActivity {
	return &GroupActivity{Type: TypeDelete, Actor: actor, AttributedTo: group,
		Object: &GroupTombstone{Type: TypeTombstone, ID: discussion, URL: discussion}, To: []string{members}}
}

// Article is a group's post, as Mobilizon's Article.
type Article struct {
	Context      any       `json:"@context,omitempty"`
	Type         string    `json:"type"`
	ID           string    `json:"id"`
	Actor        string    `json:"actor"`
	AttributedTo string    `json:"attributedTo"`
	Name         string    `json:"name"`
	Content      string    `json:"content"`
	MediaType    string    `json:"mediaType"`
	Attachment   []any     `json:"attachment,omitempty"` // the banner (NewBanner)
	Draft        bool      `json:"draft"`
	To           []string  `json:"to"`
	Cc           []string  `json:"cc"`
	Published    time.Time `json:"published"`
	Updated      time.Time `json:"updated,omitzero"`
}

// NewArticle is a published post of group by author; content is HTML.
func NewArticle(id, author, group, name, content string, published time.Time, to, cc []string) *Article {
	return &Article{Type: typeArticle, ID: id, Actor: author, AttributedTo: group, Name: name, Content: content,
		MediaType: "text/html", To: to, Cc: cc, Published: published}
}

// NewPostUpdate is the group sending an edited post.
func NewPostUpdate(id, group string, art *Article) *GroupActivity {
	return &GroupActivity{Type: TypeUpdate, ID: id, Actor: group, Object: art, To: art.To, Cc: art.Cc}
}

// NewPostDelete is the group's Delete of a post: a Tombstone that was an
// Article.
func NewPostDelete(id, group, post string, to []string) *GroupActivity {
	return &GroupActivity{Type: TypeDelete, ID: id, Actor: group,
		Object: &GroupTombstone{Type: TypeTombstone, ID: post, FormerType: typeArticle}, To: to, Cc: []string{}}
}

// Resource is one of a group's resources: a link (Document) or a folder
// (ResourceCollection), in its folder (context).
type Resource struct {
	Context      any       `json:"@context,omitempty"`
	Type         string    `json:"type"`
	ID           string    `json:"id"`
	Actor        string    `json:"actor"` // its creator, "" when unknown
	AttributedTo string    `json:"attributedTo"`
	Name         string    `json:"name"`
	Summary      string    `json:"summary"`
	URL          string    `json:"url,omitempty"`
	Folder       string    `json:"context"`
	Published    time.Time `json:"published"`
}

// NewResource is a resource of group; folder is true for a folder, url
// the link's address.
func NewResource(id, creator, group string, folder bool, name, summary, url, parent string, published time.Time) *Resource {
	typ := TypeDocument
	if folder {
		typ = typeResourceCollection
	}
	return &Resource{Type: typ, ID: id, Actor: creator, AttributedTo: group, Name: name, Summary: summary, URL: url,
		Folder: parent, Published: published}
}

// NewResourceCreate tells members of a new resource at the root.
func NewResourceCreate(actor, group string, res *Resource, to []string) *GroupActivity {
	return &GroupActivity{Type: TypeCreate, ID: res.ID + "/create", Actor: actor, AttributedTo: group, Object: res, To: to}
}

// NewResourceAdd tells members of a new resource in the folder target.
func NewResourceAdd(actor, group string, res *Resource, target string, to []string) *GroupActivity {
	return &GroupActivity{Type: typeAdd, ID: res.ID + "/add", Actor: actor, AttributedTo: group, Object: res,
		Target: target, To: to}
}

// NewResourceUpdate tells members of a renamed resource; actor is its
// creator, as Mobilizon has it.
func NewResourceUpdate(id, actor string, res *Resource, to []string) *GroupActivity {
	return &GroupActivity{Type: TypeUpdate, ID: id, Actor: actor, AttributedTo: []string{actor}, Object: res,
		To: to, Cc: []string{}}
}

// NewResourceMove tells members that res went from the folder origin to
// target ("" for the root, sent as null).
func NewResourceMove(id, actor string, res *Resource, origin, target string, to []string) *GroupActivity {
	return &GroupActivity{Type: typeMove, ID: id, Actor: actor, AttributedTo: []string{actor}, Object: res,
		Origin: idOrNull(origin), Target: idOrNull(target), To: to, Cc: []string{}}
}

// NewResourceDelete tells members a resource is gone.
func NewResourceDelete(actor, group, resource string, folder bool, to []string) *GroupActivity {
	former := TypeDocument
	if folder {
		former = typeResourceCollection
	}
	return &GroupActivity{Type: TypeDelete, Actor: actor, AttributedTo: []string{group},
		Object: &GroupTombstone{Type: TypeTombstone, ID: resource, FormerType: former}, To: to}
}

// GroupActor is a group as Mobilizon publishes one: a Group actor with
// every collection at top level and in its endpoints.
type GroupActor struct {
	Context                   any               `json:"@context,omitempty"`
	Type                      string            `json:"type"`
	ID                        string            `json:"id"`
	URL                       string            `json:"url"`
	PreferredUsername         string            `json:"preferredUsername"`
	Name                      string            `json:"name"`
	Summary                   string            `json:"summary,omitempty"`
	Icon                      any               `json:"icon,omitempty"`     // NewImage
	Image                     any               `json:"image,omitempty"`    // NewImage
	Location                  any               `json:"location,omitempty"` // NewPlace
	Inbox                     string            `json:"inbox"`
	Outbox                    string            `json:"outbox"`
	Followers                 string            `json:"followers"`
	Following                 string            `json:"following"`
	Members                   string            `json:"members"`
	Resources                 string            `json:"resources"`
	Todos                     string            `json:"todos"`
	Posts                     string            `json:"posts"`
	Events                    string            `json:"events"`
	Discussions               string            `json:"discussions"`
	Endpoints                 map[string]string `json:"endpoints"`
	PublicKey                 PublicKey         `json:"publicKey"`
	MemberCount               int               `json:"memberCount"`
	Openness                  string            `json:"openness"`
	Discoverable              bool              `json:"discoverable"`
	ManuallyApprovesFollowers bool              `json:"manuallyApprovesFollowers"`
	Published                 time.Time         `json:"published"`
}

// NewGroupActor is the group id whose inbox, outbox and collections hang
// under base, signing with publicKeyPEM.
func NewGroupActor(id, base, username, name, publicKeyPEM, sharedInbox string) *GroupActor {
	g := &GroupActor{Context: GroupContext(), Type: TypeGroup, ID: id, URL: id, PreferredUsername: username, Name: name,
		Inbox: base + "/inbox", Outbox: base + "/outbox", Followers: base + "/followers", Following: base + "/following",
		Members: base + "/members", Resources: base + "/resources", Todos: base + "/todos", Posts: base + "/posts",
		Events: base + "/events", Discussions: base + "/discussions",
		Endpoints: map[string]string{"sharedInbox": sharedInbox},
		PublicKey: PublicKey{ID: KeyID(id), Owner: id, PublicKeyPEM: publicKeyPEM}}
	for _, c := range GroupCollections {
		g.Endpoints[c] = base + "/" + c
	}
	return g
}

// Embedded is a document ready to embed in another (a collection page,
// an Announce): its fields without its own @context.
func Embedded(doc any) map[string]any {
	raw, _ := json.Marshal(doc)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	delete(m, "@context")
	return m
}

// NoteName is what we keep of a Note renaming one of our discussions
// sent from elsewhere: its name, not its text.
type NoteName struct {
	Type         string   `json:"type"`
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	AttributedTo []string `json:"attributedTo"`
	To           []string `json:"to"`
}

// NewNoteName keeps a Note's id, name and addressing.
func NewNoteName(id, name string, attributedTo, to []string) *NoteName {
	return &NoteName{Type: TypeNote, ID: id, Name: name, AttributedTo: attributedTo, To: to}
}

// ActivityRef is a peer's activity (a Follow, a Join) embedded whole in
// our answer to it (Accept, Reject, Undo), so the peer can match it even
// if it never stored its own activity's id.
type ActivityRef struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Actor  string `json:"actor"`
	Object string `json:"object"`
}

// NewFollowRef is the Follow id by actor of object.
func NewFollowRef(id, actor, object string) *ActivityRef {
	return &ActivityRef{ID: id, Type: TypeFollow, Actor: actor, Object: object}
}

// NewJoinRef is the Join id by actor of object (an event).
func NewJoinRef(id, actor, object string) *ActivityRef {
	return &ActivityRef{ID: id, Type: TypeJoin, Actor: actor, Object: object}
}
