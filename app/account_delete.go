package app

// Deleting an account, by its owner (Account settings → Delete my
// account) or by an administrator (Admin → Users → delete): its events
// are deleted or handed to a group, its participations withdrawn, its
// memberships ended, its words kept anonymised or removed; then every
// identity goes, leaving a tombstone that answers 410 Gone, and peers are
// sent a Delete of each actor, signed with the key kept for it in the
// delivery queue.

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"convene/app/ap"
	"convene/app/i18n"
	"convene/app/store"
	"convene/views"
)

// accountDeletion is what the person (or the administrator) chose.
type accountDeletion struct {
	// HandOver maps a public event's id to the group that takes it over;
	// every other event of the account is deleted.
	HandOver map[int64]int64
	// KeepWords keeps comments and discussion messages, signed "deleted
	// account"; else they are removed.
	KeepWords bool
}

// errNotGroupAdmin refuses a hand-over to a group the account does not
// administer (a forged form).
var errNotGroupAdmin = errors.New("hand-over to a group the account does not administer")

// deleteAccount deletes acc as chosen, in one transaction; logged, when
// set, writes the moderation log line in it. store.ErrLastAdmin refuses
// the last administrator account.
func (a *App) deleteAccount(ctx context.Context, acc *store.Account, choice accountDeletion, logged func(tx *sql.Tx) error) error {
	inst, err := a.instanceActor(ctx)
	if err != nil {
		return err
	}
	identities, err := a.store.IdentitiesOf(ctx, acc.ID)
	if err != nil {
		return err
	}
	// Each identity signs its last activities with its own key: make it
	// now if it never had one, and keep it for the queue.
	keys := map[int64]store.SignerKey{}
	for i := range identities {
		id := &identities[i]
		if _, _, err := a.actorKeys(ctx, id.ID); err != nil {
			return err
		}
		_, priv, err := a.store.ActorKeys(ctx, id.ID)
		if err != nil {
			return err
		}
		keys[id.ID] = store.SignerKey{KeyID: ap.KeyID(a.actorURI(id)), PEM: priv}
	}
	events, err := a.store.LocalEventsOfAccount(ctx, acc.ID)
	if err != nil {
		return err
	}
	groups, err := a.store.AdministeredGroupsOfAccount(ctx, acc.ID)
	if err != nil {
		return err
	}
	for eventID, groupID := range choice.HandOver {
		if !slices.ContainsFunc(groups, func(g *store.Group) bool { return g.ID == groupID }) ||
			!slices.ContainsFunc(events, func(e *store.Event) bool { return e.ID == eventID && e.Visibility == store.VisibilityPublic }) {
			return errNotGroupAdmin
		}
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.CheckNotLastAdminTx(ctx, tx, acc.ID); err != nil {
			return err
		}
		standIn, err := a.store.DeletedAuthorTx(ctx, tx)
		if err != nil {
			return err
		}
		// Whom to tell each actor is gone, read before its follows,
		// participations and memberships go.
		farewell := map[int64][]store.Inbox{}
		for _, id := range identities {
			followers, err := a.store.FollowerInboxesTx(ctx, tx, id.ID)
			if err != nil {
				return err
			}
			contacts, err := a.store.ContactInboxesTx(ctx, tx, id.ID)
			if err != nil {
				return err
			}
			farewell[id.ID] = dedupeInboxes(append(followers, contacts...))
		}
		for _, e := range events {
			if groupID := choice.HandOver[e.ID]; groupID != 0 {
				if err := a.handOverEventTx(ctx, tx, e, groupID); err != nil {
					return err
				}
				continue
			}
			if err := a.deleteEventForGoodTx(ctx, tx, e); err != nil {
				return err
			}
		}
		gone := map[int64]bool{} // groups deleted on the way
		for i := range identities {
			id := &identities[i]
			if err := a.withdrawParticipationsTx(ctx, tx, id); err != nil {
				return err
			}
			if err := a.endMembershipsTx(ctx, tx, acc, id, gone); err != nil {
				return err
			}
			if err := a.store.DisownContentTx(ctx, tx, id.ID, store.AccountContent{KeepAnonymised: choice.KeepWords, DeletedAuthor: standIn.ID}); err != nil {
				return err
			}
		}
		uris := map[string]string{}
		for i := range identities {
			id := &identities[i]
			uri := a.actorURI(id)
			uris[id.Username] = uri
			actID := a.newActivityURI()
			del := ap.NewDelete(actID, uri, uri, ap.TypePerson, []string{ap.Public}, []string{a.followersURI(id)})
			if err := a.enqueueActivity(ctx, tx, id, actID, del, farewell[id.ID], time.Time{}); err != nil {
				return err
			}
			if err := a.store.KeepQueuedActivitiesTx(ctx, tx, id.ID, inst.ID, keys[id.ID]); err != nil {
				return err
			}
		}
		if err := a.store.DeleteAccountTx(ctx, tx, acc.ID, uris); err != nil {
			return err
		}
		if logged != nil {
			return logged(tx)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The ids may be given again: forget the keys cached under them.
	a.fed.mu.Lock()
	for _, id := range identities {
		delete(a.fed.keys, id.ID)
	}
	a.fed.mu.Unlock()
	a.mailQueued()
	poke(a.fed.deliverPoke)
	return nil
}

// handOverEventTx gives a public event to a group: the group organises
// it from now on, and peers get its Update.
func (a *App) handOverEventTx(ctx context.Context, tx *sql.Tx, e *store.Event, groupID int64) error {
	if err := a.store.HandOverEventTx(ctx, tx, e.ID, groupID); err != nil {
		return err
	}
	g, err := a.store.ActorByID(ctx, groupID)
	if err != nil {
		return err
	}
	e.OrganizerID, e.Organizer, e.AttributedToID = groupID, g, groupID
	return a.enqueueEventActivity(ctx, tx, e, VerbUpdate)
}

// deleteEventForGoodTx deletes a local event, sending its Delete to the
// organiser's followers (enqueueEventActivity) and to the servers of its
// remote participants.
func (a *App) deleteEventForGoodTx(ctx context.Context, tx *sql.Tx, e *store.Event) error {
	if announced(e) {
		organizer, err := a.organizerOf(ctx, e)
		if err != nil {
			return err
		}
		participants, err := a.store.ParticipantInboxesTx(ctx, tx, e.ID)
		if err != nil {
			return err
		}
		followers, err := a.eventFollowerInboxesTx(ctx, tx, e, e.OrganizerID)
		if err != nil {
			return err
		}
		participants = slices.DeleteFunc(participants, func(in store.Inbox) bool {
			return slices.ContainsFunc(followers, func(f store.Inbox) bool { return f.URL == in.URL })
		})
		if len(participants) > 0 {
			id := a.newActivityURI()
			del := ap.NewDelete(id, a.actorURI(organizer), a.eventURI(e), ap.TypeEvent, []string{ap.Public}, nil)
			if err := a.enqueueActivity(ctx, tx, organizer, id, del, participants, time.Time{}); err != nil {
				return err
			}
		}
	}
	if err := a.enqueueEventActivity(ctx, tx, e, VerbDelete); err != nil {
		return err
	}
	return a.store.DeleteEventTx(ctx, tx, e.ID)
}

// withdrawParticipationsTx withdraws an identity from the events it
// takes part in, as leaving does: cancelled here, a Leave to a remote
// event's organiser.
func (a *App) withdrawParticipationsTx(ctx context.Context, tx *sql.Tx, id *store.Actor) error {
	ps, err := a.store.ParticipationsOfIdentityTx(ctx, tx, id.ID)
	if err != nil {
		return err
	}
	for _, p := range ps {
		p.State = store.ParticipationCancelled
		if err := a.store.UpdateParticipationTx(ctx, tx, p); err != nil {
			return err
		}
		e, err := a.store.EventByID(ctx, p.EventID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if e.URI == "" {
			continue
		}
		organizer, err := a.organizerOf(ctx, e)
		if err != nil {
			return err
		}
		leaveID := a.newActivityURI()
		leave := ap.NewLeave(leaveID, a.actorURI(id), e.URI, []string{organizer.URI})
		if err := a.enqueueActivity(ctx, tx, id, leaveID, leave, inboxOf(organizer), time.Time{}); err != nil {
			return err
		}
	}
	return nil
}

// endMembershipsTx takes an identity out of its groups. A local group
// whose last administrator it was gets its oldest moderator (else oldest
// member) promoted; a group nobody else belongs to is deleted, and those
// invited to it or asking to join are told.
func (a *App) endMembershipsTx(ctx context.Context, tx *sql.Tx, acc *store.Account, id *store.Actor, gone map[int64]bool) error {
	ms, err := a.store.MembershipsOfIdentityTx(ctx, tx, id.ID)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if gone[m.GroupID] {
			continue
		}
		g, err := a.store.GroupByID(ctx, m.GroupID)
		if err != nil {
			return err
		}
		if !g.IsLocal() {
			if err := a.store.DeleteMembershipTx(ctx, tx, m.ID); err != nil {
				return err
			}
			if m.Role != store.RoleInvited {
				if err := a.federateLeaveTx(ctx, tx, g, m, id); err != nil {
					return err
				}
			}
			continue
		}
		if m.Role == store.RoleAdministrator {
			others, err := a.store.OtherAdministratorsTx(ctx, tx, g.ID, acc.ID)
			if err != nil {
				return err
			}
			if others == 0 {
				deleted, err := a.handOverGroupTx(ctx, tx, acc, g)
				if err != nil {
					return err
				}
				if deleted {
					gone[g.ID] = true
					continue
				}
			}
		}
		if err := a.store.DeleteMembershipTx(ctx, tx, m.ID); err != nil {
			return err
		}
		if err := logTx(ctx, a, tx, g.ID, 0, 0, "account_deleted", ""); err != nil {
			return err
		}
	}
	return nil
}

// handOverGroupTx finds the next administrator of a group whose last one
// goes, or deletes the group when nobody else is in it (true).
func (a *App) handOverGroupTx(ctx context.Context, tx *sql.Tx, acc *store.Account, g *store.Group) (bool, error) {
	next, err := a.store.SuccessorTx(ctx, tx, g.ID, acc.ID)
	if err != nil {
		return false, err
	}
	if next != nil {
		if err := a.store.SetRoleTx(ctx, tx, next.ID, store.RoleAdministrator); err != nil {
			return false, err
		}
		if err := logTx(ctx, a, tx, g.ID, 0, next.ActorID, "successor", ""); err != nil {
			return false, err
		}
		msg := func(l *i18n.Printer) string {
			return l.T("The last administrator of %s deleted their account: you are now its administrator.", g.Name())
		}
		subject, err := a.store.ActorByID(ctx, next.ActorID)
		if err != nil {
			return false, err
		}
		if subject.IsLocal() {
			return false, a.tellTx(ctx, tx, g, next.ActorID, groupPage(g), false, msg)
		}
		return false, a.federateDecisionTx(ctx, tx, g, next, g.Actor, subject, "role", store.RoleAdministrator)
	}
	// Nobody else: the group goes. People invited or asking to join
	// hear it by mail (its notifications would go with it).
	waiting, err := a.store.ListMembers(ctx, g.ID, []string{store.RoleInvited, store.RolePending}, 500, 0)
	if err != nil {
		return false, err
	}
	for _, m := range waiting {
		if !m.Actor.IsLocal() || !a.MailEnabled() {
			continue
		}
		email, locale, err := a.store.AccountEmailOfTx(ctx, tx, m.ActorID)
		if err != nil || email == "" {
			return false, err
		}
		l := i18n.For(i18n.Negotiate(a.setting(ctx, SettingLanguage), locale))
		if err := a.queueMail(ctx, tx, email, views.Mail{Lang: l.Lang,
			Subject:    l.T("The group %s is deleted", g.Name()),
			Paragraphs: []string{l.T("The group %s no longer exists: the last person in it deleted their account.", g.Name())},
		}); err != nil {
			return false, err
		}
	}
	in, err := a.groupAudienceTx(ctx, tx, g)
	if err != nil {
		return false, err
	}
	inst, err := a.instanceActor(ctx)
	if err != nil {
		return false, err
	}
	if err := a.sendTx(ctx, tx, inst, ap.NewGroupDelete(a.URL("/actor"), a.groupURI(g)), in); err != nil {
		return false, err
	}
	return true, a.store.DeleteGroupTx(ctx, tx, g.ID)
}

// readDeletionChoices reads the form: event_<id> is "delete" or a
// group's id; words is "keep" or "remove".
func readDeletionChoices(r *http.Request) (accountDeletion, map[int64]string, string) {
	choice := accountDeletion{HandOver: map[int64]int64{}, KeepWords: r.PostFormValue("words") != "remove"}
	raw := map[int64]string{}
	for k, vs := range r.PostForm {
		idText, ok := strings.CutPrefix(k, "event_")
		if !ok || len(vs) == 0 {
			continue
		}
		eventID, err := strconv.ParseInt(idText, 10, 64)
		if err != nil {
			continue
		}
		raw[eventID] = vs[0]
		if groupID, err := strconv.ParseInt(vs[0], 10, 64); err == nil && groupID > 0 {
			choice.HandOver[eventID] = groupID
		}
	}
	words := "keep"
	if !choice.KeepWords {
		words = "remove"
	}
	return choice, raw, words
}

// deletionView is the delete page's form for an account.
func (a *App) deletionView(ctx context.Context, acc *store.Account, raw map[int64]string, words string) (views.AccountDeletionView, error) {
	events, err := a.store.LocalEventsOfAccount(ctx, acc.ID)
	if err != nil {
		return views.AccountDeletionView{}, err
	}
	groups, err := a.store.AdministeredGroupsOfAccount(ctx, acc.ID)
	if err != nil {
		return views.AccountDeletionView{}, err
	}
	v := views.AccountDeletionView{Groups: groups, Choices: raw, Words: words}
	for _, e := range events {
		if e.Visibility == store.VisibilityPublic {
			v.PublicEvents = append(v.PublicEvents, e)
		} else {
			v.OtherEvents++
		}
	}
	if err := a.store.CheckNotLastAdminTx(ctx, a.store.DB(), acc.ID); errors.Is(err, store.ErrLastAdmin) {
		v.LastAdmin = true
	} else if err != nil {
		return v, err
	}
	return v, nil
}

// showDeleteAccount offers the export, then the choices and the password.
func (a *App) showDeleteAccount(w http.ResponseWriter, r *http.Request) error {
	acc := currentAccount(r)
	if acc == nil {
		return a.sendToLogin(w, r)
	}
	v, err := a.deletionView(r.Context(), acc, nil, "keep")
	if err != nil {
		return err
	}
	return a.renderDeleteAccount(w, r, http.StatusOK, v, nil)
}

func (a *App) renderDeleteAccount(w http.ResponseWriter, r *http.Request, status int, v views.AccountDeletionView, errs views.FieldErrors) error {
	p := a.page(r, a.printer(r).T("Delete my account"))
	p.NoIndex = true
	w.Header().Set("Cache-Control", "no-store")
	return a.render(w, r, status, views.DeleteAccountPage(p, v, errs))
}

// deleteOwnAccount checks the password and deletes the account as
// chosen, then logs the browser out.
func (a *App) deleteOwnAccount(w http.ResponseWriter, r *http.Request) error {
	acc := currentAccount(r)
	if acc == nil {
		return a.sendToLogin(w, r)
	}
	ctx := r.Context()
	l := a.printer(r)
	choice, raw, words := readDeletionChoices(r)
	v, err := a.deletionView(ctx, acc, raw, words)
	if err != nil {
		return err
	}
	if v.LastAdmin {
		return a.renderDeleteAccount(w, r, http.StatusConflict, v, nil)
	}
	if !a.limits.allow("password-change:"+itoa(acc.ID), passwordChangeEvery, passwordChangeBurst) {
		return a.renderDeleteAccount(w, r, http.StatusTooManyRequests, v,
			views.FieldErrors{"password": l.T("Too many attempts. Wait a few minutes and try again.")})
	}
	if !checkPassword(acc.PasswordHash, r.PostFormValue("password")) {
		return a.renderDeleteAccount(w, r, http.StatusUnprocessableEntity, v,
			views.FieldErrors{"password": l.T("This is not your password. Nothing was deleted.")})
	}
	err = a.deleteAccount(ctx, acc, choice, nil)
	switch {
	case errors.Is(err, store.ErrLastAdmin):
		v.LastAdmin = true
		return a.renderDeleteAccount(w, r, http.StatusConflict, v, nil)
	case errors.Is(err, errNotGroupAdmin):
		return a.renderDeleteAccount(w, r, http.StatusUnprocessableEntity, v,
			views.FieldErrors{"events": l.T("An event can only be handed to a group you administer. Nothing was deleted.")})
	case err != nil:
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: a.secureCookies(), SameSite: http.SameSiteLaxMode})
	return a.redirect(w, r, "/", l.T("Your account is deleted. Goodbye!"))
}

// goneIfDeleted answers 410 Gone for the addresses of deleted identities
// (and of the stand-in for their kept words) before anything else: the
// profile and actor at /@name, /actors/name/..., and webfinger.
func (a *App) goneIfDeleted(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := deletedNameAsked(r, a.Host())
		if name != "" {
			_, err := a.store.DeletedActorByUsername(r.Context(), name)
			if err == nil || name == store.DeletedAuthorUsername {
				if r.URL.Path == "/.well-known/webfinger" || r.Method != http.MethodGet || strings.HasPrefix(r.URL.Path, "/actors/") ||
					strings.Contains(r.Header.Get("Accept"), "json") {
					_ = jsonError(w, http.StatusGone, "this account was deleted")
					return
				}
				a.renderError(w, r, http.StatusGone, "This account was deleted.")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// deletedNameAsked is the local username a request is about, or "".
func deletedNameAsked(r *http.Request, host string) string {
	if name := r.PathValue("username"); name != "" {
		return strings.ToLower(name)
	}
	if h := r.PathValue("handle"); strings.HasPrefix(h, "@") {
		return strings.ToLower(h[1:])
	}
	if r.URL.Path != "/.well-known/webfinger" {
		return ""
	}
	res := strings.TrimSpace(r.URL.Query().Get("resource"))
	if rest, ok := strings.CutPrefix(res, "acct:"); ok {
		user, h, _ := strings.Cut(strings.TrimPrefix(rest, "@"), "@")
		if strings.EqualFold(h, host) {
			return strings.ToLower(user)
		}
		return ""
	}
	for _, prefix := range []string{"/@", "/actors/"} {
		if i := strings.Index(res, host+prefix); i >= 0 {
			name := res[i+len(host)+len(prefix):]
			if j := strings.IndexAny(name, "/?#"); j >= 0 {
				name = name[:j]
			}
			return strings.ToLower(name)
		}
	}
	return ""
}
