package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Issue 12, item 6, in a browser on a phone with JavaScript off: a start
// in the past brings the form back with a warning and a "Yes, the start
// is in the past" box, and the banner chosen with it is kept ("Banner
// kept: poster.png"), so that ticking the box and sending again publishes
// the event with that banner, without choosing the picture again.
func TestBrowserPendingBannerAndPastStart(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	ti := newTestInstance(t)
	org := ti.newPerson(t, "organiser")
	poster := filepath.Join(t.TempDir(), "poster.png")
	if err := os.WriteFile(poster, testPNG(t, 800, 400), 0o644); err != nil {
		t.Fatal(err)
	}
	lastWeek := ti.App.now().In(ti.App.instanceLocation(context.Background())).AddDate(0, 0, -7)
	start := time.Date(lastWeek.Year(), lastWeek.Month(), lastWeek.Day(), 18, 0, 0, 0, lastWeek.Location())
	b := browserAs(t, ti, org)
	browserDo(t, b, "send the event form with a past start and a banner",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		scriptsOff(true),
		chromedp.Navigate(ti.URL+"/events/new"),
		chromedp.SendKeys(chromedp.CSS(`#f-title`), "Repair café (report)"),
		chromedp.SetValue(chromedp.CSS(`#f-starts_at`), start.Format("2006-01-02T15:04")),
		chromedp.SetUploadFiles(chromedp.CSS(`#f-banner`), []string{poster}),
		chromedp.Click(chromedp.Search(`//button[@type="submit" and contains(., "Create the event")]`)),
		chromedp.WaitVisible(chromedp.CSS(`#e-starts_at`)),
	)
	if warn := browserText(t, b, `#e-starts_at`); !strings.Contains(warn, "in the past") {
		t.Errorf("the warning next to the start: %q", warn)
	}
	if kept := browserText(t, b, `[data-testid="pending-banner"]`); !strings.Contains(kept, "Banner kept: poster.png") {
		t.Errorf("the kept banner: %q", kept)
	}
	assertNoSidewaysScroll(t, b, "event form with a warning")
	screenshot(t, b, "event-form-past-start-390")
	browserDo(t, b, "confirm the past start and send again, without choosing the picture",
		chromedp.Click(chromedp.CSS(`input[name="past_ok"]`)),
		chromedp.Click(chromedp.Search(`//button[@type="submit" and contains(., "Create the event")]`)),
		chromedp.WaitVisible(chromedp.CSS(`article.event h1`)),
	)
	if got := browserText(t, b, `article.event h1`); got != "Repair café (report)" {
		t.Fatalf("after confirming, the page shows %q", got)
	}
	src, err := chromedp.Run(b, chromedp.Evaluate[string](`(document.querySelector("img.event-banner") || {}).currentSrc || ""`))
	if err != nil || !strings.Contains(src, "/media/") {
		t.Errorf("the event has no banner after the form came back once: %q (%v)", src, err)
	}
}
