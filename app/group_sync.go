package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// Reading a remote group as one of its members. Two things need it:
//
//   - A remote group's events come from its moderators: Mobilizon sends a
//     group event as a Create whose actor is the moderator and whose
//     attributedTo is the group. To take such a Create as the group's,
//     this server must know who moderates the group.
//   - Someone who joins sees what the group had before: its resources,
//     posts, upcoming events and discussions (Mobilizon's server reads
//     them the same way).
//
// The group serves these only to its members: so this server reads them
// signed as one of its own people who is a member, when that person is
// let in (at once when the group accepts their Join, a little after they
// accept its invitation: see groupSyncWaits), and again every day.
//
// A thread is read back whole or not at all: the discussions collection
// holds only each thread's opening message, and half a thread would
// mislead. Convene groups name the rest in the opening Note's replies;
// threads of groups that do not (Mobilizon's) start here with the first
// message written after someone here joined.

// maxMemberPages bounds how much of a remote collection is read: a group
// with more than this many pages of members or resources is read in part.
const maxMemberPages = 20

// syncRemoteGroup reads a remote group as one of its local members:
// who moderates it, and its resources, discussions, posts and upcoming
// events. It reports whether the group let that member in: a group that
// has not yet taken in our Accept of its invitation lists them nowhere
// and shows them nothing, and is worth reading again soon (see
// SyncDueGroups).
func (a *App) syncRemoteGroup(ctx context.Context, g *store.Group) (admitted bool, err error) {
	if g.IsLocal() {
		return true, nil
	}
	member, err := a.store.LocalMemberOf(ctx, g.ID)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil // nobody here can read it, nor wait to
	}
	if err != nil {
		return false, err
	}
	signer, err := a.signer(ctx, member)
	if err != nil {
		return false, err
	}
	raw, err := a.fed.fetcher.FetchObject(ctx, g.URI, signer)
	if err != nil {
		return false, err
	}
	doc, err := ap.ParseActor(raw)
	if err != nil {
		return false, err
	}
	// read returns a collection's items, nil when it could not be read
	// whole (what was known then stays as it was).
	read := func(what, uri string) []json.RawMessage {
		if uri == "" {
			return nil
		}
		if !ap.SameHost(uri, g.URI) {
			a.log.Info("a group's collection on another server", "group", g.URI, what, uri)
			return nil
		}
		items, err := a.collectionItems(ctx, uri, maxMemberPages, maxMemberPages*100, signer)
		if err != nil {
			a.log.Info("reading a remote group", "group", g.URI, what, uri, "err", err)
			return nil
		}
		return items
	}
	admitted = doc.Members == "" // nothing to tell by
	if items := read("members", doc.Members); items != nil {
		members := parseMemberItems(items)
		admitted = listsMember(members, a.actorURI(member))
		if err := a.keepRemoteModerators(ctx, g, members); err != nil {
			return false, err
		}
	}
	a.keepRemoteResources(ctx, g, doc.Resources, read("resources", doc.Resources))
	for _, item := range read("discussions", doc.Discussions) {
		if err := a.keepRemoteThread(ctx, g, item, signer); err != nil {
			a.log.Info("a remote group's discussion", "group", g.URI, "err", err)
		}
	}
	for _, item := range read("posts", doc.Posts) {
		if obj, err := ap.ParseObject(item); err == nil && obj.Is("Article") {
			if err := a.storeRemotePost(ctx, g, obj, item); err != nil {
				a.log.Info("a remote group's post", "group", g.URI, "post", obj.ID, "err", err)
			}
		}
	}
	if events := read("events", doc.Events); len(events) > 0 {
		info, err := a.remoteActor(ctx, g.URI, false)
		if err != nil {
			return admitted, err
		}
		for _, item := range events {
			if obj, err := ap.ParseObject(item); err == nil && obj.Is(ap.TypeEvent) && ap.SameHost(obj.ID, g.URI) {
				if err := a.ingestEvent(ctx, info, item, "announce"); err != nil {
					a.log.Info("a remote group's event", "group", g.URI, "event", obj.ID, "err", err)
				}
			}
		}
	}
	return admitted, nil
}

// memberItem is a Member of a remote group's members collection, its
// role read as ours ("creator" is an administrator).
type memberItem struct {
	ID, Actor, Object, Role string
}

// parseMemberItems reads the Members of a members collection.
func parseMemberItems(items []json.RawMessage) []memberItem {
	var out []memberItem
	for _, raw := range items {
		var m struct {
			Type   string          `json:"type"`
			ID     string          `json:"id"`
			Actor  json.RawMessage `json:"actor"`
			Object json.RawMessage `json:"object"`
			Role   string          `json:"role"`
		}
		if json.Unmarshal(raw, &m) != nil || m.Type != "Member" {
			continue
		}
		if m.Role == "creator" {
			m.Role = store.RoleAdministrator
		}
		out = append(out, memberItem{ID: m.ID, Actor: refString(m.Actor), Object: refString(m.Object), Role: m.Role})
	}
	return out
}

// listsMember tells whether who is among members with a role that may
// read (not invited, not pending).
func listsMember(members []memberItem, who string) bool {
	for _, m := range members {
		if ap.SameURL(m.Actor, who) {
			switch m.Role {
			case store.RoleMember, store.RoleModerator, store.RoleAdministrator:
				return true
			}
		}
	}
	return false
}

// maxThreadMessages bounds the threads read back: a longer one is left
// out (its new messages still arrive).
const maxThreadMessages = 2000

// keepRemoteThread stores a thread the group had before this server could
// read it, with all its messages or not at all: the opening Note must
// name its replies on the group's server, and they must be read to the
// end. The group vouches for its threads' messages, as for the Notes it
// relays when their authors' servers do not show them (announcedObject).
// Nobody is notified: it is old news.
func (a *App) keepRemoteThread(ctx context.Context, g *store.Group, item json.RawMessage, signer *ap.Signer) error {
	opening, ok := a.remoteThreadNote(g, item)
	if !ok || opening.Name == "" {
		return nil
	}
	if _, err := a.discussionByURI(ctx, g, opening.ID); err == nil {
		return nil // known already
	}
	var f struct {
		Replies json.RawMessage `json:"replies"`
	}
	_ = json.Unmarshal(item, &f)
	uri := refString(f.Replies)
	if uri == "" || !ap.SameHost(uri, g.URI) {
		return nil
	}
	items, ok := a.wholeCollection(ctx, uri, maxThreadMessages, signer)
	if !ok {
		return fmt.Errorf("the replies of %s could not be read whole", opening.ID)
	}
	notes := []*remoteThreadMessage{opening}
	for _, item := range items {
		n, ok := a.remoteThreadNote(g, item)
		if !ok || !ap.SameURL(n.context, opening.ID) {
			return fmt.Errorf("%s holds a message that cannot be read back here", uri)
		}
		notes = append(notes, n)
	}
	authors := map[string]int64{}
	for _, n := range notes {
		if _, ok := authors[n.actor]; ok {
			continue
		}
		info, err := a.remoteActor(ctx, n.actor, false)
		if err != nil {
			return err
		}
		authors[n.actor] = info.ID
	}
	d := &store.Discussion{URI: opening.ID, GroupID: g.ID, AuthorID: authors[opening.actor],
		Title: clipRunes(cleanSpace(opening.Name), maxDiscussionTitle)}
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		for i, n := range notes {
			m := &store.Message{URI: n.ID, DiscussionID: d.ID, AuthorID: authors[n.actor], BodyHTML: sanitizeHTML(n.Content),
				CreatedAt: n.Published}
			var err error
			if i == 0 {
				err = a.store.CreateDiscussionTx(ctx, tx, d, m)
			} else {
				err = a.store.AddMessageTx(ctx, tx, m)
			}
			if err != nil {
				return err // a message known in another thread: none of it is kept
			}
		}
		return nil
	})
}

// remoteThreadMessage is a discussion Note read back from a remote group.
type remoteThreadMessage struct {
	*ap.RemoteObject
	actor, context string
}

// remoteThreadNote checks that item is a discussion message of g, as
// storeRemoteMessage does for one relayed live: a Note attributed to the
// group, by an author of the Note's own server, which is not this one
// (messages written here are not read back from elsewhere).
func (a *App) remoteThreadNote(g *store.Group, item json.RawMessage) (*remoteThreadMessage, bool) {
	note, err := ap.ParseObject(item)
	if err != nil || !note.Is(ap.TypeNote) || len(note.AttributedTo) == 0 || !ap.SameURL(note.AttributedTo[0], g.URI) {
		return nil, false
	}
	var f struct {
		Actor   string `json:"actor"`
		Context string `json:"context"`
	}
	_ = json.Unmarshal(item, &f)
	if f.Actor == "" || !ap.SameHost(f.Actor, note.ID) || ap.SameHost(note.ID, a.cfg.BaseURL) {
		return nil, false
	}
	return &remoteThreadMessage{RemoteObject: note, actor: f.Actor, context: f.Context}, true
}

// wholeCollection reads every item of a collection, or says it could not:
// more than limit items, or fewer read than it counts.
func (a *App) wholeCollection(ctx context.Context, uri string, limit int, signer *ap.Signer) ([]json.RawMessage, bool) {
	raw, err := a.fed.fetcher.FetchObject(ctx, uri, signer)
	if err != nil {
		return nil, false
	}
	var c struct {
		TotalItems *int `json:"totalItems"`
	}
	if json.Unmarshal(raw, &c) != nil || c.TotalItems == nil || *c.TotalItems > limit {
		return nil, false
	}
	if *c.TotalItems == 0 {
		return nil, true
	}
	items, err := a.collectionItems(ctx, uri, *c.TotalItems, *c.TotalItems, signer)
	if err != nil || len(items) != *c.TotalItems {
		return nil, false
	}
	return items, true
}

// keepRemoteResources stores the resources of a remote group's
// collection (at uri) that this server does not have yet. Folders may be
// listed after what they hold: what waits for its folder is tried again
// once the others are in, as long as that helps.
func (a *App) keepRemoteResources(ctx context.Context, g *store.Group, uri string, items []json.RawMessage) {
	var waiting []remoteResource
	for _, item := range items {
		if obj, ok := parseRemoteResource(item); ok {
			waiting = append(waiting, obj)
		}
	}
	for len(waiting) > 0 {
		var next []remoteResource
		for _, obj := range waiting {
			inFolder := obj.Context != "" && !ap.SameURL(obj.Context, uri) && !ap.SameURL(obj.Context, g.URI)
			err := a.keepRemoteResource(ctx, g, obj, obj.Context, inFolder)
			var retry errRetry
			switch {
			case errors.As(err, &retry):
				next = append(next, obj)
			case err != nil:
				a.log.Info("a remote group's resource", "group", g.URI, "resource", obj.ID, "err", err)
			}
		}
		if len(next) == len(waiting) {
			return // their folders are not in the collection
		}
		waiting = next
	}
}

// keepRemoteModerators remembers who is moderator or administrator of a
// remote group, from its members collection.
func (a *App) keepRemoteModerators(ctx context.Context, g *store.Group, members []memberItem) error {
	roles := map[int64]store.RemoteRole{}
	for _, m := range members {
		if m.ID == "" || (m.Role != store.RoleModerator && m.Role != store.RoleAdministrator) || !ap.SameURL(m.Object, g.URI) {
			continue
		}
		if m.Actor == "" || ap.SameHost(m.Actor, a.cfg.BaseURL) {
			continue // our own people's memberships are ours to keep
		}
		info, err := a.remoteActor(ctx, m.Actor, false)
		if err != nil {
			a.log.Info("group moderator not reachable", "group", g.URI, "actor", m.Actor, "err", err)
			continue
		}
		roles[info.ID] = store.RemoteRole{Role: m.Role, URI: m.ID}
	}
	return a.store.Tx(ctx, func(tx *sql.Tx) error { return a.store.SetRemoteModeratorsTx(ctx, tx, g.ID, roles) })
}

// SyncRemoteGroups reads again every remote group people here are
// members of (the daily worker).
func (a *App) SyncRemoteGroups(ctx context.Context) error {
	groups, err := a.store.RemoteGroupsWithLocalMembers(ctx)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if _, err := a.syncRemoteGroup(ctx, g); err != nil {
			a.log.Info("reading a remote group", "group", g.URI, "err", err)
		}
	}
	return nil
}

// groupSyncWaits are the waits before each read of a remote group whose
// invitation someone here accepted. The group takes them in only once our
// Accept is delivered and processed there, and nothing tells us when:
// we read it a little later, and again a few times if it does not list
// them yet. After that the daily read takes over.
var groupSyncWaits = []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour}

// scheduleGroupSyncTx asks for a remote group to be read soon.
func (a *App) scheduleGroupSyncTx(ctx context.Context, tx *sql.Tx, g *store.Group) error {
	return a.store.ScheduleGroupSyncTx(ctx, tx, g.ID, a.now().Add(groupSyncWaits[0]))
}

// SyncDueGroups reads the remote groups due to be read (see
// groupSyncWaits) and returns how many it read. Tests call it to run the
// queue without waiting; the worker calls it when the next one is due.
func (a *App) SyncDueGroups(ctx context.Context) (int, error) {
	due, err := a.store.DueGroupSyncs(ctx)
	if err != nil {
		return 0, err
	}
	for _, gs := range due {
		admitted := true // a group forgotten meanwhile is not waited for
		g, err := a.store.GroupByID(ctx, gs.GroupID)
		if err == nil {
			admitted, err = a.syncRemoteGroup(ctx, g)
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			a.log.Info("reading a remote group", "group", gs.GroupID, "err", err)
		}
		if next := gs.Tries + 1; admitted || next >= len(groupSyncWaits) {
			err = a.store.GroupSyncDone(ctx, gs.GroupID)
		} else {
			err = a.store.GroupSyncAgain(ctx, gs.GroupID, a.now().Add(groupSyncWaits[next]))
		}
		if err != nil {
			return 0, err
		}
	}
	return len(due), nil
}
