package app

import (
	"context"
	"time"

	"convene/app/store"
)

// Instance settings and their defaults.
const (
	SettingName          = "instance.name"
	SettingDescription   = "instance.description"
	SettingTimezone      = "instance.timezone"
	SettingLanguage      = "instance.language"
	SettingRegistrations = "instance.registrations" // closed | invite | open

	// What the instance says about itself on /about (plain text; blank
	// lines separate paragraphs).
	SettingLongDescription  = "instance.long_description"
	SettingContact          = "instance.contact" // an email or a URL where the administrators answer
	SettingRules            = "instance.rules"
	SettingModeration       = "instance.moderation_policy"
	SettingTerms            = "instance.terms"
	SettingPrivacy          = "instance.privacy"
	SettingFederationPolicy = "instance.federation_policy" // which other servers we talk to, and on what terms

	// The instance's own look: a logo (an uploaded picture's uuid), an
	// accent colour (#rrggbb, readable on white and under white text),
	// and an introduction for the home page (Markdown; its rendered HTML
	// is kept beside it so the home page does not render it each time).
	SettingLogo          = "instance.logo"
	SettingAccent        = "instance.accent"
	SettingHomeIntro     = "instance.home_intro"
	settingHomeIntroHTML = "instance.home_intro_html"
)

var settingDefaults = map[string]string{
	SettingName:          "Convene",
	SettingDescription:   "Events, without tracking.",
	SettingTimezone:      "Europe/Paris",
	SettingLanguage:      "en",
	SettingRegistrations: "closed",
	SettingFederationPolicy: "This instance does not exchange events with other servers yet. " +
		"When it does, this section will list the rules that apply to servers it federates with, and any it refuses.",
}

// setting returns an instance setting (cached; writes go through
// saveSettings which clears the cache).
func (a *App) setting(ctx context.Context, key string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.settings == nil {
		s, err := a.store.Settings(ctx)
		if err != nil {
			a.log.Error("read settings", "err", err)
			return settingDefaults[key]
		}
		a.settings = s
	}
	if v, ok := a.settings[key]; ok {
		return v
	}
	return settingDefaults[key]
}

func (a *App) saveSettings(ctx context.Context, kv map[string]string) error {
	err := a.store.SetSettings(ctx, kv)
	a.mu.Lock()
	a.settings = nil
	a.mu.Unlock()
	// The instance actor's name and summary come from the settings held
	// in memory, which the store's write generation does not cover.
	a.docs.Forget()
	return err
}

// instanceLocation is the instance's default time zone.
func (a *App) instanceLocation(ctx context.Context) *time.Location {
	return store.LoadLocation(a.setting(ctx, SettingTimezone))
}
