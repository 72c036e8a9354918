package app

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"convene/app/ap"
	"convene/app/store"
	"convene/views"
)

// A set-password link made by an administrator is good for a day: long
// enough to pass on by phone or chat, short enough not to linger.
const adminPasswordLinkTTL = 24 * time.Hour

// accountActions are what administrators may do to an account, each
// confirmed on its own page before it is done. The text is English,
// translated when shown.
var accountActions = map[string]views.AccountAction{
	"password-link": {Verb: "password-link", Title: "Make a set-password link",
		Explain: "A link, shown once, that lets the owner of this account choose a new password (good for one day). Pass it on yourself; using it logs out every session of the account."},
	"suspend": {Verb: "suspend", Title: "Suspend the account", Danger: true,
		Explain: "The account can no longer log in and its sessions end; its public pages say it is suspended; its events are taken off (servers that had them are told to delete them) and its followers' servers are told of the suspension. Unsuspending puts it all back."},
	"unsuspend": {Verb: "unsuspend", Title: "Unsuspend the account",
		Explain: "The account can log in again, and the events its suspension took off are published again."},
	"promote": {Verb: "promote", Title: "Make administrator",
		Explain: "The account can then see and change everything in the administration, including other accounts."},
	"demote": {Verb: "demote", Title: "Remove administrator rights", Danger: true,
		Explain: "The account becomes a plain account. The last administrator cannot be removed."},
	"delete": {Verb: "delete", Title: "Delete the account", Danger: true,
		Explain: "The account and all its identities are deleted for good, as when its owner deletes it: its events are cancelled and deleted (servers that had them are told), its participations withdrawn, it leaves its groups, and other servers are told its identities are gone. The reason is kept in the moderation log."},
}

// maxDeletionReason bounds the reason an administrator gives.
const maxDeletionReason = 1000

// adminAccountFromPath reads the account of /admin/users/{id}/...
func (a *App) adminAccountFromPath(r *http.Request) (*store.AccountWithIdentities, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, errNotFound()
	}
	acc, err := a.store.AdminAccount(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound()
	}
	return acc, err
}

// translatedAction is an action with its texts in the reader's language.
func translatedAction(p views.Page, verb string) (views.AccountAction, bool) {
	act, ok := accountActions[verb]
	if !ok {
		return act, false
	}
	act.Title, act.Explain = p.T(act.Title), p.T(act.Explain)
	return act, true
}

// availableActions are the actions that make sense for an account now.
func availableActions(p views.Page, acc *store.AccountWithIdentities) []views.AccountAction {
	verbs := []string{"password-link"}
	if acc.Suspended {
		verbs = append(verbs, "unsuspend")
	} else {
		verbs = append(verbs, "suspend")
	}
	if acc.IsAdmin {
		verbs = append(verbs, "demote")
	} else {
		verbs = append(verbs, "promote")
	}
	verbs = append(verbs, "delete")
	out := make([]views.AccountAction, 0, len(verbs))
	for _, v := range verbs {
		act, _ := translatedAction(p, v)
		out = append(out, act)
	}
	return out
}

// showAdminUser is one account: its identities, state and actions.
func (a *App) showAdminUser(w http.ResponseWriter, r *http.Request) error {
	acc, err := a.adminAccountFromPath(r)
	if err != nil {
		return err
	}
	return a.renderAdminUser(w, r, http.StatusOK, acc, "")
}

func (a *App) renderAdminUser(w http.ResponseWriter, r *http.Request, status int, acc *store.AccountWithIdentities, passwordLink string) error {
	p := a.adminPage(r, "Users")
	p.Title = acc.Email
	return a.render(w, r, status, views.AdminUserPage(p, views.AdminUserView{
		Account: acc, Actions: availableActions(p, acc), PasswordLink: passwordLink,
	}))
}

// showAccountAction asks an administrator to confirm an action.
func (a *App) showAccountAction(w http.ResponseWriter, r *http.Request) error {
	acc, err := a.adminAccountFromPath(r)
	if err != nil {
		return err
	}
	p := a.adminPage(r, "Users")
	act, ok := translatedAction(p, r.PathValue("verb"))
	if !ok {
		return errNotFound()
	}
	if act.Verb == "delete" {
		return a.render(w, r, http.StatusOK, views.AdminDeleteAccountPage(p, acc, act, "", "remove", nil))
	}
	return a.render(w, r, http.StatusOK, views.AccountActionPage(p, acc, act))
}

// actOnAccount does a confirmed action on an account (approving or
// refusing a registration too), logging it in the moderation log in the
// same transaction.
func (a *App) actOnAccount(w http.ResponseWriter, r *http.Request) error {
	verb := r.PathValue("verb")
	if verb == "approve" || verb == "refuse" {
		return a.answerRegistration(w, r)
	}
	if _, ok := accountActions[verb]; !ok {
		return errNotFound()
	}
	acc, err := a.adminAccountFromPath(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	mod := currentAccount(r)
	l := a.printer(r)
	back := "/admin/users/" + itoa(acc.ID)
	snapshot := map[string]string{"email": acc.Email}
	logged := func(tx *sql.Tx) error {
		return a.logModeration(ctx, tx, mod, "account."+verb, "account", itoa(acc.ID), 0, snapshot)
	}
	switch verb {
	case "password-link":
		var secret string
		err := a.store.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			if secret, err = a.store.CreateTokenTx(ctx, tx, store.TokenPassword, acc.ID, adminPasswordLinkTTL); err != nil {
				return err
			}
			return logged(tx)
		})
		if err != nil {
			return err
		}
		return a.renderAdminUser(w, r, http.StatusOK, acc, a.URL("/password/"+secret))
	case "suspend":
		if acc.Suspended {
			return a.redirect(w, r, back, l.T("This account is already suspended."))
		}
		if acc.ID == mod.ID {
			return a.redirect(w, r, back, l.T("You cannot suspend your own account."))
		}
		err = a.store.Tx(ctx, func(tx *sql.Tx) error {
			if err := a.suspendAccountTx(ctx, tx, acc.ID); err != nil {
				return err
			}
			return logged(tx)
		})
		if err != nil {
			return err
		}
		return a.redirect(w, r, back, l.T("The account is suspended."))
	case "unsuspend":
		err = a.store.Tx(ctx, func(tx *sql.Tx) error {
			if err := a.unsuspendAccountTx(ctx, tx, acc.ID); err != nil {
				return err
			}
			return logged(tx)
		})
		if errors.Is(err, store.ErrNotFound) {
			return a.redirect(w, r, back, l.T("This account was not suspended."))
		}
		if err != nil {
			return err
		}
		return a.redirect(w, r, back, l.T("The account is no longer suspended."))
	case "delete":
		return a.adminDeleteAccount(w, r, acc)
	case "promote", "demote":
		err = a.store.Tx(ctx, func(tx *sql.Tx) error {
			if err := a.store.SetAdminTx(ctx, tx, acc.ID, verb == "promote"); err != nil {
				return err
			}
			return logged(tx)
		})
		if errors.Is(err, store.ErrLastAdmin) {
			return &publicError{Status: http.StatusConflict, Message: "This is the last administrator account: the instance needs at least one. Make another account administrator first."}
		}
		if err != nil {
			return err
		}
		if verb == "promote" {
			return a.redirect(w, r, back, l.T("The account is now an administrator."))
		}
		return a.redirect(w, r, back, l.T("The account is no longer an administrator."))
	}
	return errNotFound()
}

// suspendAccountTx suspends a local account: no more login (its sessions
// end), its published events back to drafts (peers get a Delete; the
// drafts are remembered to publish again), and its identities' followers
// told by an Update of each actor, now marked suspended.
func (a *App) suspendAccountTx(ctx context.Context, tx *sql.Tx, accountID int64) error {
	events, err := a.store.PublishedEventsOfAccount(ctx, accountID)
	if err != nil {
		return err
	}
	if err := a.store.SuspendAccountTx(ctx, tx, accountID); err != nil {
		return err
	}
	for _, e := range events {
		was := *e
		e.Draft = true
		if err := a.store.UpdateEventTx(ctx, tx, e); err != nil {
			return err
		}
		if err := a.store.SetEventHiddenBySuspensionTx(ctx, tx, e.ID, true); err != nil {
			return err
		}
		if err := a.enqueueEventActivity(ctx, tx, &was, VerbDelete); err != nil {
			return err
		}
	}
	return a.updateActorsOfAccountTx(ctx, tx, accountID)
}

// unsuspendAccountTx undoes suspendAccountTx.
func (a *App) unsuspendAccountTx(ctx context.Context, tx *sql.Tx, accountID int64) error {
	events, err := a.store.EventsHiddenBySuspension(ctx, accountID)
	if err != nil {
		return err
	}
	if err := a.store.UnsuspendAccountTx(ctx, tx, accountID); err != nil {
		return err
	}
	for _, e := range events {
		e.Draft = false
		if err := a.store.UpdateEventTx(ctx, tx, e); err != nil {
			return err
		}
		if err := a.store.SetEventHiddenBySuspensionTx(ctx, tx, e.ID, false); err != nil {
			return err
		}
		if err := a.enqueueEventActivity(ctx, tx, e, VerbCreate); err != nil {
			return err
		}
	}
	return a.updateActorsOfAccountTx(ctx, tx, accountID)
}

// updateActorsOfAccountTx sends each identity of the account, as it now
// is (suspended or not), to its followers' servers.
func (a *App) updateActorsOfAccountTx(ctx context.Context, tx *sql.Tx, accountID int64) error {
	identities, err := a.store.IdentitiesOf(ctx, accountID)
	if err != nil {
		return err
	}
	for i := range identities {
		ident := &identities[i]
		inboxes, err := a.store.FollowerInboxesTx(ctx, tx, ident.ID)
		if err != nil {
			return err
		}
		if len(inboxes) == 0 {
			continue
		}
		doc, err := a.actorDocumentTx(ctx, tx, ident)
		if err != nil {
			return err
		}
		id := a.newActivityURI()
		update := ap.NewUpdate(id, doc.ID, doc, []string{ap.Public}, []string{doc.Followers})
		if err := a.enqueueActivity(ctx, tx, ident, id, update, inboxes, time.Time{}); err != nil {
			return err
		}
	}
	return nil
}

// actorDocumentTx is actorDocument with the suspension read inside tx,
// which may have just changed it.
func (a *App) actorDocumentTx(ctx context.Context, tx *sql.Tx, act *store.Actor) (*ap.Actor, error) {
	doc, err := a.actorDocument(ctx, act)
	if err != nil {
		return nil, err
	}
	doc.Suspended, err = a.store.IsAccountSuspendedTx(ctx, tx, act.AccountID)
	return doc, err
}

// adminUsersQuery is the Users page's search, trimmed and bounded.
func adminUsersQuery(r *http.Request) string {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 100 {
		q = q[:100]
	}
	return q
}

// adminDeleteAccount deletes an account as its owner could, with the
// administrator's reason written to the moderation log in the same
// transaction. The last administrator account and one's own are refused.
func (a *App) adminDeleteAccount(w http.ResponseWriter, r *http.Request, acc *store.AccountWithIdentities) error {
	ctx := r.Context()
	mod := currentAccount(r)
	p := a.adminPage(r, "Users")
	act, _ := translatedAction(p, "delete")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	words := "remove"
	if r.PostFormValue("words") == "keep" {
		words = "keep"
	}
	again := func(status int, errs views.FieldErrors) error {
		return a.render(w, r, status, views.AdminDeleteAccountPage(p, acc, act, reason, words, errs))
	}
	switch {
	case acc.ID == mod.ID:
		return again(http.StatusConflict, views.FieldErrors{"reason": p.T("You cannot delete your own account from here: use Delete my account in your account settings.")})
	case reason == "":
		return again(http.StatusUnprocessableEntity, views.FieldErrors{"reason": p.T("Say why the account is deleted: the reason is kept in the moderation log.")})
	case len(reason) > maxDeletionReason:
		return again(http.StatusUnprocessableEntity, views.FieldErrors{"reason": p.T("Keep the reason under %d characters.", maxDeletionReason)})
	}
	handles := make([]string, 0, len(acc.Identities))
	for _, id := range acc.Identities {
		handles = append(handles, id.Handle())
	}
	snapshot := map[string]any{"email": acc.Email, "identities": handles, "reason": reason, "words": words}
	err := a.deleteAccount(ctx, &acc.Account, accountDeletion{KeepWords: words == "keep"}, func(tx *sql.Tx) error {
		return a.logModeration(ctx, tx, mod, "account.delete", "account", itoa(acc.ID), 0, snapshot)
	})
	if errors.Is(err, store.ErrLastAdmin) {
		return &publicError{Status: http.StatusConflict, Message: "This is the last administrator account: the instance needs at least one. Make another account administrator first."}
	}
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/admin/users", p.T("The account %s is deleted.", acc.Email))
}
