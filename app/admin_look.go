package app

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"convene/app/i18n"
	"convene/views"
)

// The instance's own look: its logo, its accent colour and the
// introduction its home page opens with. The colour reaches pages
// through a small stylesheet (/theme.css, so the Content-Security-Policy
// keeps refusing inline styles) and emails through their button.

// maxHomeIntro bounds the home page's introduction (Markdown).
const maxHomeIntro = 2000

// Colours the accent must stay readable against: white (the text of
// buttons, the cards links sit on), the page's background, and the body
// text it must stand apart from.
const (
	accentOnWhite  = "#ffffff"
	accentOnPaper  = "#f7f6f2"
	accentBodyText = "#1c2420"
)

var hexColour = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// accent is the instance's colour, #rrggbb.
func (a *App) accent(ctx context.Context) string {
	if c := a.setting(ctx, SettingAccent); hexColour.MatchString(c) {
		return c
	}
	return views.DefaultAccent
}

// checkAccent tells what is wrong with a colour an administrator typed,
// or "" when it is readable: WCAG's 4.5:1 contrast for normal text under
// white text and on the page, and at least 1.5:1 against the body text
// so that links and buttons do not read as plain text.
func checkAccent(l *i18n.Printer, c string) string {
	if !hexColour.MatchString(c) {
		return l.T("Write a colour as # and six hexadecimal digits, like #2f6f5e.")
	}
	white := contrastRatio(c, accentOnWhite)
	paper := contrastRatio(c, accentOnPaper)
	if r := min(white, paper); r < 4.5 {
		return l.T("This colour is too light: white text on it, or it on the page, has a contrast of %s:1, and 4.5:1 is needed to read it. Choose a darker one.", strconv.FormatFloat(math.Floor(r*10)/10, 'f', 1, 64))
	}
	if r := contrastRatio(c, accentBodyText); r < 1.5 {
		return l.T("This colour is too close to the text colour (contrast %s:1): links and buttons would look like plain text. Choose a brighter one.", strconv.FormatFloat(math.Floor(r*10)/10, 'f', 1, 64))
	}
	return ""
}

// contrastRatio is WCAG 2's contrast ratio between two #rrggbb colours.
func contrastRatio(a, b string) float64 {
	la, lb := relativeLuminance(a), relativeLuminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// relativeLuminance follows WCAG 2's definition for sRGB.
func relativeLuminance(c string) float64 {
	var rgb [3]float64
	for i := range rgb {
		v, _ := strconv.ParseUint(c[1+2*i:3+2*i], 16, 8)
		s := float64(v) / 255
		if s <= 0.04045 {
			rgb[i] = s / 12.92
		} else {
			rgb[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*rgb[0] + 0.7152*rgb[1] + 0.0722*rgb[2]
}

// lookView is what the form shows: what is saved, or what was typed.
func (a *App) lookView(ctx context.Context) views.LookView {
	return views.LookView{
		Accent:    a.accent(ctx),
		HomeIntro: a.setting(ctx, SettingHomeIntro),
		Logo:      a.setting(ctx, SettingLogo),
	}
}

func (a *App) showAdminLook(w http.ResponseWriter, r *http.Request) error {
	return a.render(w, r, http.StatusOK, views.AdminLookPage(a.adminPage(r, "The instance's look"), a.lookView(r.Context()), nil))
}

// saveAdminLook checks the colour and the introduction before keeping a
// new logo, so that a refused form stores nothing.
func (a *App) saveAdminLook(w http.ResponseWriter, r *http.Request) error {
	l := a.printer(r)
	v := a.lookView(r.Context())
	v.Accent = strings.ToLower(strings.TrimSpace(r.FormValue("accent")))
	v.HomeIntro = strings.TrimSpace(r.FormValue("home_intro"))
	errs := views.FieldErrors{}
	if msg := checkAccent(l, v.Accent); msg != "" {
		errs["accent"] = msg
	}
	if msg := validText(l, v.HomeIntro, maxHomeIntro, true); msg != "" {
		errs["home_intro"] = msg
	}
	refuse := func() error {
		return a.render(w, r, http.StatusUnprocessableEntity, views.AdminLookPage(a.adminPage(r, "The instance's look"), v, errs))
	}
	if len(errs) > 0 {
		return refuse()
	}
	if r.FormValue("remove_logo") != "" {
		v.Logo = ""
	} else {
		media, msg, err := a.saveUploadedImage(r, "logo")
		if err != nil {
			return err
		}
		if msg != "" {
			errs["logo"] = msg
			return refuse()
		}
		if media != nil {
			v.Logo = media.UUID
		}
	}
	err := a.saveSettings(r.Context(), map[string]string{
		SettingAccent: v.Accent, SettingLogo: v.Logo,
		SettingHomeIntro: v.HomeIntro, settingHomeIntroHTML: introHTML(v.HomeIntro),
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/admin/look", l.T("Saved. Every page now shows the new look."))
}

func introHTML(md string) string {
	if md == "" {
		return ""
	}
	return renderMarkdown(md)
}

// serveTheme is the stylesheet of the instance's colour. Its URL carries
// the colour, so browsers may keep it forever.
func (a *App) serveTheme(w http.ResponseWriter, r *http.Request) error {
	c := a.accent(r.Context())
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	if r.URL.Query().Get("c") == strings.TrimPrefix(c, "#") {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	_, err := fmt.Fprintf(w, ":root { --accent: %s; }\n", c)
	return err
}

// themeURL is the address of the instance's colour stylesheet, "" while
// it keeps the default (the main stylesheet has it).
func (a *App) themeURL(ctx context.Context) string {
	c := a.accent(ctx)
	if c == views.DefaultAccent {
		return ""
	}
	return "/theme.css?c=" + strings.TrimPrefix(c, "#")
}

// logoURL is the address of the instance's logo, "" when it has none.
func (a *App) logoURL(ctx context.Context) string {
	if u := a.setting(ctx, SettingLogo); u != "" {
		return views.MediaURL(u, 400)
	}
	return ""
}
