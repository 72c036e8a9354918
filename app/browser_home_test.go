package app

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Issue 12, on a phone: the home page shows an event on the first screen,
// for a visitor and for a member; the filters other than the words fold
// into "More filters", shown open on a result page that uses them.
func TestBrowserHomeFirstEventOnPhoneScreen(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	ti := newTestInstance(t)
	org := ti.newPerson(t, "organiser")
	for i, title := range []string{"Bike repair workshop", "Neighbourhood assembly", "Folk night at the corner café", "Community garden: spring planting"} {
		addEvent(t, ti, org.Identity.ID, title, time.Duration(24*(i+1))*time.Hour)
	}
	type box struct{ Top, Bottom float64 }
	measure := func(tab context.Context, css string) box {
		t.Helper()
		b, err := chromedp.Run(tab, chromedp.Evaluate[box](fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return {Top: r.top + scrollY, Bottom: r.bottom + scrollY}; })()`, css)))
		if err != nil {
			t.Fatalf("measure %s: %v", css, err)
		}
		return b
	}
	for _, who := range []string{"visitor", "member"} {
		var tab context.Context
		if who == "visitor" {
			tab = newBrowser(t)
		} else {
			tab = browserAs(t, ti, ti.newPerson(t, "bob"))
		}
		browserDo(t, tab, who+" opens the home page on a phone, JavaScript off",
			chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait),
			scriptsOff(true),
			chromedp.Navigate(ti.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS(`.event-cards`)),
		)
		card, title := measure(tab, `.event-card`), measure(tab, `.event-card h3`)
		if card.Top >= 844 || title.Bottom > 844 {
			t.Errorf("%s: the first event card starts %v px down and its title ends at %v px: not on the first 844 px of a phone", who, card.Top, title.Bottom)
		}
		if who == "visitor" {
			screenshot(t, tab, "home-390")
			browserDo(t, tab, "the home page on a desktop screen",
				chromedp.EmulateViewport(1280, 900),
				chromedp.Navigate(ti.URL+"/"),
				chromedp.WaitVisible(chromedp.CSS(`.event-cards`)),
			)
			screenshot(t, tab, "home-1280")
			browserDo(t, tab, "unfold More filters on a desktop screen",
				chromedp.Click(chromedp.CSS(`form.filters details.more-filters > summary`)),
				chromedp.WaitVisible(chromedp.CSS(`#f-near`)),
			)
			screenshot(t, tab, "home-1280-more-filters")
		}
	}

	// The home page's filters are there, folded, and search with them;
	// the result page shows the filters it applied, open.
	tab := newBrowser(t)
	browserDo(t, tab, "open More filters on the home page and search by date, no script",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		scriptsOff(true),
		chromedp.Navigate(ti.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`form.filters details.more-filters > summary`)),
		chromedp.Click(chromedp.CSS(`form.filters details.more-filters > summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-when`)),
		chromedp.SetValue(chromedp.CSS(`#f-when`), "week"),
		chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#results`)),
	)
	if open, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.querySelector("details.more-filters").open && document.querySelector("#f-from").value !== ""`)); err != nil || !open {
		t.Errorf("a search by date shows its filters folded or empty (%v)", err)
	}
	browserDo(t, tab, "a result page near a place",
		chromedp.Navigate(ti.URL+"/search?"+url.Values{"q": {""}, "near": {"45.76,4.83"}, "km": {"10"}}.Encode()),
		chromedp.WaitVisible(chromedp.CSS(`#results`)),
	)
	if open, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.querySelector("details.more-filters").open`)); err != nil || !open {
		t.Errorf("a search near a place shows its filters folded (%v)", err)
	}
}
