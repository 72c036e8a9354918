package app

import (
	"net/http"
	"strings"
)

// routes declares every URL of the instance in one place, and the chain
// every request goes through.
func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	h := a.handle

	// For monitors.
	mux.HandleFunc("GET /healthz", a.healthz)

	// Static files and uploaded pictures.
	mux.Handle("GET /static/", a.assets)
	mux.Handle("GET /media/{uuid}", h(a.serveMedia))

	// Accounts and sessions.
	mux.Handle("GET /login", h(a.showLogin))
	mux.Handle("POST /login", h(a.login))
	mux.Handle("POST /logout", h(a.logout))
	mux.Handle("GET /setup/{token}", h(a.showSetup))
	mux.Handle("POST /setup/{token}", h(a.setup))
	mux.Handle("GET /password/forgot", h(a.showForgotPassword))
	mux.Handle("POST /password/forgot", h(a.forgotPassword))
	mux.Handle("GET /password/{token}", h(a.showSetPassword))
	mux.Handle("POST /password/{token}", h(a.setPassword))
	mux.Handle("POST /me/identity", h(a.switchIdentity))
	mux.Handle("GET /register", h(a.showRegister))
	mux.Handle("POST /register", h(a.register))

	// Identities and the account behind them.
	mux.Handle("GET /me/identities", h(a.showIdentities))
	mux.Handle("POST /me/identities", h(a.createIdentity))
	mux.Handle("GET /me/identities/{username}", h(a.showEditIdentity))
	mux.Handle("POST /me/identities/{username}", h(uploadForm(a.updateIdentity)))
	mux.Handle("GET /me/account", h(a.showAccount))
	mux.Handle("POST /me/account/language", h(a.setLanguage))
	mux.Handle("POST /me/account/password", h(a.changePassword))
	mux.Handle("POST /me/account/email", h(a.changeEmail))
	mux.Handle("GET /me/email/{token}", h(a.showConfirmEmail))
	mux.Handle("POST /me/email/{token}", h(a.confirmEmail))
	mux.Handle("GET /me/sessions", h(a.showSessions))
	mux.Handle("POST /me/sessions/end-others", h(a.endOtherSessions))
	mux.Handle("POST /me/sessions/{id}/end", h(a.endSession))
	mux.Handle("GET /me/export", h(a.downloadExport))
	mux.Handle("GET /me/account/delete", h(a.showDeleteAccount))
	mux.Handle("POST /me/account/delete", h(a.deleteOwnAccount))
	// Public identity pages, /@username: ServeMux wildcards take whole
	// segments, so this takes any one-segment path and the handler keeps
	// only those starting with "@" (more specific routes win over it).
	// Peers asking for ActivityStreams get the actor at the same URL.
	mux.Handle("GET /{handle}", a.goneIfDeleted(negotiate(h(a.showActorJSON), h(a.showIdentity))))

	// Administration (administrators only).
	mux.Handle("GET /admin", h(a.adminOnly(a.showAdmin)))
	mux.Handle("GET /admin/registrations", h(a.adminOnly(a.showAdminRegistrations)))
	mux.Handle("POST /admin/registrations", h(a.adminOnly(a.setRegistrations)))
	mux.Handle("POST /admin/invitations", h(a.adminOnly(a.createInvitation)))
	mux.Handle("GET /admin/users", h(a.adminOnly(a.showAdminUsers)))
	mux.Handle("GET /admin/users/{id}", h(a.adminOnly(a.showAdminUser)))
	mux.Handle("GET /admin/users/{id}/{verb}", h(a.adminOnly(a.showAccountAction)))
	mux.Handle("POST /admin/users/{id}/{verb}", h(a.adminOnly(a.actOnAccount)))
	mux.Handle("GET /admin/instance", h(a.adminOnly(a.showAdminInstance)))
	mux.Handle("GET /admin/federation/queue", h(a.adminOnly(a.showFederationQueue)))
	mux.Handle("POST /admin/instance", h(a.adminOnly(a.saveAdminInstance)))
	mux.Handle("GET /about", h(a.showAbout))
	mux.Handle("GET /admin/look", h(a.adminOnly(a.showAdminLook)))
	mux.Handle("POST /admin/look", h(a.adminOnly(a.saveAdminLook)))
	mux.Handle("GET /theme.css", h(a.serveTheme))

	// Events.
	mux.Handle("GET /events/new", h(a.showNewEvent))
	mux.Handle("POST /events", h(a.createEvent))
	// Peers asking for ActivityStreams get the event at the same URL.
	mux.Handle("GET /events/{uuid}", negotiate(h(a.showEventJSON), h(a.cachedForVisitors(a.showEvent))))
	mux.Handle("GET /events/{uuid}/edit", h(a.showEditEvent))
	// Addresses to places for the event form's script (app/geocoding.go).
	mux.Handle("GET /places/suggest", h(a.suggestPlaces))
	mux.Handle("POST /events/{uuid}/edit", h(a.updateEvent))
	mux.Handle("POST /events/{uuid}/publish", h(a.publishEvent))
	mux.Handle("POST /events/{uuid}/cancel", h(a.cancelEvent))
	mux.Handle("GET /events/{uuid}/delete", h(a.showDeleteEvent))
	mux.Handle("POST /events/{uuid}/delete", h(a.deleteEvent))

	// Finding events. The most read public pages are kept rendered for
	// visitors without cookies (app/pagecache.go).
	mux.Handle("GET /{$}", h(a.cachedForVisitors(a.showHome)))
	mux.Handle("GET /events/past", h(a.cachedForVisitors(a.showPastEvents)))
	mux.Handle("GET /search", h(a.showSearch))
	mux.Handle("GET /tags/{tag}", h(a.cachedForVisitors(a.showTag)))
	mux.Handle("GET /categories", h(a.cachedForVisitors(a.showCategories)))
	mux.Handle("GET /categories/{category}", h(a.cachedForVisitors(a.showCategory)))
	// The month calendar (app/calendar.go), the instance's or one
	// identity's or group's (/calendar/@name).
	mux.Handle("GET /calendar", h(a.showCalendar))
	mux.Handle("GET /calendar/{handle}", h(a.showActorCalendar))
	// The map of upcoming events (app/maps.go).
	mux.Handle("GET /map", h(a.showMap))
	// Places events were held at, with their feeds (app/places.go).
	mux.Handle("GET /places/{id}", h(a.showPlace))
	mux.Handle("GET /places/{id}/feed.rss", h(a.showPlaceFeed(formatRSS)))
	mux.Handle("GET /places/{id}/feed.atom", h(a.showPlaceFeed(formatAtom)))
	mux.Handle("GET /places/{id}/calendar.ics", h(a.showPlaceFeed(formatICS)))
	mux.Handle("GET /places/{id}/edit", h(a.showEditPlace))
	mux.Handle("POST /places/{id}/edit", h(a.updatePlace))

	// Feeds and calendars (app/feeds.go, app/ical.go): a wildcard takes a
	// whole segment, so "@alice.rss" is one file name under /feeds/.
	mux.Handle("GET /feed.rss", h(a.showInstanceRSS))
	mux.Handle("GET /feed.atom", h(a.showInstanceAtom))
	mux.Handle("GET /calendar.ics", h(a.showInstanceCalendar))
	mux.Handle("GET /feeds/{file}", h(a.showIdentityFeed))
	mux.Handle("GET /feeds/tags/{file}", h(a.showTagFeed))
	mux.Handle("GET /feeds/categories/{file}", h(a.showCategoryFeed))
	mux.Handle("GET /feeds/private/{file}", h(a.showPrivateCalendar))
	mux.Handle("GET /events/{uuid}/calendar.ics", h(a.showEventCalendar))
	mux.Handle("GET /events/{uuid}/share", h(a.shareEvent))
	mux.Handle("GET /me/calendar", h(a.showCalendarSettings))
	mux.Handle("GET "+embedPath, h(a.showEmbed))
	mux.Handle("GET /import", h(a.showCalendarImport))
	mux.Handle("POST /import", h(a.previewCalendarImport))
	mux.Handle("POST /import/confirm", h(a.confirmCalendarImport))
	mux.Handle("POST /me/calendar", h(a.regenerateCalendarSecret))

	// Participation: with an identity, or without an account through
	// emailed links; the organisers' side; "My events".
	mux.Handle("POST /events/{uuid}/join", h(a.joinEvent))
	mux.Handle("POST /events/{uuid}/leave", h(a.leaveEvent))
	mux.Handle("GET /events/{uuid}/reminder", h(a.showReminderChoice))
	mux.Handle("POST /events/{uuid}/reminder", h(a.setReminderChoice))
	mux.Handle("GET /events/{uuid}/join-without-account", h(a.showJoinForm))
	mux.Handle("POST /events/{uuid}/join-without-account", h(a.joinWithoutAccount))
	mux.Handle("GET /participations/confirm/{token}", h(a.showConfirmParticipation))
	mux.Handle("POST /participations/confirm/{token}", h(a.confirmParticipation))
	mux.Handle("GET /participations/cancel/{token}", h(a.showCancelParticipation))
	mux.Handle("POST /participations/cancel/{token}", h(a.cancelParticipation))
	mux.Handle("GET /events/{uuid}/participants", h(a.showParticipants))
	mux.Handle("GET /events/{uuid}/participants.csv", h(a.exportParticipants))
	mux.Handle("POST /events/{uuid}/participants/{id}/{decision}", h(a.decideParticipation))
	mux.Handle("POST /events/{uuid}/invite", h(a.inviteParticipant))
	mux.Handle("POST /events/{uuid}/message", h(a.messageParticipants))
	mux.Handle("GET /me/events", h(a.showMyEvents))
	mux.Handle("GET /me/waiting", h(a.showWaiting))
	mux.Handle("POST /me/waiting/email", h(a.saveNotificationPrefs))
	mux.Handle("GET /me/calendar-sources", h(a.showMyCalendar))

	// Comments (app/comments.go): local ones by form, remote ones through
	// the inbox; the organisers' moderation; a local comment's Note.
	mux.Handle("POST /events/{uuid}/comments", h(a.postComment))
	mux.Handle("GET /events/{uuid}/comments", h(a.showHeldComments))
	mux.Handle("POST /events/{uuid}/comments/{comment}/{decision}", h(a.decideComment))
	mux.Handle("GET /comments/{uuid}", h(a.showComment))
	mux.Handle("POST /comments/{uuid}/delete", h(a.deleteComment))
	// Taking part in an event published elsewhere (app/remote_participation.go).
	mux.Handle("POST /events/{uuid}/join-remote", h(a.joinRemoteEvent))
	mux.Handle("POST /events/{uuid}/leave-remote", h(a.leaveRemoteEvent))
	mux.Handle("GET /admin/mail", h(a.adminOnly(a.showAdminMail)))
	mux.Handle("POST /admin/mail", h(a.adminOnly(a.setAdminMail)))
	mux.Handle("POST /admin/mail/test", h(a.adminOnly(a.sendTestMail)))

	// Federation: discovery, actors, collections, inboxes; following
	// and followers of the acting identity.
	mux.Handle("GET /.well-known/webfinger", a.goneIfDeleted(h(a.webfinger)))
	mux.Handle("GET /.well-known/host-meta", h(a.hostMeta))
	mux.Handle("GET /.well-known/nodeinfo", h(a.nodeInfoLinks))
	mux.Handle("GET /nodeinfo/2.0", h(a.nodeInfo20))
	mux.Handle("GET /nodeinfo/2.1", h(a.nodeInfo21))
	mux.Handle("GET /authorize_interaction", h(a.authorizeInteraction))
	mux.Handle("GET /actor", h(a.showInstanceActor))
	mux.Handle("GET /actor/outbox", h(a.showOutbox))
	mux.Handle("GET /actor/followers", h(a.showFollowersCollection))
	mux.Handle("GET /actor/following", h(a.showFollowingCollection))
	mux.Handle("POST /actor/inbox", h(a.postInbox))
	mux.Handle("POST /inbox", h(a.postInbox))
	mux.Handle("GET /actors/{username}", a.goneIfDeleted(h(a.showActorAlias)))
	mux.Handle("GET /actors/{username}/outbox", a.goneIfDeleted(h(a.showOutbox)))
	mux.Handle("GET /actors/{username}/followers", a.goneIfDeleted(h(a.showFollowersCollection)))
	mux.Handle("GET /actors/{username}/following", a.goneIfDeleted(h(a.showFollowingCollection)))
	mux.Handle("POST /actors/{username}/inbox", a.goneIfDeleted(h(a.postInbox)))
	mux.Handle("GET /me/following", h(a.showFollowing))
	mux.Handle("POST /me/following", h(a.followRemote))
	mux.Handle("POST /me/following/{id}/unfollow", h(a.unfollow))
	mux.Handle("GET /me/followers", h(a.showMyFollowers))
	mux.Handle("POST /me/followers/{id}/accept", h(a.acceptFollower))
	mux.Handle("POST /me/followers/{id}/remove", h(a.removeFollower))

	// Groups (app/groups.go, group_members.go, discussions.go,
	// group_posts.go, resources.go): a local group's page is /@name; its
	// other pages, and those of remote groups we have members in, live
	// under /groups/{name} ("name@host" for a remote one).
	mux.Handle("GET /groups", h(a.showGroups))
	mux.Handle("GET /groups/new", h(a.showNewGroup))
	mux.Handle("POST /groups", h(uploadForm(a.createGroup)))
	mux.Handle("GET /groups/{name}", h(a.showGroup))
	mux.Handle("GET /groups/{name}/edit", h(a.showEditGroup))
	mux.Handle("POST /groups/{name}/edit", h(uploadForm(a.updateGroup)))
	mux.Handle("POST /groups/{name}/delete", h(a.deleteGroup))
	mux.Handle("GET /groups/{name}/log", h(a.showGroupLog))
	mux.Handle("POST /groups/{name}/join", h(a.joinGroup))
	mux.Handle("POST /groups/{name}/leave", h(a.leaveGroup))
	mux.Handle("POST /groups/{name}/invitation/accept", h(a.acceptInvitation))
	mux.Handle("POST /groups/{name}/invitation/decline", h(a.declineInvitation))
	mux.Handle("GET /groups/{name}/members", h(a.showMembers))
	mux.Handle("POST /groups/{name}/invite", h(a.inviteMember))
	mux.Handle("POST /groups/{name}/members/{id}/{decision}", h(a.decideMember))
	mux.Handle("POST /groups/{name}/notify", h(a.setGroupNotify))
	mux.Handle("POST /groups/{name}/follow", h(a.followGroup))
	mux.Handle("POST /groups/{name}/unfollow", h(a.unfollowGroup))
	mux.Handle("GET /groups/{name}/followers", h(a.showGroupFollowers))
	mux.Handle("POST /groups/{name}/followers/{id}/{verb}", h(a.answerGroupFollower))
	mux.Handle("GET /groups/{name}/discussions", h(a.showDiscussions))
	mux.Handle("POST /groups/{name}/discussions", h(a.createDiscussion))
	mux.Handle("GET /groups/{name}/discussions/{slug}", negotiate(h(a.showDiscussionJSON), h(a.showDiscussion)))
	mux.Handle("POST /groups/{name}/discussions/{slug}", h(a.replyToDiscussion))
	mux.Handle("POST /groups/{name}/discussions/{slug}/delete", h(a.deleteDiscussion))
	mux.Handle("POST /groups/{name}/discussions/{slug}/rename", h(a.renameDiscussion))
	mux.Handle("GET /groups/{name}/discussions/{slug}/replies", h(a.showDiscussionReplies))
	mux.Handle("GET /groups/{name}/discussions/{slug}/messages/{id}/edit", h(a.showMessageEdit))
	mux.Handle("POST /groups/{name}/discussions/{slug}/messages/{id}/edit", h(a.saveMessage))
	mux.Handle("GET /groups/{name}/messages/{id}", h(a.showMessageJSON))
	mux.Handle("GET /groups/{name}/posts/new", h(a.showNewPost))
	mux.Handle("POST /groups/{name}/posts", h(uploadForm(a.createPost)))
	mux.Handle("GET /groups/{name}/posts/{slug}", negotiate(h(a.showPostJSON), h(a.showPost)))
	mux.Handle("POST /groups/{name}/posts/{slug}/delete", h(a.deletePost))
	mux.Handle("GET /groups/{name}/posts/{slug}/edit", h(a.showEditPost))
	mux.Handle("POST /groups/{name}/posts/{slug}/edit", h(uploadForm(a.updatePost)))
	mux.Handle("GET /groups/{name}/resources", h(a.showResources))
	mux.Handle("POST /groups/{name}/resources", h(a.createResource))
	mux.Handle("GET /groups/{name}/resources/{id}", h(a.showResourceJSON))
	mux.Handle("POST /groups/{name}/resources/{id}/delete", h(a.deleteResource))
	mux.Handle("GET /groups/{name}/resources/{id}/edit", h(a.showEditResource))
	mux.Handle("POST /groups/{name}/resources/{id}/edit", h(a.updateResource))
	mux.Handle("POST /groups/{name}/resources/{id}/move", h(a.moveResource))
	mux.Handle("GET /feeds/groups/{file}", h(a.showGroupFeed))
	// Group federation: the collections Mobilizon reads, and memberships.
	mux.Handle("GET /actors/{username}/members", h(a.showGroupCollection("members")))
	mux.Handle("GET /actors/{username}/resources", h(a.showGroupCollection("resources")))
	mux.Handle("GET /actors/{username}/todos", h(a.showGroupCollection("todos")))
	mux.Handle("GET /actors/{username}/posts", h(a.showGroupCollection("posts")))
	mux.Handle("GET /actors/{username}/events", h(a.showGroupCollection("events")))
	mux.Handle("GET /actors/{username}/discussions", h(a.showGroupCollection("discussions")))
	mux.Handle("GET /members/{uuid}", h(a.showMemberJSON))

	// Federation policy, sources of events, reports and moderation
	// (app/policy.go, app/sources.go, app/reports.go, app/moderation.go).
	mux.Handle("GET /admin/federation", h(a.adminOnly(a.showAdminFederation)))
	mux.Handle("POST /admin/federation/mode", h(a.adminOnly(a.setFederationMode)))
	mux.Handle("POST /admin/federation/policies", h(a.adminOnly(a.addDomainPolicy)))
	mux.Handle("POST /admin/federation/policies/remove", h(a.adminOnly(a.deleteDomainPolicy)))
	mux.Handle("GET /admin/federation/blocks.csv", h(a.adminOnly(a.exportPolicies("block"))))
	mux.Handle("GET /admin/federation/allows.csv", h(a.adminOnly(a.exportPolicies("allow"))))
	mux.Handle("POST /admin/federation/import", h(a.adminOnly(a.previewImport)))
	mux.Handle("POST /admin/federation/import/confirm", h(a.adminOnly(a.confirmImport)))
	mux.Handle("GET /admin/followers", h(a.adminOnly(a.showInstanceFollowers)))
	mux.Handle("POST /admin/followers/{id}/{verb}", h(a.adminOnly(a.answerInstanceFollower)))
	mux.Handle("GET /admin/sources", h(a.adminOnly(a.showAdminSources)))
	mux.Handle("POST /admin/sources", h(a.adminOnly(a.addSource)))
	mux.Handle("GET /admin/sources/{id}", h(a.adminOnly(a.showSource)))
	mux.Handle("POST /admin/sources/{id}/unfollow", h(a.adminOnly(a.unfollowSource)))
	mux.Handle("GET /report", h(a.showReportForm))
	mux.Handle("POST /report", h(a.submitReport))
	mux.Handle("GET /admin/reports", h(a.adminOnly(a.showAdminReports)))
	mux.Handle("GET /admin/reports/{id}", h(a.adminOnly(a.showAdminReport)))
	mux.Handle("GET /admin/reports/{id}/confirm/{action}", h(a.adminOnly(a.confirmReportAction)))
	mux.Handle("POST /admin/reports/{id}/{action}", h(a.adminOnly(a.actOnReport)))
	mux.Handle("GET /admin/moderation-log", h(a.adminOnly(a.showModerationLog)))
	mux.Handle("POST /admin/held-events/{uuid}/approve", h(a.adminOnly(a.approveHeldEvent)))
	mux.Handle("GET /admin/rules", h(a.adminOnly(a.showAdminRules)))
	mux.Handle("POST /admin/rules", h(a.adminOnly(a.addRule)))
	mux.Handle("POST /admin/rules/{id}/{action}", h(a.adminOnly(a.changeRule)))
	mux.Handle("GET /api/v1/instance/rules", h(a.instanceRulesAPI))

	// Everything else is a real 404 page, or a 405 page when the path
	// exists for another method.
	mux.Handle("/", h(a.notFoundOrWrongMethod(mux)))

	var handler http.Handler = mux
	handler = a.loadSession(handler)
	handler = a.admit.Wrap(handler, admitted)
	handler = a.refuseDeniedSigners(handler)
	handler = crossOriginProtection(handler, a)
	handler = limitBody(handler)
	handler = securityHeaders(handler, a.mapTiles.Origin)
	handler = a.logRequests(mux, handler)
	return handler
}

// notFoundOrWrongMethod answers requests no pattern took. The catch-all
// pattern hides ServeMux's own 405, so this asks the mux which other
// methods would have matched.
func (a *App) notFoundOrWrongMethod(mux *http.ServeMux) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			probe := r.Clone(r.Context())
			probe.Method = m
			_, pattern := mux.Handler(probe)
			if pattern == "GET /{handle}" && !isIdentityPath(r.URL.Path) {
				continue
			}
			if pattern != "/" && pattern != "" {
				allowed = append(allowed, m)
			}
		}
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			return &publicError{Status: http.StatusMethodNotAllowed, Message: "This address does not accept that kind of request."}
		}
		return errNotFound()
	}
}

// crossOriginProtection refuses form posts from other sites (using the
// browser's Sec-Fetch-Site and Origin headers), with a page saying so.
func crossOriginProtection(next http.Handler, a *App) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.renderError(w, r, http.StatusForbidden, "This form was sent from another site, so it was refused. Go back to the page and send it again from there.")
	}))
	return cop.Handler(next)
}

// admitted tells which requests wait for their turn in a.admit: pages
// and documents, whose work (the session, the database, the rendering) is
// what queues. Static files and pictures never wait behind pages, and
// form posts are read first (an upload may be slow to arrive).
func admitted(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	return !strings.HasPrefix(p, "/static/") && !strings.HasPrefix(p, "/media/") && p != "/healthz"
}
