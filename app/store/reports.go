package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Report categories (Mastodon's) and states (Mobilizon's).
const (
	ReportSpam      = "spam"
	ReportLegal     = "legal"
	ReportViolation = "violation"
	ReportOther     = "other"

	ReportOpen     = "open"
	ReportResolved = "resolved"
	ReportClosed   = "closed"
)

// ReportCategories lists the categories in the order forms show them.
var ReportCategories = []string{ReportSpam, ReportLegal, ReportViolation, ReportOther}

// Report is a complaint about an event or an identity.
type Report struct {
	ID                int64
	URI               string // a received Flag's id, when it had its sender's origin
	Local             bool   // made on this instance (else received as a Flag)
	ReporterAccountID int64
	ReporterActor     string // the remote instance actor of a received Flag
	TargetActorID     int64
	TargetActorURI    string
	TargetEventID     int64
	TargetEventURI    string
	TargetTitle       string // the event's title or the actor's handle when reported
	TargetKey         string
	Comment           string
	Category          string
	RuleIDs           string // comma-separated instance rule ids
	Forward           bool
	ForwardedTo       string
	Status            string
	HandledBy         int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Notes             []ReportNote
}

// ReportNote is a moderator's note on a report.
type ReportNote struct {
	Author    string
	Body      string
	CreatedAt time.Time
}

// CreateReportTx stores a new open report and tells whether another
// report on the same target was already open (then nobody is emailed
// again).
func (s *Store) CreateReportTx(ctx context.Context, tx *sql.Tx, r *Report) (alreadyOpen bool, err error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM reports WHERE target_key = ? AND status = 'open'`, r.TargetKey).Scan(&n); err != nil {
		return false, err
	}
	now := s.unix()
	nullID := func(id int64) any {
		if id == 0 {
			return nil
		}
		return id
	}
	var uri any
	if r.URI != "" {
		uri = r.URI
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO reports (uri, local, reporter_account_id, reporter_actor, target_actor_id,
		target_actor_uri, target_event_id, target_event_uri, target_title, target_key, comment, category, rule_ids,
		forward, forwarded_to, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)`,
		uri, boolInt(r.Local), nullID(r.ReporterAccountID), r.ReporterActor, nullID(r.TargetActorID), r.TargetActorURI,
		nullID(r.TargetEventID), r.TargetEventURI, r.TargetTitle, r.TargetKey, r.Comment, r.Category, r.RuleIDs,
		boolInt(r.Forward), r.ForwardedTo, now, now)
	if isUniqueViolation(err) {
		return true, ErrConflict
	}
	if err != nil {
		return false, fmt.Errorf("create report: %w", err)
	}
	r.ID, _ = res.LastInsertId()
	r.Status = ReportOpen
	return n > 0, nil
}

const reportColumns = `id, coalesce(uri, ''), local, coalesce(reporter_account_id, 0), reporter_actor,
	coalesce(target_actor_id, 0), target_actor_uri, coalesce(target_event_id, 0), target_event_uri, target_title,
	target_key, comment, category, rule_ids, forward, forwarded_to, status, coalesce(handled_by, 0), created_at, updated_at`

func scanReport(row interface{ Scan(...any) error }) (*Report, error) {
	var r Report
	var created, updated int64
	err := row.Scan(&r.ID, &r.URI, &r.Local, &r.ReporterAccountID, &r.ReporterActor, &r.TargetActorID, &r.TargetActorURI,
		&r.TargetEventID, &r.TargetEventURI, &r.TargetTitle, &r.TargetKey, &r.Comment, &r.Category, &r.RuleIDs,
		&r.Forward, &r.ForwardedTo, &r.Status, &r.HandledBy, &created, &updated)
	if err != nil {
		return nil, notFound(err)
	}
	r.CreatedAt, r.UpdatedAt = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
	return &r, nil
}

// ReportByID returns a report with its notes.
func (s *Store) ReportByID(ctx context.Context, id int64) (*Report, error) {
	r, err := scanReport(s.db.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE id = ?`, id))
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT coalesce((SELECT email FROM accounts WHERE id = n.author_id), ''), n.body, n.created_at
		FROM report_notes n WHERE n.report_id = ? ORDER BY n.id`, id)
	if err != nil {
		return nil, fmt.Errorf("report notes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n ReportNote
		var at int64
		if err := rows.Scan(&n.Author, &n.Body, &at); err != nil {
			return nil, err
		}
		n.CreatedAt = time.Unix(at, 0).UTC()
		r.Notes = append(r.Notes, n)
	}
	return r, rows.Err()
}

// Reports lists reports in a state ("" for all), newest first.
func (s *Store) Reports(ctx context.Context, status string, limit, offset int) ([]Report, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE ? = '' OR status = ?
		ORDER BY id DESC LIMIT ? OFFSET ?`, status, status, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	defer rows.Close()
	var out []Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// CountReports counts reports in a state ("" for all).
func (s *Store) CountReports(ctx context.Context, status string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM reports WHERE ? = '' OR status = ?`, status, status).Scan(&n)
	return n, err
}

// SetReportStatusTx resolves, closes or reopens a report, with an
// optional note.
func (s *Store) SetReportStatusTx(ctx context.Context, tx *sql.Tx, id int64, status string, by int64, note string) error {
	now := s.unix()
	res, err := tx.ExecContext(ctx, `UPDATE reports SET status = ?, handled_by = ?, updated_at = ? WHERE id = ?`, status, by, now, id)
	if err != nil {
		return fmt.Errorf("report status: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if note != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_notes (report_id, author_id, body, created_at) VALUES (?, ?, ?, ?)`,
			id, by, note, now); err != nil {
			return fmt.Errorf("report note: %w", err)
		}
	}
	return nil
}

// SetReportForwardedTx records where a report's Flag was sent.
func (s *Store) SetReportForwardedTx(ctx context.Context, tx *sql.Tx, id int64, to string) error {
	_, err := tx.ExecContext(ctx, `UPDATE reports SET forwarded_to = ? WHERE id = ?`, to, id)
	return err
}

// Rule is one of the instance's rules.
type Rule struct {
	ID       int64
	Position int
	Text     string
	Hint     string
}

// Rules lists the instance's rules in order.
func (s *Store) Rules(ctx context.Context) ([]Rule, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, position, text, hint FROM instance_rules ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		var r Rule
		if err := rows.Scan(&r.ID, &r.Position, &r.Text, &r.Hint); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AddRule appends a rule at the end of the list.
func (s *Store) AddRule(ctx context.Context, text, hint string) (*Rule, error) {
	r := &Rule{Text: text, Hint: hint}
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(position), 0) + 1 FROM instance_rules`).Scan(&r.Position); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO instance_rules (position, text, hint) VALUES (?, ?, ?)`, r.Position, text, hint)
		if err != nil {
			return err
		}
		r.ID, _ = res.LastInsertId()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add rule: %w", err)
	}
	return r, nil
}

// DeleteRule removes a rule.
func (s *Store) DeleteRule(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM instance_rules WHERE id = ?`, id)
	return err
}

// MoveRule swaps a rule with its neighbour above (up) or below.
func (s *Store) MoveRule(ctx context.Context, id int64, up bool) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		var pos int
		if err := tx.QueryRowContext(ctx, `SELECT position FROM instance_rules WHERE id = ?`, id).Scan(&pos); err != nil {
			return notFound(err)
		}
		q := `SELECT id, position FROM instance_rules WHERE position > ? ORDER BY position LIMIT 1`
		if up {
			q = `SELECT id, position FROM instance_rules WHERE position < ? ORDER BY position DESC LIMIT 1`
		}
		var other int64
		var otherPos int
		if err := tx.QueryRowContext(ctx, q, pos).Scan(&other, &otherPos); err != nil {
			return nil // already first or last
		}
		if _, err := tx.ExecContext(ctx, `UPDATE instance_rules SET position = ? WHERE id = ?`, otherPos, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE instance_rules SET position = ? WHERE id = ?`, pos, other)
		return err
	})
}

// SuspendRemoteActorTx records a remote actor as suspended and deletes it
// with everything it brought (its events become tombstones).
func (s *Store) SuspendRemoteActorTx(ctx context.Context, tx *sql.Tx, actorID int64, uri string) error {
	now := s.unix()
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO suspended_actors (uri, suspended_at) VALUES (?, ?)`, uri, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO tombstones (uri, domain, deleted_at)
		SELECT e.uri, r.origin_domain, ? FROM events e JOIN remote_events r ON r.event_id = e.id WHERE e.organizer_id = ?`, now, actorID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM events_fts WHERE rowid IN (SELECT id FROM events WHERE organizer_id = ?)`, actorID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM actors WHERE id = ? AND domain != ''`, actorID)
	return err
}

// IsActorSuspended tells whether a remote actor id was suspended.
func (s *Store) IsActorSuspended(ctx context.Context, uri string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM suspended_actors WHERE uri = ?`, uri).Scan(&n)
	return n > 0, err
}

// SuspendAccountTx suspends a local account and ends its sessions.
func (s *Store) SuspendAccountTx(ctx context.Context, tx *sql.Tx, accountID int64) error {
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO account_suspensions (account_id, suspended_at) VALUES (?, ?)`, accountID, s.unix()); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = ?`, accountID)
	return err
}

// IsAccountSuspended tells whether a local account is suspended.
func (s *Store) IsAccountSuspended(ctx context.Context, accountID int64) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM account_suspensions WHERE account_id = ?`, accountID).Scan(&n)
	return n > 0, err
}

// AdminEmails lists the administrators' addresses.
func (s *Store) AdminEmails(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT email FROM accounts WHERE is_admin = 1 ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
