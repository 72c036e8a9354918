package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Group roles, from the least to the most. Invited and pending people are
// not members yet.
const (
	RoleInvited       = "invited"
	RolePending       = "pending"
	RoleMember        = "member"
	RoleModerator     = "moderator"
	RoleAdministrator = "administrator"
)

// Group openness and visibility.
const (
	OpennessOpen       = "open"
	OpennessModerated  = "moderated"
	OpennessInviteOnly = "invite_only"

	GroupPublic   = "public"
	GroupUnlisted = "unlisted"
)

// Member notification settings.
const (
	NotifyEach   = "each"
	NotifyDigest = "digest"
	NotifyOff    = "off"
)

// RoleRank orders roles: 0 for none, invited and pending below member.
func RoleRank(role string) int {
	switch role {
	case RoleInvited, RolePending:
		return 1
	case RoleMember:
		return 2
	case RoleModerator:
		return 3
	case RoleAdministrator:
		return 4
	}
	return 0
}

// IsMemberRole tells whether a role counts as a member.
func IsMemberRole(role string) bool { return RoleRank(role) >= RoleRank(RoleMember) }

// Group is a group actor with what only groups have.
type Group struct {
	*Actor
	BannerUUID  string
	Visibility  string
	Openness    string
	Address     Address
	MembersURL  string // remote groups only
	MemberCount int
}

// NewGroup is what creating or editing a group sets.
type NewGroup struct {
	Username     string
	DisplayName  string
	Bio          string
	AvatarID     int64
	BannerID     int64
	RemoveAvatar bool
	RemoveBanner bool
	Visibility   string
	Openness     string
	Address      Address
	Manual       bool // followers approved by hand
}

const groupColumns = `coalesce((SELECT uuid FROM media WHERE id = g.banner_id), ''), g.visibility, g.openness,
	g.venue, g.street, g.postal_code, g.locality, g.region, g.country, g.latitude, g.longitude, g.members_url,
	(SELECT count(*) FROM group_members m WHERE m.group_id = g.actor_id AND m.role IN ('member', 'moderator', 'administrator'))`

func scanGroup(row interface{ Scan(...any) error }) (*Group, error) {
	var g Group
	var act Actor
	var created, updated int64
	err := row.Scan(&act.ID, &act.Kind, &act.Username, &act.Domain, &act.AccountID, &act.DisplayName, &act.Bio,
		&act.AvatarUUID, &act.URI, &act.InboxURL, &act.SharedInboxURL, &act.ManuallyApproves, &created, &updated,
		&g.BannerUUID, &g.Visibility, &g.Openness, &g.Address.Venue, &g.Address.Street, &g.Address.PostalCode,
		&g.Address.Locality, &g.Address.Region, &g.Address.Country, &g.Address.Latitude, &g.Address.Longitude,
		&g.MembersURL, &g.MemberCount)
	if err != nil {
		return nil, notFound(err)
	}
	act.CreatedAt = time.Unix(created, 0).UTC()
	act.UpdatedAt = time.Unix(updated, 0).UTC()
	g.Actor = &act
	return &g, nil
}

const groupSelect = `SELECT ` + actorColumns + `, ` + groupColumns + ` FROM actors a JOIN groups g ON g.actor_id = a.id `

// CreateGroup makes a local group with creator as its administrator, and
// writes the first line of its log. ErrUsernameTaken means an identity or
// a group already has the username.
func (s *Store) CreateGroup(ctx context.Context, creatorID int64, ng NewGroup, membershipURI func(uuid string) string) (*Group, error) {
	var id int64
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.usernameHeld(ctx, tx, ng.Username); err != nil {
			return err
		}
		now := s.unix()
		res, err := tx.ExecContext(ctx, `INSERT INTO actors (kind, username, domain, display_name, bio, avatar_id,
			manually_approves, created_at, updated_at) VALUES ('group', ?, '', ?, ?, nullif(?, 0), ?, ?, ?)`,
			ng.Username, ng.DisplayName, ng.Bio, ng.AvatarID, ng.Manual, now, now)
		if isUniqueViolation(err) {
			return ErrUsernameTaken
		}
		if err != nil {
			return fmt.Errorf("insert group actor: %w", err)
		}
		id, _ = res.LastInsertId()
		ad := ng.Address
		if _, err := tx.ExecContext(ctx, `INSERT INTO groups (actor_id, banner_id, visibility, openness, venue, street,
			postal_code, locality, region, country, latitude, longitude, created_at)
			VALUES (?, nullif(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, ng.BannerID, ng.Visibility, ng.Openness, ad.Venue, ad.Street, ad.PostalCode, ad.Locality, ad.Region,
			ad.Country, ad.Latitude, ad.Longitude, now); err != nil {
			return fmt.Errorf("insert group: %w", err)
		}
		if _, err := s.AddMemberTx(ctx, tx, Membership{GroupID: id, ActorID: creatorID, Role: RoleAdministrator,
			URI: membershipURI(uuid.NewString())}); err != nil {
			return err
		}
		return s.AddGroupLogTx(ctx, tx, GroupLogEntry{GroupID: id, ActorID: creatorID, SubjectID: creatorID, Action: "created"})
	})
	if err != nil {
		return nil, err
	}
	return s.GroupByID(ctx, id)
}

// UpdateGroup saves a local group's profile and settings. A replaced
// picture is deleted: it belonged to the group alone.
func (s *Store) UpdateGroup(ctx context.Context, groupID int64, ng NewGroup) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		var oldAvatar, oldBanner *int64
		if err := tx.QueryRowContext(ctx, `SELECT a.avatar_id, g.banner_id FROM actors a JOIN groups g ON g.actor_id = a.id
			WHERE a.id = ? AND a.domain = ''`, groupID).Scan(&oldAvatar, &oldBanner); err != nil {
			return notFound(err)
		}
		now := s.unix()
		if _, err := tx.ExecContext(ctx, `UPDATE actors SET display_name = ?, bio = ?, manually_approves = ?,
			avatar_id = CASE WHEN ? THEN NULL WHEN ? > 0 THEN ? ELSE avatar_id END, updated_at = ? WHERE id = ?`,
			ng.DisplayName, ng.Bio, ng.Manual, ng.RemoveAvatar, ng.AvatarID, ng.AvatarID, now, groupID); err != nil {
			return fmt.Errorf("update group actor: %w", err)
		}
		ad := ng.Address
		if _, err := tx.ExecContext(ctx, `UPDATE groups SET visibility = ?, openness = ?, venue = ?, street = ?,
			postal_code = ?, locality = ?, region = ?, country = ?, latitude = ?, longitude = ?,
			banner_id = CASE WHEN ? THEN NULL WHEN ? > 0 THEN ? ELSE banner_id END WHERE actor_id = ?`,
			ng.Visibility, ng.Openness, ad.Venue, ad.Street, ad.PostalCode, ad.Locality, ad.Region, ad.Country,
			ad.Latitude, ad.Longitude, ng.RemoveBanner, ng.BannerID, ng.BannerID, groupID); err != nil {
			return fmt.Errorf("update group: %w", err)
		}
		for _, old := range []struct {
			id      *int64
			removed bool
			newID   int64
		}{{oldAvatar, ng.RemoveAvatar, ng.AvatarID}, {oldBanner, ng.RemoveBanner, ng.BannerID}} {
			if old.id != nil && (old.removed || (old.newID > 0 && old.newID != *old.id)) {
				if _, err := tx.ExecContext(ctx, `DELETE FROM media WHERE id = ?`, *old.id); err != nil {
					return fmt.Errorf("delete old picture: %w", err)
				}
			}
		}
		return nil
	})
}

// DeleteGroup deletes a group and everything that hangs from it; its
// events stay, as their organisers' own.
func (s *Store) DeleteGroup(ctx context.Context, groupID int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM actors WHERE id = ? AND kind = 'group'`, groupID)
	if err != nil {
		return fmt.Errorf("delete group: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// GroupByID returns a group, local or remote.
func (s *Store) GroupByID(ctx context.Context, id int64) (*Group, error) {
	return scanGroup(s.db.QueryRowContext(ctx, groupSelect+`WHERE a.id = ?`, id))
}

// LocalGroupByUsername returns the local group with that username.
func (s *Store) LocalGroupByUsername(ctx context.Context, username string) (*Group, error) {
	return scanGroup(s.db.QueryRowContext(ctx, groupSelect+`WHERE a.domain = '' AND a.username = ?`, username))
}

// GroupByHandle returns a group by "name" (local) or "name@host" (remote).
func (s *Store) GroupByHandle(ctx context.Context, handle string) (*Group, error) {
	name, domain, _ := strings.Cut(handle, "@")
	return scanGroup(s.db.QueryRowContext(ctx, groupSelect+`WHERE a.username = ? AND a.domain = ?`, name, domain))
}

// GroupByURI returns a remote group by its id.
func (s *Store) GroupByURI(ctx context.Context, uri string) (*Group, error) {
	return scanGroup(s.db.QueryRowContext(ctx, groupSelect+`WHERE a.uri = ?`, uri))
}

// EnsureRemoteGroup records what a remote group's actor document says of
// it (the actors row exists already).
func (s *Store) EnsureRemoteGroup(ctx context.Context, actorID int64, openness, membersURL string, public bool) error {
	vis := GroupPublic
	if !public {
		vis = GroupUnlisted
	}
	switch openness {
	case OpennessOpen, OpennessModerated, OpennessInviteOnly:
	default:
		openness = OpennessModerated
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO groups (actor_id, visibility, openness, members_url, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (actor_id) DO UPDATE SET visibility = excluded.visibility,
		openness = excluded.openness, members_url = excluded.members_url`, actorID, vis, openness, membersURL, s.unix())
	if err != nil {
		return fmt.Errorf("remote group: %w", err)
	}
	return nil
}

// ListPublicGroups lists local public groups, largest first.
func (s *Store) ListPublicGroups(ctx context.Context, limit, offset int) ([]*Group, error) {
	return s.queryGroups(ctx, "list groups", `WHERE a.domain = '' AND g.visibility = 'public'
		ORDER BY 27 DESC, a.username LIMIT ? OFFSET ?`, limit, offset)
}

// Membership is one actor's place in one group.
type Membership struct {
	ID          int64
	GroupID     int64
	ActorID     int64
	Actor       *Actor // filled by lists
	Role        string
	URI         string
	InvitedByID int64
	Message     string
	Notify      string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// IsMember tells whether the membership counts as a member.
func (m *Membership) IsMember() bool { return m != nil && IsMemberRole(m.Role) }

const membershipColumns = `m.id, m.group_id, m.actor_id, m.role, m.uri, coalesce(m.invited_by, 0), m.message, m.notify,
	m.created_at, m.updated_at`

func scanMembership(row interface{ Scan(...any) error }, extra ...any) (*Membership, error) {
	var m Membership
	var created, updated int64
	dest := []any{&m.ID, &m.GroupID, &m.ActorID, &m.Role, &m.URI, &m.InvitedByID, &m.Message, &m.Notify, &created, &updated}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, notFound(err)
	}
	m.CreatedAt = time.Unix(created, 0).UTC()
	m.UpdatedAt = time.Unix(updated, 0).UTC()
	return &m, nil
}

// AddMemberTx inserts a membership; ErrConflict when the actor already has
// one in the group (or the uri is known).
func (s *Store) AddMemberTx(ctx context.Context, tx *sql.Tx, m Membership) (*Membership, error) {
	now := s.unix()
	if m.Notify == "" {
		m.Notify = NotifyEach
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, actor_id, role, uri, invited_by, message, notify,
		created_at, updated_at) VALUES (?, ?, ?, ?, nullif(?, 0), ?, ?, ?, ?)`,
		m.GroupID, m.ActorID, m.Role, m.URI, m.InvitedByID, m.Message, m.Notify, now, now)
	if isUniqueViolation(err) {
		return nil, ErrConflict
	}
	if err != nil {
		return nil, fmt.Errorf("add member: %w", err)
	}
	m.ID, _ = res.LastInsertId()
	m.CreatedAt, m.UpdatedAt = time.Unix(now, 0).UTC(), time.Unix(now, 0).UTC()
	return &m, nil
}

// SetRoleTx changes a membership's role.
func (s *Store) SetRoleTx(ctx context.Context, tx *sql.Tx, membershipID int64, role string) error {
	res, err := tx.ExecContext(ctx, `UPDATE group_members SET role = ?, updated_at = ? WHERE id = ?`, role, s.unix(), membershipID)
	if err != nil {
		return fmt.Errorf("set role: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetNotify changes how a member hears of new discussions.
func (s *Store) SetNotify(ctx context.Context, membershipID int64, notify string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE group_members SET notify = ?, updated_at = ? WHERE id = ?`, notify, s.unix(), membershipID)
	return err
}

// DeleteMembershipTx removes a membership.
func (s *Store) DeleteMembershipTx(ctx context.Context, tx *sql.Tx, membershipID int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM group_members WHERE id = ?`, membershipID)
	return err
}

// MembershipOf returns an actor's membership in a group, ErrNotFound if none.
func (s *Store) MembershipOf(ctx context.Context, groupID, actorID int64) (*Membership, error) {
	return s.MembershipOfTx(ctx, s.db, groupID, actorID)
}

// MembershipOfTx is MembershipOf inside a transaction.
func (s *Store) MembershipOfTx(ctx context.Context, q queryer, groupID, actorID int64) (*Membership, error) {
	return scanMembership(q.QueryRowContext(ctx, `SELECT `+membershipColumns+` FROM group_members m
		WHERE m.group_id = ? AND m.actor_id = ?`, groupID, actorID))
}

// MembershipByID returns one membership.
func (s *Store) MembershipByID(ctx context.Context, id int64) (*Membership, error) {
	return scanMembership(s.db.QueryRowContext(ctx, `SELECT `+membershipColumns+` FROM group_members m WHERE m.id = ?`, id))
}

// MembershipByURI returns the membership a wire id names.
func (s *Store) MembershipByURI(ctx context.Context, uri string) (*Membership, error) {
	return scanMembership(s.db.QueryRowContext(ctx, `SELECT `+membershipColumns+` FROM group_members m WHERE m.uri = ?`, uri))
}

// CountAdministrators is CountAdministratorsTx outside a transaction,
// through the store's prepared reads (and the request's read transaction).
func (s *Store) CountAdministrators(ctx context.Context, groupID int64) (int, error) {
	return s.CountAdministratorsTx(ctx, s.db, groupID)
}

// CountAdministratorsTx counts a group's administrators.
func (s *Store) CountAdministratorsTx(ctx context.Context, q queryer, groupID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM group_members WHERE group_id = ? AND role = 'administrator'`, groupID).Scan(&n)
	return n, err
}

// ListMembers lists a group's memberships in the given roles (all when
// none), highest role first, with their actors.
func (s *Store) ListMembers(ctx context.Context, groupID int64, roles []string, limit, offset int) ([]*Membership, error) {
	where, args := "m.group_id = ?", []any{groupID}
	if len(roles) > 0 {
		where += " AND m.role IN (?" + strings.Repeat(", ?", len(roles)-1) + ")"
		for _, r := range roles {
			args = append(args, r)
		}
	}
	args = append(args, limit, offset)
	rows, err := s.db.QueryContext(ctx, `SELECT `+membershipColumns+`, `+actorColumns+` FROM group_members m
		JOIN actors a ON a.id = m.actor_id WHERE `+where+`
		ORDER BY CASE m.role WHEN 'administrator' THEN 0 WHEN 'moderator' THEN 1 WHEN 'member' THEN 2 ELSE 3 END, m.id
		LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	defer rows.Close()
	var out []*Membership
	for rows.Next() {
		var act Actor
		var created, updated int64
		m, err := scanMembership(rows, &act.ID, &act.Kind, &act.Username, &act.Domain, &act.AccountID, &act.DisplayName,
			&act.Bio, &act.AvatarUUID, &act.URI, &act.InboxURL, &act.SharedInboxURL, &act.ManuallyApproves, &created, &updated)
		if err != nil {
			return nil, err
		}
		act.CreatedAt, act.UpdatedAt = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
		m.Actor = &act
		out = append(out, m)
	}
	return out, rows.Err()
}

// CountMembers counts a group's memberships in the given roles.
func (s *Store) CountMembers(ctx context.Context, groupID int64, roles ...string) (int, error) {
	where, args := "group_id = ?", []any{groupID}
	if len(roles) > 0 {
		where += " AND role IN (?" + strings.Repeat(", ?", len(roles)-1) + ")"
		for _, r := range roles {
			args = append(args, r)
		}
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM group_members WHERE `+where, args...).Scan(&n)
	return n, err
}

// MemberRoles are the roles that count as members.
var MemberRoles = []string{RoleMember, RoleModerator, RoleAdministrator}

// MemberInboxesTx lists the distinct inboxes of a group's remote members
// (member and above only: invited and pending people are not told what
// members are told), shared inboxes once per server.
func (s *Store) MemberInboxesTx(ctx context.Context, q queryer, groupID int64) ([]Inbox, error) {
	return queryInboxes(ctx, q, "member inboxes", `
		SELECT DISTINCT CASE WHEN a.shared_inbox_url != '' THEN a.shared_inbox_url ELSE a.inbox_url END, a.domain
		FROM group_members m JOIN actors a ON a.id = m.actor_id
		WHERE m.group_id = ? AND m.role IN ('member', 'moderator', 'administrator') AND a.domain != '' AND a.inbox_url != ''`, groupID)
}

// MyGroup is one group an identity belongs to (or is invited to or
// waiting for).
type MyGroup struct {
	Group      *Group
	Membership *Membership
	Identity   *Actor
}

// GroupsOfAccount lists the memberships of an account's identities.
func (s *Store) GroupsOfAccount(ctx context.Context, accountID int64) ([]MyGroup, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT m.id, m.actor_id FROM group_members m JOIN actors a ON a.id = m.actor_id
		WHERE a.account_id = ? ORDER BY m.role = 'invited' DESC, m.id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("groups of account: %w", err)
	}
	type pair struct{ m, a int64 }
	var ps []pair
	for rows.Next() {
		var p pair
		if err := rows.Scan(&p.m, &p.a); err != nil {
			rows.Close()
			return nil, err
		}
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []MyGroup
	for _, p := range ps {
		m, err := s.MembershipByID(ctx, p.m)
		if err != nil {
			return nil, err
		}
		g, err := s.GroupByID(ctx, m.GroupID)
		if err != nil {
			return nil, err
		}
		id, err := s.ActorByID(ctx, p.a)
		if err != nil {
			return nil, err
		}
		out = append(out, MyGroup{Group: g, Membership: m, Identity: id})
	}
	return out, nil
}

// ModeratedGroupsOf lists the groups in which an identity is moderator or
// administrator: those it may organise events for.
func (s *Store) ModeratedGroupsOf(ctx context.Context, actorID int64) ([]*Group, error) {
	return s.queryGroups(ctx, "moderated groups", `JOIN group_members m ON m.group_id = a.id
		WHERE m.actor_id = ? AND m.role IN ('moderator', 'administrator') ORDER BY a.username`, actorID)
}

// GroupLogEntry is one line of a group's log.
type GroupLogEntry struct {
	ID        int64
	GroupID   int64
	ActorID   int64
	Actor     *Actor
	SubjectID int64
	Subject   *Actor
	Action    string
	Detail    string
	CreatedAt time.Time
}

// AddGroupLogTx writes a line of a group's log.
func (s *Store) AddGroupLogTx(ctx context.Context, tx *sql.Tx, e GroupLogEntry) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO group_log (group_id, actor_id, subject_id, action, detail, created_at)
		VALUES (?, nullif(?, 0), nullif(?, 0), ?, ?, ?)`, e.GroupID, e.ActorID, e.SubjectID, e.Action, e.Detail, s.unix())
	if err != nil {
		return fmt.Errorf("group log: %w", err)
	}
	return nil
}

// GroupLog returns a group's latest log lines, newest first.
func (s *Store) GroupLog(ctx context.Context, groupID int64, limit int) ([]GroupLogEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, coalesce(actor_id, 0), coalesce(subject_id, 0), action, detail, created_at
		FROM group_log WHERE group_id = ? ORDER BY id DESC LIMIT ?`, groupID, limit)
	if err != nil {
		return nil, fmt.Errorf("group log: %w", err)
	}
	var out []GroupLogEntry
	for rows.Next() {
		e := GroupLogEntry{GroupID: groupID}
		var created int64
		if err := rows.Scan(&e.ID, &e.ActorID, &e.SubjectID, &e.Action, &e.Detail, &created); err != nil {
			rows.Close()
			return nil, err
		}
		e.CreatedAt = time.Unix(created, 0).UTC()
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		for _, p := range []struct {
			id   int64
			dest **Actor
		}{{out[i].ActorID, &out[i].Actor}, {out[i].SubjectID, &out[i].Subject}} {
			if p.id == 0 {
				continue
			}
			a, err := s.ActorByID(ctx, p.id)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return nil, err
			}
			*p.dest = a
		}
	}
	return out, nil
}

// GroupNotification is something an identity is told about a group.
type GroupNotification struct {
	ID        int64
	ActorID   int64
	GroupID   int64
	Body      string
	Link      string
	Digest    bool
	CreatedAt time.Time
}

// AddGroupNotificationTx tells a local identity something about a group.
func (s *Store) AddGroupNotificationTx(ctx context.Context, tx *sql.Tx, n GroupNotification) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO group_notifications (actor_id, group_id, body, link, digest, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, n.ActorID, n.GroupID, n.Body, n.Link, n.Digest, s.unix())
	if err != nil {
		return fmt.Errorf("group notification: %w", err)
	}
	return nil
}

// GroupNotificationsOfAccount returns the latest group news of an
// account's identities, newest first.
func (s *Store) GroupNotificationsOfAccount(ctx context.Context, accountID int64, limit int) ([]GroupNotification, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT n.id, n.actor_id, n.group_id, n.body, n.link, n.digest, n.created_at
		FROM group_notifications n JOIN actors a ON a.id = n.actor_id WHERE a.account_id = ?
		ORDER BY n.id DESC LIMIT ?`, accountID, limit)
	if err != nil {
		return nil, fmt.Errorf("group notifications: %w", err)
	}
	defer rows.Close()
	var out []GroupNotification
	for rows.Next() {
		var n GroupNotification
		var created int64
		if err := rows.Scan(&n.ID, &n.ActorID, &n.GroupID, &n.Body, &n.Link, &n.Digest, &created); err != nil {
			return nil, err
		}
		n.CreatedAt = time.Unix(created, 0).UTC()
		out = append(out, n)
	}
	return out, rows.Err()
}

// DigestItem is a notification waiting for its account's daily email.
type DigestItem struct {
	ID        int64
	Email     string
	Body      string
	Link      string
	CreatedAt time.Time
}

// PendingDigests lists the digest notifications not mailed yet, created
// before until, grouped by email address.
func (s *Store) PendingDigests(ctx context.Context, until time.Time) ([]DigestItem, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT n.id, ac.email, n.body, n.link, n.created_at FROM group_notifications n
		JOIN actors a ON a.id = n.actor_id JOIN accounts ac ON ac.id = a.account_id
		WHERE n.digest = 1 AND n.mailed_at IS NULL AND n.created_at <= ? ORDER BY ac.email, n.id`, until.Unix())
	if err != nil {
		return nil, fmt.Errorf("pending digests: %w", err)
	}
	defer rows.Close()
	var out []DigestItem
	for rows.Next() {
		var d DigestItem
		var created int64
		if err := rows.Scan(&d.ID, &d.Email, &d.Body, &d.Link, &created); err != nil {
			return nil, err
		}
		d.CreatedAt = time.Unix(created, 0).UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// MarkDigestedTx records that notifications went out in a digest.
func (s *Store) MarkDigestedTx(ctx context.Context, tx *sql.Tx, ids []int64) error {
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE group_notifications SET mailed_at = ? WHERE id = ?`, s.unix(), id); err != nil {
			return err
		}
	}
	return nil
}

// AccountEmailOfTx returns the email of the account behind a local
// identity ("" for a remote actor).
func (s *Store) AccountEmailOfTx(ctx context.Context, q queryer, actorID int64) (string, string, error) {
	var email, locale string
	err := q.QueryRowContext(ctx, `SELECT coalesce(ac.email, ''), coalesce(ac.locale, '') FROM actors a
		LEFT JOIN accounts ac ON ac.id = a.account_id WHERE a.id = ?`, actorID).Scan(&email, &locale)
	return email, locale, notFound(err)
}

// LocalMemberOf returns the longest-standing local identity that is a
// member of a (remote) group, ErrNotFound when none: the one this server
// signs with to read the group's members-only documents.
func (s *Store) LocalMemberOf(ctx context.Context, groupID int64) (*Actor, error) {
	return scanActor(s.db.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM group_members m
		JOIN actors a ON a.id = m.actor_id
		WHERE m.group_id = ? AND a.domain = '' AND m.role IN ('member', 'moderator', 'administrator')
		ORDER BY m.id LIMIT 1`, groupID))
}

// SetRemoteModeratorsTx replaces what this server knows of who moderates
// a remote group: roles maps remote actor ids to moderator or
// administrator, and everyone else of another server loses such a role
// here. Memberships of this server's own people are theirs and untouched.
func (s *Store) SetRemoteModeratorsTx(ctx context.Context, tx *sql.Tx, groupID int64, roles map[int64]RemoteRole) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM group_members WHERE group_id = ?
		AND role IN ('moderator', 'administrator')
		AND actor_id IN (SELECT id FROM actors WHERE domain != '')`, groupID); err != nil {
		return fmt.Errorf("forget remote moderators: %w", err)
	}
	now := s.unix()
	for actorID, r := range roles {
		if _, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, actor_id, role, uri, notify, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (group_id, actor_id) DO UPDATE SET role = excluded.role, uri = excluded.uri, updated_at = excluded.updated_at`,
			groupID, actorID, r.Role, r.URI, NotifyEach, now, now); err != nil {
			return fmt.Errorf("remember remote moderator: %w", err)
		}
	}
	return nil
}

// RemoteRole is a role a remote group's members collection gives someone,
// with the id of that membership.
type RemoteRole struct {
	Role string
	URI  string
}

// RemoteGroupsWithLocalMembers lists the remote groups that people here
// are members of.
func (s *Store) RemoteGroupsWithLocalMembers(ctx context.Context) ([]*Group, error) {
	return s.queryGroups(ctx, "remote groups", `WHERE a.domain != '' AND EXISTS (SELECT 1 FROM group_members m
		JOIN actors p ON p.id = m.actor_id WHERE m.group_id = a.id AND p.domain = ''
		AND m.role IN ('member', 'moderator', 'administrator'))`)
}

// AccountModeratesGroup tells whether one of an account's identities is a
// moderator or administrator of a group.
func (s *Store) AccountModeratesGroup(ctx context.Context, accountID, groupID int64) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM group_members m JOIN actors a ON a.id = m.actor_id
		WHERE m.group_id = ? AND a.account_id = ? AND m.role IN ('moderator', 'administrator')`, groupID, accountID).Scan(&n)
	return n > 0, err
}

// ForgetRemoteGroupTx removes what this server kept of a remote group
// that its server deleted: memberships, log, discussions, posts,
// resources and the group itself. The actor row stays, so what its
// members were told about it (their notifications) stays readable.
func (s *Store) ForgetRemoteGroupTx(ctx context.Context, tx *sql.Tx, groupID int64) error {
	for _, table := range []string{"group_members", "group_log", "discussions", "group_posts", "group_resources", "group_syncs"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE group_id = ?`, groupID); err != nil {
			return fmt.Errorf("forget remote group (%s): %w", table, err)
		}
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM groups WHERE actor_id = ? AND actor_id IN (SELECT id FROM actors WHERE domain != '')`, groupID)
	return err
}

// queryGroups runs groupSelect with the rest of a query (what names it in
// errors) and reads the groups.
func (s *Store) queryGroups(ctx context.Context, what, rest string, args ...any) ([]*Group, error) {
	rows, err := s.db.QueryContext(ctx, groupSelect+rest, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []*Group
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}
