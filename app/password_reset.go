package app

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"time"

	"convene/app/i18n"
	"convene/app/store"
	"convene/views"
)

// A "forgot your password" link is good for an hour and once.
const passwordResetTTL = time.Hour

// Reset requests allowed: per address 3, then one every 20 minutes (a
// stranger cannot flood someone's inbox); per IP 10, then one every
// 6 minutes (nobody sprays the form with addresses).
const (
	resetPerAddressEvery = 20 * time.Minute
	resetPerAddressBurst = 3
	resetPerIPEvery      = 6 * time.Minute
	resetPerIPBurst      = 10
)

// badPasswordLink is what a wrong, expired or used link gets: nothing
// changes, and the page says how to get a new one.
var badPasswordLink = &publicError{Status: http.StatusNotFound,
	Message: "This link is wrong, expired (links are good for one hour) or already used. Nothing was changed. Ask for a new link with “Forgot your password?” on the login page."}

func (a *App) showForgotPassword(w http.ResponseWriter, r *http.Request) error {
	p := a.page(r, a.printer(r).T("Forgot your password?"))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.ForgotPasswordPage(p, views.ForgotPasswordView{MailOff: !a.MailEnabled()}, nil))
}

// forgotPassword emails a link to set a new password. The answer is the
// same whether an account uses the address or not, and so is the work
// done before answering (one lookup, one transaction, no password hash),
// so neither the page nor its timing tells a stranger who has an account.
func (a *App) forgotPassword(w http.ResponseWriter, r *http.Request) error {
	p := a.page(r, a.printer(r).T("Forgot your password?"))
	p.NoIndex = true
	v := views.ForgotPasswordView{MailOff: !a.MailEnabled(), Email: strings.TrimSpace(r.PostFormValue("email"))}
	if v.MailOff {
		return a.render(w, r, http.StatusServiceUnavailable, views.ForgotPasswordPage(p, v, nil))
	}
	if m := validEmail(p.L, v.Email); m != "" {
		return a.render(w, r, http.StatusUnprocessableEntity, views.ForgotPasswordPage(p, v, views.FieldErrors{"email": m}))
	}
	if !a.limits.allow("reset-ip:"+clientIP(r), resetPerIPEvery, resetPerIPBurst) ||
		!a.limits.allow("reset-address:"+strings.ToLower(v.Email), resetPerAddressEvery, resetPerAddressBurst) {
		return a.render(w, r, http.StatusTooManyRequests, views.ForgotPasswordPage(p, v,
			views.FieldErrors{"email": p.T("Too many requests for a new password. Wait half an hour and try again.")}))
	}
	if err := a.sendPasswordReset(r.Context(), v.Email); err != nil {
		return err
	}
	v.Sent = true
	return a.render(w, r, http.StatusOK, views.ForgotPasswordPage(p, v, nil))
}

// sendPasswordReset queues the reset mail when an account has this
// address (and is not suspended); otherwise it does nothing.
func (a *App) sendPasswordReset(ctx context.Context, email string) error {
	acc, err := a.store.AccountByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if acc == nil {
			return nil
		}
		if suspended, err := a.store.IsAccountSuspended(ctx, acc.ID); err != nil || suspended {
			return err
		}
		secret, err := a.store.CreateTokenTx(ctx, tx, store.TokenPassword, acc.ID, passwordResetTTL)
		if err != nil {
			return err
		}
		l := a.accountPrinter(ctx, acc)
		return a.queueMail(ctx, tx, acc.Email, views.Mail{Lang: l.Lang,
			Subject: l.T("Set a new password on %s", a.setting(ctx, SettingName)),
			Paragraphs: []string{
				l.T("Someone (probably you) asked for a new password for the account of this address on %s.", a.setting(ctx, SettingName)),
				l.T("The link below works once, for one hour. Using it logs out every browser where the account is open."),
				l.T("If you did not ask, ignore this message: your password stays as it is."),
			},
			Action: views.MailLink{Label: l.T("Choose a new password"), URL: a.URL("/password/" + secret)},
		})
	})
	if err != nil {
		return err
	}
	if acc != nil {
		a.mailQueued()
	}
	return nil
}

// accountPrinter is the language of a mail to an account: its own
// setting, else the instance's.
func (a *App) accountPrinter(ctx context.Context, acc *store.Account) *i18n.Printer {
	return i18n.For(i18n.Negotiate(a.setting(ctx, SettingLanguage), acc.Locale))
}
