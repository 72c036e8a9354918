package app

import (
	"context"
	"database/sql"
	"net/http"
	"time"

	"convene/app/store"
	"convene/views"
)

// waitingShown bounds the "Waiting for you" list.
const waitingShown = 100

// countWaitingOK is the header's badge, and whether it could be counted
// (0 when not: a page is better shown without its badge than not at all).
func (a *App) countWaitingOK(ctx context.Context, acc *store.Account) (int, bool) {
	seen, err := a.store.WaitingSeenAt(ctx, acc.ID)
	if err != nil {
		a.log.Warn("waiting seen", "err", err)
		return 0, false
	}
	n, err := a.store.CountWaiting(ctx, acc.ID, acc.IsAdmin, seen)
	if err != nil {
		a.log.Warn("count waiting", "err", err)
		return 0, false
	}
	return n, true
}

// showWaiting lists what waits for the account, each with where to act;
// looking at it makes the news in it stop counting (open requests count
// until answered).
func (a *App) showWaiting(w http.ResponseWriter, r *http.Request) error {
	acc := currentAccount(r)
	if acc == nil {
		return a.sendToLogin(w, r)
	}
	ctx := r.Context()
	seen, err := a.store.WaitingSeenAt(ctx, acc.ID)
	if err != nil {
		return err
	}
	items, err := a.store.WaitingFor(ctx, acc.ID, acc.IsAdmin, seen, waitingShown)
	if err != nil {
		return err
	}
	if err := a.store.MarkWaitingSeen(ctx, acc.ID, a.now()); err != nil {
		return err
	}
	p := a.page(r, a.printer(r).T("Waiting for you"))
	p.NoIndex = true
	w.Header().Set("Cache-Control", "no-store")
	v := views.WaitingView{Items: items, MailOff: !a.MailEnabled()}
	if rs := requestStateFrom(ctx); rs.Identity != nil {
		v.Identity = rs.Identity.Handle()
		prefs, err := a.store.NotificationPrefs(ctx, rs.Identity.ID)
		if err != nil {
			return err
		}
		for _, k := range notificationKinds {
			mode := prefs[k.Kind]
			if mode == "" {
				mode = "none"
			}
			v.Choices = append(v.Choices, views.NotificationChoice{Kind: k.Kind, Label: p.T(k.Label), Mode: mode})
		}
	}
	return a.render(w, r, http.StatusOK, views.WaitingPage(p, v))
}

// Kinds of email notification people choose from, each covering one or
// more kinds of waiting item. The label is English, translated when shown.
var notificationKinds = []struct{ Kind, Label string }{
	{"join_request", "Requests to join my events"},
	{"decision", "Decisions on my participations"},
	{"group_invitation", "Invitations to groups"},
	{"membership_request", "Requests to join groups I moderate"},
	{"messages", "New messages in my groups' discussions"},
	{"held_comments", "Comments waiting for my approval"},
	{"moderation", "Reports and events to review (moderators)"},
}

// notificationKind is the choice that covers a waiting item's kind.
func notificationKind(itemKind string) string {
	switch itemKind {
	case store.WaitingAccepted, store.WaitingRejected:
		return "decision"
	case store.WaitingReport, store.WaitingHeldEvent:
		return "moderation"
	}
	return itemKind
}

// saveNotificationPrefs records the acting identity's email choices.
func (a *App) saveNotificationPrefs(w http.ResponseWriter, r *http.Request) error {
	rs := requestStateFrom(r.Context())
	if rs == nil || rs.Account == nil {
		return a.sendToLogin(w, r)
	}
	if rs.Identity == nil {
		return errBadRequest("Create an identity first.")
	}
	for _, k := range notificationKinds {
		mode := r.PostFormValue(k.Kind)
		if mode != "now" && mode != "digest" && mode != "none" {
			return errBadRequest("Choose one of the options in the list.")
		}
	}
	for _, k := range notificationKinds {
		if err := a.store.SetNotificationPref(r.Context(), rs.Identity.ID, k.Kind, r.PostFormValue(k.Kind)); err != nil {
			return err
		}
	}
	return a.redirect(w, r, "/me/waiting", a.printer(r).T("Your email choices are saved."))
}

// MailWaitingNotifications emails what came to wait for people who chose
// this mode ("now": each pass of the mail worker; "digest": once a day),
// each item once: the mail and the mark of what it covered commit
// together.
func (a *App) MailWaitingNotifications(ctx context.Context, mode string) error {
	if a.mailer == nil {
		return nil
	}
	prefs, err := a.store.NotificationPrefsByMode(ctx, mode)
	if err != nil {
		return err
	}
	queued := false
	var acc *store.Account
	var items []store.WaitingItem
	var firstIdentity int64
	for _, pref := range prefs {
		if acc == nil || acc.ID != pref.AccountID {
			if acc, err = a.store.AccountByID(ctx, pref.AccountID); err != nil {
				return err
			}
			if items, err = a.store.WaitingFor(ctx, acc.ID, acc.IsAdmin, time.Time{}, waitingShown); err != nil {
				return err
			}
			ids, err := a.store.IdentitiesOf(ctx, acc.ID)
			if err != nil || len(ids) == 0 {
				return err
			}
			firstIdentity = ids[0].ID
		}
		var fresh []store.WaitingItem
		until := pref.MailedUntil
		for _, it := range items {
			who := it.IdentityID
			if who == 0 {
				who = firstIdentity
			}
			if who == pref.IdentityID && notificationKind(it.Kind) == pref.Kind && it.At.After(pref.MailedUntil) {
				fresh = append(fresh, it)
				until = later(until, it.At)
			}
		}
		if len(fresh) == 0 {
			continue
		}
		err := a.store.Tx(ctx, func(tx *sql.Tx) error {
			if err := a.queueMail(ctx, tx, acc.Email, a.waitingMail(ctx, acc, fresh)); err != nil {
				return err
			}
			return a.store.MarkNotifiedTx(ctx, tx, pref.IdentityID, pref.Kind, until)
		})
		if err != nil {
			return err
		}
		queued = true
	}
	if queued {
		a.mailQueued()
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// waitingMail lists waiting items with their links.
func (a *App) waitingMail(ctx context.Context, acc *store.Account, items []store.WaitingItem) views.Mail {
	l := a.accountPrinter(ctx, acc)
	m := views.Mail{Lang: l.Lang, Subject: l.T("Waiting for you on %s", a.setting(ctx, SettingName)),
		Paragraphs: []string{l.T("Here is what waits for you:")}}
	p := views.Page{L: l}
	for _, it := range items {
		m.Links = append(m.Links, views.MailLink{Label: views.WaitingLabel(p, it) + ": " + it.Title, URL: a.URL(it.Link)})
	}
	m.Action = views.MailLink{Label: l.T("See everything that waits for you"), URL: a.URL("/me/waiting")}
	return m
}
