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

// sendTestMail sends a message to the administrator's own address now,
// past the queue, and shows what the SMTP server answered (or why it
// could not be reached), so a wrong setting shows at once.
func (a *App) sendTestMail(w http.ResponseWriter, r *http.Request) error {
	if a.mailer == nil {
		return a.redirect(w, r, "/admin/mail", a.printer(r).T("Email is off."))
	}
	ctx := r.Context()
	to := currentAccount(r).Email
	l := a.printer(r)
	m := views.Mail{Lang: l.Lang, Subject: l.T("Test message from %s", a.setting(ctx, SettingName)),
		Paragraphs: []string{l.T("This message was sent from the administration of %s to check that email works. Nothing else to do.", a.cfg.BaseURL)}}
	msg, err := a.renderMail(ctx, to, m)
	if err != nil {
		return err
	}
	test := &views.MailTest{To: to, OK: true}
	if test.Answer, err = a.mailer.sendWithAnswer(ctx, a.setting(ctx, SettingName), msg); err != nil {
		test.OK, test.Answer = false, trimError(err)
	}
	waiting, failed, err := a.store.MailQueueStats(ctx)
	if err != nil {
		return err
	}
	p := a.adminPage(r, "Email and participation")
	return a.render(w, r, http.StatusOK, views.AdminMailPage(p, views.AdminMailView{
		Enabled: true, Waiting: waiting, Failed: failed, Test: test,
		Anonymous: a.setting(ctx, SettingAnonymousParticipation) == "on",
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
