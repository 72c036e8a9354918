package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Kinds of what waits for someone.
const (
	WaitingJoinRequest       = "join_request"       // someone asks to join my event
	WaitingAccepted          = "accepted"           // my participation was confirmed
	WaitingRejected          = "rejected"           // my participation was refused
	WaitingGroupInvitation   = "group_invitation"   // a group invites me
	WaitingMembershipRequest = "membership_request" // someone asks to join a group I moderate
	WaitingMessages          = "messages"           // new messages in my groups' discussions
	WaitingHeldComments      = "held_comments"      // comments on my events wait for approval
	WaitingReport            = "report"             // moderators: an open report
	WaitingHeldEvent         = "held_event"         // moderators: an event waits for review
)

// WaitingItem is one thing that waits for a person: Link is where to act.
// Open items (requests, reports) count until they are answered; news
// (decisions, messages) count until the person has seen the list.
type WaitingItem struct {
	Kind  string
	Title string // the event, group, discussion or report it is about
	Link  string
	Count int // how many of this kind on this subject
	At    time.Time
	New   bool // counts in the badge
	// IdentityID is the identity it is for (0: the account's, such as
	// a report for a moderator).
	IdentityID int64
}

// waitingSQL lists what waits for account ?1 (seen the list last at ?2,
// an administrator when ?3), one row per kind and subject. Paths of
// groups follow app.groupPath: /groups/name, or name@host for a remote one.
const waitingSQL = `
WITH mine AS (SELECT id FROM actors WHERE account_id = ?1),
     my_groups AS (SELECT gm.group_id, gm.role, gm.created_at, gm.actor_id FROM group_members gm WHERE gm.actor_id IN (SELECT id FROM mine))
SELECT 'join_request' AS kind, e.title AS title, '/events/' || e.uuid || '/participants' AS link,
       count(*) AS n, max(p.created_at) AS at, 1 AS fresh, e.organizer_id AS who
  FROM participations p JOIN events e ON e.id = p.event_id
 WHERE p.state = 'pending' AND e.organizer_id IN (SELECT id FROM mine)
 GROUP BY e.id
UNION ALL
SELECT n.kind, e.title, '/events/' || e.uuid, 1, n.created_at, n.created_at > ?2, n.actor_id
  FROM notifications n JOIN events e ON e.id = n.event_id
 WHERE n.actor_id IN (SELECT id FROM mine) AND n.kind IN ('accepted', 'rejected') AND n.created_at > ?2 - 30 * 86400
UNION ALL
SELECT 'group_invitation', coalesce(nullif(g.display_name, ''), g.username),
       '/groups/' || g.username || CASE WHEN g.domain = '' THEN '' ELSE '@' || g.domain END, 1, mg.created_at, 1, mg.actor_id
  FROM my_groups mg JOIN actors g ON g.id = mg.group_id
 WHERE mg.role = 'invited'
UNION ALL
SELECT 'membership_request', coalesce(nullif(g.display_name, ''), g.username),
       '/groups/' || g.username || CASE WHEN g.domain = '' THEN '' ELSE '@' || g.domain END || '/members', count(*), max(gm.created_at), 1, max(mg.actor_id)
  FROM my_groups mg JOIN group_members gm ON gm.group_id = mg.group_id AND gm.role = 'pending'
  JOIN actors g ON g.id = mg.group_id
 WHERE mg.role IN ('administrator', 'moderator')
 GROUP BY g.id
UNION ALL
SELECT 'messages', d.title,
       '/groups/' || g.username || CASE WHEN g.domain = '' THEN '' ELSE '@' || g.domain END || '/discussions/' || d.slug,
       count(*), max(m.created_at), 1, max(mg.actor_id)
  FROM my_groups mg JOIN discussions d ON d.group_id = mg.group_id
  JOIN discussion_messages m ON m.discussion_id = d.id
  JOIN actors g ON g.id = d.group_id
 WHERE mg.role IN ('member', 'moderator', 'administrator') AND m.created_at > max(?2, mg.created_at)
   AND m.author_id NOT IN (SELECT id FROM mine)
 GROUP BY d.id
UNION ALL
SELECT 'held_comments', e.title, '/events/' || e.uuid || '/comments', count(*), max(c.created_at), 1, e.organizer_id
  FROM comments c JOIN events e ON e.id = c.event_id
 WHERE c.state = 'held' AND e.organizer_id IN (SELECT id FROM mine)
 GROUP BY e.id
UNION ALL
SELECT 'report', r.target_title, '/admin/reports/' || r.id, 1, r.created_at, 1, 0
  FROM reports r WHERE ?3 AND r.status = 'open'
UNION ALL
SELECT 'held_event', e.title, '/admin/reports', 1, h.held_at, 1, 0
  FROM held_events h JOIN events e ON e.id = h.event_id WHERE ?3`

// WaitingFor lists what waits for an account, newest first (at most
// limit rows). seenAt is when it last looked at the list.
func (s *Store) WaitingFor(ctx context.Context, accountID int64, isAdmin bool, seenAt time.Time, limit int) ([]WaitingItem, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT * FROM (`+waitingSQL+`) ORDER BY at DESC LIMIT ?4`,
		accountID, seenAt.Unix(), isAdmin, limit)
	if err != nil {
		return nil, fmt.Errorf("waiting items: %w", err)
	}
	defer rows.Close()
	var out []WaitingItem
	for rows.Next() {
		var it WaitingItem
		var at int64
		if err := rows.Scan(&it.Kind, &it.Title, &it.Link, &it.Count, &at, &it.New, &it.IdentityID); err != nil {
			return nil, err
		}
		it.At = time.Unix(at, 0).UTC()
		out = append(out, it)
	}
	return out, rows.Err()
}

// CountWaiting is the number the header's badge shows: open items and
// news the account has not seen.
func (s *Store) CountWaiting(ctx context.Context, accountID int64, isAdmin bool, seenAt time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(CASE WHEN fresh THEN n ELSE 0 END), 0) FROM (`+waitingSQL+`)`, accountID, seenAt.Unix(), isAdmin).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count waiting: %w", err)
	}
	return n, nil
}

// WaitingSeenAt is when the account last looked at what waits for it.
func (s *Store) WaitingSeenAt(ctx context.Context, accountID int64) (time.Time, error) {
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT waiting_seen_at FROM accounts WHERE id = ?`, accountID).Scan(&at)
	if err != nil {
		return time.Time{}, notFound(err)
	}
	return time.Unix(at, 0).UTC(), nil
}

// MarkWaitingSeen records that the account saw its list at seenAt: news
// up to then stop counting.
func (s *Store) MarkWaitingSeen(ctx context.Context, accountID int64, seenAt time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE accounts SET waiting_seen_at = max(waiting_seen_at, ?) WHERE id = ?`, seenAt.Unix(), accountID)
	return err
}

// NotificationPref is how one identity wants to be emailed about one kind
// of waiting item.
type NotificationPref struct {
	IdentityID  int64
	AccountID   int64
	Kind        string
	Mode        string // "now" or "digest"
	MailedUntil time.Time
}

// NotificationPrefs returns an identity's choices by kind (a kind not in
// the map is not emailed).
func (s *Store) NotificationPrefs(ctx context.Context, identityID int64) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, mode FROM notification_prefs WHERE identity_id = ?`, identityID)
	if err != nil {
		return nil, fmt.Errorf("notification prefs: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, m string
		if err := rows.Scan(&k, &m); err != nil {
			return nil, err
		}
		out[k] = m
	}
	return out, rows.Err()
}

// SetNotificationPref records a choice; mode "" (or "none") stops the
// mails. What already waits is not mailed: only what comes from now on.
func (s *Store) SetNotificationPref(ctx context.Context, identityID int64, kind, mode string) error {
	if mode == "" || mode == "none" {
		_, err := s.db.ExecContext(ctx, `DELETE FROM notification_prefs WHERE identity_id = ? AND kind = ?`, identityID, kind)
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO notification_prefs (identity_id, kind, mode, mailed_until) VALUES (?1, ?2, ?3, ?4)
		ON CONFLICT (identity_id, kind) DO UPDATE SET mode = ?3`, identityID, kind, mode, s.unix())
	return err
}

// NotificationPrefsByMode lists every choice of a mode, by account.
func (s *Store) NotificationPrefsByMode(ctx context.Context, mode string) ([]NotificationPref, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT p.identity_id, a.account_id, p.kind, p.mode, p.mailed_until
		FROM notification_prefs p JOIN actors a ON a.id = p.identity_id
		WHERE p.mode = ? AND a.account_id IS NOT NULL ORDER BY a.account_id, p.identity_id`, mode)
	if err != nil {
		return nil, fmt.Errorf("notification prefs by mode: %w", err)
	}
	defer rows.Close()
	var out []NotificationPref
	for rows.Next() {
		var p NotificationPref
		var until int64
		if err := rows.Scan(&p.IdentityID, &p.AccountID, &p.Kind, &p.Mode, &until); err != nil {
			return nil, err
		}
		p.MailedUntil = time.Unix(until, 0).UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// MarkNotifiedTx records that items up to until were mailed.
func (s *Store) MarkNotifiedTx(ctx context.Context, tx *sql.Tx, identityID int64, kind string, until time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE notification_prefs SET mailed_until = max(mailed_until, ?) WHERE identity_id = ? AND kind = ?`,
		until.Unix(), identityID, kind)
	return err
}
