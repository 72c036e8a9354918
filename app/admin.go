package app

import (
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"convene/app/store"
	"convene/views"
)

const usersPerPage = 50

// adminOnly guards a handler of the admin area: logged-out visitors go to
// the login page, accounts that are not administrators get 403.
func (a *App) adminOnly(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		acc := currentAccount(r)
		if acc == nil {
			return a.sendToLogin(w, r)
		}
		if !acc.IsAdmin {
			return errForbidden("This page is for the administrators of this instance.")
		}
		w.Header().Set("Cache-Control", "no-store")
		return h(w, r)
	}
}

// adminPage is page data for the admin area, never indexed.
func (a *App) adminPage(r *http.Request, title string) views.Page {
	p := a.page(r, a.printer(r).T(title))
	p.NoIndex = true
	return p
}

// adminSections are the sections of the admin hub, in order. Each entry
// is English text, translated when shown.
var adminSections = []views.AdminLink{
	{URL: "/admin/instance", Title: "This instance", Description: "Name, descriptions, contact, language, time zone, rules and policies shown on the About page."},
	{URL: "/admin/look", Title: "The instance's look", Description: "Logo, colour and the introduction of the home page."},
	{URL: "/admin/registrations", Title: "Registrations", Description: "Who can create an account; invitation links."},
	{URL: "/admin/users", Title: "Users", Description: "Accounts, their identities and emails; set-password links, suspensions, administrators."},
	{URL: "/admin/reports", Title: "Reports", Description: "Reports of events and identities, and what was done about them."},
	{URL: "/admin/federation", Title: "Federation", Description: "Which servers this instance exchanges with; block lists."},
	{URL: "/admin/followers", Title: "Servers following this instance", Description: "Accept or refuse the servers that ask to receive this instance's events."},
	{URL: "/admin/sources", Title: "Sources of events", Description: "Servers, groups and accounts whose events appear here."},
	{URL: "/admin/rules", Title: "Rules", Description: "The instance's rules, in order."},
}

func (a *App) showAdmin(w http.ResponseWriter, r *http.Request) error {
	p := a.adminPage(r, "Administration")
	if !a.MailEnabled() && p.Flash == "" {
		// The owner should learn here, not from a visitor, why joining
		// without an account is off.
		p.Flash = p.T("Email is off: Convene cannot send confirmation links, so visitors cannot join events without an account. Start convene with --smtp-url smtp://user:password@host:587 (or smtps://…:465) and --mail-from, or set CONVENE_SMTP_URL and CONVENE_MAIL_FROM. See Email and participation.")
	}
	links := make([]views.AdminLink, len(adminSections))
	for i, s := range adminSections {
		links[i] = views.AdminLink{URL: s.URL, Title: p.T(s.Title), Description: p.T(s.Description)}
	}
	return a.render(w, r, http.StatusOK, views.AdminHubPage(p, links))
}

func (a *App) renderRegistrations(w http.ResponseWriter, r *http.Request, status int, mode, newInvitation string, errs views.FieldErrors) error {
	live, err := a.store.CountLiveTokens(r.Context(), store.TokenInvite)
	if err != nil {
		return err
	}
	p := a.adminPage(r, "Registrations")
	return a.render(w, r, status, views.AdminRegistrationsPage(p, views.RegistrationsView{
		Mode: mode, LiveInvites: live, NewInvitation: newInvitation,
		ModeratorsAway: mode == registrationsOpen && a.moderatorsAway(r.Context()),
	}, errs))
}

func (a *App) showAdminRegistrations(w http.ResponseWriter, r *http.Request) error {
	return a.renderRegistrations(w, r, http.StatusOK, a.chosenRegistrationMode(r), "", nil)
}

func (a *App) setRegistrations(w http.ResponseWriter, r *http.Request) error {
	mode := r.PostFormValue("registrations")
	switch mode {
	case registrationsClosed, registrationsInvite, registrationsOpen, registrationsApproval:
	default:
		return a.renderRegistrations(w, r, http.StatusUnprocessableEntity, a.chosenRegistrationMode(r), "",
			views.FieldErrors{"registrations": a.printer(r).T("Choose one of the options in the list.")})
	}
	if err := a.saveSettings(r.Context(), map[string]string{SettingRegistrations: mode}); err != nil {
		return err
	}
	return a.redirect(w, r, "/admin/registrations", a.printer(r).T("Registrations are saved."))
}

// createInvitation makes a one-time invitation link. Only its hash is
// kept, so the link is shown on this answer and never again.
func (a *App) createInvitation(w http.ResponseWriter, r *http.Request) error {
	secret, err := a.store.CreateToken(r.Context(), store.TokenInvite, currentAccount(r).ID, invitationTTL)
	if err != nil {
		return err
	}
	return a.renderRegistrations(w, r, http.StatusOK, a.chosenRegistrationMode(r), a.URL("/register?invite="+secret), nil)
}

func (a *App) showAdminUsers(w http.ResponseWriter, r *http.Request) error {
	page := pageNumber(r)
	query := adminUsersQuery(r)
	accounts, err := a.store.AdminAccounts(r.Context(), query, usersPerPage+1, (page-1)*usersPerPage)
	if err != nil {
		return err
	}
	more := len(accounts) > usersPerPage
	if more {
		accounts = accounts[:usersPerPage]
	}
	waiting, err := a.store.AwaitingApproval(r.Context())
	if err != nil {
		return err
	}
	p := a.adminPage(r, "Users")
	return a.render(w, r, http.StatusOK, views.AdminUsersPage(p, views.UsersView{Accounts: accounts, Page: page, More: more, Waiting: waiting, Query: query}))
}

// answerRegistration lets an account from the approval queue log in
// (approve), or deletes it (refuse).
func (a *App) answerRegistration(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errNotFound()
	}
	verb := r.PathValue("verb")
	if verb != "approve" && verb != "refuse" {
		return errNotFound()
	}
	ctx := r.Context()
	var email string
	if acc, err := a.store.AccountByID(ctx, id); err == nil {
		email = acc.Email
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		answer := a.store.ApproveAccountTx
		if verb == "refuse" {
			answer = a.store.RefuseAccountTx
		}
		if err := answer(ctx, tx, id); err != nil {
			return err
		}
		return a.logModeration(ctx, tx, currentAccount(r), "account."+verb, "account", strconv.FormatInt(id, 10), 0, map[string]string{"email": email})
	})
	if errors.Is(err, store.ErrNotFound) {
		return a.redirect(w, r, "/admin/users", a.printer(r).T("This account was not waiting for approval."))
	}
	if err != nil {
		return err
	}
	if verb == "refuse" {
		return a.redirect(w, r, "/admin/users", a.printer(r).T("The account is refused and deleted."))
	}
	return a.redirect(w, r, "/admin/users", a.printer(r).T("The account is approved: its owner can log in now."))
}

// isIdentityPath tells whether a one-segment path is an identity page
// (/@name), the only kind the catch-all identity route serves.
func isIdentityPath(path string) bool {
	return strings.HasPrefix(path, "/@") && strings.Count(path, "/") == 1
}
