package app

// Groups on the wire, in the shapes Mobilizon 5 sends and expects (see
// ../shared/specs/groups.md), without its leaks: members-only content is
// addressed to members (role member and above) only, never to followers
// nor to invited or pending people, and members-only collections and
// objects are served only to GETs signed by a member.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"

	"convene/app/ap"
	"convene/app/i18n"
	"convene/app/store"
	"convene/app/weburl"

	"github.com/google/uuid"
)

// idlessActivityID names an activity a peer sent without an id.
func idlessActivityID(actor string, body []byte) string {
	sum := sha256.Sum256(body)
	return strings.TrimRight(actor, "/") + "#idless-" + hex.EncodeToString(sum[:12])
}

func (a *App) groupURI(g *store.Group) string {
	if !g.IsLocal() {
		return g.URI
	}
	return a.URL("/@" + g.Username)
}

func (a *App) groupCollectionURI(g *store.Group, which string) string {
	if !g.IsLocal() {
		if which == "members" && g.MembersURL != "" {
			return g.MembersURL
		}
		return g.URI + "/" + which
	}
	return a.URL("/actors/" + g.Username + "/" + which)
}

// groupActorDocument is a local group as a Group actor with every
// collection at top level and in endpoints.
func (a *App) groupActorDocument(ctx context.Context, act *store.Actor) (*ap.GroupActor, error) {
	g, err := a.store.GroupByID(ctx, act.ID)
	if err != nil {
		return nil, store.ErrNotFound
	}
	pub, _, err := a.actorKeys(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	id := a.groupURI(g)
	base := a.URL("/actors/" + g.Username)
	doc := ap.NewGroupActor(id, base, g.Username, g.Name(), pub, a.URL("/inbox"))
	doc.MemberCount, doc.Openness, doc.Discoverable = g.MemberCount, g.Openness, g.Visibility == store.GroupPublic
	doc.ManuallyApprovesFollowers, doc.Published = g.ManuallyApproves, g.CreatedAt
	if g.Bio != "" {
		doc.Summary = "<p>" + strings.ReplaceAll(html.EscapeString(g.Bio), "\n", "<br>") + "</p>"
	}
	if g.AvatarUUID != "" {
		doc.Icon = ap.NewImage(a.URL("/media/"+g.AvatarUUID), "")
	}
	if g.BannerUUID != "" {
		doc.Image = ap.NewImage(a.URL("/media/"+g.BannerUUID), "")
	}
	if !g.Address.IsZero() {
		ad := g.Address
		place := ap.NewPlace(id+"#place", ad.Venue, ap.PostalAddress{StreetAddress: ad.Street, PostalCode: ad.PostalCode,
			AddressLocality: ad.Locality, AddressRegion: ad.Region, AddressCountry: ad.Country})
		if ad.Latitude != nil && ad.Longitude != nil {
			place.SetCoordinates(*ad.Latitude, *ad.Longitude)
		}
		doc.Location = place
	}
	return doc, nil
}

// signedMember tells whether a GET is signed by a member of g.
func (a *App) signedMember(r *http.Request, g *store.Group) bool {
	if r.Header.Get("Signature") == "" {
		return false
	}
	_, owner, err := ap.VerifyRequest(r, nil, a.now(), a.lookupKey(false))
	if err != nil {
		return false
	}
	info, err := a.store.RemoteActorByURI(r.Context(), owner)
	if err != nil {
		return false
	}
	m, err := a.store.MembershipOf(r.Context(), g.ID, info.ID)
	return err == nil && m.IsMember()
}

// memberObject is a membership as Mobilizon reads it.
func (a *App) memberObject(g *store.Group, m *store.Membership, actor *store.Actor) *ap.Member {
	role := m.Role
	if role == store.RolePending {
		role = "not_approved"
	}
	return ap.NewMember(m.URI, a.actorURI(actor), a.groupURI(g), role)
}

// showGroupCollection serves one of a group's collections. Members,
// discussions and resources are empty (200, totalItems 0) to anyone but a
// member's signed GET, as Mobilizon answers; posts and events hold the
// public ones, and everything for members.
func (a *App) showGroupCollection(which string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		g, err := a.store.LocalGroupByUsername(ctx, strings.ToLower(r.PathValue("username")))
		if err != nil {
			return jsonError(w, http.StatusNotFound, "no such group")
		}
		member := a.signedMember(r, g)
		id := a.groupCollectionURI(g, which)
		empty := func() error {
			return serveCollection(w, r, id, 0, func(int, int) ([]any, error) { return nil, nil })
		}
		switch which {
		case "members":
			if !member {
				return empty()
			}
			total, err := a.store.CountMembers(ctx, g.ID, store.MemberRoles...)
			if err != nil {
				return err
			}
			return serveCollection(w, r, id, total, func(limit, offset int) ([]any, error) {
				list, err := a.store.ListMembers(ctx, g.ID, store.MemberRoles, limit, offset)
				var items []any
				for _, m := range list {
					items = append(items, a.memberObject(g, m, m.Actor))
				}
				return items, err
			})
		case "discussions":
			if !member {
				return empty()
			}
			total, err := a.store.CountDiscussions(ctx, g.ID)
			if err != nil {
				return err
			}
			return serveCollection(w, r, id, total, func(limit, offset int) ([]any, error) {
				list, err := a.store.ListDiscussions(ctx, g.ID, limit, offset)
				var items []any
				for _, d := range list {
					msgs, err := a.store.Messages(ctx, d.ID, 0, 1)
					if err != nil || len(msgs) == 0 {
						return nil, err
					}
					items = append(items, a.messageNote(g, d, msgs[0], msgs[0].Author, true, ""))
				}
				return items, err
			})
		case "resources":
			if !member {
				return empty()
			}
			_, total, err := a.store.AllResources(ctx, g.ID, 0, 0)
			if err != nil {
				return err
			}
			return serveCollection(w, r, id, total, func(limit, offset int) ([]any, error) {
				list, _, err := a.store.AllResources(ctx, g.ID, limit, offset)
				var items []any
				for _, res := range list {
					items = append(items, a.resourceObject(ctx, g, res))
				}
				return items, err
			})
		case "posts":
			vis := []string{store.PostPublic}
			if member {
				vis = postVisibilities
			}
			total, err := a.store.CountPosts(ctx, g.ID, vis...)
			if err != nil {
				return err
			}
			return serveCollection(w, r, id, total, func(limit, offset int) ([]any, error) {
				list, err := a.store.ListPosts(ctx, g.ID, vis, limit, offset)
				var items []any
				for _, p := range list {
					items = append(items, a.postArticle(g, p, p.Author))
				}
				return items, err
			})
		case "events":
			list, err := a.store.ListEvents(ctx, store.EventQuery{Now: a.now(), GroupID: g.ID, Listed: !member, Limit: 500})
			if err != nil {
				return err
			}
			return serveCollection(w, r, id, len(list), func(limit, offset int) ([]any, error) {
				var items []any
				for i := offset; i < len(list) && i < offset+limit; i++ {
					if a.eventServable(list[i]) {
						items = append(items, a.embeddedEvent(list[i]))
					}
				}
				return items, nil
			})
		}
		return empty()
	}
}

// embeddedEvent is an event's document to embed in another (a
// collection page, an Announce): without its own @context.
func (a *App) embeddedEvent(e *store.Event) map[string]any {
	return ap.Embedded(a.eventDocument(e))
}

// announceGroupEventTx relays a group's event with an Announce from the
// group to its followers (public and unlisted events) and its members.
func (a *App) announceGroupEventTx(ctx context.Context, tx *sql.Tx, e *store.Event, verb string) error {
	if verb == VerbDelete {
		return nil
	}
	g, err := a.store.GroupByID(ctx, e.AttributedToID)
	if err != nil || !g.IsLocal() {
		return err
	}
	if e.Organizer == nil {
		if e.Organizer, err = a.store.ActorByID(ctx, e.OrganizerID); err != nil {
			return err
		}
	}
	obj := a.embeddedEvent(e)
	to := []string{a.followersURI(g.Actor), a.groupCollectionURI(g, "members")}
	if e.Visibility == store.VisibilityPublic {
		to = append([]string{ap.Public}, to...)
	}
	followers, err := a.eventFollowerInboxesTx(ctx, tx, e, g.ID)
	if err != nil {
		return err
	}
	members, err := a.store.MemberInboxesTx(ctx, tx, g.ID)
	if err != nil {
		return err
	}
	return a.enqueueAnnounceTx(ctx, tx, g, obj, to, append(followers, members...))
}

// enqueueAnnounceTx sends an Announce from the group, embedding the object.
func (a *App) enqueueAnnounceTx(ctx context.Context, tx *sql.Tx, g *store.Group, obj any, to []string, inboxes []store.Inbox) error {
	id := a.URL("/announces/" + uuid.NewString())
	act := ap.NewGroupAnnounce(id, a.groupURI(g), obj, to, a.now().UTC())
	return a.enqueueActivity(ctx, tx, g.Actor, id, act, dedupeInboxes(inboxes), timeZero)
}

func dedupeInboxes(in []store.Inbox) []store.Inbox {
	seen := map[string]bool{}
	var out []store.Inbox
	for _, i := range in {
		if !seen[i.URL] {
			seen[i.URL] = true
			out = append(out, i)
		}
	}
	return out
}

// sendTx enqueues an activity signed by actor, with a fresh id if it has
// none.
func (a *App) sendTx(ctx context.Context, tx *sql.Tx, actor *store.Actor, act *ap.GroupActivity, inboxes []store.Inbox) error {
	if len(inboxes) == 0 {
		return nil
	}
	act.Context = ap.GroupContext()
	if act.ID == "" {
		act.ID = a.newActivityURI()
	}
	return a.enqueueActivity(ctx, tx, actor, act.ID, act, inboxes, timeZero)
}

// messageNote is a discussion message as the Note Mobilizon reads: the
// first one shares the discussion's id and carries its name.
func (a *App) messageNote(g *store.Group, d *store.Discussion, m *store.Message, author *store.Actor, first bool, inReplyTo string) *ap.DiscussionNote {
	did := a.discussionURI(g, d)
	id := did
	if !first {
		id = a.messageURI(g, m)
	}
	n := ap.NewDiscussionNote(id, a.actorURI(author), a.groupURI(g), did, a.groupCollectionURI(g, "members"), m.BodyHTML, m.CreatedAt)
	if first {
		replies := ""
		if g.IsLocal() {
			replies = a.URL(groupPath(g) + "/discussions/" + d.Slug + "/replies")
		}
		n.Opening(d.Title, replies)
	}
	n.Updated, n.InReplyTo = m.EditedAt, inReplyTo
	return n
}

func (a *App) discussionURI(g *store.Group, d *store.Discussion) string {
	if d.URI != "" {
		return d.URI
	}
	return a.URL(groupPath(g) + "/discussions/" + d.Slug)
}

func (a *App) messageURI(g *store.Group, m *store.Message) string {
	if m.URI != "" {
		return m.URI
	}
	return a.URL(groupPath(g) + "/messages/" + itoa(m.ID))
}

// federateMessageTx sends a new discussion message to the group's remote
// members (a local group relays with an Announce), or to the remote
// group's inbox, which relays it to its members.
func (a *App) federateMessageTx(ctx context.Context, tx *sql.Tx, g *store.Group, d *store.Discussion, m *store.Message, author *store.Actor, first bool) error {
	note := a.messageNote(g, d, m, author, first, "")
	create := ap.NewDiscussionCreate(note.ID+"/activity", a.actorURI(author), a.groupURI(g), note)
	if !g.IsLocal() {
		return a.sendTx(ctx, tx, author, create, inboxOf(g.Actor))
	}
	members, err := a.store.MemberInboxesTx(ctx, tx, g.ID)
	if err != nil || len(members) == 0 {
		return err
	}
	return a.enqueueAnnounceTx(ctx, tx, g, note, []string{a.groupCollectionURI(g, "members")}, members)
}

func (a *App) federateDiscussionDeleteTx(ctx context.Context, tx *sql.Tx, g *store.Group, d *store.Discussion, by *store.Actor) error {
	del := ap.NewDiscussionDelete(a.actorURI(by), a.groupURI(g), a.discussionURI(g, d), a.groupCollectionURI(g, "members"))
	if !g.IsLocal() {
		return a.sendTx(ctx, tx, by, del, inboxOf(g.Actor))
	}
	members, err := a.store.MemberInboxesTx(ctx, tx, g.ID)
	if err != nil {
		return err
	}
	return a.sendTx(ctx, tx, by, del, members) // signed by its actor, or peers refuse it
}

// postArticle is a post as Mobilizon's Article, addressed per its table.
func (a *App) postArticle(g *store.Group, p *store.Post, author *store.Actor) *ap.Article {
	members, followers := a.groupCollectionURI(g, "members"), a.followersURI(g.Actor)
	to, cc := []string{members}, []string{}
	switch p.Visibility {
	case store.PostPublic:
		to, cc = []string{ap.Public}, []string{members, followers}
	case store.PostUnlisted:
		to, cc = []string{members, followers}, []string{ap.Public}
	}
	art := ap.NewArticle(a.URL(groupPath(g)+"/posts/"+p.Slug), a.actorURI(author), a.groupURI(g), p.Title, p.BodyHTML,
		p.PublishedAt, to, cc)
	if p.BannerUUID != "" {
		art.Attachment = []any{ap.NewBanner(a.URL("/media/"+p.BannerUUID), "")}
	}
	return art
}

// federatePostTx relays a new post with an Announce to its own audience:
// members-only posts to members only, never to followers.
func (a *App) federatePostTx(ctx context.Context, tx *sql.Tx, g *store.Group, p *store.Post, author *store.Actor) error {
	if !g.IsLocal() {
		return nil
	}
	art := a.postArticle(g, p, author)
	inboxes, err := a.store.MemberInboxesTx(ctx, tx, g.ID)
	if err != nil {
		return err
	}
	if p.Visibility != store.PostMembers {
		followers, err := a.store.FollowerInboxesTx(ctx, tx, g.ID)
		if err != nil {
			return err
		}
		inboxes = append(inboxes, followers...)
	}
	if len(inboxes) == 0 {
		return nil
	}
	audience := append(append([]string{}, art.To...), art.Cc...)
	return a.enqueueAnnounceTx(ctx, tx, g, art, audience, inboxes)
}

// federatePostEditTx sends an edited post to its audience, as a new one
// is sent (a member's server takes the new version), and, to followers,
// an Update by the group: Mastodon shows an edit only when the post's
// owner sends one. The servers that received it before and may no longer
// read it get a Delete (a public post made members-only leaves its
// followers' servers).
func (a *App) federatePostEditTx(ctx context.Context, tx *sql.Tx, g *store.Group, p *store.Post, before string) error {
	if !g.IsLocal() {
		return nil
	}
	if err := a.federatePostTx(ctx, tx, g, p, p.Author); err != nil {
		return err
	}
	followers, err := a.store.FollowerInboxesTx(ctx, tx, g.ID)
	if err != nil {
		return err
	}
	if p.Visibility != store.PostMembers {
		art := a.postArticle(g, p, p.Author)
		art.Updated = a.now().UTC()
		return a.sendTx(ctx, tx, g.Actor, ap.NewPostUpdate(a.newActivityURI(), a.groupURI(g), art), dedupeInboxes(followers))
	}
	if before == store.PostMembers {
		return nil
	}
	members, err := a.store.MemberInboxesTx(ctx, tx, g.ID)
	if err != nil {
		return err
	}
	readers := map[string]bool{}
	for _, in := range members {
		readers[in.URL] = true
	}
	var gone []store.Inbox
	for _, in := range dedupeInboxes(followers) {
		if !readers[in.URL] {
			gone = append(gone, in)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	return a.sendTx(ctx, tx, g.Actor, a.postDelete(g, p, []string{a.followersURI(g.Actor)}), gone)
}

// postDelete is the group's Delete of a post, as Mobilizon sends it: a
// Tombstone that was an Article.
func (a *App) postDelete(g *store.Group, p *store.Post, to []string) *ap.GroupActivity {
	return ap.NewPostDelete(a.newActivityURI(), a.groupURI(g), a.URL(groupPath(g)+"/posts/"+p.Slug), to)
}

// federatePostDeleteTx tells those who received a post that it is gone:
// a Delete from the group of a Tombstone that was an Article, to the
// same audience the post was relayed to.
func (a *App) federatePostDeleteTx(ctx context.Context, tx *sql.Tx, g *store.Group, p *store.Post) error {
	if !g.IsLocal() {
		return nil
	}
	inboxes, err := a.store.MemberInboxesTx(ctx, tx, g.ID)
	if err != nil {
		return err
	}
	to := []string{a.groupCollectionURI(g, "members")}
	if p.Visibility != store.PostMembers {
		followers, err := a.store.FollowerInboxesTx(ctx, tx, g.ID)
		if err != nil {
			return err
		}
		inboxes = append(inboxes, followers...)
		to = append(to, ap.Public, a.followersURI(g.Actor))
	}
	if len(inboxes) == 0 {
		return nil
	}
	return a.sendTx(ctx, tx, g.Actor, a.postDelete(g, p, to), dedupeInboxes(inboxes))
}

// receiveGroupPostDelete drops a remote group's post when its server
// deletes it.
func (a *App) receiveGroupPostDelete(ctx context.Context, in *incoming) (bool, error) {
	p, err := a.store.PostByURI(ctx, in.Activity.Object.ID)
	if err != nil {
		return false, nil
	}
	if _, err := a.fromRemoteGroupServer(ctx, in, p.GroupID); err != nil {
		return true, err
	}
	return true, a.store.Tx(ctx, func(tx *sql.Tx) error { return a.store.DeletePostTx(ctx, tx, p.ID) })
}

// fromRemoteGroupServer returns the remote group whose content an
// activity changes, when it comes from the group's own server: the only
// one that may change what it keeps for its members.
func (a *App) fromRemoteGroupServer(ctx context.Context, in *incoming, groupID int64) (*store.Group, error) {
	g, err := a.store.GroupByID(ctx, groupID)
	if err != nil || g.IsLocal() || !ap.SameHost(in.Actor.URI, g.URI) {
		return nil, fmt.Errorf("%v from another server than its group's", in.Activity.Types)
	}
	return g, nil
}

// receiveGroupDelete forgets a remote group that its server deleted,
// with everything kept here for its members (memberships, discussions,
// posts, resources), and tells them (in the app, and by email when it
// is on). Mobilizon sends it as one of the
// group's administrators, Convene as its instance: anyone of the group's
// server may say it is gone, and the group's own address, asked again,
// must confirm it.
func (a *App) receiveGroupDelete(ctx context.Context, in *incoming) (bool, error) {
	id := in.Activity.Object.ID
	g, err := a.store.GroupByURI(ctx, id)
	if err != nil || g.IsLocal() {
		return false, nil
	}
	if !ap.SameHost(id, in.Actor.URI) {
		return true, errors.New("group delete from another server than the group's")
	}
	_, err = a.fed.fetcher.FetchObject(ctx, id, a.instanceSigner(ctx))
	var status *ap.StatusError
	switch {
	case err == nil:
		return true, fmt.Errorf("delete of group %s that its server still serves", id)
	case !errors.As(err, &status) || (status.Code != http.StatusNotFound && status.Code != http.StatusGone):
		return true, errRetry{err}
	}
	members, err := a.store.ListMembers(ctx, g.ID, nil, 10000, 0)
	if err != nil {
		return true, err
	}
	return true, a.store.Tx(ctx, func(tx *sql.Tx) error {
		for _, m := range members {
			if !m.Actor.IsLocal() {
				continue
			}
			if err := a.tellTx(ctx, tx, g, m.ActorID, "/groups", false, func(l *i18nPrinter) string {
				return l.T("The group %s was deleted on its server.", g.Name())
			}); err != nil {
				return err
			}
		}
		return a.store.ForgetRemoteGroupTx(ctx, tx, g.ID)
	})
}

func init() {
	chainInboxHandler("Delete", (*App).receiveGroupPostDelete)
	chainInboxHandler("Delete", (*App).receiveGroupDelete)
}

// resourceObject is a resource as Mobilizon reads it: a folder is a
// ResourceCollection, anything else a Document with url.
func (a *App) resourceObject(ctx context.Context, g *store.Group, r *store.Resource) *ap.Resource {
	parent := a.groupCollectionURI(g, "resources")
	if r.ParentID != 0 {
		// The folder's own id, which members can fetch.
		if folder, err := a.store.ResourceByID(ctx, r.ParentID); err == nil {
			parent = a.resourceURI(g, folder)
		}
	}
	creator := ""
	if act, err := a.store.ActorByID(ctx, r.CreatorID); err == nil {
		creator = a.actorURI(act)
	}
	return ap.NewResource(a.resourceURI(g, r), creator, a.groupURI(g), r.Kind == store.ResourceFolder, r.Title, r.Description,
		r.URL, parent, r.CreatedAt)
}

func (a *App) resourceURI(g *store.Group, r *store.Resource) string {
	if r.URI != "" {
		return r.URI
	}
	return a.URL(groupPath(g) + "/resources/" + r.UUID)
}

// federateResourceTx tells the group's remote members of a new resource:
// Create at the root, Add into a folder.
func (a *App) federateResourceTx(ctx context.Context, tx *sql.Tx, g *store.Group, r, parent *store.Resource, by *store.Actor) error {
	if !g.IsLocal() {
		return nil
	}
	members, err := a.store.MemberInboxesTx(ctx, tx, g.ID)
	if err != nil || len(members) == 0 {
		return err
	}
	obj := a.resourceObject(ctx, g, r)
	to := []string{a.groupCollectionURI(g, "members")}
	act := ap.NewResourceCreate(a.actorURI(by), a.groupURI(g), obj, to)
	if parent != nil {
		act = ap.NewResourceAdd(a.actorURI(by), a.groupURI(g), obj, a.resourceURI(g, parent), to)
	}
	// Signed by whoever acted: the activity is theirs, and a receiver
	// refuses an activity signed by another actor than its own.
	return a.sendTx(ctx, tx, by, act, members)
}

func (a *App) federateResourceDeleteTx(ctx context.Context, tx *sql.Tx, g *store.Group, r *store.Resource, by *store.Actor) error {
	if !g.IsLocal() {
		return nil
	}
	members, err := a.store.MemberInboxesTx(ctx, tx, g.ID)
	if err != nil || len(members) == 0 {
		return err
	}
	return a.sendTx(ctx, tx, by, ap.NewResourceDelete(a.actorURI(by), a.groupURI(g), a.resourceURI(g, r),
		r.Kind == store.ResourceFolder, []string{a.groupCollectionURI(g, "members")}), members)
}

// federateGroupUpdate sends the group's new profile to its followers and
// remote members.
func (a *App) federateGroupUpdate(ctx context.Context, groupID int64) error {
	g, err := a.store.GroupByID(ctx, groupID)
	if err != nil {
		return err
	}
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		in, err := a.groupAudienceTx(ctx, tx, g)
		if err != nil {
			return err
		}
		return a.sendTx(ctx, tx, g.Actor, ap.NewGroupUpdate(a.groupURI(g)), in)
	})
}

func (a *App) federateGroupDelete(ctx context.Context, g *store.Group) error {
	if !g.IsLocal() {
		return nil
	}
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		in, err := a.groupAudienceTx(ctx, tx, g)
		if err != nil {
			return err
		}
		// Sent by the instance: the group's own row (and key) goes with it.
		inst, err := a.instanceActor(ctx)
		if err != nil {
			return err
		}
		return a.sendTx(ctx, tx, inst, ap.NewGroupDelete(a.URL("/actor"), a.groupURI(g)), in)
	})
}

func (a *App) groupAudienceTx(ctx context.Context, tx *sql.Tx, g *store.Group) ([]store.Inbox, error) {
	followers, err := a.store.FollowerInboxesTx(ctx, tx, g.ID)
	if err != nil {
		return nil, err
	}
	members, err := a.store.MemberInboxesTx(ctx, tx, g.ID)
	return dedupeInboxes(append(followers, members...)), err
}

// acceptMemberTx sends the Accept of a Join: a Member whose id is the
// Join's id, from the group (open groups) or the approving moderator.
func (a *App) acceptMemberTx(ctx context.Context, tx *sql.Tx, g *store.Group, m *store.Membership, subject, by *store.Actor) error {
	member := a.memberObject(g, m, subject)
	member.Role = store.RoleMember
	actor := g.Actor
	id, members := a.URL("/accept/join/"+uuid.NewString()), a.groupCollectionURI(g, "members")
	act := ap.NewJoinAccept(id, a.groupURI(g), members, member)
	if by != nil {
		actor = by
		act = ap.NewJoinApproval(id, a.actorURI(by), a.groupURI(g), members, member)
	}
	return a.sendTx(ctx, tx, actor, act, inboxOf(subject))
}

// federateDecisionTx tells a remote person (and the members) what a
// moderator decided: approval (Accept), refusal and removal (Remove, the
// one Mobilizon honours), role change (Update Member).
func (a *App) federateDecisionTx(ctx context.Context, tx *sql.Tx, g *store.Group, m *store.Membership, by, subject *store.Actor, decision, newRole string) error {
	if !g.IsLocal() {
		return nil
	}
	members, err := a.store.MemberInboxesTx(ctx, tx, g.ID)
	if err != nil {
		return err
	}
	switch decision {
	case "approve":
		return a.acceptMemberTx(ctx, tx, g, m, subject, by)
	case "refuse", "remove", "cancel":
		return a.sendTx(ctx, tx, by, ap.NewMemberRemove(a.actorURI(by), a.groupURI(g), m.URI,
			[]string{a.actorURI(subject), a.groupCollectionURI(g, "members")}),
			dedupeInboxes(append(inboxOf(subject), members...)))
	case "role":
		member := a.memberObject(g, m, subject)
		member.Role = newRole
		return a.sendTx(ctx, tx, by, ap.NewMemberUpdate(a.newActivityURI(), a.actorURI(by), a.groupURI(g), member,
			[]string{a.groupCollectionURI(g, "members"), a.actorURI(subject)}, []string{a.groupURI(g)}),
			dedupeInboxes(append(inboxOf(subject), members...)))
	}
	return nil
}

// federateInviteTx sends an Invite whose id is the membership's.
func (a *App) federateInviteTx(ctx context.Context, tx *sql.Tx, g *store.Group, m *store.Membership, by, invitee *store.Actor) error {
	return a.sendTx(ctx, tx, by, ap.NewGroupInvite(m.URI, a.actorURI(by), a.groupURI(g), a.actorURI(invitee),
		a.groupCollectionURI(g, "members")), inboxOf(invitee))
}

// federateInvitationAnswerTx answers a remote group's invitation.
func (a *App) federateInvitationAnswerTx(ctx context.Context, tx *sql.Tx, g *store.Group, m *store.Membership, who *store.Actor, accept bool) error {
	if g.IsLocal() {
		return nil
	}
	if accept {
		// What the group had before comes once it has taken the Accept in.
		if err := a.scheduleGroupSyncTx(ctx, tx, g); err != nil {
			return err
		}
		member := a.memberObject(g, m, who)
		member.Role = store.RoleMember
		return a.sendTx(ctx, tx, who, ap.NewInvitationAccept(a.URL("/accept/invite/member/"+uuid.NewString()), a.actorURI(who),
			a.groupURI(g), a.groupCollectionURI(g, "members"), member), inboxOf(g.Actor))
	}
	return a.sendTx(ctx, tx, who, ap.NewInvitationReject(a.actorURI(who), a.groupURI(g), a.groupCollectionURI(g, "members"), m.URI),
		inboxOf(g.Actor))
}

// federateLeaveTx: a local person leaves a remote group.
func (a *App) federateLeaveTx(ctx context.Context, tx *sql.Tx, g *store.Group, m *store.Membership, who *store.Actor) error {
	if g.IsLocal() {
		return nil
	}
	return a.sendTx(ctx, tx, who, ap.NewGroupLeave(a.actorURI(who), a.groupURI(g), a.groupCollectionURI(g, "members")), inboxOf(g.Actor))
}

// resolveRemotePerson finds a remote person by @user@host.
func (a *App) resolveRemotePerson(ctx context.Context, handle string) (*store.Actor, error) {
	uri, err := a.resolveHandle(ctx, handle)
	if err != nil {
		return nil, err
	}
	info, err := a.remoteActor(ctx, uri, false)
	if err != nil {
		return nil, err
	}
	if info.Kind != store.KindPerson || info.InboxURL == "" {
		return nil, errors.New("not a person with an inbox")
	}
	return &info.Actor, nil
}

// joinRemoteGroup: a local person joins a remote group. The membership is
// kept pending until the group's Accept, whatever its openness.
func (a *App) joinRemoteGroup(w http.ResponseWriter, r *http.Request, gc *groupCtx, message string) error {
	ctx := r.Context()
	g, who := gc.Group, gc.Identity
	uri := a.membershipURI()
	err := a.store.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := a.store.AddMemberTx(ctx, tx, store.Membership{GroupID: g.ID, ActorID: who.ID, Role: store.RolePending,
			URI: uri, Message: message}); err != nil {
			return err
		}
		act := ap.NewGroupJoin(uri, a.actorURI(who), a.groupURI(g), a.groupCollectionURI(g, "members"), message)
		return a.sendTx(ctx, tx, who, act, inboxOf(g.Actor))
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, groupPath(g), a.printer(r).T("Your request is sent. The group's moderators will answer it."))
}

// followRemoteGroupInfo records a remote group's openness and members
// collection (from its actor document) so people here can join it.
func (a *App) rememberRemoteGroup(ctx context.Context, uri string) (*store.Group, error) {
	raw, err := a.fetchObject(ctx, uri)
	if err != nil {
		return nil, err
	}
	doc, err := ap.ParseActor(raw)
	if err != nil || !doc.Is(ap.TypeGroup) {
		return nil, fmt.Errorf("%s is not a group", uri)
	}
	info, err := a.remoteActor(ctx, uri, false)
	if err != nil {
		return nil, err
	}
	if err := a.store.EnsureRemoteGroup(ctx, info.ID, doc.Openness, doc.Members, doc.Discoverable); err != nil {
		return nil, err
	}
	return a.store.GroupByID(ctx, info.ID)
}

// localGroupOf returns the local group an id names, ErrNotFound if none.
func (a *App) localGroupOf(ctx context.Context, uri string) (*store.Group, error) {
	act, err := a.localActorByURI(ctx, uri)
	if err != nil || act.Kind != store.KindGroup {
		return nil, store.ErrNotFound
	}
	return a.store.GroupByID(ctx, act.ID)
}

// receiveGroupJoin: a remote person joins one of our groups. Open: member
// at once, with an Accept. Moderated: pending until a moderator decides.
// Invite-only: refused unless invited (then it accepts the invitation).
func (a *App) receiveGroupJoin(ctx context.Context, in *incoming) error {
	g, err := a.localGroupOf(ctx, in.Activity.Object.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // a Join of something else (an event: participation's)
	}
	if err != nil {
		return err
	}
	subject := &in.Actor.Actor
	existing, err := a.store.MembershipOf(ctx, g.ID, subject.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if existing != nil && existing.Role != store.RoleInvited {
		return nil // already a member or waiting: a replay changes nothing
	}
	if existing == nil && g.Openness == store.OpennessInviteOnly {
		return a.store.Tx(ctx, func(tx *sql.Tx) error {
			return a.sendTx(ctx, tx, g.Actor, ap.NewJoinReject(a.groupURI(g), in.Activity.ID, subject.URI), inboxOf(subject))
		})
	}
	return a.changeMembership(ctx, func(tx *sql.Tx) error {
		if existing != nil { // an invited person joining accepts the invitation
			if err := a.store.SetRoleTx(ctx, tx, existing.ID, store.RoleMember); err != nil {
				return err
			}
			if err := logTx(ctx, a, tx, g.ID, subject.ID, subject.ID, "accepted", ""); err != nil {
				return err
			}
			return a.acceptMemberTx(ctx, tx, g, existing, subject, nil)
		}
		role := store.RoleMember
		if g.Openness == store.OpennessModerated {
			role = store.RolePending
		}
		m, err := a.store.AddMemberTx(ctx, tx, store.Membership{GroupID: g.ID, ActorID: subject.ID, Role: role,
			URI: in.Activity.ID, Message: clipRunes(in.Activity.ParticipationMessage, maxJoinMessage)})
		if err != nil {
			return err
		}
		if role == store.RolePending {
			if err := logTx(ctx, a, tx, g.ID, subject.ID, subject.ID, "requested", m.Message); err != nil {
				return err
			}
			return a.tellModeratorsTx(ctx, tx, g, groupPath(g)+"/members", func(l *i18nPrinter) string {
				return l.T("%s asks to join %s.", subject.Handle(), g.Name())
			})
		}
		if err := logTx(ctx, a, tx, g.ID, subject.ID, subject.ID, "joined", ""); err != nil {
			return err
		}
		return a.acceptMemberTx(ctx, tx, g, m, subject, nil)
	})
}

// receiveGroupLeave: a remote member leaves (Mobilizon's Leave has no id).
func (a *App) receiveGroupLeave(ctx context.Context, in *incoming) error {
	g, err := a.localGroupOf(ctx, in.Activity.Object.ID)
	if err != nil {
		return nil
	}
	m, err := a.store.MembershipOf(ctx, g.ID, in.Actor.ID)
	if err != nil {
		return nil
	}
	admins, err := a.store.CountAdministratorsTx(ctx, a.store.DB(), g.ID)
	if err != nil {
		return err
	}
	if m.IsMember() && !groupMay(m, actLeave, m, "", admins) {
		return errors.New("the last administrator cannot leave")
	}
	return a.changeMembership(ctx, func(tx *sql.Tx) error {
		if err := a.store.DeleteMembershipTx(ctx, tx, m.ID); err != nil {
			return err
		}
		return logTx(ctx, a, tx, g.ID, in.Actor.ID, in.Actor.ID, "left", "")
	})
}

// receiveGroupRemove: for a local group, a remote moderator removes a
// member; for a remote group, the group (or its moderator) removes or
// refuses one of our people. Remove needs origin, and an actor known as
// moderator, or on the group's own host.
func (a *App) receiveGroupRemove(ctx context.Context, in *incoming) error {
	m, err := a.store.MembershipByURI(ctx, in.Activity.Object.ID)
	if err != nil {
		return nil
	}
	g, err := a.store.GroupByID(ctx, m.GroupID)
	if err != nil {
		return err
	}
	origin := activityField(in, "origin")
	if origin == "" || !ap.SameURL(origin, a.groupURI(g)) {
		return errors.New("remove without the group as origin")
	}
	if g.IsLocal() {
		who, err := a.store.MembershipOf(ctx, g.ID, in.Actor.ID)
		if err != nil {
			return errors.New("remove from someone not in the group")
		}
		admins, err := a.store.CountAdministratorsTx(ctx, a.store.DB(), g.ID)
		if err != nil {
			return err
		}
		if !groupMay(who, actManageMembers, m, "", admins) {
			return errors.New("remove from someone not a moderator")
		}
	} else if !ap.SameHost(in.Actor.URI, g.URI) {
		who, err := a.store.MembershipOf(ctx, g.ID, in.Actor.ID)
		if err != nil || store.RoleRank(who.Role) < store.RoleRank(store.RoleModerator) {
			return errors.New("forged remove")
		}
	}
	return a.changeMembership(ctx, func(tx *sql.Tx) error {
		if err := a.store.DeleteMembershipTx(ctx, tx, m.ID); err != nil {
			return err
		}
		action := "removed"
		if m.Role == store.RolePending {
			action = "refused"
		}
		if err := logTx(ctx, a, tx, g.ID, in.Actor.ID, m.ActorID, action, ""); err != nil {
			return err
		}
		return a.tellTx(ctx, tx, g, m.ActorID, groupPath(g), false, func(l *i18nPrinter) string {
			if action == "refused" {
				return l.T("Your request to join %s was declined.", g.Name())
			}
			return l.T("You were removed from %s.", g.Name())
		})
	})
}

// activityField reads a string field of the activity's body.
func activityField(in *incoming, name string) string {
	var f map[string]json.RawMessage
	if json.Unmarshal(in.Raw, &f) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(f[name], &s) == nil {
		return s
	}
	var obj struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(f[name], &obj) == nil {
		return obj.ID
	}
	return ""
}

// receiveGroupInvite: a remote group invites one of our identities. It
// needs a target (the invitee) and comes from someone of the group's
// server, or (as Mobilizon allows) from one known here as an
// administrator of the group. The invitation keeps the Invite's id: the
// answer names it.
func (a *App) receiveGroupInvite(ctx context.Context, in *incoming) error {
	target := in.Activity.Target.ID
	if target == "" {
		return errors.New("invite without target")
	}
	invitee, err := a.localActorByURI(ctx, target)
	if err != nil || invitee.Kind != store.KindPerson {
		return nil
	}
	groupURI := in.Activity.Object.ID
	if in.Activity.ID == "" || !ap.SameHost(in.Activity.ID, in.Actor.URI) {
		return errors.New("invite without an id of its sender's server")
	}
	if !ap.SameHost(groupURI, in.Actor.URI) {
		known, err := a.store.GroupByURI(ctx, groupURI)
		if err != nil {
			return errors.New("invite to a group of another server from someone not known as its administrator")
		}
		m, err := a.store.MembershipOf(ctx, known.ID, in.Actor.ID)
		if err != nil || m.Role != store.RoleAdministrator {
			return errors.New("invite to a group of another server from someone not known as its administrator")
		}
	}
	g, err := a.rememberRemoteGroup(ctx, groupURI)
	if err != nil {
		return errRetry{err}
	}
	return a.changeMembership(ctx, func(tx *sql.Tx) error {
		_, err := a.store.AddMemberTx(ctx, tx, store.Membership{GroupID: g.ID, ActorID: invitee.ID, Role: store.RoleInvited,
			URI: in.Activity.ID, InvitedByID: in.Actor.ID})
		if errors.Is(err, store.ErrConflict) {
			return nil
		}
		if err != nil {
			return err
		}
		return a.tellTx(ctx, tx, g, invitee.ID, groupPath(g), false, func(l *i18nPrinter) string {
			return l.T("%s invites you to join the group %s.", in.Actor.Handle(), g.Name())
		})
	})
}

// receiveMembershipAnswer handles an Accept or a Reject that is not about
// a follow: of a Join (ours to a remote group, matched by the Member's id)
// or of an Invite (theirs to one of our groups).
func (a *App) receiveMembershipAnswer(ctx context.Context, in *incoming, accept bool) error {
	m, err := a.store.MembershipByURI(ctx, in.Activity.Object.ID)
	if err != nil {
		return nil
	}
	g, err := a.store.GroupByID(ctx, m.GroupID)
	if err != nil {
		return err
	}
	if g.IsLocal() {
		// The invitee answers our Invite.
		if m.ActorID != in.Actor.ID || m.Role != store.RoleInvited {
			return nil
		}
		return a.changeMembership(ctx, func(tx *sql.Tx) error {
			if !accept {
				if err := a.store.DeleteMembershipTx(ctx, tx, m.ID); err != nil {
					return err
				}
				return logTx(ctx, a, tx, g.ID, m.ActorID, m.ActorID, "declined", "")
			}
			if err := a.store.SetRoleTx(ctx, tx, m.ID, store.RoleMember); err != nil {
				return err
			}
			return logTx(ctx, a, tx, g.ID, m.ActorID, m.ActorID, "accepted", "")
		})
	}
	// The remote group (or one of its moderators) answers our Join.
	if !ap.SameHost(in.Actor.URI, g.URI) || m.Role != store.RolePending {
		return nil
	}
	if !accept {
		return nil // Mobilizon refuses with Remove; a Reject is ignored as it does
	}
	err = a.changeMembership(ctx, func(tx *sql.Tx) error {
		if err := a.store.SetRoleTx(ctx, tx, m.ID, store.RoleMember); err != nil {
			return err
		}
		return a.tellTx(ctx, tx, g, m.ActorID, groupPath(g), false, func(l *i18nPrinter) string {
			return l.T("Your request to join %s is accepted. Welcome!", g.Name())
		})
	})
	if err != nil {
		return err
	}
	// Now someone here may read it: who moderates it, what it had before.
	if _, err := a.syncRemoteGroup(ctx, g); err != nil {
		a.log.Info("reading a remote group", "group", g.URI, "err", err)
	}
	return nil
}

// receiveMemberUpdate applies a role change from someone known here as a
// moderator of the group (never from a plain member, never demoting the
// last administrator).
func (a *App) receiveMemberUpdate(ctx context.Context, in *incoming) error {
	var obj struct {
		ID   string `json:"id"`
		Role string `json:"role"`
	}
	if err := json.Unmarshal(in.Activity.Object.Raw, &obj); err != nil {
		return err
	}
	m, err := a.store.MembershipByURI(ctx, obj.ID)
	if err != nil {
		return nil
	}
	who, err := a.store.MembershipOf(ctx, m.GroupID, in.Actor.ID)
	if err != nil {
		return errors.New("role change from someone not in the group")
	}
	admins, err := a.store.CountAdministratorsTx(ctx, a.store.DB(), m.GroupID)
	if err != nil {
		return err
	}
	role := obj.Role
	if role == "creator" {
		role = store.RoleAdministrator
	}
	if !groupMay(who, actManageMembers, m, role, admins) {
		return errors.New("role change refused")
	}
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.SetRoleTx(ctx, tx, m.ID, role); err != nil {
			return err
		}
		return logTx(ctx, a, tx, m.GroupID, in.Actor.ID, m.ActorID, "role", role)
	})
}

// receiveGroupAnnounce takes what a group we have members in relays:
// discussion messages from its members, and posts. The object is fetched
// again from its origin (see announcedObject).
func (a *App) receiveGroupAnnounce(ctx context.Context, in *incoming) error {
	g, err := a.store.GroupByURI(ctx, in.Actor.URI)
	if err != nil {
		return nil // not a group we know: nothing for us
	}
	ref := in.Activity.Object
	if ap.SameHost(ref.ID, a.cfg.BaseURL) {
		// One of ours relayed back to us: we have it, but another member
		// may have renamed the thread, which the group decides.
		if note, err := ap.ParseObject(ref.Raw); err == nil && ref.Embedded() && a.groupsOwnNote(g, ref.Raw) {
			note.Content = "" // our people's words are changed only here
			return a.applyDiscussionEdit(ctx, g, note, nil, true)
		}
		return nil
	}
	// Signed as one of our people in the group, a member-only object of
	// a Convene group is served to us; Mobilizon's private posts are not.
	signer := a.instanceSigner(ctx)
	if member, err := a.store.LocalMemberOf(ctx, g.ID); err == nil {
		if s, err := a.signer(ctx, member); err == nil {
			signer = s
		}
	}
	vouched := ref.Embedded() && (ap.SameHost(ref.ID, g.URI) || a.groupsOwnNote(g, ref.Raw))
	raw, err := a.announcedObject(ctx, ref, vouched, signer)
	if err != nil {
		return err
	}
	obj, err := ap.ParseObject(raw)
	if err != nil {
		return err
	}
	if obj.Is(ap.TypeNote) {
		// The group decides what its threads are called: the author's
		// server may hear of another member's rename no sooner than we
		// do, and show the old name meanwhile.
		if ref.Embedded() && a.groupsOwnNote(g, ref.Raw) {
			if relayed, err := ap.ParseObject(ref.Raw); err == nil && ap.SameURL(relayed.ID, obj.ID) && relayed.Name != "" {
				obj.Name = relayed.Name
			}
		}
		return a.storeRemoteMessage(ctx, g, obj, raw)
	}
	if obj.Is("Article") {
		return a.storeRemotePost(ctx, g, obj, raw)
	}
	return nil
}

// articleVisibility reads a post's visibility from its object's to, as
// Mobilizon does: Public is public, the followers unlisted, the members
// members-only; "" when none is there.
func articleVisibility(to []string, members string) string {
	vis := ""
	for _, t := range to {
		switch {
		case t == ap.Public || t == "as:Public" || t == "Public":
			return store.PostPublic
		case strings.HasSuffix(t, "/followers"):
			vis = store.PostUnlisted
		case ap.SameURL(t, members) && vis == "":
			vis = store.PostMembers
		}
	}
	return vis
}

// receivePostUpdate takes an edited post of a group people here are in,
// when the group's server sends an Update of it (as Convene does for
// Mastodon's sake). Only a post this server has is changed: posts come
// with the group's Announce.
func (a *App) receivePostUpdate(ctx context.Context, in *incoming) error {
	obj, err := ap.ParseObject(in.Object.Raw)
	if err != nil || len(obj.AttributedTo) == 0 {
		return nil
	}
	g, err := a.store.GroupByURI(ctx, obj.AttributedTo[0])
	if err != nil || g.IsLocal() || !ap.SameHost(in.Actor.URI, g.URI) {
		return nil
	}
	if _, err := a.store.PostByURI(ctx, obj.ID); err != nil {
		return nil
	}
	return a.storeRemotePost(ctx, g, obj, in.Object.Raw)
}

// storeRemotePost keeps a post its group relays. Like Mobilizon, only an
// Article with both an actor and the group as attributedTo is a post.
func (a *App) storeRemotePost(ctx context.Context, g *store.Group, art *ap.RemoteObject, raw []byte) error {
	var f struct {
		Actor string `json:"actor"`
	}
	_ = json.Unmarshal(raw, &f)
	if f.Actor == "" || len(art.AttributedTo) == 0 || !ap.SameURL(art.AttributedTo[0], g.URI) || !ap.SameHost(art.ID, g.URI) {
		return nil
	}
	vis := articleVisibility(art.To, a.groupCollectionURI(g, "members"))
	if vis == "" {
		return nil
	}
	title, body := clipRunes(cleanSpace(art.Name), maxPostTitle), sanitizeHTML(art.Content)
	if p, err := a.store.PostByURI(ctx, art.ID); err == nil {
		if p.GroupID != g.ID || (p.Title == title && p.BodyHTML == body && p.Visibility == vis) {
			return nil // a replay, or not this group's
		}
		p.Title, p.BodyHTML, p.Visibility = title, body, vis // edited on its server
		return a.store.Tx(ctx, func(tx *sql.Tx) error { return a.store.UpdatePostTx(ctx, tx, p) })
	}
	author, err := a.remoteActor(ctx, f.Actor, false)
	if err != nil {
		return errRetry{err}
	}
	p := &store.Post{URI: art.ID, GroupID: g.ID, AuthorID: author.ID, Title: title, BodyHTML: body, Visibility: vis}
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		err := a.store.CreatePostTx(ctx, tx, p)
		if errors.Is(err, store.ErrConflict) {
			return nil
		}
		return err
	})
}

// storeRemoteMessage keeps a discussion message relayed by its group.
func (a *App) storeRemoteMessage(ctx context.Context, g *store.Group, note *ap.RemoteObject, raw []byte) error {
	var f struct {
		Actor   string `json:"actor"`
		Context string `json:"context"`
	}
	_ = json.Unmarshal(raw, &f)
	if len(note.AttributedTo) == 0 || !ap.SameURL(note.AttributedTo[0], g.URI) || f.Actor == "" || !ap.SameHost(f.Actor, note.ID) {
		return nil // not a discussion message of this group
	}
	if ap.SameHost(note.ID, a.cfg.BaseURL) {
		return nil // one of ours, relayed back to us: we have it
	}
	info, err := a.remoteActor(ctx, f.Actor, false)
	if err != nil {
		return errRetry{err}
	}
	if _, err := a.messageOf(ctx, g, note.ID); err == nil {
		return a.applyDiscussionEdit(ctx, g, note, &info.Actor, true) // the group relays a change
	}
	return a.keepDiscussionMessage(ctx, g, note, f.Context, &info.Actor)
}

// keepDiscussionMessage stores a message from another server (a new
// thread when the Note has a name and no other context) and tells the
// group's local members. For a group of ours it is also relayed to the
// remote members, by the group's Announce.
func (a *App) keepDiscussionMessage(ctx context.Context, g *store.Group, note *ap.RemoteObject, contextURI string, author *store.Actor) error {
	if _, err := a.store.MessageByURI(ctx, note.ID); err == nil {
		return nil // a replay
	}
	body := sanitizeHTML(note.Content)
	newThread := note.Name != "" && (contextURI == "" || ap.SameURL(contextURI, note.ID))
	var d *store.Discussion
	if newThread {
		d = &store.Discussion{URI: note.ID, GroupID: g.ID, AuthorID: author.ID, Title: clipRunes(cleanSpace(note.Name), maxDiscussionTitle)}
	} else {
		var err error
		if d, err = a.discussionByURI(ctx, g, contextURI); err != nil {
			return nil // a reply to a thread we do not have
		}
	}
	m := &store.Message{URI: note.ID, DiscussionID: d.ID, AuthorID: author.ID, BodyHTML: body}
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if newThread {
			err = a.store.CreateDiscussionTx(ctx, tx, d, m)
		} else {
			err = a.store.AddMessageTx(ctx, tx, m)
		}
		if errors.Is(err, store.ErrConflict) {
			return nil
		}
		if err != nil {
			return err
		}
		link := groupPath(g) + "/discussions/" + d.Slug
		if err := a.tellMembersTx(ctx, tx, g, author.ID, link+"?last=1", func(l *i18n.Printer) string {
			if newThread {
				return l.T("%s started a discussion in %s: “%s”", author.Handle(), g.Name(), d.Title)
			}
			return l.T("%s replied in “%s” (%s).", author.Handle(), d.Title, g.Name())
		}); err != nil {
			return err
		}
		if !g.IsLocal() {
			return nil
		}
		members, err := a.store.MemberInboxesTx(ctx, tx, g.ID)
		if err != nil || len(members) == 0 {
			return err
		}
		return a.enqueueAnnounceTx(ctx, tx, g, a.messageNote(g, d, m, author, newThread, ""),
			[]string{a.groupCollectionURI(g, "members")}, members)
	})
}

// discussionByURI finds a thread of g by its id: a remote one's, or the
// address of one started here.
func (a *App) discussionByURI(ctx context.Context, g *store.Group, uri string) (*store.Discussion, error) {
	if d, err := a.store.DiscussionByURI(ctx, uri); err == nil {
		if d.GroupID != g.ID {
			return nil, store.ErrNotFound
		}
		return d, nil
	}
	prefix := a.URL(groupPath(g) + "/discussions/")
	slug, ok := strings.CutPrefix(uri, prefix)
	if !ok || slug == "" || strings.ContainsAny(slug, "/?#") {
		return nil, store.ErrNotFound
	}
	return a.store.DiscussionBySlug(ctx, g.ID, slug)
}

// receiveGroupDiscussionNote takes a discussion message that a remote
// member sends to one of our groups (a Note attributed to the group):
// kept, told to the local members and relayed to the remote ones. From
// someone who is not a member it is refused.
func (a *App) receiveGroupDiscussionNote(ctx context.Context, in *incoming) (bool, error) {
	note, err := in.Object.object()
	if err != nil || len(note.AttributedTo) == 0 || !ap.SameHost(note.AttributedTo[0], a.cfg.BaseURL) {
		return false, nil
	}
	g, err := a.localGroupOf(ctx, note.AttributedTo[0])
	if err != nil {
		return false, nil
	}
	var f struct {
		Actor   string `json:"actor"`
		Context string `json:"context"`
	}
	_ = json.Unmarshal(in.Object.Raw, &f)
	m, err := a.store.MembershipOf(ctx, g.ID, in.Actor.ID)
	if err != nil || !m.IsMember() {
		return true, errors.New("discussion message from someone not a member")
	}
	if in.Activity.Is(ap.TypeUpdate) {
		return true, a.applyDiscussionEdit(ctx, g, note, &in.Actor.Actor, false)
	}
	if f.Actor != "" && !ap.SameURL(f.Actor, in.Actor.URI) {
		return true, errors.New("discussion message sent by someone else than its author")
	}
	return true, a.keepDiscussionMessage(ctx, g, note, f.Context, &in.Actor.Actor)
}

func init() {
	chainInboxHandler("Create Note", (*App).receiveGroupDiscussionNote)
	chainInboxHandler("Update Note", (*App).receiveGroupDiscussionNote)
}

// Objects served to members' signed GETs; anyone else gets 404.
func (a *App) memberOnlyObject(w http.ResponseWriter, r *http.Request) (*store.Group, bool, error) {
	g, err := a.store.LocalGroupByUsername(r.Context(), strings.ToLower(r.PathValue("name")))
	if err != nil || !a.signedMember(r, g) {
		return nil, false, jsonError(w, http.StatusNotFound, "no such object")
	}
	return g, true, nil
}

func (a *App) showDiscussionJSON(w http.ResponseWriter, r *http.Request) error {
	g, ok, err := a.memberOnlyObject(w, r)
	if !ok {
		return err
	}
	d, err := a.store.DiscussionBySlug(r.Context(), g.ID, r.PathValue("slug"))
	if err != nil {
		return jsonError(w, http.StatusNotFound, "no such object")
	}
	msgs, err := a.store.Messages(r.Context(), d.ID, 0, 1)
	if err != nil || len(msgs) == 0 {
		return jsonError(w, http.StatusNotFound, "no such object")
	}
	n := a.messageNote(g, d, msgs[0], msgs[0].Author, true, "")
	n.Context = ap.GroupContext()
	return activityJSON(w, n)
}

// showDiscussionReplies serves the messages of a thread after its
// opening one, in order, to the group's members: with the discussions
// collection (which holds the opening Notes), what a member's server
// reads to show threads started before it had anyone in the group.
func (a *App) showDiscussionReplies(w http.ResponseWriter, r *http.Request) error {
	g, ok, err := a.memberOnlyObject(w, r)
	if !ok {
		return err
	}
	ctx := r.Context()
	d, err := a.store.DiscussionBySlug(ctx, g.ID, r.PathValue("slug"))
	if err != nil {
		return jsonError(w, http.StatusNotFound, "no such object")
	}
	return serveCollection(w, r, a.URL(groupPath(g)+"/discussions/"+d.Slug+"/replies"), max(d.MessageCount-1, 0),
		func(limit, offset int) ([]any, error) {
			list, err := a.store.MessagesAt(ctx, d.ID, offset+1, limit)
			var items []any
			for _, m := range list {
				items = append(items, a.messageNote(g, d, m, m.Author, false, ""))
			}
			return items, err
		})
}

func (a *App) showMessageJSON(w http.ResponseWriter, r *http.Request) error {
	g, ok, err := a.memberOnlyObject(w, r)
	if !ok {
		return err
	}
	id, _ := parseID(r.PathValue("id"))
	m, err := a.store.MessageByID(r.Context(), id)
	if err != nil {
		return jsonError(w, http.StatusNotFound, "no such object")
	}
	d, err := a.store.DiscussionByID(r.Context(), m.DiscussionID)
	if err != nil || d.GroupID != g.ID {
		return jsonError(w, http.StatusNotFound, "no such object")
	}
	author, err := a.store.ActorByID(r.Context(), m.AuthorID)
	if err != nil {
		return err
	}
	n := a.messageNote(g, d, m, author, false, "")
	n.Context = ap.GroupContext()
	return activityJSON(w, n)
}

func (a *App) showPostJSON(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	g, err := a.store.LocalGroupByUsername(ctx, strings.ToLower(r.PathValue("name")))
	if err != nil {
		return jsonError(w, http.StatusNotFound, "no such object")
	}
	p, err := a.store.PostBySlug(ctx, g.ID, r.PathValue("slug"))
	if err != nil || (p.Visibility == store.PostMembers && !a.signedMember(r, g)) {
		return jsonError(w, http.StatusNotFound, "no such object")
	}
	art := a.postArticle(g, p, p.Author)
	art.Context = ap.GroupContext()
	return activityJSON(w, art)
}

func (a *App) showResourceJSON(w http.ResponseWriter, r *http.Request) error {
	g, ok, err := a.memberOnlyObject(w, r)
	if !ok {
		return err
	}
	res, err := a.store.ResourceByUUID(r.Context(), g.ID, r.PathValue("id"))
	if err != nil {
		return jsonError(w, http.StatusNotFound, "no such object")
	}
	obj := a.resourceObject(r.Context(), g, res)
	obj.Context = ap.GroupContext()
	return activityJSON(w, obj)
}

// showMemberJSON serves /members/{uuid} to members' signed GETs.
func (a *App) showMemberJSON(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	m, err := a.store.MembershipByURI(ctx, a.URL("/members/"+r.PathValue("uuid")))
	if err != nil {
		return jsonError(w, http.StatusNotFound, "no such object")
	}
	g, err := a.store.GroupByID(ctx, m.GroupID)
	if err != nil || !g.IsLocal() || !a.signedMember(r, g) {
		return jsonError(w, http.StatusNotFound, "no such object")
	}
	actor, err := a.store.ActorByID(ctx, m.ActorID)
	if err != nil {
		return err
	}
	obj := a.memberObject(g, m, actor)
	obj.Context = ap.GroupContext()
	return activityJSON(w, obj)
}

// timeZero: send now.
var timeZero time.Time

type i18nPrinter = i18n.Printer

// sanitizeHTML keeps only harmless markup of federated HTML, with the
// policy of our own Markdown.
func sanitizeHTML(s string) string {
	_, policy := markdownRenderer()
	return policy.Sanitize(strings.ToValidUTF8(s, "\uFFFD"))
}

func parseID(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

// receiveAnnounceOrGroupRelay routes an Announce: a group we have members
// in relaying its discussion messages is handled here, anything else by
// the remote events feature.
func (a *App) receiveAnnounceOrGroupRelay(ctx context.Context, in *incoming) error {
	if a.groupWithLocalMembers(ctx, in.Actor.ID) {
		ref := in.Activity.Object
		if ref.Is(ap.TypeNote) || ref.Is("Article") || (!ref.Embedded() && !ref.Is(ap.TypeEvent)) {
			return a.receiveGroupAnnounce(ctx, in)
		}
	}
	return a.receiveAnnounce(ctx, in)
}

// groupsOwnNote tells whether an embedded object is a discussion message
// of g. The group relays its members' messages, which are members-only
// and so cannot be fetched again from their authors' servers by anyone
// else; the group's server checked the author's signature when it took
// the message, and the group is the authority on its own discussions.
func (a *App) groupsOwnNote(g *store.Group, raw []byte) bool {
	obj, err := ap.ParseObject(raw)
	return err == nil && obj.Is(ap.TypeNote) && len(obj.AttributedTo) > 0 && ap.SameURL(obj.AttributedTo[0], g.URI)
}

// isLocalGroup tells whether uri names one of our groups: remote members
// send their discussion messages attributed to it (its handler checks
// that they are members).
func (a *App) isLocalGroup(ctx context.Context, uri string) bool {
	if !ap.SameHost(uri, a.cfg.BaseURL) {
		return false
	}
	_, err := a.localGroupOf(ctx, uri)
	return err == nil
}

// receiveDiscussionDelete removes a discussion that a member (or, for a
// group of another server, that server) deletes. Mobilizon names it by a
// Tombstone that may carry only its url.
func (a *App) receiveDiscussionDelete(ctx context.Context, in *incoming) (bool, error) {
	id := in.Activity.Object.ID
	if id == "" && in.Activity.Object.Embedded() {
		var t struct {
			URL string `json:"url"`
		}
		_ = json.Unmarshal(in.Activity.Object.Raw, &t)
		id = t.URL
	}
	if id == "" {
		return false, nil
	}
	d, err := a.store.DiscussionByURI(ctx, id)
	if errors.Is(err, store.ErrNotFound) && ap.SameHost(id, a.cfg.BaseURL) {
		// One started here, in one of our groups, named by its address.
		for _, g := range a.groupsNamedIn(ctx, id) {
			if d, err = a.discussionByURI(ctx, g, id); err == nil {
				break
			}
		}
	}
	if err != nil {
		return false, nil // not a discussion: someone else's business
	}
	g, err := a.store.GroupByID(ctx, d.GroupID)
	if err != nil {
		return true, err
	}
	// The rule of the delete button holds for members of other servers:
	// the author, or a moderator or administrator. A group of another
	// server applies it there, and its server's word is final.
	byGroupServer := !g.IsLocal() && ap.SameHost(in.Actor.URI, g.URI)
	if !byGroupServer {
		m, err := a.store.MembershipOf(ctx, g.ID, in.Actor.ID)
		if err != nil {
			m = nil
		}
		if !mayRemoveContent(m, d.AuthorID) {
			return true, errors.New("discussion delete from someone neither its author nor a moderator of the group")
		}
	}
	return true, a.store.Tx(ctx, func(tx *sql.Tx) error { return a.deleteDiscussionTx(ctx, tx, d, in.Actor.ID) })
}

// groupsNamedIn returns the local group whose pages an address of ours is
// under (/groups/name/...), if any.
func (a *App) groupsNamedIn(ctx context.Context, uri string) []*store.Group {
	rest, ok := strings.CutPrefix(uri, a.URL("/groups/"))
	if !ok {
		return nil
	}
	name, _, _ := strings.Cut(rest, "/")
	g, err := a.store.LocalGroupByUsername(ctx, name)
	if err != nil {
		return nil
	}
	return []*store.Group{g}
}

func init() {
	chainInboxHandler("Delete", (*App).receiveDiscussionDelete)
}

// groupWithLocalMembers tells whether a remote actor is a group that
// people here are members of: its events reach them by its Announce,
// following it or not.
func (a *App) groupWithLocalMembers(ctx context.Context, actorID int64) bool {
	g, err := a.store.GroupByID(ctx, actorID)
	if err != nil || g.IsLocal() {
		return false
	}
	_, err = a.store.LocalMemberOf(ctx, g.ID)
	return err == nil
}

// remoteEventGroup is the group a remote event is organised for (0 when
// none): its attributedTo, when that is a group we know and the event
// came through the group's own Announce or from someone known here as
// one of its moderators.
func (a *App) remoteEventGroup(ctx context.Context, sender *store.RemoteActorInfo, ev *ap.RemoteEvent, organizer *store.RemoteActorInfo, via string) int64 {
	if len(ev.AttributedTo) == 0 || ap.SameURL(ev.AttributedTo[0], organizer.URI) || !ap.SameHost(ev.AttributedTo[0], ev.ID) {
		return 0
	}
	g, err := a.store.GroupByURI(ctx, ev.AttributedTo[0])
	if err != nil || g.IsLocal() {
		return 0
	}
	if via == "announce" && ap.SameURL(sender.URI, g.URI) {
		return g.ID
	}
	m, err := a.store.MembershipOf(ctx, g.ID, organizer.ID)
	if err == nil && store.RoleRank(m.Role) >= store.RoleRank(store.RoleModerator) {
		return g.ID
	}
	return 0
}

// groupModeratedBy returns the remote group an event is attributed to
// when people here are its members and sender is known here as one of
// its moderators or administrators (see group_moderators.go); nil
// otherwise. The event must live on the group's server.
func (a *App) groupModeratedBy(ctx context.Context, sender *store.RemoteActorInfo, ev *ap.RemoteEvent) *store.Group {
	if len(ev.AttributedTo) == 0 || !ap.SameHost(ev.AttributedTo[0], ev.ID) {
		return nil
	}
	g, err := a.store.GroupByURI(ctx, ev.AttributedTo[0])
	if err != nil || !a.groupWithLocalMembers(ctx, g.ID) {
		return nil
	}
	m, err := a.store.MembershipOf(ctx, g.ID, sender.ID)
	if err != nil || store.RoleRank(m.Role) < store.RoleRank(store.RoleModerator) {
		return nil
	}
	return g
}

// remoteResource is a resource object as a group's server sends it.
type remoteResource struct {
	Type         string `json:"type"`
	ID           string `json:"id"`
	Actor        string `json:"actor"`
	AttributedTo string `json:"attributedTo"`
	Name         string `json:"name"`
	Summary      string `json:"summary"`
	URL          string `json:"url"`
	Context      string `json:"context"`
}

// parseRemoteResource reads a Document or ResourceCollection; ok is false
// for anything else.
func parseRemoteResource(raw []byte) (obj remoteResource, ok bool) {
	if len(raw) == 0 || json.Unmarshal(raw, &obj) != nil || obj.ID == "" {
		return obj, false
	}
	return obj, obj.Type == ap.TypeDocument || obj.Type == "ResourceCollection"
}

// receiveGroupResource keeps a resource that a remote group we have
// members in tells them of: Create at the root, Add into a folder. Only
// the group's own server may.
func (a *App) receiveGroupResource(ctx context.Context, in *incoming) (bool, error) {
	raw := in.Activity.Object.Raw
	if in.Object != nil {
		raw = in.Object.Raw
	}
	obj, ok := parseRemoteResource(raw)
	if !ok {
		return false, nil
	}
	g, err := a.store.GroupByURI(ctx, obj.AttributedTo)
	if err != nil || g.IsLocal() || !a.groupWithLocalMembers(ctx, g.ID) {
		return false, nil
	}
	if !ap.SameHost(in.Actor.URI, g.URI) {
		return true, errors.New("resource from another server than its group's")
	}
	parent := activityField(in, "target")
	if parent == "" {
		parent = obj.Context
	}
	return true, a.keepRemoteResource(ctx, g, obj, parent, in.Activity.Is("Add"))
}

// keepRemoteResource stores a remote group's resource in the folder
// parent names (the root when it names none we know, unless inFolder
// says it must be a folder: then an unknown one is waited for).
func (a *App) keepRemoteResource(ctx context.Context, g *store.Group, obj remoteResource, parent string, inFolder bool) error {
	if !ap.SameHost(obj.ID, g.URI) {
		return errors.New("resource from another server than its group's")
	}
	if _, err := a.store.ResourceByURI(ctx, obj.ID); err == nil {
		return nil
	}
	r := &store.Resource{URI: obj.ID, GroupID: g.ID, CreatorID: g.ID, Kind: store.ResourceLink, Tool: "other",
		Title: clipRunes(cleanSpace(obj.Name), 200), Description: clipRunes(obj.Summary, 1000)}
	if obj.Type == "ResourceCollection" {
		r.Kind, r.Tool = store.ResourceFolder, ""
	} else {
		if r.URL = weburl.Check(obj.URL); r.URL == "" {
			return errors.New("resource without a web address")
		}
	}
	if r.Title == "" {
		r.Title = r.URL
	}
	folder, err := a.store.ResourceByURI(ctx, parent)
	switch {
	case err == nil && folder.GroupID == g.ID && folder.Kind == store.ResourceFolder:
		r.ParentID = folder.ID
	case errors.Is(err, store.ErrNotFound) && inFolder:
		// Deliveries may cross: the folder's Create can come after.
		return errRetry{fmt.Errorf("folder %s not known yet", parent)}
	}
	if author, err := a.store.RemoteActorByURI(ctx, obj.Actor); err == nil {
		r.CreatorID = author.ID
	}
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.CreateResourceTx(ctx, tx, r); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
		return nil
	})
}

// receiveGroupResourceDelete removes a remote group's resource when its
// server deletes it.
func (a *App) receiveGroupResourceDelete(ctx context.Context, in *incoming) (bool, error) {
	r, err := a.store.ResourceByURI(ctx, in.Activity.Object.ID)
	if err != nil {
		return false, nil
	}
	if _, err := a.fromRemoteGroupServer(ctx, in, r.GroupID); err != nil {
		return true, err
	}
	return true, a.store.Tx(ctx, func(tx *sql.Tx) error { return a.deleteResourceTx(ctx, tx, r, in.Actor.ID) })
}

func init() {
	for _, key := range []string{"Create Document", "Create ResourceCollection", "Add"} {
		chainInboxHandler(key, (*App).receiveGroupResource)
	}
	chainInboxHandler("Delete", (*App).receiveGroupResourceDelete)
}
