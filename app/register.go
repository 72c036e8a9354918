package app

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"time"

	"convene/app/store"
	"convene/views"
)

// Registration modes (the instance.registrations setting).
const (
	registrationsClosed = "closed"
	registrationsInvite = "invite"
	registrationsOpen   = "open"
	// registrationsApproval: anyone may sign up, an admin approves
	// each account before it can log in.
	registrationsApproval = "approval"
)

// deadManAfter: open registrations need approval once no moderator has
// acted or logged in for this long, so that an unattended instance does
// not fill with spam accounts.
const deadManAfter = 7 * 24 * time.Hour

// Registration attempts allowed per IP: 10, then one every 5 minutes.
// Every post counts, so a robot cannot create accounts in bulk nor probe
// which emails are registered.
const (
	registerPerIPEvery = 5 * time.Minute
	registerPerIPBurst = 10
	invitationTTL      = 7 * 24 * time.Hour
)

// chosenRegistrationMode is the instance's setting, closed when unknown.
func (a *App) chosenRegistrationMode(r *http.Request) string {
	switch m := a.setting(r.Context(), SettingRegistrations); m {
	case registrationsInvite, registrationsOpen, registrationsApproval:
		return m
	}
	return registrationsClosed
}

// registrationMode is the mode in force: the chosen one, except that open
// registrations need approval while the moderators are away.
func (a *App) registrationMode(r *http.Request) string {
	m := a.chosenRegistrationMode(r)
	if m == registrationsOpen && a.moderatorsAway(r.Context()) {
		return registrationsApproval
	}
	return m
}

// moderatorsAway tells whether no moderator acted or logged in for
// deadManAfter (an admin account's creation counts as activity).
func (a *App) moderatorsAway(ctx context.Context) bool {
	last, err := a.store.LastModeratorActivity(ctx)
	if err != nil {
		a.log.Error("last moderator activity", "err", err)
		return true
	}
	// Without any administrator nobody could approve: leave it open.
	return !last.IsZero() && a.now().Sub(last) > deadManAfter
}

var errBadInvitation = &publicError{Status: http.StatusForbidden, Message: "This invitation link is wrong, expired or already used. Ask the administrator for a new one."}

// registrationAllowed renders the refusal page and returns false when
// nobody may register now with the invitation given (if any).
func (a *App) registrationAllowed(w http.ResponseWriter, r *http.Request, invite string) (bool, error) {
	p := a.page(r, a.printer(r).T("Create an account"))
	switch a.registrationMode(r) {
	case registrationsOpen, registrationsApproval:
		return true, nil
	case registrationsInvite:
		if invite == "" {
			return false, a.render(w, r, http.StatusForbidden, views.RegistrationsClosedPage(p, true))
		}
		if _, err := a.store.PeekToken(r.Context(), store.TokenInvite, invite); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return false, errBadInvitation
			}
			return false, err
		}
		return true, nil
	default:
		return false, a.render(w, r, http.StatusForbidden, views.RegistrationsClosedPage(p, false))
	}
}

func (a *App) showRegister(w http.ResponseWriter, r *http.Request) error {
	if currentAccount(r) != nil {
		return a.redirect(w, r, "/", "")
	}
	invite := r.URL.Query().Get("invite")
	if ok, err := a.registrationAllowed(w, r, invite); !ok {
		return err
	}
	p := a.page(r, a.printer(r).T("Create an account"))
	p.NoIndex = true
	f := views.AccountForm{}
	if a.registrationMode(r) == registrationsInvite {
		f.Invite = invite
	}
	return a.render(w, r, http.StatusOK, views.RegisterPage(p, f, nil, ""))
}

// register creates an account and its first identity, then logs in. With
// an invitation, using it and creating the account are one transaction: a
// refused form does not spend the invitation.
func (a *App) register(w http.ResponseWriter, r *http.Request) error {
	if currentAccount(r) != nil {
		return a.redirect(w, r, "/", "")
	}
	mode := a.registrationMode(r)
	form := views.AccountForm{
		Email:       strings.TrimSpace(r.PostFormValue("email")),
		Username:    strings.TrimSpace(r.PostFormValue("username")),
		DisplayName: cleanSpace(r.PostFormValue("display_name")),
	}
	if mode == registrationsInvite {
		form.Invite = r.PostFormValue("invite")
	}
	if ok, err := a.registrationAllowed(w, r, form.Invite); !ok {
		return err
	}
	p := a.page(r, a.printer(r).T("Create an account"))
	p.NoIndex = true
	if !a.limits.allow("register-ip:"+clientIP(r), registerPerIPEvery, registerPerIPBurst) {
		return a.render(w, r, http.StatusTooManyRequests, views.RegisterPage(p, form, nil,
			p.T("Too many accounts were asked for from your network. Wait an hour and try again.")))
	}
	if r.PostFormValue("website") != "" {
		return a.render(w, r, http.StatusBadRequest, views.RegisterPage(p, form, nil,
			p.T("This form could not be accepted. If you are a person, leave the field “Leave this field empty” empty and send it again.")))
	}
	password := r.PostFormValue("password")
	errs := validateAccountForm(p.L, form, password)
	// Say at once everything that is taken; the insert below still has
	// the last word when two people race for one name.
	if !errs.Has("email") {
		if _, err := a.store.AccountByEmail(r.Context(), form.Email); err == nil {
			errs["email"] = p.T("An account with this email already exists. Log in instead?")
		}
	}
	if !errs.Has("username") {
		if _, err := a.store.LocalActorByUsername(r.Context(), form.Username); err == nil {
			errs["username"] = p.T("This username is taken. Choose another one.")
		}
	}
	if len(errs) > 0 {
		return a.render(w, r, http.StatusUnprocessableEntity, views.RegisterPage(p, form, errs, ""))
	}
	hash, err := a.hashPassword(r.Context(), password)
	if err != nil {
		return err
	}
	var acc *store.Account
	var ident *store.Actor
	err = a.store.Tx(r.Context(), func(tx *sql.Tx) error {
		if mode == registrationsInvite {
			if _, err := a.store.UseToken(r.Context(), tx, store.TokenInvite, form.Invite); err != nil {
				return err
			}
		}
		var err error
		acc, ident, err = a.store.CreateAccountWithIdentityTx(r.Context(), tx, form.Email, hash, false,
			store.NewIdentity{Username: form.Username, DisplayName: form.DisplayName})
		if err == nil && mode == registrationsApproval {
			err = a.store.RequestApprovalTx(r.Context(), tx, acc.ID)
		}
		if err == nil && mode != registrationsInvite {
			err = a.store.PutOnProbationTx(r.Context(), tx, acc.ID, firstEventsHeld)
		}
		return err
	})
	switch {
	case errors.Is(err, store.ErrEmailTaken):
		errs["email"] = p.T("An account with this email already exists. Log in instead?")
	case errors.Is(err, store.ErrUsernameTaken):
		errs["username"] = p.T("This username is taken. Choose another one.")
	case errors.Is(err, store.ErrNotFound):
		return errBadInvitation
	case err != nil:
		return err
	}
	if len(errs) > 0 {
		return a.render(w, r, http.StatusUnprocessableEntity, views.RegisterPage(p, form, errs, ""))
	}
	if mode == registrationsApproval {
		return a.redirect(w, r, "/", p.T("Thank you, %s! An administrator will look at your account soon; you can log in once it is approved.", ident.Handle()))
	}
	if err := a.startSession(w, r, acc.ID, ident.ID); err != nil {
		return err
	}
	return a.redirect(w, r, "/", p.T("Welcome, %s! Your account is ready.", ident.Handle()))
}
