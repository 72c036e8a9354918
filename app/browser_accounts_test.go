package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"convene/app/store"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// A person who forgot their password clicks through: the login page's
// link, their address, the emailed link, a new password, and they are in.
func TestBrowserForgotPasswordThenLoggedIn(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	ri := newRecoveryInstance(t)
	b := newBrowser(t)
	browserDo(t, b, "follow 'Forgot your password?' from the login page",
		chromedp.Navigate(ri.URL+"/login"),
		chromedp.Click(chromedp.CSS(`a[href="/password/forgot"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "alice@example.org"),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`main .flash`)),
	)
	if got := browserText(t, b, `main .flash`); !strings.Contains(got, "alice@example.org") {
		t.Fatalf("after asking: %q", got)
	}
	ri.deliver(t)
	link := ri.mail.lastTo(t, "alice@example.org").link(t, "/password/")
	browserDo(t, b, "choose a new password from the emailed link",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`#f-password`)),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "a new password for alice"),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	if got := browserText(t, b, `main .flash`); !strings.Contains(got, "You are logged in") {
		t.Errorf("after the new password: %q", got)
	}
	screenshot(t, b, "accounts-1-password-reset-done")
	ri.login(t, "alice", "a new password for alice")
}

// An organiser sees a join request in the header's badge, follows it to
// the participants, accepts, and the badge is gone.
func TestBrowserBadgeCountsAJoinRequestUntilAnswered(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	ti := newTestInstance(t)
	org := ti.newPerson(t, "org")
	guest := ti.newPerson(t, "guest")
	e := addEvent(t, ti, org.Identity.ID, "Atelier vélo", 48*time.Hour, func(e *store.Event) { e.JoinMode = store.JoinApproval })
	if res := ti.postForm(t, guest.Client, "/events/"+e.UUID+"/join", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("join: %d", res.StatusCode)
	}
	b := newBrowser(t)
	secret, err := ti.App.store.CreateSession(context.Background(), org.Account.ID, org.Identity.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	browserDo(t, b, "open the site", chromedp.Navigate(ti.URL+"/"))
	if _, err := chromedp.Call(b, network.SetCookie, network.SetCookieParams{Name: sessionCookie, Value: secret, URL: ti.URL + "/"}); err != nil {
		t.Fatal(err)
	}
	browserDo(t, b, "open My events", chromedp.Navigate(ti.URL+"/me/events"))
	if got := browserText(t, b, `header a[href="/me/waiting"] .badge`); got != "1" {
		t.Fatalf("badge: %q", got)
	}
	browserDo(t, b, "follow the badge to the request and accept it",
		chromedp.Click(chromedp.CSS(`header a[href="/me/waiting"]`)),
		chromedp.Click(chromedp.CSS(`main a[href$="/participants"]`)),
		chromedp.Click(chromedp.CSS(`tr[data-state="pending"] form[action$="/accept"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-state="confirmed"]`)),
	)
	badges, err := chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll('header a[href="/me/waiting"] .badge').length`))
	if err != nil {
		t.Fatal(err)
	}
	if badges != 0 {
		t.Errorf("the badge is still there after answering (%d)", badges)
	}
	screenshot(t, b, "accounts-2-badge-gone")
}
