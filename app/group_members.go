package app

// Membership: joining, leaving, invitations, requests, removals and roles.
// Every change tells the person concerned (in the app, and by email when
// the instance sends mail) and is written to the group's log.

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"convene/app/i18n"
	"convene/app/store"
	"convene/views"

	"github.com/google/uuid"
)

const maxJoinMessage = 1000

// membershipURI names a new local membership on the wire.
func (a *App) membershipURI() string { return a.URL("/members/" + uuid.NewString()) }

// tellTx tells a local identity something about a group: in the app, and
// by email when mail is on. Remote actors hear through federation instead.
// msg is written in the person's language.
func (a *App) tellTx(ctx context.Context, tx *sql.Tx, g *store.Group, actorID int64, link string, digest bool, msg func(l *i18n.Printer) string) error {
	email, locale, err := a.store.AccountEmailOfTx(ctx, tx, actorID)
	if err != nil || email == "" {
		return err
	}
	l := i18n.For(i18n.Negotiate(a.setting(ctx, SettingLanguage), locale))
	body := msg(l)
	if err := a.store.AddGroupNotificationTx(ctx, tx, store.GroupNotification{ActorID: actorID, GroupID: g.ID,
		Body: body, Link: link, Digest: digest && a.MailEnabled()}); err != nil {
		return err
	}
	if !a.MailEnabled() || digest {
		return nil
	}
	return a.queueMail(ctx, tx, email, views.Mail{
		Lang:       l.Lang,
		Subject:    g.Name() + " · " + firstLine(body),
		Paragraphs: []string{body},
		Action:     views.MailLink{Label: l.T("Open the group"), URL: a.URL(link)},
	})
}

// changeMembership runs a membership change, its log line, the message to
// the person concerned and what peers must be told, in one transaction.
func (a *App) changeMembership(ctx context.Context, fn func(tx *sql.Tx) error) error {
	err := a.store.Tx(ctx, fn)
	if err == nil {
		a.mailQueued()
	}
	return err
}

// Group log actions for a group's content (membership ones are spelt out
// where they happen). A change's detail holds the before and the after
// (logChange).
const (
	logDiscussionRenamed = "discussion_renamed"
	logDiscussionDeleted = "discussion_deleted"
	logResourceRenamed   = "resource_renamed"
	logResourceMoved     = "resource_moved"
	logResourceDeleted   = "resource_deleted"
)

// logChange is a log line's detail for a change from before to after;
// titles are single lines, so a newline separates them.
func logChange(before, after string) string { return before + "\n" + after }

func logTx(ctx context.Context, a *App, tx *sql.Tx, groupID, actorID, subjectID int64, action, detail string) error {
	return a.store.AddGroupLogTx(ctx, tx, store.GroupLogEntry{GroupID: groupID, ActorID: actorID, SubjectID: subjectID, Action: action, Detail: detail})
}

// tellModeratorsTx tells a group's local moderators and administrators.
func (a *App) tellModeratorsTx(ctx context.Context, tx *sql.Tx, g *store.Group, link string, msg func(l *i18n.Printer) string) error {
	mods, err := a.store.ListMembers(ctx, g.ID, []string{store.RoleModerator, store.RoleAdministrator}, 200, 0)
	if err != nil {
		return err
	}
	for _, m := range mods {
		if m.Actor.IsLocal() {
			if err := a.tellTx(ctx, tx, g, m.ActorID, link, false, msg); err != nil {
				return err
			}
		}
	}
	return nil
}

// joinGroup: the acting identity joins (open), asks to join (moderated),
// or accepts its invitation. An invite-only group without an invitation
// refuses.
func (a *App) joinGroup(w http.ResponseWriter, r *http.Request) error {
	identity := currentIdentity(r)
	if identity == nil {
		return a.sendToLogin(w, r)
	}
	gc, err := a.loadGroup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	l := a.printer(r)
	g := gc.Group
	if gc.Membership != nil && gc.Membership.Role == store.RoleInvited {
		return a.answerInvitation(w, r, gc, true)
	}
	if gc.Membership != nil {
		return a.redirect(w, r, groupPage(g), l.T("You are already in this group, or your request is waiting."))
	}
	message := strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("message"), "\r\n", "\n"))
	if m := validText(l, message, maxJoinMessage, true); m != "" {
		return errBadRequest(m)
	}
	role := store.RoleMember
	switch g.Openness {
	case store.OpennessInviteOnly:
		return errForbidden(l.T("This group welcomes new members by invitation only."))
	case store.OpennessModerated:
		role = store.RolePending
	}
	if !g.IsLocal() {
		return a.joinRemoteGroup(w, r, gc, message)
	}
	err = a.changeMembership(r.Context(), func(tx *sql.Tx) error {
		if _, err := a.store.AddMemberTx(r.Context(), tx, store.Membership{GroupID: g.ID, ActorID: identity.ID, Role: role,
			URI: a.membershipURI(), Message: message}); err != nil {
			return err
		}
		ctx := r.Context()
		if role == store.RolePending {
			if err := logTx(ctx, a, tx, g.ID, identity.ID, identity.ID, "requested", message); err != nil {
				return err
			}
			return a.tellModeratorsTx(ctx, tx, g, groupPath(g)+"/members", func(l *i18n.Printer) string {
				return l.T("%s asks to join %s.", identity.Name(), g.Name())
			})
		}
		if err := logTx(ctx, a, tx, g.ID, identity.ID, identity.ID, "joined", ""); err != nil {
			return err
		}
		return a.tellTx(ctx, tx, g, identity.ID, groupPage(g), false, func(l *i18n.Printer) string {
			return l.T("You are now a member of %s.", g.Name())
		})
	})
	if errors.Is(err, store.ErrConflict) {
		return a.redirect(w, r, groupPage(g), l.T("You are already in this group, or your request is waiting."))
	}
	if err != nil {
		return err
	}
	if role == store.RolePending {
		return a.redirect(w, r, groupPage(g), l.T("Your request is sent. The group's moderators will answer it."))
	}
	return a.redirect(w, r, groupPage(g), l.T("Welcome to %s!", g.Name()))
}

// answerInvitation accepts or declines the acting identity's invitation.
func (a *App) answerInvitation(w http.ResponseWriter, r *http.Request, gc *groupCtx, accept bool) error {
	l := a.printer(r)
	g, m := gc.Group, gc.Membership
	if m == nil || m.Role != store.RoleInvited {
		return errBadRequest(l.T("There is no invitation to answer."))
	}
	ctx := r.Context()
	err := a.changeMembership(ctx, func(tx *sql.Tx) error {
		action := "declined"
		if accept {
			action = "accepted"
			if err := a.store.SetRoleTx(ctx, tx, m.ID, store.RoleMember); err != nil {
				return err
			}
		} else if err := a.store.DeleteMembershipTx(ctx, tx, m.ID); err != nil {
			return err
		}
		if err := logTx(ctx, a, tx, g.ID, gc.Identity.ID, gc.Identity.ID, action, ""); err != nil {
			return err
		}
		if m.InvitedByID != 0 {
			if err := a.tellTx(ctx, tx, g, m.InvitedByID, groupPath(g)+"/members", false, func(l *i18n.Printer) string {
				if accept {
					return l.T("%s accepted the invitation to %s.", gc.Identity.Name(), g.Name())
				}
				return l.T("%s declined the invitation to %s.", gc.Identity.Name(), g.Name())
			}); err != nil {
				return err
			}
		}
		return a.federateInvitationAnswerTx(ctx, tx, g, m, gc.Identity, accept)
	})
	if err != nil {
		return err
	}
	switch {
	case accept && !g.IsLocal():
		return a.redirect(w, r, groupPage(g), l.T("Welcome to %s! What the group shares with its members arrives here in a minute or two.", g.Name()))
	case accept:
		return a.redirect(w, r, groupPage(g), l.T("Welcome to %s!", g.Name()))
	}
	return a.redirect(w, r, "/groups", l.T("The invitation is declined."))
}

func (a *App) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	return a.invitationAnswer(w, r, true)
}

func (a *App) declineInvitation(w http.ResponseWriter, r *http.Request) error {
	return a.invitationAnswer(w, r, false)
}

func (a *App) invitationAnswer(w http.ResponseWriter, r *http.Request, accept bool) error {
	if currentIdentity(r) == nil {
		return a.sendToLogin(w, r)
	}
	gc, err := a.loadGroup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	return a.answerInvitation(w, r, gc, accept)
}

// leaveGroup: the acting identity leaves, withdraws its request, or
// declines its invitation. The last administrator stays.
func (a *App) leaveGroup(w http.ResponseWriter, r *http.Request) error {
	if currentIdentity(r) == nil {
		return a.sendToLogin(w, r)
	}
	gc, err := a.loadGroup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	l := a.printer(r)
	m := gc.Membership
	if m == nil {
		return errBadRequest(l.T("You are not in this group."))
	}
	if m.Role == store.RoleInvited {
		return a.answerInvitation(w, r, gc, false)
	}
	if !groupMay(m, actLeave, m, "", gc.Admins) {
		return errForbidden(l.T("You are the last administrator of this group: make someone else administrator before leaving."))
	}
	g := gc.Group
	ctx := r.Context()
	err = a.changeMembership(ctx, func(tx *sql.Tx) error {
		if err := a.store.DeleteMembershipTx(ctx, tx, m.ID); err != nil {
			return err
		}
		if err := logTx(ctx, a, tx, g.ID, gc.Identity.ID, gc.Identity.ID, "left", ""); err != nil {
			return err
		}
		if err := a.tellTx(ctx, tx, g, gc.Identity.ID, groupPage(g), false, func(l *i18n.Printer) string {
			return l.T("You left %s.", g.Name())
		}); err != nil {
			return err
		}
		return a.federateLeaveTx(ctx, tx, g, m, gc.Identity)
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, groupPage(g), l.T("You left %s.", g.Name()))
}

// showMembers lists a group's members to its members, with the
// moderators' tools.
func (a *App) showMembers(w http.ResponseWriter, r *http.Request) error {
	gc, ok, err := a.localGroupFor(w, r, actRead)
	if !ok {
		return err
	}
	return a.renderMembers(w, r, http.StatusOK, gc, "", nil)
}

func (a *App) renderMembers(w http.ResponseWriter, r *http.Request, status int, gc *groupCtx, handle string, errs views.FieldErrors) error {
	all, err := a.store.ListMembers(r.Context(), gc.Group.ID, nil, 1000, 0)
	if err != nil {
		return err
	}
	v := views.MembersView{Group: gc.Group, Path: groupPath(gc.Group), Me: gc.Membership, Handle: handle,
		CanInvite: gc.may(actInvite), CanManage: gc.may(actManageMembers), IsAdmin: gc.Membership.Role == store.RoleAdministrator,
		Notify: gc.Membership.Notify, MailEnabled: a.MailEnabled()}
	for _, m := range all {
		if m.IsMember() {
			v.Members = append(v.Members, m)
		} else if v.CanManage {
			if m.Role == store.RolePending {
				v.Pending = append(v.Pending, m)
			} else {
				v.Invited = append(v.Invited, m)
			}
		}
	}
	p := a.page(r, a.printer(r).T("Members of %s", gc.Group.Name()))
	p.NoIndex = true
	return a.render(w, r, status, views.MembersPage(p, v, errs))
}

// inviteMember invites a local identity (name or @name) or, through
// federation, a remote person (@user@host).
func (a *App) inviteMember(w http.ResponseWriter, r *http.Request) error {
	gc, ok, err := a.localGroupFor(w, r, actInvite)
	if !ok {
		return err
	}
	ctx := r.Context()
	l := a.printer(r)
	g := gc.Group
	handle := strings.TrimSpace(r.PostFormValue("handle"))
	fail := func(msg string) error {
		return a.renderMembers(w, r, http.StatusUnprocessableEntity, gc, handle, views.FieldErrors{"handle": msg})
	}
	if !g.IsLocal() {
		return errForbidden(l.T("Invitations to this group are sent from its own server."))
	}
	if !a.limits.allow("group-invite:"+itoa(gc.Identity.ID), 5*time.Second, 30) {
		return fail(l.T("Too many attempts; wait a minute and try again."))
	}
	name := strings.TrimPrefix(strings.ToLower(handle), "@")
	var invitee *store.Actor
	if user, host, remote := strings.Cut(name, "@"); remote && host != a.Host() {
		invitee, err = a.resolveRemotePerson(ctx, handle)
		if err != nil {
			return fail(l.T("No fediverse account was found at this address. Check it and try again."))
		}
	} else {
		if remote {
			name = user
		}
		if !usernamePattern.MatchString(name) {
			return fail(l.T("Give the handle of an identity, like @name, or of a fediverse account, like @name@example.org."))
		}
		invitee, err = a.store.LocalActorByUsername(ctx, name)
		if err != nil || invitee.Kind != store.KindPerson {
			return fail(l.T("There is no identity with this handle here."))
		}
	}
	m := &store.Membership{GroupID: g.ID, ActorID: invitee.ID, Role: store.RoleInvited, URI: a.membershipURI(), InvitedByID: gc.Identity.ID}
	err = a.changeMembership(ctx, func(tx *sql.Tx) error {
		var err error
		if m, err = a.store.AddMemberTx(ctx, tx, *m); err != nil {
			return err
		}
		if err := logTx(ctx, a, tx, g.ID, gc.Identity.ID, invitee.ID, "invited", ""); err != nil {
			return err
		}
		if invitee.IsLocal() {
			return a.tellTx(ctx, tx, g, invitee.ID, groupPage(g), false, func(l *i18n.Printer) string {
				return l.T("%s invites you to join the group %s.", gc.Identity.Name(), g.Name())
			})
		}
		return a.federateInviteTx(ctx, tx, g, m, gc.Identity, invitee)
	})
	if errors.Is(err, store.ErrConflict) {
		return fail(l.T("%s is already in the group, invited or waiting.", invitee.Handle()))
	}
	if err != nil {
		return err
	}
	return a.redirect(w, r, groupPath(g)+"/members", l.T("%s is invited.", invitee.Handle()))
}

// decideMember answers a request (approve, refuse), removes a member
// (remove), withdraws an invitation (cancel) or changes a role (role).
func (a *App) decideMember(w http.ResponseWriter, r *http.Request) error {
	gc, ok, err := a.localGroupFor(w, r, actRead)
	if !ok {
		return err
	}
	ctx := r.Context()
	l := a.printer(r)
	g := gc.Group
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	target, err := a.store.MembershipByID(ctx, id)
	if err != nil || target.GroupID != g.ID {
		return errNotFound()
	}
	decision := r.PathValue("decision")
	newRole := ""
	switch decision {
	case "approve":
		if target.Role != store.RolePending {
			return errBadRequest(l.T("This request was already answered."))
		}
		newRole = store.RoleMember
	case "role":
		newRole = r.PostFormValue("role")
		if !store.IsMemberRole(newRole) {
			return errBadRequest(l.T("Choose one of the options in the list."))
		}
	case "refuse":
		if target.Role != store.RolePending {
			return errBadRequest(l.T("This request was already answered."))
		}
	case "cancel":
		if target.Role != store.RoleInvited {
			return errBadRequest(l.T("There is no invitation to withdraw."))
		}
	case "remove":
		if !target.IsMember() {
			return errBadRequest(l.T("This person is not a member."))
		}
	default:
		return errNotFound()
	}
	if !groupMay(gc.Membership, actManageMembers, target, newRole, gc.Admins) {
		if target.Role == store.RoleAdministrator && gc.Admins <= 1 {
			return errForbidden(l.T("A group always keeps at least one administrator: make someone else administrator first."))
		}
		return errForbidden(l.T(groupRefusal(actManageMembers)))
	}
	subject, err := a.store.ActorByID(ctx, target.ActorID)
	if err != nil {
		return err
	}
	var flash string
	err = a.changeMembership(ctx, func(tx *sql.Tx) error {
		var msg func(l *i18n.Printer) string
		action, detail := decision, ""
		switch decision {
		case "approve":
			if err := a.store.SetRoleTx(ctx, tx, target.ID, store.RoleMember); err != nil {
				return err
			}
			action = "approved"
			msg = func(l *i18n.Printer) string { return l.T("Your request to join %s is accepted. Welcome!", g.Name()) }
			flash = l.T("%s is now a member.", subject.Handle())
		case "role":
			if err := a.store.SetRoleTx(ctx, tx, target.ID, newRole); err != nil {
				return err
			}
			action, detail = "role", newRole
			msg = func(l *i18n.Printer) string {
				return l.T("You are now %s of %s.", views.RoleName(l, newRole), g.Name())
			}
			flash = l.T("%s is now %s.", subject.Handle(), views.RoleName(l, newRole))
		case "refuse", "remove", "cancel":
			if err := a.store.DeleteMembershipTx(ctx, tx, target.ID); err != nil {
				return err
			}
			action = map[string]string{"refuse": "refused", "remove": "removed", "cancel": "uninvited"}[decision]
			msg = func(l *i18n.Printer) string {
				switch decision {
				case "refuse":
					return l.T("Your request to join %s was declined.", g.Name())
				case "cancel":
					return l.T("Your invitation to %s was withdrawn.", g.Name())
				}
				return l.T("You were removed from %s.", g.Name())
			}
			flash = l.T("Done: %s is no longer in the group.", subject.Handle())
		}
		if err := logTx(ctx, a, tx, g.ID, gc.Identity.ID, target.ActorID, action, detail); err != nil {
			return err
		}
		if err := a.tellTx(ctx, tx, g, target.ActorID, groupPage(g), false, msg); err != nil {
			return err
		}
		if !subject.IsLocal() {
			return a.federateDecisionTx(ctx, tx, g, target, gc.Identity, subject, decision, newRole)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, groupPath(g)+"/members", flash)
}

// setGroupNotify is a member's switch for discussion news: each message,
// a daily digest, or nothing.
func (a *App) setGroupNotify(w http.ResponseWriter, r *http.Request) error {
	gc, ok, err := a.localGroupFor(w, r, actRead)
	if !ok {
		return err
	}
	l := a.printer(r)
	notify := r.PostFormValue("notify")
	if !contains([]string{store.NotifyEach, store.NotifyDigest, store.NotifyOff}, notify) {
		return errBadRequest(l.T("Choose one of the options in the list."))
	}
	if err := a.store.SetNotify(r.Context(), gc.Membership.ID, notify); err != nil {
		return err
	}
	return a.redirect(w, r, groupPath(gc.Group)+"/members", l.T("Your choice is saved."))
}
