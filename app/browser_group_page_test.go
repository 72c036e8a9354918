package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Item 4 of issue 12: the group page's tabs work with JavaScript off (they
// are links to panels shown by CSS :target, events first); a discussion
// reads as a thread with avatars. Screenshots of the group page and the
// discussion at phone and desktop widths.
func TestBrowserGroupTabsWithoutScript(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	ms := startMailServer(t, false)
	ti := newTestInstance(t, ms.withMail)
	org := ti.newPerson(t, "organiser")
	e := seedShowcaseEvent(t, ti, org)
	carol := ti.newPerson(t, "carol")
	for _, step := range []struct {
		who  person
		path string
		form url.Values
	}{
		{carol, "/groups/velo/join", url.Values{}},
		{org, "/groups/velo/posts", url.Values{"title": {"Spring ride: the route is out"}, "body": {"Forty kilometres along the *Saône*, back by train."}, "visibility": {"public"}}},
		{org, "/groups/velo/discussions", url.Values{"title": {"Who brings the spare tubes?"}, "body": {"I have two 700c tubes. Anyone with 26-inch?"}}},
	} {
		if res := ti.postForm(t, step.who.Client, step.path, step.form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s: %d", step.path, res.StatusCode)
		}
	}
	g, err := ti.App.store.LocalGroupByUsername(context.Background(), "velo")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := ti.App.store.ListDiscussions(context.Background(), g.ID, 10, 0)
	if err != nil || len(ds) != 1 {
		t.Fatalf("discussions: %d %v", len(ds), err)
	}
	thread := "/groups/velo/discussions/" + ds[0].Slug
	if res := ti.postForm(t, carol.Client, thread, url.Values{"body": {"I do, **two** of them."}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply: %d", res.StatusCode)
	}

	member := browserAs(t, ti, carol)
	visible := func(css string) bool {
		t.Helper()
		shown, err := chromedp.Run(member, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector("`+css+`")).display !== "none"`))
		if err != nil {
			t.Fatalf("display of %s: %v", css, err)
		}
		return shown
	}
	browserDo(t, member, "open the group page on a phone, JavaScript off",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		scriptsOff(true),
		chromedp.Navigate(ti.URL+"/@velo"),
		chromedp.WaitVisible(chromedp.CSS(`.group-tabs`)),
	)
	if !visible("#events") || visible("#posts") || visible("#discussions") {
		t.Fatal("on arrival the events tab should be the one shown")
	}
	if got := browserText(t, member, `#events`); !strings.Contains(got, e.Title) {
		t.Errorf("events tab: %q", got)
	}
	screenshot(t, member, "group-page-390")
	browserDo(t, member, "open the Posts tab", chromedp.Click(chromedp.CSS(`.tab-bar a[href="#posts"]`)))
	if !visible("#posts") || visible("#events") {
		t.Fatal("the Posts tab did not show the posts instead of the events")
	}
	if got := browserText(t, member, `#posts`); !strings.Contains(got, "Spring ride") {
		t.Errorf("posts tab: %q", got)
	}
	browserDo(t, member, "open the Discussions tab", chromedp.Click(chromedp.CSS(`.tab-bar a[href="#discussions"]`)))
	if !visible("#discussions") || visible("#posts") {
		t.Fatal("the Discussions tab did not show the discussions")
	}
	if hint := browserText(t, member, `[data-testid="follow-as-member"]`); !strings.Contains(hint, "member") {
		t.Errorf("a member is offered to follow without being told the difference: %q", hint)
	}

	browserDo(t, member, "the thread on a phone", chromedp.Navigate(ti.URL+thread), chromedp.WaitVisible(chromedp.CSS(`.messages`)))
	if n, err := chromedp.Run(member, chromedp.Evaluate[int](`document.querySelectorAll(".message .avatar").length`)); err != nil || n != 2 {
		t.Errorf("%d avatars in a two-message thread (%v)", n, err)
	}
	screenshot(t, member, "discussion-390")
	browserDo(t, member, "desktop width", scriptsOff(false), chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ti.URL+thread), chromedp.WaitVisible(chromedp.CSS(`.messages`)))
	screenshot(t, member, "discussion-1280")
	browserDo(t, member, "the group page at desktop width", chromedp.Navigate(ti.URL+"/@velo"), chromedp.WaitVisible(chromedp.CSS(`.group-tabs`)))
	screenshot(t, member, "group-page-1280")
}

// Item 6: on the event form, the repetition details appear only once
// "Repeats" is chosen, with JavaScript off. Screenshots at both widths.
func TestBrowserEventFormRepeatFolds(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	ti := newTestInstance(t)
	org := ti.newPerson(t, "organiser")
	b := browserAs(t, ti, org)
	shown := func(css string) bool {
		t.Helper()
		v, err := chromedp.Run(b, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector("`+css+`")).display !== "none"`))
		if err != nil {
			t.Fatalf("display of %s: %v", css, err)
		}
		return v
	}
	browserDo(t, b, "open the event form on a phone, JavaScript off",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		scriptsOff(true),
		chromedp.Navigate(ti.URL+"/events/new"),
		chromedp.WaitVisible(chromedp.CSS(`#f-title`)),
	)
	if shown("#f-repeat_days") || shown("#f-repeat_ends") {
		t.Error("the repetition details show before 'Repeats' is chosen")
	}
	screenshot(t, b, "event-form-390")
	browserDo(t, b, "choose weekly", chromedp.Click(chromedp.CSS(`#f-repeat input[value="weekly"]`)))
	if !shown("#f-repeat_days") || !shown("#f-repeat_ends") {
		t.Error("choosing 'every week' does not show its details")
	}
	browserDo(t, b, "desktop width", scriptsOff(false), chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ti.URL+"/events/new"), chromedp.WaitVisible(chromedp.CSS(`#f-title`)))
	screenshot(t, b, "event-form-1280")
}
