package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Domain policy kinds and block severities.
const (
	PolicyBlock = "block"
	PolicyAllow = "allow"

	SeveritySilence = "silence"
	SeveritySuspend = "suspend"
)

// DomainPolicy is one rule about a remote domain and its subdomains.
type DomainPolicy struct {
	Domain         string
	Kind           string // block | allow
	Severity       string // silence | suspend (blocks only)
	RejectMedia    bool
	RejectReports  bool
	PublicComment  string
	PrivateComment string
	Obfuscate      bool
	Origin         string // manual | import
	CreatedBy      int64
	CreatedAt      time.Time
}

const policyColumns = `domain, kind, severity, reject_media, reject_reports, public_comment, private_comment,
	obfuscate, origin, coalesce(created_by, 0), created_at`

func scanPolicy(row interface{ Scan(...any) error }) (*DomainPolicy, error) {
	var p DomainPolicy
	var created int64
	if err := row.Scan(&p.Domain, &p.Kind, &p.Severity, &p.RejectMedia, &p.RejectReports, &p.PublicComment,
		&p.PrivateComment, &p.Obfuscate, &p.Origin, &p.CreatedBy, &created); err != nil {
		return nil, notFound(err)
	}
	p.CreatedAt = time.Unix(created, 0).UTC()
	return &p, nil
}

// DomainPolicies lists every rule, blocks first, then by domain.
func (s *Store) DomainPolicies(ctx context.Context) ([]DomainPolicy, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+policyColumns+` FROM domain_policies ORDER BY kind DESC, domain`)
	if err != nil {
		return nil, fmt.Errorf("domain policies: %w", err)
	}
	defer rows.Close()
	var out []DomainPolicy
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

// DomainPolicy returns the rule of one kind for exactly this domain.
func (s *Store) DomainPolicy(ctx context.Context, domain, kind string) (*DomainPolicy, error) {
	return scanPolicy(s.db.QueryRowContext(ctx, `SELECT `+policyColumns+` FROM domain_policies WHERE domain = ? AND kind = ?`, domain, kind))
}

// SaveDomainPolicyTx creates or replaces the rule of p.Kind for p.Domain.
func (s *Store) SaveDomainPolicyTx(ctx context.Context, tx *sql.Tx, p DomainPolicy) error {
	if p.Severity == "" {
		p.Severity = SeveritySuspend
	}
	if p.Origin == "" {
		p.Origin = "manual"
	}
	var by any
	if p.CreatedBy != 0 {
		by = p.CreatedBy
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO domain_policies (domain, kind, severity, reject_media, reject_reports,
		public_comment, private_comment, obfuscate, origin, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (domain, kind) DO UPDATE SET severity = excluded.severity, reject_media = excluded.reject_media,
		  reject_reports = excluded.reject_reports, public_comment = excluded.public_comment,
		  private_comment = excluded.private_comment, obfuscate = excluded.obfuscate`,
		p.Domain, p.Kind, p.Severity, boolInt(p.RejectMedia), boolInt(p.RejectReports), p.PublicComment,
		p.PrivateComment, boolInt(p.Obfuscate), p.Origin, by, s.unix())
	if err != nil {
		return fmt.Errorf("save domain policy: %w", err)
	}
	return nil
}

// DeleteDomainPolicyTx removes one rule.
func (s *Store) DeleteDomainPolicyTx(ctx context.Context, tx *sql.Tx, domain, kind string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM domain_policies WHERE domain = ? AND kind = ?`, domain, kind)
	return err
}

// hostUnder is SQL true when the host in column col (which may carry a
// port) is domain or one of its subdomains. Arguments: domain, domain,
// domain, domain.
const hostUnder = `(%[1]s = ? OR %[1]s LIKE ? || ':%%' OR %[1]s LIKE '%%.' || ? OR %[1]s LIKE '%%.' || ? || ':%%')`

func underArgs(domain string) []any { return []any{domain, domain, domain, domain} }

// DropDeliveriesTo marks every delivery still waiting for an inbox on
// domain (or below it) as dropped by policy, and returns how many.
func (s *Store) DropDeliveriesTo(ctx context.Context, tx *sql.Tx, domain string) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE deliveries SET failed_at = ?, last_error = 'dropped_policy'
		WHERE failed_at IS NULL AND `+fmt.Sprintf(hostUnder, "host"), append([]any{s.unix()}, underArgs(domain)...)...)
	if err != nil {
		return 0, fmt.Errorf("drop deliveries: %w", err)
	}
	return res.RowsAffected()
}

// DropDelivery marks one delivery as dropped by policy.
func (s *Store) DropDelivery(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE deliveries SET failed_at = ?, last_error = 'dropped_policy' WHERE id = ?`, s.unix(), id)
	return err
}

// CountDroppedDeliveries counts deliveries dropped by policy.
func (s *Store) CountDroppedDeliveries(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE last_error = 'dropped_policy'`).Scan(&n)
	return n, err
}

// SuspendDomainTx forgets a suspended domain (and its subdomains): its
// remote events become tombstones and are deleted, its sources are
// cancelled, and its actors, with their follows both ways and cached
// objects, are deleted. Reports are kept (their targets are SET NULL).
// It returns how many events were removed.
func (s *Store) SuspendDomainTx(ctx context.Context, tx *sql.Tx, domain string) (int64, error) {
	now := s.unix()
	under := fmt.Sprintf(hostUnder, "r.origin_domain")
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO tombstones (uri, domain, deleted_at)
		SELECT e.uri, r.origin_domain, ? FROM remote_events r JOIN events e ON e.id = r.event_id WHERE `+under,
		append([]any{now}, underArgs(domain)...)...); err != nil {
		return 0, fmt.Errorf("suspend domain: tombstones: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM events_fts WHERE rowid IN (SELECT r.event_id FROM remote_events r WHERE `+under+`)`,
		underArgs(domain)...); err != nil {
		return 0, fmt.Errorf("suspend domain: index: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE id IN (SELECT r.event_id FROM remote_events r WHERE `+under+`)`,
		underArgs(domain)...)
	if err != nil {
		return 0, fmt.Errorf("suspend domain: events: %w", err)
	}
	events, _ := res.RowsAffected()
	actorsUnder := fmt.Sprintf(hostUnder, "domain")
	// Events organised by the domain's actors but not (or no longer)
	// recorded as remote go with their organiser (ON DELETE CASCADE).
	if _, err := tx.ExecContext(ctx, `DELETE FROM actors WHERE domain != '' AND `+actorsUnder, underArgs(domain)...); err != nil {
		return 0, fmt.Errorf("suspend domain: actors: %w", err)
	}
	return events, nil
}

// KnownRemoteHosts lists every remote host we hold something from or owe
// a delivery to.
func (s *Store) KnownRemoteHosts(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT domain FROM actors WHERE domain != ''
		UNION SELECT origin_domain FROM remote_events
		UNION SELECT host FROM deliveries WHERE failed_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("known hosts: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
