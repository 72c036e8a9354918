package app

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/mail"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"convene/app/i18n"
	"convene/app/store"
	"convene/views"
)

var usernamePattern = regexp.MustCompile(`^[a-z0-9_]{1,30}$`)

// validUsername explains what is wrong with a username, or returns "".
func validUsername(l *i18n.Printer, u string) string {
	switch {
	case u == "":
		return l.T("Choose a username.")
	case len(u) > 30:
		return l.T("A username has at most 30 characters.")
	case !usernamePattern.MatchString(u):
		return l.T("Use only lower-case letters a–z, digits and _.")
	}
	return ""
}

// validEmail explains what is wrong with an email address, or returns "".
func validEmail(l *i18n.Printer, e string) string {
	if e == "" {
		return l.T("Enter an email address.")
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || len(e) > 254 || !strings.Contains(e[strings.LastIndexByte(e, '@'):], ".") {
		return l.T("This is not an email address (like name@example.org).")
	}
	return ""
}

// validPassword explains what is wrong with a new password, or returns "".
func validPassword(l *i18n.Printer, p string) string {
	switch n := utf8.RuneCountInString(p); {
	case n < 10:
		return l.T("A password has at least 10 characters.")
	case len(p) > 512:
		return l.T("A password has at most 512 bytes.")
	}
	return ""
}

// clientIP is what rate limits key on: the client's address, or for IPv6
// its /64 network, since one household or one server is handed a whole
// /64 and can pick a new address in it for every request. It is never
// logged.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String()
	}
	prefix, _ := addr.WithZone("").Prefix(64)
	return prefix.String()
}

func (a *App) startSession(w http.ResponseWriter, r *http.Request, accountID, identityID int64) error {
	secret, err := a.store.CreateSessionFrom(r.Context(), accountID, identityID, sessionTTL, deviceOf(r.UserAgent()))
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: secret, Path: "/", MaxAge: int(sessionTTL / time.Second),
		HttpOnly: true, Secure: a.secureCookies(), SameSite: http.SameSiteLaxMode,
	})
	return nil
}

func (a *App) showLogin(w http.ResponseWriter, r *http.Request) error {
	if currentAccount(r) != nil {
		return a.redirect(w, r, safeNext(r.URL.Query().Get("next")), "")
	}
	p := a.page(r, a.printer(r).T("Log in"))
	return a.render(w, r, http.StatusOK, views.LoginPage(p, views.LoginForm{Next: safeNext(r.URL.Query().Get("next"))}, ""))
}

// Login attempts allowed: per IP (or IPv6 /64) 10 then one every 30 s;
// per account 5 then one a minute, so that guessing one person's password
// from many addresses is slow too. The account's bucket is the account's,
// whether it is named by email or username; once it is empty, only a
// browser that logged in to that account before (it carries a device
// cookie) may still try, so that a stranger failing on purpose cannot
// lock its owner out.
const (
	loginPerIPEvery      = 30 * time.Second
	loginPerIPBurst      = 10
	loginPerAccountEvery = time.Minute
	loginPerAccountBurst = 5
)

func (a *App) login(w http.ResponseWriter, r *http.Request) error {
	form := views.LoginForm{
		Login: strings.TrimSpace(r.PostFormValue("login")),
		Next:  safeNext(r.PostFormValue("next")),
	}
	password := r.PostFormValue("password")
	p := a.page(r, a.printer(r).T("Log in"))
	tooMany := func() error {
		return a.render(w, r, http.StatusTooManyRequests, views.LoginPage(p, form, p.T("Too many login attempts. Wait a few minutes and try again.")))
	}
	if !a.limits.allow("login-ip:"+clientIP(r), loginPerIPEvery, loginPerIPBurst) {
		return tooMany()
	}
	acc, err := a.store.AccountByLogin(r.Context(), form.Login)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	accountKey := "login-account:" + strings.ToLower(form.Login)
	if acc != nil {
		accountKey = "login-account:" + itoa(acc.ID)
	}
	if !a.limits.allow(accountKey, loginPerAccountEvery, loginPerAccountBurst) && (acc == nil || !a.knownDevice(r, acc.ID)) {
		return tooMany()
	}
	var hash string
	if acc != nil {
		hash = acc.PasswordHash
	}
	ok, err := a.checkPassword(r.Context(), hash, password)
	if errors.Is(err, errPasswordsBusy) {
		w.Header().Set("Retry-After", strconv.Itoa(passwordHashRetryAfter))
		return a.render(w, r, http.StatusTooManyRequests, views.LoginPage(p, form, p.T(errPasswordsBusy.Message)))
	}
	if err != nil {
		return err
	}
	if !ok {
		return a.render(w, r, http.StatusUnauthorized, views.LoginPage(p, form, p.T("Wrong email, username or password.")))
	}
	// Told only after the right password, so that nobody learns from the
	// login form which accounts are suspended or waiting.
	if suspended, err := a.store.IsAccountSuspended(r.Context(), acc.ID); err != nil {
		return err
	} else if suspended {
		return a.render(w, r, http.StatusForbidden, views.LoginPage(p, form, p.T("This account is suspended by the moderators of this instance. Write to the contact on the About page if you think this is a mistake.")))
	}
	if waiting, err := a.store.IsAwaitingApproval(r.Context(), acc.ID); err != nil {
		return err
	} else if waiting {
		return a.render(w, r, http.StatusForbidden, views.LoginPage(p, form, p.T("Your account waits for an administrator’s approval. You can log in once it is approved.")))
	}
	if acc.IsAdmin {
		if err := a.store.RecordAdminLogin(r.Context(), acc.ID); err != nil {
			return err
		}
	}
	var identityID int64
	if ids, err := a.store.IdentitiesOf(r.Context(), acc.ID); err == nil && len(ids) > 0 {
		identityID = ids[0].ID
	}
	if err := a.startSession(w, r, acc.ID, identityID); err != nil {
		return err
	}
	a.rememberDevice(w, acc.ID)
	return a.redirect(w, r, form.Next, "")
}

// The device cookie says "this browser logged in to account N before",
// signed with a key made at start. It lets its owner through a login
// limit that strangers emptied. The key, like the limits themselves,
// lives as long as the process: after a restart every bucket is full
// again and the cookie is not needed.
const deviceCookie = "convene_device"

func (a *App) deviceTag(accountID int64) string {
	mac := hmac.New(sha256.New, a.deviceKey[:])
	mac.Write([]byte(itoa(accountID)))
	return itoa(accountID) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (a *App) rememberDevice(w http.ResponseWriter, accountID int64) {
	http.SetCookie(w, &http.Cookie{
		Name: deviceCookie, Value: a.deviceTag(accountID), Path: "/login", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: a.secureCookies(), SameSite: http.SameSiteStrictMode,
	})
}

func (a *App) knownDevice(r *http.Request, accountID int64) bool {
	c, err := r.Cookie(deviceCookie)
	return err == nil && hmac.Equal([]byte(c.Value), []byte(a.deviceTag(accountID)))
}

func (a *App) logout(w http.ResponseWriter, r *http.Request) error {
	if rs := requestStateFrom(r.Context()); rs != nil && rs.SessionSecret != "" {
		if err := a.store.DeleteSession(r.Context(), rs.SessionSecret); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: a.secureCookies(), SameSite: http.SameSiteLaxMode})
	return a.redirect(w, r, "/", a.printer(r).T("You are logged out."))
}

// switchIdentity remembers which identity acts in this session.
func (a *App) switchIdentity(w http.ResponseWriter, r *http.Request) error {
	rs := requestStateFrom(r.Context())
	if rs == nil || rs.Account == nil {
		return a.redirect(w, r, "/login", "")
	}
	var id int64
	for _, ident := range rs.Identities {
		if r.PostFormValue("identity") == itoa(ident.ID) {
			id = ident.ID
		}
	}
	if id == 0 {
		return errBadRequest("Choose one of your identities.")
	}
	if err := a.store.SetSessionIdentity(r.Context(), rs.SessionSecret, id); err != nil {
		return err
	}
	return a.redirect(w, r, safeNext(r.PostFormValue("back")), "")
}

// SetupLink returns a one-time link to create the owner account, or ""
// once an account exists. A new link is made at each start while none is
// used, valid for a week.
func (a *App) SetupLink(ctx context.Context) (string, error) {
	n, err := a.store.CountAccounts(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	secret, err := a.store.CreateToken(ctx, store.TokenSetup, 0, 7*24*time.Hour)
	if err != nil {
		return "", err
	}
	return a.URL("/setup/" + secret), nil
}

// errSetupLinkDead answers a setup link that is wrong, used, expired, or
// outlived by an administrator (made meanwhile from the command line): a
// printed link must never make a second owner.
var errSetupLinkDead = &publicError{Status: http.StatusNotFound, Message: "This setup link is wrong, expired or already used. Restart Convene to get a new one, or use `convene admin create-user`."}

func (a *App) showSetup(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.store.PeekToken(r.Context(), store.TokenSetup, r.PathValue("token")); err != nil {
		return errSetupLinkDead
	}
	if admin, err := a.store.AdminExists(r.Context()); err != nil || admin {
		return cmp.Or(err, error(errSetupLinkDead))
	}
	p := a.page(r, a.printer(r).T("Create the owner account"))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.SetupPage(p, views.AccountForm{}, nil))
}

func (a *App) setup(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	form := views.AccountForm{
		Email:       strings.TrimSpace(r.PostFormValue("email")),
		Username:    strings.TrimSpace(strings.ToLower(r.PostFormValue("username"))),
		DisplayName: strings.TrimSpace(r.PostFormValue("display_name")),
	}
	password := r.PostFormValue("password")
	p := a.page(r, a.printer(r).T("Create the owner account"))
	p.NoIndex = true
	errs := validateAccountForm(p.L, form, password)
	if len(errs) > 0 {
		return a.render(w, r, http.StatusUnprocessableEntity, views.SetupPage(p, form, errs))
	}
	hash, err := a.hashPassword(r.Context(), password)
	if err != nil {
		return err
	}
	var acc *store.Account
	var ident *store.Actor
	err = a.store.Tx(r.Context(), func(tx *sql.Tx) error {
		if _, err := a.store.UseToken(r.Context(), tx, store.TokenSetup, token); err != nil {
			return err
		}
		if admin, err := a.store.AdminExistsTx(r.Context(), tx); err != nil || admin {
			return cmp.Or(err, store.ErrNotFound)
		}
		acc, ident, err = a.store.CreateAccountWithIdentityTx(r.Context(), tx, form.Email, hash, true,
			store.NewIdentity{Username: form.Username, DisplayName: form.DisplayName})
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return errSetupLinkDead
	}
	if errors.Is(err, store.ErrConflict) {
		errs = views.FieldErrors{"username": p.T("This username or email is already taken.")}
		return a.render(w, r, http.StatusUnprocessableEntity, views.SetupPage(p, form, errs))
	}
	if err != nil {
		return err
	}
	if err := a.startSession(w, r, acc.ID, ident.ID); err != nil {
		return err
	}
	return a.redirect(w, r, "/", p.T("Welcome! Your account is ready. Create your first event."))
}

func validateAccountForm(l *i18n.Printer, f views.AccountForm, password string) views.FieldErrors {
	errs := views.FieldErrors{}
	if m := validEmail(l, f.Email); m != "" {
		errs["email"] = m
	}
	if m := validUsername(l, f.Username); m != "" {
		errs["username"] = m
	}
	if m := validText(l, f.DisplayName, 100, false); m != "" {
		errs["display_name"] = m
	}
	if m := validPassword(l, password); m != "" {
		errs["password"] = m
	}
	return errs
}

func (a *App) showSetPassword(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.store.PeekToken(r.Context(), store.TokenPassword, r.PathValue("token")); err != nil {
		return badPasswordLink
	}
	p := a.page(r, a.printer(r).T("Choose your password"))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.SetPasswordPage(p, nil))
}

func (a *App) setPassword(w http.ResponseWriter, r *http.Request) error {
	password := r.PostFormValue("password")
	p := a.page(r, a.printer(r).T("Choose your password"))
	p.NoIndex = true
	if m := validPassword(p.L, password); m != "" {
		return a.render(w, r, http.StatusUnprocessableEntity, views.SetPasswordPage(p, views.FieldErrors{"password": m}))
	}
	if _, err := a.store.PeekToken(r.Context(), store.TokenPassword, r.PathValue("token")); err != nil {
		return &publicError{Status: http.StatusNotFound, Message: "This link is wrong, expired or already used."}
	}
	hash, err := a.hashPassword(r.Context(), password)
	if err != nil {
		return err
	}
	var accountID int64
	err = a.store.Tx(r.Context(), func(tx *sql.Tx) error {
		t, err := a.store.UseToken(r.Context(), tx, store.TokenPassword, r.PathValue("token"))
		if err != nil {
			return err
		}
		accountID = t.AccountID
		return a.store.ResetPasswordTx(r.Context(), tx, accountID, hash)
	})
	if errors.Is(err, store.ErrNotFound) {
		return badPasswordLink
	}
	if err != nil {
		return err
	}
	// A suspended account gets its new password but no session: the
	// login form tells its owner why.
	if suspended, err := a.store.IsAccountSuspended(r.Context(), accountID); err != nil {
		return err
	} else if suspended {
		return a.redirect(w, r, "/login", p.T("Your password is set."))
	}
	var identityID int64
	if ids, err := a.store.IdentitiesOf(r.Context(), accountID); err == nil && len(ids) > 0 {
		identityID = ids[0].ID
	}
	if err := a.startSession(w, r, accountID, identityID); err != nil {
		return err
	}
	return a.redirect(w, r, "/", p.T("Your password is set. You are logged in."))
}

// CreateUser creates an account with its first identity from the command
// line and returns a link to set its password.
func (a *App) CreateUser(ctx context.Context, email, username string, admin bool) (string, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	l := i18n.For("en")
	if m := validEmail(l, email); m != "" {
		return "", errors.New(m)
	}
	if m := validUsername(l, username); m != "" {
		return "", errors.New(m)
	}
	acc, _, err := a.store.CreateAccountWithIdentity(ctx, email, "", admin, store.NewIdentity{Username: username})
	if errors.Is(err, store.ErrConflict) {
		return "", errors.New("this email or username is already taken")
	}
	if err != nil {
		return "", err
	}
	secret, err := a.store.CreateToken(ctx, store.TokenPassword, acc.ID, 7*24*time.Hour)
	if err != nil {
		return "", err
	}
	return a.URL("/password/" + secret), nil
}
