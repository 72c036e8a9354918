package app

// Renaming and moving a group's resources over federation (acceptance 16
// of specs/groups.md): a rename is an Update of the resource, a move a
// Move with origin and target. Both go to the group's members only, with
// the resource's creator as actor, as Mobilizon sends and expects them.
// Create, Add and Delete are in group_federation.go.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"convene/app/ap"
	"convene/app/store"
	"convene/app/weburl"

	"github.com/google/uuid"
)

// resourceSender is who signs an activity about r: its creator, as
// Mobilizon has it even when someone else renames or moves it, or the
// member acting when the creator is not one of ours.
func (a *App) resourceSender(ctx context.Context, r *store.Resource, by *store.Actor) *store.Actor {
	if creator, err := a.store.ActorByID(ctx, r.CreatorID); err == nil && creator.IsLocal() {
		return creator
	}
	return by
}

// federateResourceUpdateTx tells the group's remote members of a renamed
// resource.
func (a *App) federateResourceUpdateTx(ctx context.Context, tx *sql.Tx, g *store.Group, r *store.Resource, by *store.Actor) error {
	if !g.IsLocal() {
		return nil
	}
	members, err := a.store.MemberInboxesTx(ctx, tx, g.ID)
	if err != nil || len(members) == 0 {
		return err
	}
	sender := a.resourceSender(ctx, r, by)
	obj := a.resourceObject(ctx, g, r)
	// A fresh id each time: receivers drop an activity id seen before.
	return a.sendTx(ctx, tx, sender, ap.NewResourceUpdate(obj.ID+"/update/"+uuid.NewString(), a.actorURI(sender), obj,
		[]string{a.groupCollectionURI(g, "members")}), members)
}

// federateResourceMoveTx tells the group's remote members that r went
// from the folder oldParent (0: the root) to where it is now.
func (a *App) federateResourceMoveTx(ctx context.Context, tx *sql.Tx, g *store.Group, r *store.Resource, oldParent int64, by *store.Actor) error {
	if !g.IsLocal() {
		return nil
	}
	members, err := a.store.MemberInboxesTx(ctx, tx, g.ID)
	if err != nil || len(members) == 0 {
		return err
	}
	folderID := func(id int64) string { // "": the root
		if id == 0 {
			return ""
		}
		if f, err := a.store.ResourceByID(ctx, id); err == nil {
			return a.resourceURI(g, f)
		}
		return ""
	}
	sender := a.resourceSender(ctx, r, by)
	obj := a.resourceObject(ctx, g, r)
	return a.sendTx(ctx, tx, sender, ap.NewResourceMove(obj.ID+"/move/"+uuid.NewString(), a.actorURI(sender), obj,
		folderID(oldParent), folderID(r.ParentID), []string{a.groupCollectionURI(g, "members")}), members)
}

// remoteResourceToChange is the resource of a remote group that an Update
// or Move names, nil when we do not keep it (not our business). Only the
// group's own server may change it.
func (a *App) remoteResourceToChange(ctx context.Context, in *incoming, id string) (*store.Resource, *store.Group, error) {
	if id == "" {
		return nil, nil, nil
	}
	r, err := a.store.ResourceByURI(ctx, id)
	if err != nil {
		return nil, nil, nil
	}
	g, err := a.fromRemoteGroupServer(ctx, in, r.GroupID)
	if err != nil {
		return nil, nil, err
	}
	return r, g, nil
}

// receiveGroupResourceUpdate renames a remote group's resource (and
// re-addresses a link).
func (a *App) receiveGroupResourceUpdate(ctx context.Context, in *incoming) (bool, error) {
	if in.Object == nil {
		return false, nil
	}
	var obj struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Summary string `json:"summary"`
		URL     string `json:"url"`
	}
	if json.Unmarshal(in.Object.Raw, &obj) != nil {
		return false, nil
	}
	r, _, err := a.remoteResourceToChange(ctx, in, obj.ID)
	if r == nil {
		return err != nil, err
	}
	before := *r
	r.Title, r.Description = clipRunes(cleanSpace(obj.Name), maxResourceTitle), clipRunes(obj.Summary, maxResourceDescription)
	if r.Kind == store.ResourceLink {
		if r.URL = weburl.Check(obj.URL); r.URL == "" {
			return true, errors.New("resource update without a web address")
		}
	}
	if r.Title == "" {
		r.Title = r.URL
	}
	if r.Title == "" {
		return true, errors.New("folder update without a name")
	}
	return true, a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.UpdateResourceTx(ctx, tx, r); err != nil {
			return err
		}
		return a.logResourceChangeTx(ctx, tx, r, &before, in.Actor.ID)
	})
}

// receiveGroupResourceMove moves a remote group's resource into the
// target folder, or to the root when there is none.
func (a *App) receiveGroupResourceMove(ctx context.Context, in *incoming) (bool, error) {
	r, g, err := a.remoteResourceToChange(ctx, in, in.Activity.Object.ID)
	if r == nil {
		return err != nil, err
	}
	target := in.Activity.Target.ID
	var folder *store.Resource
	if target != "" && !ap.SameURL(target, a.groupCollectionURI(g, "resources")) {
		folder, err = a.store.ResourceByURI(ctx, target)
		switch {
		case errors.Is(err, store.ErrNotFound):
			// Deliveries may cross: the folder's Create can come after.
			return true, errRetry{fmt.Errorf("folder %s not known yet", target)}
		case err != nil:
			return true, err
		case folder.GroupID != g.ID || folder.Kind != store.ResourceFolder:
			return true, fmt.Errorf("move of %s into %s, not a folder of its group", r.URI, target)
		}
	}
	errLoop := fmt.Errorf("move of %s into itself or one of its own folders", r.URI)
	before := *r
	return true, a.store.Tx(ctx, func(tx *sql.Tx) error {
		r.ParentID = 0
		if folder != nil {
			if inside, err := a.store.ResourceWithinTx(ctx, tx, folder.ID, r.ID); err != nil {
				return err
			} else if inside {
				return errLoop
			}
			r.ParentID = folder.ID
		}
		if err := a.store.UpdateResourceTx(ctx, tx, r); err != nil {
			return err
		}
		return a.logResourceChangeTx(ctx, tx, r, &before, in.Actor.ID)
	})
}

func init() {
	chainInboxHandler("Update Document", (*App).receiveGroupResourceUpdate)
	chainInboxHandler("Update ResourceCollection", (*App).receiveGroupResourceUpdate)
	chainInboxHandler("Move", (*App).receiveGroupResourceMove)
}
