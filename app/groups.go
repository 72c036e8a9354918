package app

// Groups: an association's home. A group is an actor (kind 'group') in the
// one namespace of handles, with members in roles. What each role may do
// is decided by groupMay alone, from the role table of the groups spec;
// every handler and every inbox handler asks it.

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
)

// groupAction is something someone may want to do in a group.
type groupAction int

const (
	// actRead: read discussions, resources, the members list and
	// members-only posts.
	actRead groupAction = iota
	// actDiscuss: start, reply to or rename a discussion; delete one's
	// own (mayRemoveContent says who deletes what).
	actDiscuss
	// actManageResources: create, rename or move resources; delete one's
	// own (mayRemoveContent).
	actManageResources
	// actManageEvents: create, edit or delete the group's events.
	actManageEvents
	// actPost: write, edit or delete posts.
	actPost
	// actInvite: invite someone.
	actInvite
	// actManageMembers: approve or refuse requests, remove members,
	// change roles (target and newRole say whom and to what); accept,
	// refuse or remove the group's fediverse followers.
	actManageMembers
	// actEditGroup: edit the profile and settings, read the log, delete the group.
	actEditGroup
	// actLeave: leave the group (target is the leaver's own membership).
	actLeave
)

// minimumRole is the role table of the spec.
var minimumRole = map[groupAction]string{
	actRead:            store.RoleMember,
	actDiscuss:         store.RoleMember,
	actManageResources: store.RoleMember,
	actManageEvents:    store.RoleModerator,
	actPost:            store.RoleModerator,
	actInvite:          store.RoleModerator,
	actManageMembers:   store.RoleModerator,
	actEditGroup:       store.RoleAdministrator,
	actLeave:           store.RoleInvited,
}

// groupMay decides whether who (the acting membership; nil when not a
// member at all) may do act. For actManageMembers, target is the
// membership acted on and newRole the role it would get ("" for a
// removal or a refusal); for actLeave, target is who's own membership.
// admins is the group's number of administrators: the last one can
// neither leave, nor be removed, nor be demoted, so a group is never
// left without someone able to run it.
func groupMay(who *store.Membership, act groupAction, target *store.Membership, newRole string, admins int) bool {
	if who == nil {
		return false
	}
	min, ok := minimumRole[act]
	if !ok || store.RoleRank(who.Role) < store.RoleRank(min) {
		return false
	}
	lastAdmin := func(m *store.Membership) bool {
		return m != nil && m.Role == store.RoleAdministrator && admins <= 1
	}
	switch act {
	case actLeave:
		return target != nil && target.ID == who.ID && !lastAdmin(target)
	case actManageMembers:
		if target == nil {
			return true // may manage members at all: the role is enough
		}
		if target.GroupID != who.GroupID {
			return false
		}
		// Only administrators touch administrators, or make one.
		if (target.Role == store.RoleAdministrator || newRole == store.RoleAdministrator) && who.Role != store.RoleAdministrator {
			return false
		}
		if newRole != "" && !store.IsMemberRole(newRole) {
			return false
		}
		// Invitations and requests are answered by their own flows;
		// a role is changed only for members.
		if newRole != "" && target.Role != store.RolePending && !target.IsMember() {
			return false
		}
		if lastAdmin(target) && newRole != store.RoleAdministrator {
			return false
		}
		return true
	}
	return true
}

// mayRemoveContent decides whether who (nil when not a member) may delete
// a discussion or a resource that authorID started: its author, or the
// group's moderators and administrators. Any member may rename a thread
// (Mobilizon's rule, which peers rely on), but deleting one takes every
// message of everyone in it, so it is not every member's to do.
func mayRemoveContent(who *store.Membership, authorID int64) bool {
	if who == nil || !who.IsMember() {
		return false
	}
	return who.ActorID == authorID || moderatesContent(who)
}

// moderatesContent tells whether who may delete anyone's content.
func moderatesContent(who *store.Membership) bool {
	return who != nil && store.RoleRank(who.Role) >= store.RoleRank(store.RoleModerator)
}

// groupCtx is a group as the current visitor meets it.
type groupCtx struct {
	Group      *store.Group
	Identity   *store.Actor      // the acting identity, nil when logged out
	Membership *store.Membership // the acting identity's, nil when none
	Admins     int
}

func (gc *groupCtx) may(act groupAction) bool {
	return groupMay(gc.Membership, act, nil, "", gc.Admins)
}

// mayRemove tells whether the visitor may delete what authorID started.
func (gc *groupCtx) mayRemove(authorID int64) bool {
	return mayRemoveContent(gc.Membership, authorID)
}

// loadGroup reads the group named in the path ({name}: "club" for a local
// group, "club@host" for a remote one) and the visitor's place in it.
func (a *App) loadGroup(r *http.Request, name string) (*groupCtx, error) {
	ctx := r.Context()
	name = strings.TrimPrefix(strings.ToLower(name), "@")
	if name == "" || len(name) > 300 {
		return nil, errNotFound()
	}
	g, err := a.store.GroupByHandle(ctx, name)
	if errors.Is(err, store.ErrNotFound) && strings.Contains(name, "@") {
		g, err = a.lookUpRemoteGroup(r, name)
	}
	if err != nil {
		return nil, err
	}
	gc := &groupCtx{Group: g, Identity: currentIdentity(r)}
	if gc.Identity != nil {
		m, err := a.store.MembershipOf(ctx, g.ID, gc.Identity.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		gc.Membership = m
	}
	if gc.Admins, err = a.store.CountAdministrators(ctx, g.ID); err != nil {
		return nil, err
	}
	return gc, nil
}

// groupPath is where a group's pages live.
func groupPath(g *store.Group) string {
	if g.IsLocal() {
		return "/groups/" + g.Username
	}
	return "/groups/" + g.Username + "@" + g.Domain
}

// groupPage is a group's public page.
func groupPage(g *store.Group) string {
	if g.IsLocal() {
		return "/@" + g.Username
	}
	return groupPath(g)
}

const (
	maxGroupDescription = 5000
	groupEventsShown    = 10
	groupPostsShown     = 10
)

var (
	groupVisibilities = []string{store.GroupPublic, store.GroupUnlisted}
	groupOpenness     = []string{store.OpennessOpen, store.OpennessModerated, store.OpennessInviteOnly}
)

// showGroupByHandle serves /@name when the name is a group's.
func (a *App) showGroupByHandle(w http.ResponseWriter, r *http.Request, username string) error {
	gc, err := a.loadGroup(r, username)
	if err != nil {
		return err
	}
	return a.renderGroup(w, r, gc)
}

// showGroup serves /groups/{name}: a local group's page lives at /@name.
func (a *App) showGroup(w http.ResponseWriter, r *http.Request) error {
	gc, err := a.loadGroup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	if gc.Group.IsLocal() {
		http.Redirect(w, r, groupPage(gc.Group), http.StatusMovedPermanently)
		return nil
	}
	return a.renderGroup(w, r, gc)
}

func (a *App) renderGroup(w http.ResponseWriter, r *http.Request, gc *groupCtx) error {
	ctx := r.Context()
	g := gc.Group
	v := views.GroupView{Group: g, Membership: gc.Membership, Identity: gc.Identity,
		CanRead: gc.may(actRead), CanPost: gc.may(actPost), CanManage: gc.may(actManageMembers),
		CanEdit: gc.may(actEditGroup), CanLeave: gc.Membership != nil && groupMay(gc.Membership, actLeave, gc.Membership, "", gc.Admins),
		FediName: "@" + g.Username + "@" + a.Host(), Path: groupPath(g)}
	if !g.IsLocal() {
		v.FediName = g.Handle()
	}
	var err error
	if gc.Identity != nil {
		f, err := a.store.FollowBetween(ctx, gc.Identity.ID, g.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if f != nil {
			v.Following = f.State
		}
	}
	if v.Upcoming, err = a.store.ListEvents(ctx, store.EventQuery{Now: a.now(), GroupID: g.ID, Listed: !v.CanRead, OnePerSeries: true, Limit: groupEventsShown}); err != nil {
		return err
	}
	vis := []string{store.PostPublic}
	if v.CanRead {
		vis = append(vis, store.PostUnlisted, store.PostMembers)
	}
	if v.Posts, err = a.store.ListPosts(ctx, g.ID, vis, groupPostsShown, 0); err != nil {
		return err
	}
	if v.Resources, err = a.store.ListResources(ctx, g.ID, 0, !v.CanRead); err != nil {
		return err
	}
	if v.CanRead {
		if v.Discussions, err = a.store.ListDiscussions(ctx, g.ID, 5, 0); err != nil {
			return err
		}
	}
	if v.CanManage {
		if v.Pending, err = a.store.CountMembers(ctx, g.ID, store.RolePending); err != nil {
			return err
		}
		if g.IsLocal() {
			if v.PendingFollowers, err = a.store.CountPendingFollowers(ctx, g.ID); err != nil {
				return err
			}
		}
	}
	p := a.page(r, g.Name()+" ("+v.FediName+")")
	p.Description = firstLine(g.Bio)
	p.NoIndex = g.Visibility != store.GroupPublic
	if g.IsLocal() {
		p.Feeds = a.groupFeeds(r, g)
	}
	return a.render(w, r, http.StatusOK, views.GroupPage(p, v))
}

// showGroups lists the public groups and the visitor's own.
func (a *App) showGroups(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	page := pageNumber(r)
	groups, err := a.store.ListPublicGroups(ctx, 51, (page-1)*50)
	if err != nil {
		return err
	}
	v := views.GroupsView{Page: page}
	if len(groups) > 50 {
		groups, v.More = groups[:50], true
	}
	v.Groups = groups
	if acc := currentAccount(r); acc != nil {
		if v.Mine, err = a.store.GroupsOfAccount(ctx, acc.ID); err != nil {
			return err
		}
		if v.News, err = a.store.GroupNotificationsOfAccount(ctx, acc.ID, 20); err != nil {
			return err
		}
	}
	p := a.page(r, a.printer(r).T("Groups"))
	return a.render(w, r, http.StatusOK, views.GroupsPage(p, v))
}

func (a *App) showNewGroup(w http.ResponseWriter, r *http.Request) error {
	if currentIdentity(r) == nil {
		return a.sendToLogin(w, r)
	}
	p := a.page(r, a.printer(r).T("New group"))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.GroupFormPage(p, views.GroupForm{
		Visibility: store.GroupPublic, Openness: store.OpennessModerated, Action: "/groups"}, nil))
}

// readGroupForm reads and checks the fields of the group form.
func readGroupForm(l *i18n.Printer, r *http.Request, f *views.GroupForm, errs views.FieldErrors) store.NewGroup {
	f.DisplayName = cleanSpace(r.PostFormValue("display_name"))
	f.Bio = strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("bio"), "\r\n", "\n"))
	f.Visibility = r.PostFormValue("visibility")
	f.Openness = r.PostFormValue("openness")
	f.Manual = r.PostFormValue("manual") != ""
	f.Venue = cleanSpace(r.PostFormValue("venue"))
	f.Street = cleanSpace(r.PostFormValue("street"))
	f.PostalCode = cleanSpace(r.PostFormValue("postal_code"))
	f.Locality = cleanSpace(r.PostFormValue("locality"))
	f.Region = cleanSpace(r.PostFormValue("region"))
	f.Country = cleanSpace(r.PostFormValue("country"))
	if f.DisplayName == "" {
		errs["display_name"] = l.T("Give the group a name.")
	} else if m := validText(l, f.DisplayName, maxDisplayNameChars, false); m != "" {
		errs["display_name"] = m
	}
	if m := validText(l, f.Bio, maxGroupDescription, true); m != "" {
		errs["bio"] = m
	}
	if !contains(groupVisibilities, f.Visibility) {
		errs["visibility"] = l.T("Choose one of the options in the list.")
	}
	if !contains(groupOpenness, f.Openness) {
		errs["openness"] = l.T("Choose one of the options in the list.")
	}
	for name, v := range map[string]string{"venue": f.Venue, "street": f.Street, "postal_code": f.PostalCode,
		"locality": f.Locality, "region": f.Region, "country": f.Country} {
		if m := validText(l, v, 200, false); m != "" {
			errs[name] = m
		}
	}
	return store.NewGroup{Username: f.Username, DisplayName: f.DisplayName, Bio: f.Bio, Visibility: f.Visibility,
		Openness: f.Openness, Manual: f.Manual, Address: store.Address{Venue: f.Venue, Street: f.Street,
			PostalCode: f.PostalCode, Locality: f.Locality, Region: f.Region, Country: f.Country}}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// saveGroupPictures stores the uploaded avatar and banner, once the rest
// of the form is fine.
func (a *App) saveGroupPictures(r *http.Request, ng *store.NewGroup, errs views.FieldErrors) error {
	for _, field := range []string{"avatar", "banner"} {
		if r.PostFormValue("remove_"+field) != "" {
			if field == "avatar" {
				ng.RemoveAvatar = true
			} else {
				ng.RemoveBanner = true
			}
			continue
		}
		media, msg, err := a.saveUploadedImage(r, field)
		if err != nil {
			return err
		}
		if msg != "" {
			errs[field] = msg
			continue
		}
		if media != nil {
			if field == "avatar" {
				ng.AvatarID = media.ID
			} else {
				ng.BannerID = media.ID
			}
		}
	}
	return nil
}

// createGroup makes a group with the acting identity as administrator.
func (a *App) createGroup(w http.ResponseWriter, r *http.Request) error {
	identity := currentIdentity(r)
	if identity == nil {
		return a.sendToLogin(w, r)
	}
	ctx := r.Context()
	l := a.printer(r)
	p := a.page(r, l.T("New group"))
	p.NoIndex = true
	f := views.GroupForm{Action: "/groups", Username: strings.TrimSpace(r.PostFormValue("username"))}
	errs := views.FieldErrors{}
	ng := readGroupForm(l, r, &f, errs)
	if m := validUsername(l, f.Username); m != "" {
		errs["username"] = m
	} else if _, err := a.store.LocalActorByUsername(ctx, f.Username); err == nil {
		errs["username"] = l.T("This handle is already used by an identity or a group. Choose another one.")
	}
	if !a.limits.allow("group-create:"+itoa(identity.ID), time.Minute, 10) && len(errs) == 0 {
		errs["username"] = l.T("Too many attempts; wait a minute and try again.")
	}
	if len(errs) == 0 {
		if err := a.saveGroupPictures(r, &ng, errs); err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return a.render(w, r, http.StatusUnprocessableEntity, views.GroupFormPage(p, f, errs))
	}
	g, err := a.store.CreateGroup(ctx, identity.ID, ng, func(u string) string { return a.URL("/members/" + u) })
	if errors.Is(err, store.ErrConflict) {
		errs["username"] = l.T("This handle is already used by an identity or a group. Choose another one.")
		return a.render(w, r, http.StatusUnprocessableEntity, views.GroupFormPage(p, f, errs))
	}
	if err != nil {
		return err
	}
	return a.redirect(w, r, groupPage(g), l.T("The group %s is created. You are its administrator.", g.Name()))
}

func groupFormOf(g *store.Group) views.GroupForm {
	return views.GroupForm{Username: g.Username, DisplayName: g.DisplayName, Bio: g.Bio, Visibility: g.Visibility,
		Openness: g.Openness, Manual: g.ManuallyApproves, Venue: g.Address.Venue, Street: g.Address.Street,
		PostalCode: g.Address.PostalCode, Locality: g.Address.Locality, Region: g.Address.Region,
		Country: g.Address.Country, Action: groupPath(g) + "/edit", Editing: true,
		AvatarUUID: g.AvatarUUID, BannerUUID: g.BannerUUID}
}

// localGroupFor loads a local group and checks the acting identity may do
// act in it; a visitor not logged in is sent to log in.
func (a *App) localGroupFor(w http.ResponseWriter, r *http.Request, act groupAction) (*groupCtx, bool, error) {
	if currentIdentity(r) == nil {
		return nil, false, a.sendToLogin(w, r)
	}
	gc, err := a.loadGroup(r, r.PathValue("name"))
	if err != nil {
		return nil, false, err
	}
	if !gc.may(act) {
		return nil, false, errForbidden(groupRefusal(act))
	}
	return gc, true, nil
}

// groupRefusal says why an action was refused.
func groupRefusal(act groupAction) string {
	switch minimumRole[act] {
	case store.RoleAdministrator:
		return "Only the group's administrators can do this."
	case store.RoleModerator:
		return "Only the group's moderators and administrators can do this."
	}
	return "Only the group's members can do this."
}

func (a *App) showEditGroup(w http.ResponseWriter, r *http.Request) error {
	gc, ok, err := a.localGroupFor(w, r, actEditGroup)
	if !ok {
		return err
	}
	p := a.page(r, a.printer(r).T("Edit %s", gc.Group.Name()))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.GroupFormPage(p, groupFormOf(gc.Group), nil))
}

func (a *App) updateGroup(w http.ResponseWriter, r *http.Request) error {
	gc, ok, err := a.localGroupFor(w, r, actEditGroup)
	if !ok {
		return err
	}
	ctx := r.Context()
	l := a.printer(r)
	g := gc.Group
	p := a.page(r, l.T("Edit %s", g.Name()))
	p.NoIndex = true
	f := groupFormOf(g)
	errs := views.FieldErrors{}
	ng := readGroupForm(l, r, &f, errs)
	if len(errs) == 0 {
		if err := a.saveGroupPictures(r, &ng, errs); err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return a.render(w, r, http.StatusUnprocessableEntity, views.GroupFormPage(p, f, errs))
	}
	if err := a.store.UpdateGroup(ctx, g.ID, ng); err != nil {
		return err
	}
	if err := a.logGroup(ctx, g.ID, gc.Identity.ID, 0, "settings", ""); err != nil {
		return err
	}
	if err := a.federateGroupUpdate(ctx, g.ID); err != nil {
		return err
	}
	return a.redirect(w, r, groupPage(g), l.T("The group is saved."))
}

func (a *App) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	gc, ok, err := a.localGroupFor(w, r, actEditGroup)
	if !ok {
		return err
	}
	l := a.printer(r)
	if r.PostFormValue("confirm") != gc.Group.Username {
		return errBadRequest(l.T("Type the group's handle to confirm that it should be deleted."))
	}
	if err := a.federateGroupDelete(r.Context(), gc.Group); err != nil {
		return err
	}
	if err := a.store.DeleteGroup(r.Context(), gc.Group.ID); err != nil {
		return err
	}
	return a.redirect(w, r, "/groups", l.T("The group %s is deleted.", gc.Group.Name()))
}

// showGroupLog shows administrators what happened to the membership.
func (a *App) showGroupLog(w http.ResponseWriter, r *http.Request) error {
	gc, ok, err := a.localGroupFor(w, r, actEditGroup)
	if !ok {
		return err
	}
	entries, err := a.store.GroupLog(r.Context(), gc.Group.ID, 200)
	if err != nil {
		return err
	}
	p := a.page(r, a.printer(r).T("Activity of %s", gc.Group.Name()))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.GroupLogPage(p, gc.Group, groupPath(gc.Group), entries))
}

func (a *App) logGroup(ctx context.Context, groupID, actorID, subjectID int64, action, detail string) error {
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		return a.store.AddGroupLogTx(ctx, tx, store.GroupLogEntry{GroupID: groupID, ActorID: actorID, SubjectID: subjectID, Action: action, Detail: detail})
	})
}

// groupFeeds are a group's feeds: its events (RSS, Atom, iCalendar) and
// its public posts.
func (a *App) groupFeeds(r *http.Request, g *store.Group) []views.FeedLink {
	links := a.feedLinks(r, a.groupScope(r, g))
	l := a.printer(r)
	links = append(links, views.FeedLink{Type: typeAtom, Title: l.T("Posts of %s", g.Name()) + " (Atom)",
		URL: "/feeds/groups/" + g.Username + ".posts.atom"})
	return links
}

func (a *App) groupScope(r *http.Request, g *store.Group) feedScope {
	l := a.feedPrinter(r)
	return feedScope{
		key:      "group:" + strconv.FormatInt(g.ID, 10),
		title:    l.T("Events of %s", g.Name()) + " · " + a.setting(r.Context(), SettingName),
		pageURL:  a.URL(groupPage(g)),
		basePath: "/feeds/groups/" + g.Username,
		query:    store.FeedQuery{Now: a.now(), GroupID: g.ID},
	}
}

// showGroupFeed serves /feeds/groups/{name}.rss|.atom|.ics (events) and
// /feeds/groups/{name}.posts.rss|.atom (public posts).
func (a *App) showGroupFeed(w http.ResponseWriter, r *http.Request) error {
	name, format, ok := splitFeedFile(r.PathValue("file"))
	if !ok {
		return errNotFound()
	}
	name, posts := strings.CutSuffix(name, ".posts")
	g, err := a.store.LocalGroupByUsername(r.Context(), name)
	if err != nil {
		return err
	}
	if posts {
		return a.servePostsFeed(w, r, g, format)
	}
	return a.serveFeed(w, r, a.groupScope(r, g), format)
}

// eventGroupChoices offers the groups the acting identity may organise
// events for on the event form.
func (a *App) eventGroupChoices(r *http.Request, f *views.EventForm) error {
	identity := currentIdentity(r)
	if identity == nil {
		return nil
	}
	groups, err := a.store.ModeratedGroupsOf(r.Context(), identity.ID)
	if err != nil || len(groups) == 0 {
		return err
	}
	f.Groups = []views.Choice{{Value: "", Label: a.printer(r).T("None: in my own name")}}
	for _, g := range groups {
		if g.IsLocal() {
			f.Groups = append(f.Groups, views.Choice{Value: g.Username, Label: g.Name()})
		}
	}
	return nil
}

// eventGroup checks the group chosen on the event form: the organiser
// must be one of its moderators.
func (a *App) eventGroup(r *http.Request, identity *store.Actor, handle string) (int64, string, error) {
	if handle == "" {
		return 0, "", nil
	}
	l := a.printer(r)
	g, err := a.store.LocalGroupByUsername(r.Context(), handle)
	if errors.Is(err, store.ErrNotFound) {
		return 0, l.T("Choose one of the options in the list."), nil
	}
	if err != nil {
		return 0, "", err
	}
	m, err := a.store.MembershipOf(r.Context(), g.ID, identity.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return 0, "", err
	}
	admins, err := a.store.CountAdministratorsTx(r.Context(), a.store.DB(), g.ID)
	if err != nil {
		return 0, "", err
	}
	if !groupMay(m, actManageEvents, nil, "", admins) {
		return 0, l.T("Only the group's moderators and administrators can do this."), nil
	}
	return g.ID, "", nil
}

// lookUpRemoteGroup finds a group of another server by its handle, the
// first time someone signed in here opens /groups/name@host: that is how
// people here join it. Visitors cannot make us fetch anything.
func (a *App) lookUpRemoteGroup(r *http.Request, handle string) (*store.Group, error) {
	acc := currentAccount(r)
	if acc == nil || r.Method != http.MethodGet {
		return nil, errNotFound()
	}
	if !a.limits.allow("group-lookup:"+itoa(acc.ID), 10*time.Second, 10) {
		return nil, &publicError{Status: http.StatusTooManyRequests, Message: a.printer(r).T("Too many look-ups; wait a minute and try again.")}
	}
	uri, err := a.resolveHandle(r.Context(), handle)
	if err != nil {
		return nil, errNotFound()
	}
	g, err := a.rememberRemoteGroup(r.Context(), uri)
	if err != nil {
		a.log.Info("remote group look-up", "handle", handle, "err", err)
		return nil, errNotFound()
	}
	return g, nil
}
