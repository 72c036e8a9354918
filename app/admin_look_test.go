package app

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"convene/views"
)

// postLook posts the look form as a browser does, with a logo when given.
func postLook(t *testing.T, ti *testInstance, c *http.Client, accent, intro string, logo []byte) (*http.Response, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if logo != nil {
		fw, _ := mw.CreateFormFile("logo", "logo.png")
		fw.Write(logo)
	}
	mw.WriteField("accent", accent)
	mw.WriteField("home_intro", intro)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, ti.URL+"/admin/look", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// An administrator gives the instance its own logo, colour and home
// introduction: unreadable colours are refused with a message and change
// nothing; a readable one reaches every page (through /theme.css) and the
// buttons of emails.
func TestInstanceLook(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "admin@example.org", "admin", "admin password 1", true)
	ti.createAccount(t, "ana@example.org", "ana", "ana password 12", false)
	admin := ti.login(t, "admin", "admin password 1")

	if res, _ := ti.get(t, ti.login(t, "ana", "ana password 12"), "/admin/look"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a plain user opens the look page: %d", res.StatusCode)
	}
	for _, tc := range []struct{ accent, says string }{
		{"#ffd700", "too light"},      // gold: white text on it is unreadable
		{"#101418", "too close"},      // nearly the text colour
		{"blue", "six hexadecimal"},   // not a colour we take
		{"#2f6f5e; }", "hexadecimal"}, // nor anything that would end a rule
	} {
		res, body := postLook(t, ti, admin, tc.accent, "Hello", testPNG(t, 64, 64))
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.says) {
			t.Errorf("accent %q: status %d, want 422 saying %q", tc.accent, res.StatusCode, tc.says)
		}
		if got := ti.App.setting(context.Background(), SettingLogo); got != "" {
			t.Fatalf("a refused form kept a logo: %q", got)
		}
	}
	if _, body := ti.get(t, ti.client(), "/"); strings.Contains(body, "/theme.css") {
		t.Error("the default colour needs no theme stylesheet")
	}

	res, body := postLook(t, ti, admin, "#7A2E8E", "We are **the Pentes** neighbourhood.\n\n<script>alert(1)</script>", testPNG(t, 120, 40))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save the look: %d\n%v", res.StatusCode, fieldErrorsIn(body))
	}
	_, home := ti.get(t, ti.client(), "/")
	theme := regexp.MustCompile(`<link rel="stylesheet" href="(/theme\.css\?c=7a2e8e)"`).FindStringSubmatch(home)
	if theme == nil {
		t.Fatal("the home page does not link the instance's colour")
	}
	if res, css := ti.get(t, ti.client(), theme[1]); res.StatusCode != 200 || !strings.Contains(css, "--accent: #7a2e8e;") ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
		t.Errorf("theme: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), css)
	}
	if !strings.Contains(home, "We are <strong>the Pentes</strong> neighbourhood.") || strings.Contains(home, "<script>alert") {
		t.Error("the home introduction is not its Markdown, sanitised")
	}
	logo := regexp.MustCompile(`<a class="brand" href="/"><img src="(/media/[0-9a-f-]+)\?w=400"`).FindStringSubmatch(home)
	if logo == nil {
		t.Fatal("the header does not show the uploaded logo")
	}
	if res, _ := ti.get(t, ti.client(), logo[1]); res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "image/") {
		t.Errorf("logo: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}

	// Emails: the button takes the colour, and a long link wraps.
	long := "https://example.org/participations/cancel/" + strings.Repeat("x", 90)
	queueTestMail(t, ti.App, "ana@example.org", views.Mail{Subject: "Hello", Action: views.MailLink{Label: "Confirm", URL: long}})
	var html string
	ti.App.store.DB().QueryRow(`SELECT html_body FROM mail_queue ORDER BY id DESC LIMIT 1`).Scan(&html)
	if !strings.Contains(html, "background: #7a2e8e;") {
		t.Errorf("the email's button does not use the instance's colour:\n%s", html)
	}
	if !strings.Contains(html, "overflow-wrap: anywhere") {
		t.Errorf("the email's long link cannot wrap:\n%s", html)
	}
}

func TestContrastRatioFollowsWCAG(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want float64
	}{{"#000000", "#ffffff", 21}, {"#ffffff", "#ffffff", 1}, {"#767676", "#ffffff", 4.54}} {
		if got := contrastRatio(tc.a, tc.b); got < tc.want-0.01 || got > tc.want+0.01 {
			t.Errorf("contrast %s/%s = %.2f, want %.2f", tc.a, tc.b, got, tc.want)
		}
	}
}

// A French-speaking visitor reads the whole frame of a page in French:
// the skip link, the footer and the error pages.
func TestFrenchVisitorReadsTheFrameAndErrorsInFrench(t *testing.T) {
	ti := newTestInstance(t)
	for _, path := range []string{"/no-such-page", "/events/00000000-0000-0000-0000-000000000000"} {
		req, _ := http.NewRequest(http.MethodGet, ti.URL+path, nil)
		req.Header.Set("Accept-Language", "fr-FR,fr;q=0.9")
		res, err := ti.client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		text := pageText(string(b))
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d", path, res.StatusCode)
		}
		for _, want := range []string{"Aller au contenu", "Introuvable", "Cette page n’existe pas.", "À propos de cette instance", "Propulsé par Convene, logiciel libre"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: no %q in %q", path, want, text)
			}
		}
	}
}
