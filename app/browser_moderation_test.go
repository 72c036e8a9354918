package app

import (
	"context"
	"strings"
	"testing"

	"convene/app/store"

	"github.com/chromedp/chromedp"
)

// An administrator's round of moderation, clicked through in a real
// browser with two instances over loopback: A's admin follows server B
// from the sources page, B's admin accepts from its followers page, A's
// home page shows B's event with where it comes from; A's admin reports
// it against a rule, resolves the report with a note, and finds the
// resolution in the moderation log.
func TestBrowserAdminFollowsSourceReportsAndResolves(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	a, b := newInstanceAt(t, "127.0.0.2"), newInstanceAt(t, "127.0.0.3")
	ctx := context.Background()
	a.ti.createAccount(t, "admin@example.org", "admin", "correct horse battery", true)
	if _, err := a.App.store.AddRule(ctx, "No advertising", "Events are not adverts."); err != nil {
		t.Fatal(err)
	}
	b.ti.createAccount(t, "root@example.org", "root", "correct horse battery", true)
	_, bob := b.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	publishEvent(t, b.App, bob, "Bal folk à B", store.VisibilityPublic)
	drain(t, a, b)

	adminA := newBrowser(t)
	login := func(br context.Context, fi *fedInstance, email string) {
		t.Helper()
		browserDo(t, br, "log in on "+fi.Host,
			chromedp.Navigate(fi.URL+"/login"),
			chromedp.SendKeys(chromedp.CSS(`#f-login`), email),
			chromedp.SendKeys(chromedp.CSS(`#f-password`), "correct horse battery"),
			chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
			// The login page has a header too: wait for the one only a
			// signed-in page has, or the read below may catch the old page
			// as it goes away.
			chromedp.WaitVisible(chromedp.CSS(`header.site form[action="/logout"]`)),
		)
		if got := browserText(t, br, `header.site`); !strings.Contains(got, "Log out") {
			t.Fatalf("after logging in on %s the header shows %q", fi.Host, got)
		}
	}
	login(adminA, a, "admin@example.org")

	browserDo(t, adminA, "follow B from the sources page",
		chromedp.Navigate(a.URL+"/admin/sources"),
		chromedp.SendKeys(chromedp.CSS(`#f-address`), b.Host),
		chromedp.Click(`//main//form[@action="/admin/sources"]//button[contains(., "Follow")]`),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	if got := browserText(t, adminA, `ul.sources`); !strings.Contains(got, "Waiting for their answer") {
		t.Fatalf("right after following, the sources list says %q, want it waiting for B's answer", got)
	}
	drain(t, a, b)

	// B's admin accepts A's instance from the page of servers following B.
	adminB := newBrowser(t)
	login(adminB, b, "root@example.org")
	browserDo(t, adminB, "open B's followers page",
		chromedp.Navigate(b.URL+"/admin/followers"),
		chromedp.WaitVisible(chromedp.CSS(`ul.identities`)),
	)
	if got := browserText(t, adminB, `ul.identities`); !strings.Contains(got, "127.0.0.2") || !strings.Contains(got, "Asks to follow you") {
		t.Fatalf("B's followers page shows %q, want A's instance asking", got)
	}
	browserDo(t, adminB, "accept A's instance",
		chromedp.Click(`//ul[contains(@class, "identities")]//button[contains(., "Accept")]`),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	drain(t, a, b)

	browserDo(t, adminA, "reload the sources page", chromedp.Navigate(a.URL+"/admin/sources"))
	if got := browserText(t, adminA, `ul.sources`); !strings.Contains(got, "1 event") || strings.Contains(got, "Waiting") {
		t.Fatalf("after B accepted, the sources list says %q, want B's one event", got)
	}

	// B's event is on A's home page, marked as coming from B.
	browserDo(t, adminA, "open A's home page", chromedp.Navigate(a.URL+"/"))
	card := `//li[contains(@class, "card")][.//a[contains(., "Bal folk à B")]]`
	browserDo(t, adminA, "find B's event on the home page", chromedp.WaitVisible(card))
	badge, err := chromedp.Run(adminA, chromedp.Text(card+`//*[contains(@class, "badge") and contains(@class, "origin")]`))
	if err != nil || !strings.Contains(badge, "127.0.0.3") {
		t.Fatalf("the origin badge of B's event says %q, want B's host (%v)", badge, err)
	}
	browserDo(t, adminA, "open B's event",
		chromedp.Click(card+`//a[contains(., "Bal folk à B")]`),
		chromedp.WaitVisible(chromedp.CSS(`article.event h1`)),
	)
	if got := browserText(t, adminA, `article.event h1`); got != "Bal folk à B" {
		t.Fatalf("the event page title is %q", got)
	}
	if got := browserText(t, adminA, `article.event .badge.origin`); !strings.Contains(got, "127.0.0.3") {
		t.Fatalf("the event page's origin badge says %q", got)
	}

	browserDo(t, adminA, "report the event against a rule",
		chromedp.Click(`//a[contains(., "Report this event")]`),
		chromedp.WaitVisible(chromedp.CSS(`#f-category`)),
		chromedp.SetValue(chromedp.CSS(`#f-category`), store.ReportViolation),
		chromedp.Click(`//label[contains(., "No advertising")]/input[@type="checkbox"]`),
		chromedp.SendKeys(chromedp.CSS(`#f-comment`), "This is an advert for a shop."),
		chromedp.Click(`//button[contains(., "Send the report")]`),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	if got := browserText(t, adminA, `.flash`); !strings.Contains(got, "Thank you") {
		t.Fatalf("after reporting, the flash says %q", got)
	}

	browserDo(t, adminA, "open the open reports",
		chromedp.Navigate(a.URL+"/admin/reports"),
		chromedp.WaitVisible(chromedp.CSS(`ul.reports`)),
	)
	if got := browserText(t, adminA, `ul.reports`); !strings.Contains(got, "Bal folk à B") || !strings.Contains(got, "Breaks a rule of this instance") {
		t.Fatalf("the reports list shows %q", got)
	}
	browserDo(t, adminA, "open the report",
		chromedp.Click(`//ul[contains(@class, "reports")]//a[contains(., "Bal folk à B")]`),
		chromedp.WaitVisible(chromedp.CSS(`dl.facts`)),
	)
	facts := browserText(t, adminA, `dl.facts`)
	for _, want := range []string{"Bal folk à B", "No advertising", "Someone on this instance"} {
		if !strings.Contains(facts, want) {
			t.Fatalf("the report page shows %q, lacks %q", facts, want)
		}
	}
	browserDo(t, adminA, "resolve the report with a note",
		chromedp.SendKeys(chromedp.CSS(`#f-note`), "Asked B to take it down."),
		chromedp.Click(`//button[contains(., "Resolve")]`),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	if got := browserText(t, adminA, `.flash`); !strings.Contains(got, "resolved") {
		t.Fatalf("after resolving, the flash says %q", got)
	}
	if got := browserText(t, adminA, `dl.facts`); !strings.Contains(got, "resolved") {
		t.Fatalf("after resolving, the report page shows %q", got)
	}
	if got := browserText(t, adminA, `main`); !strings.Contains(got, "Asked B to take it down.") {
		t.Fatalf("the note is not kept with the report:\n%s", got)
	}

	browserDo(t, adminA, "read the moderation log",
		chromedp.Click(`//a[contains(., "← Reports")]`),
		chromedp.Click(`//a[contains(., "Moderation log")]`),
		chromedp.WaitVisible(chromedp.CSS(`table.log`)),
	)
	row := browserText(t, adminA, `table.log tbody tr`)
	for _, want := range []string{"report.resolve", "admin", "report #"} {
		if !strings.Contains(row, want) {
			t.Fatalf("the newest moderation log row is %q, lacks %q", row, want)
		}
	}
	t.Logf("moderation log: %s", screenshot(t, adminA, "moderation-log"))
}
