package app

import (
	"net/http"
	"net/mail"

	"convene/views"
)

// aboutView gathers what the instance says about itself.
func (a *App) aboutView(r *http.Request) views.AboutView {
	ctx := r.Context()
	v := views.AboutView{
		Name:             a.setting(ctx, SettingName),
		Description:      a.setting(ctx, SettingDescription),
		LongDescription:  a.setting(ctx, SettingLongDescription),
		Contact:          a.setting(ctx, SettingContact),
		Language:         a.setting(ctx, SettingLanguage),
		Timezone:         a.setting(ctx, SettingTimezone),
		Registrations:    a.registrationMode(r),
		Rules:            a.setting(ctx, SettingRules),
		Moderation:       a.setting(ctx, SettingModeration),
		Terms:            a.setting(ctx, SettingTerms),
		Privacy:          a.setting(ctx, SettingPrivacy),
		FederationPolicy: a.setting(ctx, SettingFederationPolicy),
	}
	v.ContactIsEmail = isEmailAddress(v.Contact)
	return v
}

// aboutModeration adds what only the public page shows: the ordered
// rules and, when the admins chose so, the moderated servers.
func (a *App) aboutModeration(r *http.Request, v *views.AboutView) {
	if rules, err := a.store.Rules(r.Context()); err == nil {
		v.InstanceRules = rules
	}
	v.ModeratedServers = a.moderatedServers(r)
}

func isEmailAddress(s string) bool {
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Address == s
}

// showAbout is the public page where the instance describes itself: who
// runs it, its rules, its moderation and federation policies.
func (a *App) showAbout(w http.ResponseWriter, r *http.Request) error {
	v := a.aboutView(r)
	a.aboutModeration(r, &v)
	l := a.printer(r)
	if v.FederationPolicy == settingDefaults[SettingFederationPolicy] {
		v.FederationPolicy = l.T(v.FederationPolicy) // our words, not the admin's: translate them
	}
	p := a.page(r, l.T("About %s", v.Name))
	p.Description = v.Description
	return a.render(w, r, http.StatusOK, views.AboutPage(p, v))
}
