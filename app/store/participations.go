package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Participation states. A visitor without an account is 'unconfirmed'
// until they follow the emailed link; only 'confirmed' counts as coming.
const (
	ParticipationUnconfirmed = "unconfirmed"
	ParticipationInvited     = "invited"
	ParticipationPending     = "pending"
	ParticipationConfirmed   = "confirmed"
	ParticipationRejected    = "rejected"
	ParticipationCancelled   = "cancelled"
)

// Participation is someone saying they are coming to an event: an
// identity (ActorID set) or a visitor known by Email.
type Participation struct {
	ID      int64
	EventID int64
	ActorID int64  // 0 for a visitor without an account
	Actor   *Actor // filled by reads when ActorID is set
	// Name is the name a visitor gave (possibly empty).
	Name string
	// Anonymous: the participant asked not to appear in the public list
	// of participants; organisers still see who they are.
	Anonymous bool
	Email     string // visitors only; shown to organisers only
	State     string
	Message   string // to the organiser

	// Hashes of the visitor's one-time links; empty when none.
	ConfirmTokenHash string
	ConfirmExpiresAt time.Time
	CancelTokenHash  string

	CreatedAt time.Time
	UpdatedAt time.Time
}

// IsAnonymous tells whether the participant has no account here.
func (p *Participation) IsAnonymous() bool { return p.ActorID == 0 }

// Counts tells whether the participation counts as coming.
func (p *Participation) Counts() bool { return p.State == ParticipationConfirmed }

const participationColumns = `p.id, p.event_id, coalesce(p.actor_id, 0), p.name, coalesce(p.email, ''), p.state, p.message,
	coalesce(p.confirm_token_hash, ''), coalesce(p.confirm_expires_at, 0), coalesce(p.cancel_token_hash, ''),
	p.created_at, p.updated_at, p.anonymous`

func scanParticipation(row interface{ Scan(...any) error }) (*Participation, error) {
	var p Participation
	var expires, created, updated int64
	err := row.Scan(&p.ID, &p.EventID, &p.ActorID, &p.Name, &p.Email, &p.State, &p.Message,
		&p.ConfirmTokenHash, &expires, &p.CancelTokenHash, &created, &updated, &p.Anonymous)
	if err != nil {
		return nil, notFound(err)
	}
	if expires != 0 {
		p.ConfirmExpiresAt = time.Unix(expires, 0).UTC()
	}
	p.CreatedAt = time.Unix(created, 0).UTC()
	p.UpdatedAt = time.Unix(updated, 0).UTC()
	return &p, nil
}

func (s *Store) fillParticipants(ctx context.Context, q queryer, ps []*Participation) error {
	for _, p := range ps {
		if p.ActorID == 0 {
			continue
		}
		a, err := scanActor(q.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM actors a WHERE a.id = ?`, p.ActorID))
		if err != nil {
			return fmt.Errorf("participant %d: %w", p.ActorID, err)
		}
		p.Actor = a
	}
	return nil
}

func (s *Store) oneParticipation(ctx context.Context, q queryer, where string, args ...any) (*Participation, error) {
	p, err := scanParticipation(q.QueryRowContext(ctx, `SELECT `+participationColumns+` FROM participations p WHERE `+where, args...))
	if err != nil {
		return nil, err
	}
	if err := s.fillParticipants(ctx, q, []*Participation{p}); err != nil {
		return nil, err
	}
	return p, nil
}

// ParticipationOf returns an identity's participation in an event.
func (s *Store) ParticipationOf(ctx context.Context, eventID, actorID int64) (*Participation, error) {
	return s.oneParticipation(ctx, s.db, `p.event_id = ? AND p.actor_id = ?`, eventID, actorID)
}

// ParticipationOfTx is ParticipationOf inside a transaction.
func (s *Store) ParticipationOfTx(ctx context.Context, tx *sql.Tx, eventID, actorID int64) (*Participation, error) {
	return s.oneParticipation(ctx, tx, `p.event_id = ? AND p.actor_id = ?`, eventID, actorID)
}

// ParticipationByEmailTx finds a visitor's participation by email, in any
// letter case.
func (s *Store) ParticipationByEmailTx(ctx context.Context, tx *sql.Tx, eventID int64, email string) (*Participation, error) {
	return s.oneParticipation(ctx, tx, `p.event_id = ? AND lower(p.email) = lower(?)`, eventID, email)
}

// ParticipationByID returns one participation.
func (s *Store) ParticipationByID(ctx context.Context, id int64) (*Participation, error) {
	return s.oneParticipation(ctx, s.db, `p.id = ?`, id)
}

// ParticipationByIDTx is ParticipationByID inside a transaction.
func (s *Store) ParticipationByIDTx(ctx context.Context, tx *sql.Tx, id int64) (*Participation, error) {
	return s.oneParticipation(ctx, tx, `p.id = ?`, id)
}

// ParticipationByConfirmSecret finds the participation a confirmation
// link belongs to (expired or not: the caller says which it is).
func (s *Store) ParticipationByConfirmSecret(ctx context.Context, secret string) (*Participation, error) {
	return s.oneParticipation(ctx, s.db, `p.confirm_token_hash = ?`, HashSecret(secret))
}

// ParticipationByConfirmSecretTx is ParticipationByConfirmSecret inside a transaction.
func (s *Store) ParticipationByConfirmSecretTx(ctx context.Context, tx *sql.Tx, secret string) (*Participation, error) {
	return s.oneParticipation(ctx, tx, `p.confirm_token_hash = ?`, HashSecret(secret))
}

// cancelSecretSQL finds a participation by the hash of a cancel link: the
// one sent when joining, or the one in its reminder.
const cancelSecretSQL = `(p.cancel_token_hash = ?1 OR p.id = (SELECT participation_id FROM participation_reminders WHERE cancel_token_hash = ?1))`

// ParticipationByCancelSecret finds the participation a cancel link belongs to.
func (s *Store) ParticipationByCancelSecret(ctx context.Context, secret string) (*Participation, error) {
	return s.oneParticipation(ctx, s.db, cancelSecretSQL, HashSecret(secret))
}

// ParticipationByCancelSecretTx is ParticipationByCancelSecret inside a transaction.
func (s *Store) ParticipationByCancelSecretTx(ctx context.Context, tx *sql.Tx, secret string) (*Participation, error) {
	return s.oneParticipation(ctx, tx, cancelSecretSQL, HashSecret(secret))
}

// ConfirmedCount is how many are coming to an event.
func (s *Store) ConfirmedCount(ctx context.Context, eventID int64) (int, error) {
	return confirmedCount(ctx, s.db, eventID)
}

// ConfirmedCountTx is ConfirmedCount inside the transaction that is about
// to add someone: with immediate transactions no other writer can slip in
// between the count and the insert.
func (s *Store) ConfirmedCountTx(ctx context.Context, tx *sql.Tx, eventID int64) (int, error) {
	return confirmedCount(ctx, tx, eventID)
}

func confirmedCount(ctx context.Context, q queryer, eventID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM participations WHERE event_id = ? AND state = 'confirmed'`, eventID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count participants: %w", err)
	}
	return n, nil
}

// InsertParticipationTx stores a new participation and sets its ID;
// ErrConflict when that identity or email already has one for the event.
func (s *Store) InsertParticipationTx(ctx context.Context, tx *sql.Tx, p *Participation) error {
	now := s.now().UTC().Truncate(time.Second)
	p.CreatedAt, p.UpdatedAt = now, now
	res, err := tx.ExecContext(ctx, `
		INSERT INTO participations (event_id, actor_id, name, email, state, message, confirm_token_hash,
		  confirm_expires_at, cancel_token_hash, created_at, updated_at, anonymous)
		VALUES (?, nullif(?, 0), ?, nullif(?, ''), ?, ?, nullif(?, ''), nullif(?, 0), nullif(?, ''), ?, ?, ?)`,
		p.EventID, p.ActorID, p.Name, p.Email, p.State, p.Message, p.ConfirmTokenHash, unixOrZero(p.ConfirmExpiresAt),
		p.CancelTokenHash, now.Unix(), now.Unix(), p.Anonymous)
	if isUniqueViolation(err) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("insert participation: %w", err)
	}
	p.ID, err = res.LastInsertId()
	return err
}

// UpdateParticipationTx writes what may change in a participation: state,
// name, listing, message and link hashes.
func (s *Store) UpdateParticipationTx(ctx context.Context, tx *sql.Tx, p *Participation) error {
	now := s.now().UTC().Truncate(time.Second)
	p.UpdatedAt = now
	_, err := tx.ExecContext(ctx, `
		UPDATE participations SET state = ?, name = ?, message = ?, confirm_token_hash = nullif(?, ''),
		  confirm_expires_at = nullif(?, 0), cancel_token_hash = nullif(?, ''), updated_at = ?, anonymous = ?
		WHERE id = ?`,
		p.State, p.Name, p.Message, p.ConfirmTokenHash, unixOrZero(p.ConfirmExpiresAt), p.CancelTokenHash, now.Unix(), p.Anonymous, p.ID)
	if err != nil {
		return fmt.Errorf("update participation: %w", err)
	}
	return nil
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// ListParticipations returns an event's participations for its organisers:
// the states asked for (all when none), oldest first.
func (s *Store) ListParticipations(ctx context.Context, eventID int64, states ...string) ([]*Participation, error) {
	return s.listParticipations(ctx, s.db, eventID, states...)
}

// ListParticipationsTx is ListParticipations inside a transaction.
func (s *Store) ListParticipationsTx(ctx context.Context, tx *sql.Tx, eventID int64, states ...string) ([]*Participation, error) {
	return s.listParticipations(ctx, tx, eventID, states...)
}

func (s *Store) listParticipations(ctx context.Context, q queryer, eventID int64, states ...string) ([]*Participation, error) {
	query := `SELECT ` + participationColumns + ` FROM participations p WHERE p.event_id = ?`
	args := []any{eventID}
	if len(states) > 0 {
		query += ` AND p.state IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(states)), ", ") + `)`
		for _, st := range states {
			args = append(args, st)
		}
	}
	query += ` ORDER BY p.created_at, p.id`
	return s.queryParticipations(ctx, q, query, args...)
}

// queryParticipations runs a SELECT of participationColumns and fills in
// the identities of those who have one.
func (s *Store) queryParticipations(ctx context.Context, q queryer, query string, args ...any) ([]*Participation, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list participations: %w", err)
	}
	defer rows.Close()
	var out []*Participation
	for rows.Next() {
		p, err := scanParticipation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if err := s.fillParticipants(ctx, q, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListedParticipants returns, for an event's public page, up to limit
// people coming who agreed to be listed: identities, and visitors who gave
// a name and did not ask to stay anonymous. Oldest first.
func (s *Store) ListedParticipants(ctx context.Context, eventID int64, limit int) ([]*Participation, error) {
	return s.queryParticipations(ctx, s.db, `SELECT `+participationColumns+` FROM participations p
		WHERE p.event_id = ? AND p.state = ? AND p.anonymous = 0 AND (p.actor_id IS NOT NULL OR p.name <> '')
		ORDER BY p.created_at, p.id LIMIT ?`, eventID, ParticipationConfirmed, limit)
}

// MyParticipation is one line of "My events": an identity's participation
// with its event.
type MyParticipation struct {
	Participation *Participation
	Event         *Event
}

// ParticipationsOfAccount lists the participations of an account's
// identities (one identity when actorID is set), in events that have not
// ended at now, soonest first; then, when past is set, the ended ones,
// newest first.
func (s *Store) ParticipationsOfAccount(ctx context.Context, accountID, actorID int64, now time.Time, past bool) ([]MyParticipation, error) {
	query := `SELECT ` + eventColumns + `, ` + participationColumns + `
		FROM participations p JOIN events e ON e.id = p.event_id JOIN actors a ON a.id = p.actor_id
		WHERE a.account_id = ? AND (? = 0 OR a.id = ?) AND p.state <> 'cancelled'`
	if past {
		query += ` AND e.ends_at < ? ORDER BY e.starts_at DESC, e.id DESC LIMIT 100`
	} else {
		query += ` AND e.ends_at >= ? ORDER BY e.starts_at, e.id LIMIT 500`
	}
	rows, err := s.db.QueryContext(ctx, query, accountID, actorID, actorID, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("my participations: %w", err)
	}
	defer rows.Close()
	var out []MyParticipation
	var parts []*Participation
	var events []*Event
	for rows.Next() {
		var p Participation
		var expires, created, updated int64
		e, err := scanEvent(rows, &p.ID, &p.EventID, &p.ActorID, &p.Name, &p.Email, &p.State, &p.Message,
			&p.ConfirmTokenHash, &expires, &p.CancelTokenHash, &created, &updated, &p.Anonymous)
		if err != nil {
			return nil, err
		}
		p.CreatedAt = time.Unix(created, 0).UTC()
		p.UpdatedAt = time.Unix(updated, 0).UTC()
		out = append(out, MyParticipation{Participation: &p, Event: e})
		parts = append(parts, &p)
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if err := s.fillParticipants(ctx, s.db, parts); err != nil {
		return nil, err
	}
	if err := s.fillEvents(ctx, events); err != nil {
		return nil, err
	}
	return out, nil
}

// Notification is something an identity is told in the app.
type Notification struct {
	ID        int64
	ActorID   int64
	EventID   int64
	Event     *Event // filled by reads when EventID is set
	Kind      string // message, accepted, rejected, invited
	Body      string
	CreatedAt time.Time
}

// AddNotificationTx tells an identity something, inside the transaction of
// the change it is about.
func (s *Store) AddNotificationTx(ctx context.Context, tx *sql.Tx, n Notification) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO notifications (actor_id, event_id, kind, body, created_at) VALUES (?, nullif(?, 0), ?, ?, ?)`,
		n.ActorID, n.EventID, n.Kind, n.Body, s.unix())
	if err != nil {
		return fmt.Errorf("add notification: %w", err)
	}
	return nil
}

// NotificationsOfAccount returns the latest notifications of an account's
// identities (one identity when actorID is set), newest first.
func (s *Store) NotificationsOfAccount(ctx context.Context, accountID, actorID int64, limit int) ([]Notification, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT n.id, n.actor_id, coalesce(n.event_id, 0), n.kind, n.body, n.created_at
		FROM notifications n JOIN actors a ON a.id = n.actor_id
		WHERE a.account_id = ? AND (? = 0 OR a.id = ?)
		ORDER BY n.created_at DESC, n.id DESC LIMIT ?`, accountID, actorID, actorID, limit)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		var created int64
		if err := rows.Scan(&n.ID, &n.ActorID, &n.EventID, &n.Kind, &n.Body, &created); err != nil {
			return nil, err
		}
		n.CreatedAt = time.Unix(created, 0).UTC()
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for i := range out {
		if out[i].EventID == 0 {
			continue
		}
		e, err := s.EventByID(ctx, out[i].EventID)
		if err != nil {
			return nil, err
		}
		out[i].Event = e
	}
	return out, nil
}
