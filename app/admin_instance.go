package app

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"convene/views"
)

// Limits of the instance's self-description.
const (
	maxInstanceName   = 60
	maxShortDesc      = 200
	maxContact        = 200
	maxLongInstanceMD = 20000
)

func (a *App) showAdminInstance(w http.ResponseWriter, r *http.Request) error {
	return a.render(w, r, http.StatusOK, views.AdminInstancePage(a.adminPage(r, "This instance"), a.aboutView(r), nil))
}

// saveAdminInstance checks every field; one bad field refuses the whole
// form, which comes back with what was typed and the message beside it.
func (a *App) saveAdminInstance(w http.ResponseWriter, r *http.Request) error {
	l := a.printer(r)
	v := a.aboutView(r)
	v.Name = cleanSpace(r.PostFormValue("name"))
	v.Description = cleanSpace(r.PostFormValue("description"))
	v.LongDescription = strings.TrimSpace(r.PostFormValue("long_description"))
	v.Contact = strings.TrimSpace(r.PostFormValue("contact"))
	v.Language = r.PostFormValue("language")
	v.Timezone = strings.TrimSpace(r.PostFormValue("timezone"))
	v.Rules = strings.TrimSpace(r.PostFormValue("rules"))
	v.Moderation = strings.TrimSpace(r.PostFormValue("moderation"))
	v.FederationPolicy = strings.TrimSpace(r.PostFormValue("federation_policy"))
	v.Terms = strings.TrimSpace(r.PostFormValue("terms"))
	v.Privacy = strings.TrimSpace(r.PostFormValue("privacy"))

	errs := views.FieldErrors{}
	check := func(field, value string, max int, multiline bool) {
		if m := validText(l, value, max, multiline); m != "" {
			errs[field] = m
		}
	}
	check("name", v.Name, maxInstanceName, false)
	if v.Name == "" {
		errs["name"] = l.T("Give the instance a name.")
	}
	check("description", v.Description, maxShortDesc, false)
	check("contact", v.Contact, maxContact, false)
	if v.Contact != "" && errs["contact"] == "" && !isEmailAddress(v.Contact) {
		if u, err := url.Parse(v.Contact); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs["contact"] = l.T("Write an email address (like admin@example.org) or a web address starting with https://.")
		}
	}
	if v.Language != "en" && v.Language != "fr" {
		errs["language"] = l.T("Choose one of the options in the list.")
	}
	if _, err := time.LoadLocation(v.Timezone); err != nil || v.Timezone == "" || v.Timezone == "Local" {
		errs["timezone"] = l.T("%q is not a time zone we know. Write an IANA name like Europe/Paris, America/Montreal or UTC.", v.Timezone)
	}
	for field, value := range map[string]string{
		"long_description": v.LongDescription, "rules": v.Rules, "moderation": v.Moderation,
		"federation_policy": v.FederationPolicy, "terms": v.Terms, "privacy": v.Privacy,
	} {
		check(field, value, maxLongInstanceMD, true)
	}
	if len(errs) > 0 {
		p := a.adminPage(r, "This instance")
		return a.render(w, r, http.StatusUnprocessableEntity, views.AdminInstancePage(p, v, errs))
	}
	err := a.saveSettings(r.Context(), map[string]string{
		SettingName: v.Name, SettingDescription: v.Description, SettingLongDescription: v.LongDescription,
		SettingContact: v.Contact, SettingLanguage: v.Language, SettingTimezone: v.Timezone,
		SettingRules: v.Rules, SettingModeration: v.Moderation, SettingFederationPolicy: v.FederationPolicy,
		SettingTerms: v.Terms, SettingPrivacy: v.Privacy,
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/admin/instance", l.T("Saved. The About page shows the new text."))
}
