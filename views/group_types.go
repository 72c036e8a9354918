package views

import (
	"strconv"
	"strings"

	"convene/app/i18n"
	"convene/app/store"
)

// GroupView is what a group's page shows to the visitor.
type GroupView struct {
	Group      *store.Group
	Membership *store.Membership // the visitor's, nil when none
	Identity   *store.Actor      // the acting identity, nil when logged out
	FediName   string
	Path       string // where the group's pages live
	CanRead    bool
	CanPost    bool
	CanManage  bool
	CanEdit    bool
	CanLeave   bool
	Pending    int
	// PendingFollowers counts the fediverse follow requests waiting for
	// a moderator (a local group that approves followers by hand).
	PendingFollowers int
	// Following is the acting identity's follow of the group: "" when
	// none, else store.FollowPending or store.FollowAccepted.
	Following   string
	Upcoming    []*store.Event
	Posts       []*store.Post
	Resources   []*store.Resource
	Discussions []*store.Discussion
}

// GroupsView lists groups.
type GroupsView struct {
	Groups []*store.Group
	Mine   []store.MyGroup
	News   []store.GroupNotification
	Page   int
	More   bool
}

// GroupForm is the group form as typed.
type GroupForm struct {
	Action      string
	Editing     bool
	Username    string
	DisplayName string
	Bio         string
	Visibility  string
	Openness    string
	Manual      bool
	Venue       string
	Street      string
	PostalCode  string
	Locality    string
	Region      string
	Country     string
	AvatarUUID  string
	BannerUUID  string
}

// MembersView is a group's members page.
type MembersView struct {
	Group       *store.Group
	Path        string
	Me          *store.Membership
	Members     []*store.Membership
	Pending     []*store.Membership
	Invited     []*store.Membership
	Handle      string
	CanInvite   bool
	CanManage   bool
	IsAdmin     bool
	Notify      string
	MailEnabled bool
}

// DiscussionsView lists a group's discussions.
type DiscussionsView struct {
	Group       *store.Group
	Path        string
	Discussions []*store.Discussion
	Page        int
	More        bool
}

// DiscussionForm is a new discussion as typed.
type DiscussionForm struct {
	Title string
	Body  string
}

// DiscussionView is one page of a discussion.
type DiscussionView struct {
	Group      *store.Group
	Path       string
	Discussion *store.Discussion
	Messages   []*store.Message
	Next       int64 // the id to continue after, 0 when this is the end
	Earlier    bool
	Body       string
	Title      string // in the rename form
	CanRename  bool   // any member
	CanDelete  bool   // its author, moderators and administrators
	Me         int64  // the reader's identity, who may change their messages
}

// MessageEditView is the form changing one's own discussion message.
type MessageEditView struct {
	Group      *store.Group
	Path       string
	Discussion *store.Discussion
	Message    *store.Message
	Body       string
}

// Editable tells whether the reader may change a message: one they wrote
// here, with what they typed kept.
func (v DiscussionView) Editable(m *store.Message) bool {
	return m.AuthorID == v.Me && m.URI == "" && m.HasSource
}

// PostForm is a post as typed.
type PostForm struct {
	Slug       string // the post edited; "" for a new one
	Title      string
	Body       string
	Visibility string
	HasBanner  bool // an edited post that has one
}

// ResourcesView is a folder of a group's resources.
type ResourcesView struct {
	Group     *store.Group
	Path      string
	Folder    *store.Resource
	Resources []*store.Resource
	CanManage bool
	// MayDelete tells whether the reader may delete a resource: the one
	// who added it, or a moderator or administrator.
	MayDelete func(*store.Resource) bool
}

// ResourceForm is a new resource as typed.
type ResourceForm struct {
	Kind        string
	Tool        string
	Title       string
	Description string
	URL         string
	Public      bool
	Folder      string
}

// RoleName is a role in words.
func RoleName(l *i18n.Printer, role string) string {
	switch role {
	case store.RoleAdministrator:
		return l.T("administrator")
	case store.RoleModerator:
		return l.T("moderator")
	case store.RoleMember:
		return l.T("member")
	case store.RoleInvited:
		return l.T("invited")
	case store.RolePending:
		return l.T("waiting for approval")
	}
	return role
}

// OpennessName says who may join.
func OpennessName(l *i18n.Printer, o string) string {
	switch o {
	case store.OpennessOpen:
		return l.T("Anyone can join")
	case store.OpennessModerated:
		return l.T("Anyone can ask to join; moderators approve")
	}
	return l.T("By invitation only")
}

// ToolName names the kind of tool a link points at.
func ToolName(l *i18n.Printer, tool string) string {
	switch tool {
	case "pad":
		return l.T("Pad")
	case "spreadsheet":
		return l.T("Spreadsheet")
	case "video":
		return l.T("Video room")
	case "chat":
		return l.T("Chat")
	case "calendar":
		return l.T("Calendar")
	case "document":
		return l.T("Document")
	}
	return l.T("Link")
}

// PostVisibilityName says who reads a post.
func PostVisibilityName(l *i18n.Printer, v string) string {
	switch v {
	case store.PostPublic:
		return l.T("Public: on the group page and in its feed")
	case store.PostUnlisted:
		return l.T("Unlisted: anyone with the link")
	}
	return l.T("Members only")
}

func roleChoices(l *i18n.Printer, withAdmin bool) []Choice {
	c := []Choice{{store.RoleMember, RoleName(l, store.RoleMember)}, {store.RoleModerator, RoleName(l, store.RoleModerator)}}
	if withAdmin {
		c = append(c, Choice{store.RoleAdministrator, RoleName(l, store.RoleAdministrator)})
	}
	return c
}

func toolChoices(l *i18n.Printer) []Choice {
	var c []Choice
	for _, t := range store.ResourceTools {
		c = append(c, Choice{t, ToolName(l, t)})
	}
	return c
}

// logChange splits a log line's detail into what was and what became.
func logChange(detail string) (before, after string) {
	before, after, _ = strings.Cut(detail, "\n")
	return before, after
}

func logLine(l *i18n.Printer, e store.GroupLogEntry) string {
	who, whom := "?", "?"
	if e.Actor != nil {
		who = e.Actor.Handle()
	}
	if e.Subject != nil {
		whom = e.Subject.Handle()
	}
	switch e.Action {
	case "created":
		return l.T("%s created the group.", who)
	case "joined":
		return l.T("%s joined.", who)
	case "requested":
		return l.T("%s asked to join.", who)
	case "accepted":
		return l.T("%s accepted the invitation.", who)
	case "declined":
		return l.T("%s declined the invitation.", who)
	case "left":
		return l.T("%s left.", who)
	case "invited":
		return l.T("%s invited %s.", who, whom)
	case "uninvited":
		return l.T("%s withdrew the invitation of %s.", who, whom)
	case "approved":
		return l.T("%s approved the request of %s.", who, whom)
	case "refused":
		return l.T("%s declined the request of %s.", who, whom)
	case "removed":
		return l.T("%s removed %s.", who, whom)
	case "role":
		return l.T("%s made %s %s.", who, whom, RoleName(l, e.Detail))
	case "settings":
		return l.T("%s changed the settings.", who)
	case "account_deleted":
		return l.T("A member deleted their account.")
	case "successor":
		return l.T("%s became administrator: the last one deleted their account.", whom)
	case "follower_accepted":
		return l.T("%s let %s follow the group.", who, whom)
	case "follower_removed":
		return l.T("%s removed the follower %s.", who, whom)
	case "discussion_renamed":
		before, after := logChange(e.Detail)
		return l.T("%s renamed the discussion “%s” to “%s”.", who, before, after)
	case "discussion_deleted":
		return l.T("%s deleted the discussion “%s” started by %s.", who, e.Detail, whom)
	case "resource_renamed":
		before, after := logChange(e.Detail)
		return l.T("%s renamed the resource “%s” to “%s”.", who, before, after)
	case "resource_moved":
		title, folder := logChange(e.Detail)
		if folder == "" {
			return l.T("%s moved the resource “%s” out of its folder.", who, title)
		}
		return l.T("%s moved the resource “%s” to the folder “%s”.", who, title, folder)
	case "resource_deleted":
		return l.T("%s deleted the resource “%s” added by %s.", who, e.Detail, whom)
	}
	return e.Action
}

func groupLink(g *store.Group) string {
	if g.IsLocal() {
		return "/@" + g.Username
	}
	return "/groups/" + g.Username + "@" + g.Domain
}

func itoa[T int | int64](n T) string { return strconv.FormatInt(int64(n), 10) }

// postFormAction is where the post form is sent: a new post's, or the
// edited post's.
func postFormAction(path string, f PostForm) string {
	if f.Slug != "" {
		return path + "/posts/" + f.Slug + "/edit"
	}
	return path + "/posts"
}
