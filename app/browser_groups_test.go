package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browserAs opens a browser logged in as p.
func browserAs(t *testing.T, ti *testInstance, p person) context.Context {
	t.Helper()
	b := newBrowser(t)
	secret, err := ti.App.store.CreateSession(context.Background(), p.Account.ID, p.Identity.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	browserDo(t, b, "open the home page", chromedp.Navigate(ti.URL+"/"))
	if _, err := chromedp.Call(b, network.SetCookie, network.SetCookieParams{Name: sessionCookie, Value: secret, URL: ti.URL + "/"}); err != nil {
		t.Fatal(err)
	}
	return b
}

// A group's first hour in real browsers: Alice creates it and invites
// Bob, Bob accepts and starts a discussion, Alice sees the news, follows
// it to the thread and renames it, Bob changes his message and adds the
// group's pad as a resource.
func TestBrowserGroupInviteDiscussResource(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	ti := newTestInstance(t)
	alice, bob := ti.newPerson(t, "alice"), ti.newPerson(t, "bob")
	ab, bb := browserAs(t, ti, alice), browserAs(t, ti, bob)

	browserDo(t, ab, "create the group",
		chromedp.Navigate(ti.URL+"/groups/new"),
		chromedp.SendKeys(chromedp.CSS(`#f-display_name`), "Vélo Lyon"),
		chromedp.SendKeys(chromedp.CSS(`#f-username`), "velo"),
		chromedp.SendKeys(chromedp.CSS(`#f-bio`), "We ride bikes."),
		chromedp.SetValue(chromedp.CSS(`#f-openness`), "invite_only"),
		chromedp.Click(chromedp.Search(`//button[@type="submit" and contains(., "Create the group")]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	if got := browserText(t, ab, `main h1`); !strings.Contains(got, "Vélo Lyon") {
		t.Fatalf("after creating, the page title is %q", got)
	}
	browserDo(t, ab, "invite bob",
		chromedp.Navigate(ti.URL+"/groups/velo/members"),
		chromedp.SendKeys(chromedp.CSS(`#f-handle`), "@bob"),
		chromedp.Click(chromedp.Search(`//form[contains(@class, "invite")]//button`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	browserDo(t, bb, "accept the invitation",
		chromedp.Navigate(ti.URL+"/@velo"),
		chromedp.Click(chromedp.Search(`//button[contains(., "Accept the invitation")]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	if got := membershipRole(t, ti, "velo", bob.Identity.ID); got != "member" {
		t.Fatalf("after accepting bob is %q", got)
	}
	browserDo(t, bb, "start a discussion",
		chromedp.Navigate(ti.URL+"/groups/velo/discussions"),
		chromedp.SendKeys(chromedp.CSS(`#f-title`), "Saturday ride"),
		chromedp.SendKeys(chromedp.CSS(`#f-body`), "Who brings the **map**?"),
		chromedp.Click(chromedp.Search(`//button[contains(., "Start the discussion")]`)),
		chromedp.WaitVisible(chromedp.CSS(`ol.messages li.message`)),
	)
	if got := browserText(t, bb, `li.message .message-body`); !strings.Contains(got, "Who brings the map?") {
		t.Fatalf("the first message reads %q", got)
	}
	browserDo(t, ab, "read the news", chromedp.Navigate(ti.URL+"/groups"))
	if got := browserText(t, ab, `li.group-news`); !strings.Contains(got, "started a discussion") || !strings.Contains(got, "Saturday ride") {
		t.Fatalf("alice's news: %q", got)
	}
	screenshot(t, ab, "groups-1-news")
	// Any member renames a thread, from a form folded under the thread
	// (details/summary: no JavaScript needed to open it).
	browserDo(t, ab, "rename the discussion",
		chromedp.Click(chromedp.Search(`//li[contains(@class, "group-news")]//a`)),
		chromedp.WaitVisible(chromedp.CSS(`ol.messages`)),
		chromedp.Click(chromedp.Search(`//details[contains(@class, "rename")]/summary`)),
		chromedp.WaitVisible(chromedp.CSS(`details.rename #f-title`)),
		chromedp.Clear(chromedp.CSS(`details.rename #f-title`)),
		chromedp.SendKeys(chromedp.CSS(`details.rename #f-title`), "Saturday ride to Vienne"),
		chromedp.Click(chromedp.Search(`//details[contains(@class, "rename")]//button`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	if got := browserText(t, ab, `main h1`); got != "Saturday ride to Vienne" {
		t.Fatalf("after renaming, the thread is called %q", got)
	}
	// Bob changes his message from its own page, at phone width.
	browserDo(t, bb, "change the first message",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(ti.URL+"/groups/velo/discussions"),
		chromedp.Click(chromedp.Search(`//ul[contains(@class, "discussions")]//a`)),
		chromedp.WaitVisible(chromedp.CSS(`ol.messages`)),
		chromedp.Click(chromedp.Search(`//li[contains(@class, "message")]//a[contains(., "Edit")]`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Change your message")]`)),
		chromedp.Clear(chromedp.CSS(`#f-body`)),
		chromedp.SendKeys(chromedp.CSS(`#f-body`), "Who brings the **map** and the pump?"),
		chromedp.Click(chromedp.Search(`//button[contains(., "Save the message")]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	if got := browserText(t, bb, `li.message`); !strings.Contains(got, "Who brings the map and the pump?") || !strings.Contains(got, "edited") {
		t.Fatalf("after changing it, the message reads %q", got)
	}
	screenshot(t, bb, "groups-2-message-changed")
	browserDo(t, bb, "add the pad",
		chromedp.Navigate(ti.URL+"/groups/velo/resources"),
		chromedp.SetValue(chromedp.CSS(`#f-tool`), "pad"),
		chromedp.SendKeys(chromedp.CSS(`#f-url`), "https://pad.example.org/p/velo"),
		chromedp.SendKeys(chromedp.CSS(`#f-title`), "Ride plans"),
		chromedp.Click(chromedp.Search(`//form[contains(@class, "new-resource")]//button`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	if got := browserText(t, bb, `ul.resources li.resource`); !strings.Contains(got, "Ride plans") || !strings.Contains(got, "Pad") {
		t.Fatalf("the resource reads %q", got)
	}
	screenshot(t, bb, "groups-3-resources")
}
