package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Follow states.
const (
	FollowPending  = "pending"
	FollowAccepted = "accepted"
)

// Follow is one actor following another.
type Follow struct {
	ID          int64
	Follower    Actor
	Followed    Actor
	ActivityURI string
	State       string
	CreatedAt   time.Time
}

// SaveFollowTx records that follower follows followed (state pending or
// accepted). A repeated Follow (a peer that lost its state sends a new one)
// replaces the activity id and keeps an accepted follow accepted.
func (s *Store) SaveFollowTx(ctx context.Context, tx *sql.Tx, followerID, followedID int64, activityURI, state string) (*Follow, error) {
	now := s.unix()
	var accepted any
	if state == FollowAccepted {
		accepted = now
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO follows (follower_id, followed_id, activity_uri, state, created_at, accepted_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (follower_id, followed_id) DO UPDATE SET activity_uri = excluded.activity_uri,
		  state = CASE WHEN follows.state = 'accepted' THEN 'accepted' ELSE excluded.state END,
		  accepted_at = coalesce(follows.accepted_at, excluded.accepted_at)`,
		followerID, followedID, activityURI, state, now, accepted)
	if err != nil {
		return nil, fmt.Errorf("save follow: %w", err)
	}
	return s.followWhere(ctx, tx, `f.follower_id = ? AND f.followed_id = ?`, followerID, followedID)
}

const followColumns = `f.id, f.activity_uri, f.state, f.created_at, ` + actorColumns + `, ` +
	`b.id, b.kind, b.username, b.domain, coalesce(b.account_id, 0), b.display_name, b.bio,
	coalesce((SELECT uuid FROM media WHERE id = b.avatar_id), ''), coalesce(b.uri, ''), b.inbox_url,
	b.shared_inbox_url, b.manually_approves, b.created_at, b.updated_at`

const followFrom = ` FROM follows f JOIN actors a ON a.id = f.follower_id JOIN actors b ON b.id = f.followed_id `

func scanFollow(row interface{ Scan(...any) error }) (*Follow, error) {
	var f Follow
	var created int64
	var follower, followed *Actor
	// Two actors in one row: scan the follower with the usual columns, then
	// the followed one with the same shape.
	var rest []any
	follower, err := scanActor(scanFunc(func(dest ...any) error {
		fdest := []any{&f.ID, &f.ActivityURI, &f.State, &created}
		var bdest Actor
		var bc, bu int64
		rest = []any{&bdest.ID, &bdest.Kind, &bdest.Username, &bdest.Domain, &bdest.AccountID, &bdest.DisplayName,
			&bdest.Bio, &bdest.AvatarUUID, &bdest.URI, &bdest.InboxURL, &bdest.SharedInboxURL, &bdest.ManuallyApproves, &bc, &bu}
		if err := row.Scan(append(append(fdest, dest...), rest...)...); err != nil {
			return err
		}
		bdest.CreatedAt = time.Unix(bc, 0).UTC()
		bdest.UpdatedAt = time.Unix(bu, 0).UTC()
		followed = &bdest
		return nil
	}))
	if err != nil {
		return nil, err
	}
	f.Follower, f.Followed = *follower, *followed
	f.CreatedAt = time.Unix(created, 0).UTC()
	return &f, nil
}

func (s *Store) followWhere(ctx context.Context, q queryer, where string, args ...any) (*Follow, error) {
	return scanFollow(q.QueryRowContext(ctx, `SELECT `+followColumns+followFrom+`WHERE `+where, args...))
}

// FollowByActivity returns the follow a Follow activity created.
func (s *Store) FollowByActivity(ctx context.Context, activityURI string) (*Follow, error) {
	return s.followWhere(ctx, s.db, `f.activity_uri = ?`, activityURI)
}

// FollowBetween returns the follow of follower to followed.
func (s *Store) FollowBetween(ctx context.Context, followerID, followedID int64) (*Follow, error) {
	return s.followWhere(ctx, s.db, `f.follower_id = ? AND f.followed_id = ?`, followerID, followedID)
}

// FollowByID returns one follow.
func (s *Store) FollowByID(ctx context.Context, id int64) (*Follow, error) {
	return s.followWhere(ctx, s.db, `f.id = ?`, id)
}

// AcceptFollow marks a follow accepted.
func (s *Store) AcceptFollow(ctx context.Context, id int64) error {
	return s.Tx(ctx, func(tx *sql.Tx) error { return s.AcceptFollowTx(ctx, tx, id) })
}

// AcceptFollowTx marks a follow accepted inside a caller's transaction.
func (s *Store) AcceptFollowTx(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE follows SET state = 'accepted', accepted_at = coalesce(accepted_at, ?) WHERE id = ?`, s.unix(), id)
	if err != nil {
		return fmt.Errorf("accept follow: %w", err)
	}
	return nil
}

// DeleteFollowTx removes a follow (an Undo, a Reject, an unfollow).
func (s *Store) DeleteFollowTx(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM follows WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete follow: %w", err)
	}
	return nil
}

// DeleteFollow removes a follow on its own.
func (s *Store) DeleteFollow(ctx context.Context, id int64) error {
	return s.Tx(ctx, func(tx *sql.Tx) error { return s.DeleteFollowTx(ctx, tx, id) })
}

// Followers lists who follows an actor (state "" for any), newest first.
func (s *Store) Followers(ctx context.Context, actorID int64, state string, limit, offset int) ([]Follow, error) {
	return s.listFollows(ctx, `f.followed_id = ? AND (? = '' OR f.state = ?)`, []any{actorID, state, state}, limit, offset)
}

// Following lists whom an actor follows (state "" for any), newest first.
func (s *Store) Following(ctx context.Context, actorID int64, state string, limit, offset int) ([]Follow, error) {
	return s.listFollows(ctx, `f.follower_id = ? AND (? = '' OR f.state = ?)`, []any{actorID, state, state}, limit, offset)
}

func (s *Store) listFollows(ctx context.Context, where string, args []any, limit, offset int) ([]Follow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+followColumns+followFrom+`WHERE `+where+
		` ORDER BY f.id DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, fmt.Errorf("list follows: %w", err)
	}
	defer rows.Close()
	var out []Follow
	for rows.Next() {
		f, err := scanFollow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *f)
	}
	return out, rows.Err()
}

// CountFollowers counts an actor's accepted followers.
func (s *Store) CountFollowers(ctx context.Context, actorID int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM follows WHERE followed_id = ? AND state = 'accepted'`, actorID).Scan(&n)
	return n, err
}

// CountPendingFollowers counts the follow requests an actor has not
// answered yet.
func (s *Store) CountPendingFollowers(ctx context.Context, actorID int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM follows WHERE followed_id = ? AND state = 'pending'`, actorID).Scan(&n)
	return n, err
}

// CountFollowing counts the accepted follows of an actor.
func (s *Store) CountFollowing(ctx context.Context, actorID int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM follows WHERE follower_id = ? AND state = 'accepted'`, actorID).Scan(&n)
	return n, err
}

// IsFollowedLocally tells whether any local actor follows (or asked to
// follow) the remote actor: only then do we keep what it publishes.
func (s *Store) IsFollowedLocally(ctx context.Context, actorID int64) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM follows f JOIN actors a ON a.id = f.follower_id
		WHERE f.followed_id = ? AND a.domain = ''`, actorID).Scan(&n)
	return n > 0, err
}
