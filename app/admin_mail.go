package app

import (
	"net/http"

	"convene/views"
)

func init() {
	adminSections = append(adminSections, views.AdminLink{
		URL: "/admin/mail", Title: "Email and participation",
		Description: "Whether email works, the mail queue, joining events without an account.",
	})
}

// showAdminMail tells the owner whether email works, how to turn it on,
// what waits in the queue, and holds the instance-wide switch for joining
// without an account.
func (a *App) showAdminMail(w http.ResponseWriter, r *http.Request) error {
	waiting, failed, err := a.store.MailQueueStats(r.Context())
	if err != nil {
		return err
	}
	p := a.adminPage(r, "Email and participation")
	return a.render(w, r, http.StatusOK, views.AdminMailPage(p, views.AdminMailView{
		Enabled: a.MailEnabled(), Waiting: waiting, Failed: failed,
		Anonymous: a.setting(r.Context(), SettingAnonymousParticipation) == "on",
	}))
}

func (a *App) setAdminMail(w http.ResponseWriter, r *http.Request) error {
	v := "off"
	if r.PostFormValue("anonymous") != "" {
		v = "on"
	}
	if err := a.saveSettings(r.Context(), map[string]string{SettingAnonymousParticipation: v}); err != nil {
		return err
	}
	return a.redirect(w, r, "/admin/mail", a.printer(r).T("Saved."))
}
