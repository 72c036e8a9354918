package app

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"convene/app/store"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// seedShowcaseEvent is a group's event as a real one looks: a banner, a
// long description, an address, a tickets link, and people coming, one of
// whom asked to stay anonymous.
func seedShowcaseEvent(t *testing.T, ti *testInstance, org person) *store.Event {
	t.Helper()
	ctx := context.Background()
	createGroupVia(t, ti, org.Client, "velo", "Vélo Lyon", "open")
	g, err := ti.App.store.LocalGroupByUsername(ctx, "velo")
	if err != nil {
		t.Fatal(err)
	}
	banner, err := ti.App.store.CreateMedia(ctx, "image/png", 1280, 640, testPNG(t, 1280, 640))
	if err != nil {
		t.Fatal(err)
	}
	description := strings.Repeat("Bring your bike, whatever its state: volunteers show you how to true a wheel, "+
		"adjust brakes and change a chain. Tools and spare parts are there; coffee too.\n\n", 6)
	e := addJoinableEvent(t, ti, org.Identity.ID, "Atelier vélo : réparer ensemble", 72*time.Hour, func(e *store.Event) {
		e.AttributedToID = g.ID
		e.BannerID = banner.ID
		e.DescriptionMD = description
		e.DescriptionHTML = "<p>" + strings.ReplaceAll(strings.TrimSpace(description), "\n\n", "</p><p>") + "</p>"
		e.Address = store.Address{Venue: "La Clavette", Street: "24 rue Pasteur", PostalCode: "69007", Locality: "Lyon", Country: "France"}
		e.Capacity = 20
		e.Links = []store.Link{{Kind: "tickets", Title: "Free entry, donations welcome", URL: "https://tickets.example.org/atelier"}}
	})
	bob := ti.newPerson(t, "bob")
	err = ti.App.store.Tx(ctx, func(tx *sql.Tx) error {
		for _, p := range []*store.Participation{
			{EventID: e.ID, ActorID: bob.Identity.ID, State: store.ParticipationConfirmed},
			{EventID: e.ID, Name: "Camille Martin", Email: "camille@example.org", State: store.ParticipationConfirmed},
			{EventID: e.ID, Name: "Dominique Secret", Anonymous: true, Email: "dominique@example.org", State: store.ParticipationConfirmed},
		} {
			if err := ti.App.store.InsertParticipationTx(ctx, tx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Item 2 of issue 12, on a phone, logged out: the event page leads with
// the event and its main action ("I'm coming") is on the first screen,
// above the description; one tap opens the name and email fields with
// JavaScript off; the people who agreed to be named are shown, the one
// who stays anonymous is not. Screenshots at phone and desktop widths.
func TestBrowserEventPageMainActionOnFirstScreen(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	ms := startMailServer(t, false)
	ti := newTestInstance(t, ms.withMail)
	org := ti.newPerson(t, "organiser")
	e := seedShowcaseEvent(t, ti, org)

	visitor := newBrowser(t)
	browserDo(t, visitor, "open the event page on a phone, JavaScript off",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		scriptsOff(true),
		chromedp.Navigate(ti.URL+eventPagePath(e)),
		chromedp.WaitVisible(chromedp.CSS(`article.event h1`)),
	)
	type box struct{ Top, Bottom float64 }
	measure := func(css string) box {
		t.Helper()
		b, err := chromedp.Run(visitor, chromedp.Evaluate[box](`(() => { const r = document.querySelector(`+"`"+css+"`"+`).getBoundingClientRect(); return {Top: r.top + scrollY, Bottom: r.bottom + scrollY}; })()`))
		if err != nil {
			t.Fatalf("measure %s: %v", css, err)
		}
		return b
	}
	join, description := measure(`[data-testid="join-open"]`), measure(`.description`)
	if join.Bottom > 844 {
		t.Errorf("the join button ends %v px down the page: below the first 844 px of a phone", join.Bottom)
	}
	if join.Bottom > description.Top {
		t.Errorf("the join button (bottom %v) comes after the description (top %v)", join.Bottom, description.Top)
	}
	if got := browserText(t, visitor, `[data-testid="join-open"]`); got != "I'm coming" {
		t.Errorf("the main action reads %q", got)
	}
	if by := browserText(t, visitor, `.event-keyfacts .by`); !strings.Contains(by, "Vélo Lyon") || !strings.Contains(by, "organiser") {
		t.Errorf("organiser line %q: want the group, then the member who made it", by)
	}
	pageWidth, err := chromedp.Run(visitor, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`))
	if err != nil || pageWidth > 390 {
		t.Errorf("the event page is %v px wide on a 390 px screen (%v)", pageWidth, err)
	}
	people := browserText(t, visitor, `[data-testid="listed-participants"]`)
	if !strings.Contains(people, "Camille Martin") || !strings.Contains(people, "bob") || strings.Contains(people, "Dominique") {
		t.Errorf("listed participants: %q (want Camille and bob, not the anonymous Dominique)", people)
	}
	screenshot(t, visitor, "event-page-390")

	browserDo(t, visitor, "one tap on the main action, no script",
		chromedp.Click(chromedp.CSS(`[data-testid="join-open"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-name`)),
	)
	if email := measure(`#f-email`); email.Bottom == 0 {
		t.Error("the email field did not open with the name")
	}
	screenshot(t, visitor, "event-page-390-join-open")

	browserDo(t, visitor, "the same page on a desktop screen, script on",
		scriptsOff(false),
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(ti.URL+eventPagePath(e)),
		chromedp.WaitVisible(chromedp.CSS(`article.event h1`)),
	)
	screenshot(t, visitor, "event-page-1280")

	// The organiser still sees who stays anonymous, in the table and CSV.
	_, table := ti.get(t, org.Client, "/events/"+e.UUID+"/participants")
	_, csv := ti.get(t, org.Client, "/events/"+e.UUID+"/participants.csv")
	if !strings.Contains(table, "Dominique Secret") || !strings.Contains(csv, "Dominique Secret") {
		t.Error("the organiser lost the name of a participant who stays anonymous to visitors")
	}
}

// scriptsOff turns the page's JavaScript off (or back on), to prove a
// flow needs none.
func scriptsOff(off bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off})
		return err
	})
}
