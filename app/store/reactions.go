package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Kinds of reaction to an event from the fediverse.
const (
	ReactionLike     = "like"
	ReactionAnnounce = "announce"
)

// Reaction is one actor's Like or Announce of one of our events.
type Reaction struct {
	EventID     int64
	ActorID     int64
	Kind        string
	ActivityURI string
}

// SaveReaction records a Like or Announce; the same actor liking (or
// announcing) the same event again changes nothing but the activity it is
// known by, so that the newest one's Undo removes it.
func (s *Store) SaveReaction(ctx context.Context, r Reaction) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO event_reactions (event_id, actor_id, kind, activity_uri, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (event_id, actor_id, kind) DO UPDATE SET activity_uri = excluded.activity_uri`,
		r.EventID, r.ActorID, r.Kind, r.ActivityURI, s.unix())
	if isUniqueViolation(err) {
		return nil // that very activity is already counted
	}
	if err != nil {
		return fmt.Errorf("save reaction: %w", err)
	}
	return nil
}

// ReactionByActivity finds a reaction by the Like or Announce id.
func (s *Store) ReactionByActivity(ctx context.Context, uri string) (*Reaction, error) {
	var r Reaction
	err := s.db.QueryRowContext(ctx, `SELECT event_id, actor_id, kind, activity_uri FROM event_reactions WHERE activity_uri = ?`, uri).
		Scan(&r.EventID, &r.ActorID, &r.Kind, &r.ActivityURI)
	if err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// DeleteReaction removes one actor's reaction of a kind to an event.
func (s *Store) DeleteReaction(ctx context.Context, eventID, actorID int64, kind string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM event_reactions WHERE event_id = ? AND actor_id = ? AND kind = ?`, eventID, actorID, kind)
	if err != nil {
		return fmt.Errorf("delete reaction: %w", err)
	}
	return nil
}

// ReactionCounts is how many liked and announced an event.
type ReactionCounts struct{ Likes, Announces int }

// CountReactions counts an event's likes and announces.
func (s *Store) CountReactions(ctx context.Context, eventID int64) (ReactionCounts, error) {
	var c ReactionCounts
	err := s.db.QueryRowContext(ctx, `SELECT
		coalesce(sum(kind = 'like'), 0), coalesce(sum(kind = 'announce'), 0)
		FROM event_reactions WHERE event_id = ?`, eventID).Scan(&c.Likes, &c.Announces)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("count reactions: %w", err)
	}
	return c, nil
}
