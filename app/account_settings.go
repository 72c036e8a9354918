package app

import (
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"convene/app/store"
	"convene/views"
)

// A change of address is confirmed from the new address within a day.
const emailChangeTTL = 24 * time.Hour

// badEmailLink is what a wrong, expired or used confirmation link gets.
var badEmailLink = &publicError{Status: http.StatusNotFound,
	Message: "This link is wrong, expired (links are good for one day) or already used. Nothing was changed. Ask for the change again from your account page."}

// changeEmail starts a change of address: it checks the password, that
// the address is free (said only to the logged-in owner), and sends a
// link to the new address. Nothing changes until the link is used.
func (a *App) changeEmail(w http.ResponseWriter, r *http.Request) error {
	acc := currentAccount(r)
	if acc == nil {
		return a.sendToLogin(w, r)
	}
	ctx := r.Context()
	l := a.printer(r)
	v := views.AccountView{Email: acc.Email, Locale: acc.Locale, NewEmail: strings.TrimSpace(r.PostFormValue("new_email")), MailOff: !a.MailEnabled()}
	if v.MailOff {
		return a.renderAccountView(w, r, http.StatusServiceUnavailable, v, nil)
	}
	if !a.limits.allow("password-change:"+itoa(acc.ID), passwordChangeEvery, passwordChangeBurst) {
		return a.renderAccountView(w, r, http.StatusTooManyRequests, v,
			views.FieldErrors{"email_password": l.T("Too many attempts. Wait a few minutes and try again.")})
	}
	errs := views.FieldErrors{}
	if !checkPassword(acc.PasswordHash, r.PostFormValue("email_password")) {
		errs["email_password"] = l.T("This is not your current password.")
	}
	if m := validEmail(l, v.NewEmail); m != "" {
		errs["new_email"] = m
	} else if strings.EqualFold(v.NewEmail, acc.Email) {
		errs["new_email"] = l.T("This is already your address.")
	} else if other, err := a.store.AccountByEmail(ctx, v.NewEmail); err == nil && other.ID != acc.ID {
		errs["new_email"] = l.T("Another account already uses this address.")
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if len(errs) > 0 {
		return a.renderAccountView(w, r, http.StatusUnprocessableEntity, v, errs)
	}
	err := a.store.Tx(ctx, func(tx *sql.Tx) error {
		secret, err := a.store.CreateEmailChangeTx(ctx, tx, acc.ID, v.NewEmail, emailChangeTTL)
		if err != nil {
			return err
		}
		ml := a.accountPrinter(ctx, acc)
		site := a.setting(ctx, SettingName)
		return a.queueMail(ctx, tx, v.NewEmail, views.Mail{Lang: ml.Lang,
			Subject: ml.T("Confirm your new email address on %s", site),
			Paragraphs: []string{
				ml.T("Someone asked for this address to become the email of an account on %s.", site),
				ml.T("The change is made when you open the link below (good for one day). If you did not ask, ignore this message: nothing changes."),
			},
			Action: views.MailLink{Label: ml.T("Confirm the new address"), URL: a.URL("/me/email/" + secret)},
		})
	})
	if err != nil {
		return err
	}
	a.mailQueued()
	return a.redirect(w, r, "/me/account", l.T("A link is on its way to %s: open it to confirm the change.", v.NewEmail))
}

func (a *App) showConfirmEmail(w http.ResponseWriter, r *http.Request) error {
	c, err := a.store.PeekEmailChange(r.Context(), r.PathValue("token"))
	if err != nil {
		return badEmailLink
	}
	p := a.page(r, a.printer(r).T("Confirm your new email address"))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.ConfirmEmailPage(p, c.NewEmail))
}

// confirmEmail makes the change and tells the old address, so that a
// person whose account was taken over learns it.
func (a *App) confirmEmail(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	l := a.printer(r)
	err := a.store.Tx(ctx, func(tx *sql.Tx) error {
		c, oldEmail, err := a.store.ConfirmEmailChangeTx(ctx, tx, r.PathValue("token"))
		if err != nil {
			return err
		}
		acc, err := a.store.AccountByID(ctx, c.AccountID)
		if err != nil {
			return err
		}
		ml := a.accountPrinter(ctx, acc)
		site := a.setting(ctx, SettingName)
		return a.queueMail(ctx, tx, oldEmail, views.Mail{Lang: ml.Lang,
			Subject: ml.T("The email address of your account on %s changed", site),
			Paragraphs: []string{
				ml.T("Your account on %s now uses the address %s; this address no longer receives its mail.", site, c.NewEmail),
				ml.T("If you did not make this change, write to the administrator of the instance at once (see its About page)."),
			},
		})
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return badEmailLink
	case errors.Is(err, store.ErrEmailTaken):
		return &publicError{Status: http.StatusConflict, Message: "Another account started using this address in the meantime. Nothing was changed."}
	case err != nil:
		return err
	}
	a.mailQueued()
	next := "/login"
	if currentAccount(r) != nil {
		next = "/me/account"
	}
	return a.redirect(w, r, next, l.T("Your email address is changed."))
}

func (a *App) showSessions(w http.ResponseWriter, r *http.Request) error {
	rs := requestStateFrom(r.Context())
	if rs == nil || rs.Account == nil {
		return a.sendToLogin(w, r)
	}
	sessions, err := a.store.SessionsOf(r.Context(), rs.Account.ID, rs.SessionSecret)
	if err != nil {
		return err
	}
	p := a.page(r, a.printer(r).T("Your sessions"))
	p.NoIndex = true
	w.Header().Set("Cache-Control", "no-store")
	return a.render(w, r, http.StatusOK, views.SessionsPage(p, sessions))
}

// endSession logs out one of the account's other browsers.
func (a *App) endSession(w http.ResponseWriter, r *http.Request) error {
	acc := currentAccount(r)
	if acc == nil {
		return a.sendToLogin(w, r)
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errNotFound()
	}
	if err := a.store.EndSession(r.Context(), acc.ID, id); errors.Is(err, store.ErrNotFound) {
		return a.redirect(w, r, "/me/sessions", a.printer(r).T("This session had already ended."))
	} else if err != nil {
		return err
	}
	return a.redirect(w, r, "/me/sessions", a.printer(r).T("That browser is logged out."))
}

func (a *App) endOtherSessions(w http.ResponseWriter, r *http.Request) error {
	rs := requestStateFrom(r.Context())
	if rs == nil || rs.Account == nil {
		return a.sendToLogin(w, r)
	}
	if err := a.store.EndOtherSessions(r.Context(), rs.Account.ID, rs.SessionSecret); err != nil {
		return err
	}
	return a.redirect(w, r, "/me/sessions", a.printer(r).T("Every other browser is logged out."))
}
