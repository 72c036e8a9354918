package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"convene/app/store"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// A person clicks through the whole road in a real browser: a visitor
// joins an approval-mode event without an account, confirms by the
// emailed link, the organiser accepts them, the public count goes up; the
// visitor cancels with the emailed link and the count goes down.
func TestBrowserJoinWithoutAccountApprovedThenCancelled(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	ms := startMailServer(t, false)
	ti := newTestInstance(t, ms.withMail)
	org := ti.newPerson(t, "organiser")
	e := addJoinableEvent(t, ti, org.Identity.ID, "Atelier vélo", 72*time.Hour, func(e *store.Event) {
		e.JoinMode = store.JoinApproval
	})
	const email = "camille@example.org"
	visitor := newBrowser(t)
	countOnPage := func() string {
		browserDo(t, visitor, "open the event page", chromedp.Navigate(ti.URL+eventPagePath(e)))
		return browserText(t, visitor, `[data-testid="participant-count"]`)
	}
	if got := countOnPage(); got != "0 people going" {
		t.Fatalf("count before: %q", got)
	}

	browserDo(t, visitor, "join without an account",
		chromedp.Click(chromedp.CSS(`[data-testid="join-open"]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Camille"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
		chromedp.Click(chromedp.CSS(`form.join-anonymous button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="notice"]`)),
	)
	if notice := browserText(t, visitor, `[data-testid="notice"]`); !strings.Contains(notice, email) {
		t.Fatalf("after joining: %q", notice)
	}
	screenshot(t, visitor, "rsvp-1-check-mailbox")
	ti.deliverMail(t)
	m := ms.lastTo(t, email)
	browserDo(t, visitor, "confirm by the emailed link",
		chromedp.Navigate(m.link(t, "/participations/confirm/")),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="notice"]`)),
	)
	if notice := browserText(t, visitor, `[data-testid="notice"]`); !strings.Contains(notice, "organisers approve each participant") {
		t.Fatalf("after confirming: %q", notice)
	}
	if got := countOnPage(); got != "0 people going" {
		t.Fatalf("a request waiting for approval counts: %q", got)
	}

	// The organiser, logged in in another browser, accepts the request.
	organiser := newBrowser(t)
	secret, err := ti.App.store.CreateSession(context.Background(), org.Account.ID, org.Identity.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	browserDo(t, organiser, "log the organiser in", chromedp.Navigate(ti.URL+"/"))
	if _, err := chromedp.Call(organiser, network.SetCookie, network.SetCookieParams{Name: sessionCookie, Value: secret, URL: ti.URL + "/"}); err != nil {
		t.Fatal(err)
	}
	browserDo(t, organiser, "open the participants", chromedp.Navigate(ti.URL+"/events/"+e.UUID+"/participants"))
	if row := browserText(t, organiser, `tr[data-state="pending"]`); !strings.Contains(row, "Camille") || !strings.Contains(row, email) {
		t.Fatalf("the organiser's list: %q", row)
	}
	screenshot(t, organiser, "rsvp-2-organiser-list")
	browserDo(t, organiser, "press accept",
		chromedp.Click(chromedp.CSS(`tr[data-state="pending"] form[action$="/accept"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-state="confirmed"]`)),
	)
	if got := countOnPage(); got != "1 person going" {
		t.Fatalf("count after acceptance: %q", got)
	}
	screenshot(t, visitor, "rsvp-3-event-one-going")
	ti.deliverMail(t)
	if accepted := ms.lastTo(t, email); !strings.Contains(accepted.Subject, "You are in") {
		t.Fatalf("acceptance mail: %q", accepted.Subject)
	}

	// The visitor cancels with the link from the first email.
	browserDo(t, visitor, "cancel by the emailed link",
		chromedp.Navigate(m.link(t, "/participations/cancel/")),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="notice"]`)),
	)
	if notice := browserText(t, visitor, `[data-testid="notice"]`); !strings.Contains(notice, "Your participation is cancelled") {
		t.Fatalf("after cancelling: %q", notice)
	}
	if got := countOnPage(); got != "0 people going" {
		t.Fatalf("count after cancelling: %q", got)
	}
}
