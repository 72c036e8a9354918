package app

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The first hour of a new instance, clicked through in a real browser:
// the owner follows the first-run link and creates the account, adds a
// second identity, acts as it and publishes an event with a banner and an
// address; a logged-out visitor finds the event by searching and reads its
// page on a phone-sized screen.
func TestBrowserOwnerPublishesVisitorFinds(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	ti := newTestInstance(t)
	link, err := ti.App.SetupLink(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	banner := filepath.Join(t.TempDir(), "banner.png")
	if err := os.WriteFile(banner, testPNG(t, 640, 320), 0o644); err != nil {
		t.Fatal(err)
	}

	owner := newBrowser(t)
	browserDo(t, owner, "create the owner account from the first-run link",
		chromedp.Navigate(link),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "owner@example.org"),
		chromedp.SendKeys(chromedp.CSS(`#f-username`), "claire"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "a long enough password"),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	if got := browserText(t, owner, `header.site`); !strings.Contains(got, "@claire") {
		t.Fatalf("after setup the header shows %q, want the owner's identity", got)
	}

	// A new identity acts at once; the header's switcher says so.
	browserDo(t, owner, "create a second identity",
		chromedp.Navigate(ti.URL+"/me/identities"),
		chromedp.SendKeys(chromedp.CSS(`#f-username`), "folk_club"),
		chromedp.SendKeys(chromedp.CSS(`#f-display_name`), "Folk dance club"),
		chromedp.Click(chromedp.CSS(`form[action="/me/identities"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	acting, err := chromedp.Run(owner, chromedp.Evaluate[string](`document.querySelector("#acting-as").selectedOptions[0].textContent`))
	if err != nil || acting != "@folk_club" {
		t.Fatalf("acting as %q after creating it (%v), want @folk_club", acting, err)
	}

	in3days := ti.App.now().In(ti.App.instanceLocation(context.Background())).AddDate(0, 0, 3)
	start := time.Date(in3days.Year(), in3days.Month(), in3days.Day(), 19, 30, 0, 0, in3days.Location())
	browserDo(t, owner, "publish an event with a banner and an address",
		chromedp.Navigate(ti.URL+"/events/new"),
		chromedp.SendKeys(chromedp.CSS(`#f-title`), "Bal folk du printemps"),
		chromedp.SendKeys(chromedp.CSS(`#f-description`), "Come and **dance** bourrées and mazurkas."),
		chromedp.SetValue(chromedp.CSS(`#f-starts_at`), start.Format("2006-01-02T15:04")),
		chromedp.SetValue(chromedp.CSS(`#f-ends_at`), start.Add(3*time.Hour).Format("2006-01-02T15:04")),
		chromedp.SendKeys(chromedp.CSS(`#f-venue`), "Salle des fêtes"),
		chromedp.SendKeys(chromedp.CSS(`#f-street`), "12 rue des Lilas"),
		chromedp.SendKeys(chromedp.CSS(`#f-postal_code`), "69001"),
		chromedp.SendKeys(chromedp.CSS(`#f-locality`), "Lyon"),
		chromedp.SendKeys(chromedp.CSS(`#f-country`), "France"),
		chromedp.SetUploadFiles(chromedp.CSS(`#f-banner`), []string{banner}),
		chromedp.Click(chromedp.Search(`//button[@type="submit" and contains(., "Create the event")]`)),
		chromedp.WaitVisible(chromedp.CSS(`article.event h1`)),
	)
	if got := browserText(t, owner, `article.event h1`); got != "Bal folk du printemps" {
		t.Fatalf("after publishing the page title is %q", got)
	}
	if got := browserText(t, owner, `.event-keyfacts .by`); !strings.Contains(got, "@folk_club") || strings.Contains(got, "claire") {
		t.Fatalf("organiser shown as %q, want the second identity only", got)
	}

	visitor := newBrowser(t)
	browserDo(t, visitor, "search from the home page and open the result",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(ti.URL+"/"),
		chromedp.SendKeys(chromedp.CSS(`#home-q`), "mazurkas"),
		chromedp.Submit(chromedp.CSS(`#home-q`)),
		chromedp.WaitVisible(chromedp.CSS(`.event-card mark`)),
		chromedp.Click(chromedp.Search(`//a[contains(., "Bal folk du printemps")]`)),
		chromedp.WaitVisible(chromedp.CSS(`article.event h1`)),
	)
	if when := browserText(t, visitor, `.event-keyfacts .when`); !strings.Contains(when, "19:30") || !strings.Contains(when, "22:30") {
		t.Errorf("the date block says %q, want 19:30 – 22:30 in the event's zone", when)
	}
	place := browserText(t, visitor, `#place`)
	for _, want := range []string{"Salle des fêtes", "12 rue des Lilas", "Lyon"} {
		if !strings.Contains(place, want) {
			t.Errorf("place on the event page is %q, lacks %q", place, want)
		}
	}
	bannerWidth, err := chromedp.Run(visitor, chromedp.Evaluate[float64](`document.querySelector("img.event-banner").naturalWidth`))
	if err != nil || bannerWidth == 0 {
		t.Fatalf("the banner did not load for the visitor (width %v, %v)", bannerWidth, err)
	}
	pageWidth, err := chromedp.Run(visitor, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`))
	if err != nil || pageWidth > 390 {
		t.Errorf("the event page is %v px wide on a 390 px phone screen (%v): it scrolls sideways", pageWidth, err)
	}
	if got := browserText(t, visitor, `header.site`); strings.Contains(got, "Log out") {
		t.Fatal("the visitor browser is logged in")
	}
	path := screenshot(t, visitor, "event-page-phone")
	t.Logf("phone-width screenshot of the event page: %s", path)
}

// testPNG draws a small picture with a gradient, as a banner to upload.
func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(47 + x*100/w), uint8(111 + y*80/h), 94, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
