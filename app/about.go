package app

import (
	"net/http"
	"net/mail"

	"convene/app/i18n"
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

// federationInForce says, in one sentence, with whom the instance
// exchanges events under the policy in force.
func federationInForce(l *i18n.Printer, p *policySnapshot) string {
	if p.mode == ModeAllowlist {
		return l.N(len(p.allows), "This instance exchanges events only with the %d server its administrators allowed.",
			"This instance exchanges events only with the %d servers its administrators allowed.")
	}
	if len(p.blocks) == 0 {
		return l.T("This instance exchanges events with every other server of the fediverse; its administrators block none so far.")
	}
	return l.N(len(p.blocks), "This instance exchanges events with every other server of the fediverse, except %d server its administrators limit or block.",
		"This instance exchanges events with every other server of the fediverse, except %d servers its administrators limit or block.")
}

// showAbout is the public page where the instance describes itself: who
// runs it, its rules, its moderation and federation policies.
func (a *App) showAbout(w http.ResponseWriter, r *http.Request) error {
	v := a.aboutView(r)
	a.aboutModeration(r, &v)
	l := a.printer(r)
	v.FederationInForce = federationInForce(l, a.currentPolicy())
	if v.FederationPolicy == settingDefaults[SettingFederationPolicy] {
		// The default words were written before federation worked; the
		// sentence above says what is in force. Only an administrator's
		// own text adds to it.
		v.FederationPolicy = ""
	}
	p := a.page(r, l.T("About %s", v.Name))
	p.Description = v.Description
	return a.render(w, r, http.StatusOK, views.AboutPage(p, v))
}
