package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Resource kinds and the tools a link may point at.
const (
	ResourceFolder = "folder"
	ResourceLink   = "link"
)

// ResourceTools are the kinds of tool a link may be, for its icon and label.
var ResourceTools = []string{"pad", "spreadsheet", "video", "chat", "calendar", "document", "other"}

// Resource is a folder or a link to one of a group's tools.
type Resource struct {
	ID           int64
	UUID         string
	URI          string // remote resources only
	GroupID      int64
	ParentID     int64 // 0: at the root
	CreatorID    int64
	Kind         string
	Tool         string
	Title        string
	Description  string
	URL          string
	PreviewTitle string
	Public       bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

const resourceColumns = `r.id, r.uuid, coalesce(r.uri, ''), r.group_id, coalesce(r.parent_id, 0), r.creator_id, r.kind, r.tool,
	r.title, r.description, r.url, r.preview_title, r.public, r.created_at, r.updated_at`

func scanResource(row interface{ Scan(...any) error }) (*Resource, error) {
	var r Resource
	var c, u int64
	if err := row.Scan(&r.ID, &r.UUID, &r.URI, &r.GroupID, &r.ParentID, &r.CreatorID, &r.Kind, &r.Tool, &r.Title,
		&r.Description, &r.URL, &r.PreviewTitle, &r.Public, &c, &u); err != nil {
		return nil, notFound(err)
	}
	r.CreatedAt, r.UpdatedAt = time.Unix(c, 0).UTC(), time.Unix(u, 0).UTC()
	return &r, nil
}

// CreateResourceTx stores a resource.
func (s *Store) CreateResourceTx(ctx context.Context, tx *sql.Tx, r *Resource) error {
	now := s.unix()
	if r.UUID == "" {
		r.UUID = uuid.NewString()
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO group_resources (uuid, uri, group_id, parent_id, creator_id, kind, tool, title,
		description, url, preview_title, public, created_at, updated_at)
		VALUES (?, nullif(?, ''), ?, nullif(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.UUID, r.URI, r.GroupID, r.ParentID, r.CreatorID, r.Kind, r.Tool, r.Title, r.Description, r.URL, r.PreviewTitle,
		r.Public, now, now)
	if isUniqueViolation(err) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("create resource: %w", err)
	}
	r.ID, _ = res.LastInsertId()
	r.CreatedAt, r.UpdatedAt = time.Unix(now, 0).UTC(), time.Unix(now, 0).UTC()
	return nil
}

// UpdateResourceTx renames, moves or re-describes a resource.
func (s *Store) UpdateResourceTx(ctx context.Context, tx *sql.Tx, r *Resource) error {
	_, err := tx.ExecContext(ctx, `UPDATE group_resources SET parent_id = nullif(?, 0), title = ?, description = ?, url = ?,
		preview_title = ?, public = ?, updated_at = ? WHERE id = ?`,
		r.ParentID, r.Title, r.Description, r.URL, r.PreviewTitle, r.Public, s.unix(), r.ID)
	return err
}

// DeleteResourceTx removes a resource (a folder with what it holds).
func (s *Store) DeleteResourceTx(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM group_resources WHERE id = ?`, id)
	return err
}

// ResourceByUUID returns a group's resource.
func (s *Store) ResourceByUUID(ctx context.Context, groupID int64, id string) (*Resource, error) {
	return scanResource(s.db.QueryRowContext(ctx, `SELECT `+resourceColumns+` FROM group_resources r WHERE r.group_id = ? AND r.uuid = ?`, groupID, id))
}

// ResourceByID returns a resource by its row id.
func (s *Store) ResourceByID(ctx context.Context, id int64) (*Resource, error) {
	return scanResource(s.db.QueryRowContext(ctx, `SELECT `+resourceColumns+` FROM group_resources r WHERE r.id = ?`, id))
}

// ResourceByURI returns a resource by its remote id.
func (s *Store) ResourceByURI(ctx context.Context, uri string) (*Resource, error) {
	return scanResource(s.db.QueryRowContext(ctx, `SELECT `+resourceColumns+` FROM group_resources r WHERE r.uri = ?`, uri))
}

// ListResources lists a group's resources in a folder (0: the root),
// folders first; onlyPublic keeps those marked public.
func (s *Store) ListResources(ctx context.Context, groupID, parentID int64, onlyPublic bool) ([]*Resource, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+resourceColumns+` FROM group_resources r
		WHERE r.group_id = ? AND coalesce(r.parent_id, 0) = ? AND (? = 0 OR r.public = 1)
		ORDER BY r.kind = 'link', r.title COLLATE NOCASE LIMIT 500`, groupID, parentID, onlyPublic)
	if err != nil {
		return nil, fmt.Errorf("list resources: %w", err)
	}
	defer rows.Close()
	var out []*Resource
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AllResources lists every resource of a group (for its collection).
func (s *Store) AllResources(ctx context.Context, groupID int64, limit, offset int) ([]*Resource, int, error) {
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM group_resources WHERE group_id = ?`, groupID).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+resourceColumns+` FROM group_resources r WHERE r.group_id = ?
		ORDER BY r.id LIMIT ? OFFSET ?`, groupID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []*Resource
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// ResourceFolders lists every folder of a group, to choose where a
// resource goes.
func (s *Store) ResourceFolders(ctx context.Context, groupID int64) ([]*Resource, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+resourceColumns+` FROM group_resources r
		WHERE r.group_id = ? AND r.kind = 'folder' ORDER BY r.title COLLATE NOCASE LIMIT 1000`, groupID)
	if err != nil {
		return nil, fmt.Errorf("resource folders: %w", err)
	}
	defer rows.Close()
	var out []*Resource
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ResourceWithinTx tells whether the resource id is folder itself or lies
// somewhere inside it, however deep: moving folder there would make a
// loop. Read in the transaction that moves, so two crossed moves cannot
// both pass.
func (s *Store) ResourceWithinTx(ctx context.Context, tx *sql.Tx, id, folder int64) (bool, error) {
	// UNION (not UNION ALL) stops the walk even on a loop already stored.
	var n int
	err := tx.QueryRowContext(ctx, `WITH RECURSIVE up(id, parent_id) AS (
			SELECT id, parent_id FROM group_resources WHERE id = ?
			UNION SELECT r.id, r.parent_id FROM group_resources r JOIN up ON r.id = up.parent_id)
		SELECT count(*) FROM up WHERE id = ?`, id, folder).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("resource within: %w", err)
	}
	return n > 0, nil
}

// ResourceHoldsOthers tells whether the folder id holds, at any depth,
// a resource someone other than creatorID added.
func (s *Store) ResourceHoldsOthers(ctx context.Context, id, creatorID int64) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `WITH RECURSIVE down(id, creator_id) AS (
			SELECT id, creator_id FROM group_resources WHERE parent_id = ?
			UNION SELECT r.id, r.creator_id FROM group_resources r JOIN down ON r.parent_id = down.id)
		SELECT count(*) FROM down WHERE creator_id != ?`, id, creatorID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("resource holds others: %w", err)
	}
	return n > 0, nil
}
