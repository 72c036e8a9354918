package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"convene/app/store"
)

// Issue 12, item 4: a group's members are listed with an avatar (or
// initials) and a badge of their role, invitations and requests too; the
// groups directory is a list of cards with avatar, name, description and
// member count. Checked in a browser on a phone: each badge reads the
// role, nothing scrolls sideways.
func TestBrowserMembersBadgesAndDirectoryCards(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	ti := newTestInstance(t)
	ctx := context.Background()
	org := ti.newPerson(t, "organiser")
	createGroupVia(t, ti, org.Client, "velo", "Vélo Lyon", "moderated")
	if res := ti.postForm(t, org.Client, "/groups/velo/edit", url.Values{
		"display_name": {"Vélo Lyon"}, "bio": {"Rides every Sunday, repairs on Thursdays, and a lot of talk about bikes."},
		"visibility": {"public"}, "openness": {"moderated"},
	}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("describe the group: %d", res.StatusCode)
	}
	g, err := ti.App.store.LocalGroupByUsername(ctx, "velo")
	if err != nil {
		t.Fatal(err)
	}
	carol, dave, erin, frank := ti.newPerson(t, "carol"), ti.newPerson(t, "dave"), ti.newPerson(t, "erin"), ti.newPerson(t, "frank")
	for _, p := range []person{carol, dave, frank} {
		if res := ti.postForm(t, p.Client, "/groups/velo/join", url.Values{}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s asks to join: %d", p.Identity.Username, res.StatusCode)
		}
	}
	membership := func(p person) *store.Membership {
		t.Helper()
		m, err := ti.App.store.MembershipOf(ctx, g.ID, p.Identity.ID)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, p := range []person{carol, dave} {
		if res := ti.postForm(t, org.Client, "/groups/velo/members/"+itoa(membership(p).ID)+"/approve", url.Values{}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve %s: %d", p.Identity.Username, res.StatusCode)
		}
	}
	if res := ti.postForm(t, org.Client, "/groups/velo/members/"+itoa(membership(dave).ID)+"/role", url.Values{"role": {store.RoleModerator}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("make dave moderator: %d", res.StatusCode)
	}
	if res := ti.postForm(t, org.Client, "/groups/velo/invite", url.Values{"handle": {"@erin"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite erin: %d", res.StatusCode)
	}
	_ = erin

	b := browserAs(t, ti, org)
	browserDo(t, b, "the members page on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(ti.URL+"/groups/velo/members"),
		chromedp.WaitVisible(chromedp.CSS(`.member`)),
	)
	rows, err := chromedp.Run(b, chromedp.Evaluate[map[string]string](`Object.fromEntries([...document.querySelectorAll(".member")].map(li =>
		[li.querySelector(".handle").textContent.trim(), (li.querySelector(".avatar") ? "avatar " : "") + li.querySelector(".badge.role").textContent.trim()]))`))
	if err != nil {
		t.Fatal(err)
	}
	for handle, want := range map[string]string{
		"@organiser": "avatar administrator", "@dave": "avatar moderator", "@carol": "avatar member",
		"@erin": "avatar invited", "@frank": "avatar waiting for approval",
	} {
		if !strings.HasPrefix(rows[handle], "avatar ") || !strings.Contains(rows[handle], strings.TrimPrefix(want, "avatar ")) {
			t.Errorf("members page, %s: %q, want %q (all: %v)", handle, rows[handle], want, rows)
		}
	}
	assertNoSidewaysScroll(t, b, "members page")

	browserDo(t, b, "the groups directory on a phone", chromedp.Navigate(ti.URL+"/groups"), chromedp.WaitVisible(chromedp.CSS(`.group-card`)))
	card, err := chromedp.Run(b, chromedp.Evaluate[map[string]string](`(() => { const c = [...document.querySelectorAll(".group-cards:last-of-type .group-card")].pop();
		return {avatar: c.querySelector(".avatar") ? "yes" : "", name: c.querySelector("h3").textContent.trim(),
		desc: c.querySelector(".desc").textContent, count: c.querySelector(".facts .badge").textContent.trim(),
		href: c.querySelector("h3 a").getAttribute("href")} })()`))
	if err != nil {
		t.Fatal(err)
	}
	if card["avatar"] == "" || card["name"] != "Vélo Lyon" || !strings.Contains(card["desc"], "Rides every Sunday") || card["count"] != "3 members" || card["href"] != "/@velo" {
		t.Errorf("directory card: %v", card)
	}
	assertNoSidewaysScroll(t, b, "groups directory")
}

// assertNoSidewaysScroll fails when the page is wider than the screen.
func assertNoSidewaysScroll(t *testing.T, b context.Context, what string) {
	t.Helper()
	over, err := chromedp.Run(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > innerWidth`))
	if err != nil || over {
		t.Errorf("%s scrolls sideways on a phone (%v)", what, err)
	}
}
