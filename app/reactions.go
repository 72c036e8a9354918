package app

// Likes and Announces (boosts) of our events from the fediverse are
// counted, one per actor and kind, and shown on the event page; an Undo
// by the same actor takes one back.

import (
	"context"
	"errors"

	"convene/app/ap"
	"convene/app/store"
)

func init() {
	chainInboxHandler("Like", func(a *App, ctx context.Context, in *incoming) (bool, error) {
		return a.receiveReaction(ctx, in, store.ReactionLike)
	})
	chainInboxHandler("Announce", func(a *App, ctx context.Context, in *incoming) (bool, error) {
		return a.receiveReaction(ctx, in, store.ReactionAnnounce)
	})
	for _, key := range []string{"Undo", "Undo Like", "Undo Announce"} {
		chainInboxHandler(key, (*App).receiveUndoReaction)
	}
}

// receiveReaction counts a Like or Announce of one of our events.
func (a *App) receiveReaction(ctx context.Context, in *incoming, kind string) (bool, error) {
	e, err := a.ourEventByURI(ctx, in.Activity.Object.ID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if !a.eventServable(e) {
		return true, nil
	}
	return true, a.store.SaveReaction(ctx, store.Reaction{EventID: e.ID, ActorID: in.Actor.ID, Kind: kind, ActivityURI: in.Activity.ID})
}

// receiveUndoReaction takes back a Like or Announce, named by its id or
// embedded whole; only its own actor may.
func (a *App) receiveUndoReaction(ctx context.Context, in *incoming) (bool, error) {
	ref := in.Activity.Object
	r, err := a.store.ReactionByActivity(ctx, ref.ID)
	if errors.Is(err, store.ErrNotFound) && ref.Embedded() {
		if act, perr := ap.ParseActivity(ref.Raw); perr == nil && (act.Is(ap.TypeLike) || act.Is(ap.TypeAnnounce)) {
			if e, eerr := a.ourEventByURI(ctx, act.Object.ID); eerr == nil {
				kind := store.ReactionLike
				if act.Is(ap.TypeAnnounce) {
					kind = store.ReactionAnnounce
				}
				r, err = &store.Reaction{EventID: e.ID, ActorID: in.Actor.ID, Kind: kind}, nil
			}
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if r.ActorID != in.Actor.ID {
		return true, nil // someone else's Undo changes nothing
	}
	return true, a.store.DeleteReaction(ctx, r.EventID, r.ActorID, r.Kind)
}
