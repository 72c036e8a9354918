package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"convene/app/ap"
	"convene/app/store"
)

// A remote group's events come from its moderators: Mobilizon sends a
// group event as a Create whose actor is the moderator and whose
// attributedTo is the group. To take such a Create as the group's, this
// server must know who moderates the group. It learns it from the
// group's members collection, which the group serves only to its
// members: so it reads it signed as one of its own people who is a
// member, when that person is let in and again every day.

// maxMemberPages bounds how much of a remote members collection is read:
// a group with more than this many pages of members is read in part.
const maxMemberPages = 20

// syncRemoteModerators reads a remote group's members collection as one
// of its local members and remembers who is moderator or administrator
// there.
func (a *App) syncRemoteModerators(ctx context.Context, g *store.Group) error {
	if g.IsLocal() || g.MembersURL == "" {
		return nil
	}
	if !ap.SameHost(g.MembersURL, g.URI) {
		return fmt.Errorf("members collection %s is not on the group's server", g.MembersURL)
	}
	member, err := a.store.LocalMemberOf(ctx, g.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // nobody here can read it
	}
	if err != nil {
		return err
	}
	signer, err := a.signer(ctx, member)
	if err != nil {
		return err
	}
	items, err := a.collectionItems(ctx, g.MembersURL, maxMemberPages, maxMemberPages*100, signer)
	if err != nil {
		return err
	}
	roles := map[int64]store.RemoteRole{}
	for _, raw := range items {
		var m struct {
			Type   string          `json:"type"`
			ID     string          `json:"id"`
			Actor  json.RawMessage `json:"actor"`
			Object json.RawMessage `json:"object"`
			Role   string          `json:"role"`
		}
		if json.Unmarshal(raw, &m) != nil || m.Type != "Member" || m.ID == "" {
			continue
		}
		role := m.Role
		if role == "creator" {
			role = store.RoleAdministrator
		}
		if role != store.RoleModerator && role != store.RoleAdministrator {
			continue
		}
		if !ap.SameURL(refString(m.Object), g.URI) {
			continue
		}
		who := refString(m.Actor)
		if who == "" || ap.SameHost(who, a.cfg.BaseURL) {
			continue // our own people's memberships are ours to keep
		}
		info, err := a.remoteActor(ctx, who, false)
		if err != nil {
			a.log.Info("group moderator not reachable", "group", g.URI, "actor", who, "err", err)
			continue
		}
		roles[info.ID] = store.RemoteRole{Role: role, URI: m.ID}
	}
	return a.store.Tx(ctx, func(tx *sql.Tx) error { return a.store.SetRemoteModeratorsTx(ctx, tx, g.ID, roles) })
}

// SyncRemoteModerators refreshes who moderates every remote group people
// here are members of (the daily worker).
func (a *App) SyncRemoteModerators(ctx context.Context) error {
	groups, err := a.store.RemoteGroupsWithLocalMembers(ctx)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if err := a.syncRemoteModerators(ctx, g); err != nil {
			a.log.Info("reading a remote group's members", "group", g.URI, "err", err)
		}
	}
	return nil
}
