package app

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"convene/app/i18n"
	"convene/app/store"
	"convene/views"
)

// Identity pages list this many upcoming events per page, and the most
// recent past ones.
const (
	identityUpcomingPerPage = 20
	identityPastShown       = 20
	maxBioChars             = 500
	maxDisplayNameChars     = 100
	// maxIdentitiesPerAccount keeps one account from squatting usernames.
	maxIdentitiesPerAccount = 20
)

// sendToLogin answers a request that needs a logged-in account: the login
// page, coming back here afterwards.
func (a *App) sendToLogin(w http.ResponseWriter, r *http.Request) error {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		next = r.URL.Path
	}
	return a.redirect(w, r, "/login?next="+url.QueryEscape(next), "")
}

// showIdentity is the public page of a local identity, /@username. The
// route takes any one-segment path, so anything not starting with "@" is
// not found here.
func (a *App) showIdentity(w http.ResponseWriter, r *http.Request) error {
	username, ok := strings.CutPrefix(r.PathValue("handle"), "@")
	if !ok || username == "" || len(username) > 30 {
		return errNotFound()
	}
	if lower := strings.ToLower(username); lower != username && usernamePattern.MatchString(lower) {
		http.Redirect(w, r, "/@"+lower, http.StatusMovedPermanently)
		return nil
	}
	if !usernamePattern.MatchString(username) {
		return errNotFound()
	}
	ctx := r.Context()
	actor, err := a.store.LocalActorByUsername(ctx, username)
	if err != nil {
		return err
	}
	if actor.Kind == store.KindGroup {
		return a.showGroupByHandle(w, r, username)
	}
	if actor.Kind != store.KindPerson {
		return errNotFound()
	}
	suspended, err := a.store.IsAccountSuspended(ctx, actor.AccountID)
	if err != nil {
		return err
	}
	page := pageNumber(r)
	upcoming, err := a.store.ListEvents(ctx, store.EventQuery{
		Now: a.now(), OrganizerID: actor.ID, Listed: true, OnePerSeries: true,
		Limit: identityUpcomingPerPage + 1, Offset: (page - 1) * identityUpcomingPerPage,
	})
	if err != nil {
		return err
	}
	more := len(upcoming) > identityUpcomingPerPage
	if more {
		upcoming = upcoming[:identityUpcomingPerPage]
	}
	var past []*store.Event
	if page == 1 {
		past, err = a.store.ListEvents(ctx, store.EventQuery{
			Now: a.now(), Past: true, OrganizerID: actor.ID, Listed: true, Limit: identityPastShown,
		})
		if err != nil {
			return err
		}
	}
	p := a.page(r, actor.Name()+" ("+actor.Handle()+")")
	p.Description = firstLine(actor.Bio)
	p.Feeds = a.identityFeeds(r, actor)
	p.Head = views.PreviewHead(a.identityPreview(r, actor))
	return a.render(w, r, http.StatusOK, views.IdentityPage(p, views.IdentityView{
		Actor:     actor,
		FediName:  actor.Handle() + "@" + a.Host(),
		Suspended: suspended,
		Embed:     a.embedSnippet(actor),
		Upcoming:  views.EventList{Events: upcoming, Page: page, More: more},
		Past:      past,
	}))
}

// firstLine is the first line of a text, for a meta description.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(line)
}

func (a *App) showIdentities(w http.ResponseWriter, r *http.Request) error {
	if currentAccount(r) == nil {
		return a.sendToLogin(w, r)
	}
	p := a.page(r, a.printer(r).T("Your identities"))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.IdentitiesPage(p, views.IdentityForm{}, nil))
}

// validateProfile checks the editable profile fields of an identity.
func validateProfile(l *i18n.Printer, f views.IdentityForm, errs views.FieldErrors) {
	if m := validText(l, f.DisplayName, maxDisplayNameChars, false); m != "" {
		errs["display_name"] = m
	}
	if m := validText(l, f.Bio, maxBioChars, true); m != "" {
		errs["bio"] = m
	}
}

func readProfile(r *http.Request) views.IdentityForm {
	return views.IdentityForm{
		DisplayName: cleanSpace(r.PostFormValue("display_name")),
		Bio:         strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("bio"), "\r\n", "\n")),
	}
}

// createIdentity adds an identity to the account and makes it the acting
// one: someone creating an identity means to use it now.
func (a *App) createIdentity(w http.ResponseWriter, r *http.Request) error {
	rs := requestStateFrom(r.Context())
	if rs == nil || rs.Account == nil {
		return a.sendToLogin(w, r)
	}
	p := a.page(r, a.printer(r).T("Your identities"))
	p.NoIndex = true
	f := readProfile(r)
	f.Username = strings.TrimSpace(r.PostFormValue("username"))
	errs := views.FieldErrors{}
	if m := validUsername(p.L, f.Username); m != "" {
		errs["username"] = m
	}
	if len(rs.Identities) >= maxIdentitiesPerAccount {
		errs["username"] = p.T("An account has at most %d identities.", maxIdentitiesPerAccount)
	}
	validateProfile(p.L, f, errs)
	if len(errs) > 0 {
		return a.render(w, r, http.StatusUnprocessableEntity, views.IdentitiesPage(p, f, errs))
	}
	ident, err := a.store.CreateIdentity(r.Context(), rs.Account.ID, store.NewIdentity{
		Username: f.Username, DisplayName: f.DisplayName, Bio: f.Bio,
	})
	if errors.Is(err, store.ErrConflict) {
		errs["username"] = p.T("This username is taken. Choose another one.")
		return a.render(w, r, http.StatusUnprocessableEntity, views.IdentitiesPage(p, f, errs))
	}
	if err != nil {
		return err
	}
	if err := a.store.SetSessionIdentity(r.Context(), rs.SessionSecret, ident.ID); err != nil {
		return err
	}
	return a.redirect(w, r, "/me/identities", p.T("%s is created. You now act as %s.", ident.Handle(), ident.Handle()))
}

// ownIdentity finds one of the logged-in account's identities by username.
func ownIdentity(r *http.Request, username string) *store.Actor {
	if rs := requestStateFrom(r.Context()); rs != nil {
		for i := range rs.Identities {
			if rs.Identities[i].Username == username {
				return &rs.Identities[i]
			}
		}
	}
	return nil
}

func (a *App) showEditIdentity(w http.ResponseWriter, r *http.Request) error {
	if currentAccount(r) == nil {
		return a.sendToLogin(w, r)
	}
	ident := ownIdentity(r, r.PathValue("username"))
	if ident == nil {
		return errNotFound()
	}
	p := a.page(r, a.printer(r).T("Edit %s", ident.Handle()))
	p.NoIndex = true
	f := views.IdentityForm{Username: ident.Username, DisplayName: ident.DisplayName, Bio: ident.Bio}
	return a.render(w, r, http.StatusOK, views.IdentityEditPage(p, ident, f, nil))
}

// updateIdentity saves an identity's profile. The text fields are checked
// before the picture is stored, so a refused form leaves nothing behind.
func (a *App) updateIdentity(w http.ResponseWriter, r *http.Request) error {
	acc := currentAccount(r)
	if acc == nil {
		return a.sendToLogin(w, r)
	}
	ident := ownIdentity(r, r.PathValue("username"))
	if ident == nil {
		return errNotFound()
	}
	p := a.page(r, a.printer(r).T("Edit %s", ident.Handle()))
	p.NoIndex = true
	f := readProfile(r)
	f.Username = ident.Username
	errs := views.FieldErrors{}
	validateProfile(p.L, f, errs)
	if len(errs) > 0 {
		return a.render(w, r, http.StatusUnprocessableEntity, views.IdentityEditPage(p, ident, f, errs))
	}
	u := store.IdentityUpdate{DisplayName: f.DisplayName, Bio: f.Bio, RemoveAvatar: r.PostFormValue("remove_avatar") != ""}
	if !u.RemoveAvatar {
		media, msg, err := a.saveUploadedImage(r, "avatar")
		if err != nil {
			return err
		}
		if msg != "" {
			errs["avatar"] = msg
			return a.render(w, r, http.StatusUnprocessableEntity, views.IdentityEditPage(p, ident, f, errs))
		}
		if media != nil {
			u.AvatarID = media.ID
		}
	}
	if err := a.store.UpdateIdentity(r.Context(), acc.ID, ident.ID, u); err != nil {
		return err
	}
	return a.redirect(w, r, "/me/identities", p.T("The profile of %s is saved.", ident.Handle()))
}

func (a *App) showAccount(w http.ResponseWriter, r *http.Request) error {
	acc := currentAccount(r)
	if acc == nil {
		return a.sendToLogin(w, r)
	}
	return a.renderAccount(w, r, http.StatusOK, acc.Locale, nil)
}

func (a *App) renderAccount(w http.ResponseWriter, r *http.Request, status int, locale string, errs views.FieldErrors) error {
	return a.renderAccountView(w, r, status, views.AccountView{Email: currentAccount(r).Email, Locale: locale, MailOff: !a.MailEnabled()}, errs)
}

// renderAccountView shows the account page with what a form kept.
func (a *App) renderAccountView(w http.ResponseWriter, r *http.Request, status int, v views.AccountView, errs views.FieldErrors) error {
	p := a.page(r, a.printer(r).T("Your account"))
	p.NoIndex = true
	w.Header().Set("Cache-Control", "no-store")
	return a.render(w, r, status, views.AccountPage(p, v, errs))
}

// setLanguage saves the account's language; "" follows the browser.
func (a *App) setLanguage(w http.ResponseWriter, r *http.Request) error {
	acc := currentAccount(r)
	if acc == nil {
		return a.sendToLogin(w, r)
	}
	locale := r.PostFormValue("locale")
	known := locale == ""
	for _, l := range i18n.Languages {
		known = known || l == locale
	}
	if !known {
		return a.renderAccount(w, r, http.StatusUnprocessableEntity, acc.Locale,
			views.FieldErrors{"locale": a.printer(r).T("Choose one of the languages in the list.")})
	}
	if err := a.store.SetLocale(r.Context(), acc.ID, locale); err != nil {
		return err
	}
	// The message is in the language just chosen.
	l := i18n.For(i18n.Negotiate(a.setting(r.Context(), SettingLanguage), locale, r.Header.Get("Accept-Language")))
	return a.redirect(w, r, "/me/account", l.T("The language is saved."))
}

// Password changes allowed per account: 5, then one a minute, so a
// forgotten open session cannot be used to guess the current password.
const (
	passwordChangeEvery = time.Minute
	passwordChangeBurst = 5
)

// changePassword replaces the password after checking the current one,
// and ends the account's other sessions.
func (a *App) changePassword(w http.ResponseWriter, r *http.Request) error {
	rs := requestStateFrom(r.Context())
	if rs == nil || rs.Account == nil {
		return a.sendToLogin(w, r)
	}
	acc := rs.Account
	l := a.printer(r)
	if !a.limits.allow("password-change:"+itoa(acc.ID), passwordChangeEvery, passwordChangeBurst) {
		return a.renderAccount(w, r, http.StatusTooManyRequests, acc.Locale,
			views.FieldErrors{"current_password": l.T("Too many attempts. Wait a few minutes and try again.")})
	}
	current, next := r.PostFormValue("current_password"), r.PostFormValue("new_password")
	errs := views.FieldErrors{}
	if ok, err := a.checkPassword(r.Context(), acc.PasswordHash, current); err != nil {
		return err
	} else if !ok {
		errs["current_password"] = l.T("This is not your current password.")
	}
	if m := validPassword(l, next); m != "" {
		errs["new_password"] = m
	}
	if len(errs) > 0 {
		return a.renderAccount(w, r, http.StatusUnprocessableEntity, acc.Locale, errs)
	}
	hash, err := a.hashPassword(r.Context(), next)
	if err != nil {
		return err
	}
	if err := a.store.ChangePassword(r.Context(), acc.ID, hash, rs.SessionSecret); err != nil {
		return err
	}
	return a.redirect(w, r, "/me/account", l.T("Your password is changed. Your other sessions are logged out."))
}
