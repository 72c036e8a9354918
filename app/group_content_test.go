package app

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// groupWithMembers makes @velo (open) with alice as administrator and bob
// and dan as members; carol stays outside.
func groupWithMembers(t testing.TB, ti *testInstance) (alice, bob, carol, dan person) {
	alice, bob, carol, dan = ti.newPerson(t, "alice"), ti.newPerson(t, "bob"), ti.newPerson(t, "carol"), ti.newPerson(t, "dan")
	createGroupVia(t, ti, alice.Client, "velo", "Vélo Lyon", "open")
	for _, p := range []person{bob, dan} {
		if res := ti.postForm(t, p.Client, "/groups/velo/join", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("join: %d", res.StatusCode)
		}
	}
	return
}

func TestGroupDiscussions(t *testing.T) {
	ti := newTestInstance(t)
	alice, bob, carol, dan := groupWithMembers(t, ti)
	// Dan wants no news at all.
	ti.postForm(t, dan.Client, "/groups/velo/notify", url.Values{"notify": {"off"}})

	// Carol, not a member, can neither start nor read a discussion.
	res, _ := ti.postFormBody(t, carol.Client, "/groups/velo/discussions", url.Values{"title": {"Spam"}, "body": {"buy"}})
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("non-member starts a discussion: %d", res.StatusCode)
	}
	// An empty message is refused next to the field, keeping the title.
	res, body := ti.postFormBody(t, bob.Client, "/groups/velo/discussions", url.Values{"title": {"Saturday ride"}, "body": {" "}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Write a message.") || !strings.Contains(body, `value="Saturday ride"`) {
		t.Fatalf("empty message: %d", res.StatusCode)
	}
	res = ti.postForm(t, bob.Client, "/groups/velo/discussions", url.Values{"title": {"Saturday ride"}, "body": {"Who comes **Saturday**?"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("start discussion: %d", res.StatusCode)
	}
	thread := res.Header.Get("Location")
	if res, _ := ti.get(t, carol.Client, thread); res.StatusCode != http.StatusForbidden {
		t.Fatalf("non-member reads: %d", res.StatusCode)
	}
	if res := ti.postForm(t, carol.Client, thread, url.Values{"body": {"me"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("non-member replies: %d", res.StatusCode)
	}
	ti.postForm(t, alice.Client, thread, url.Values{"body": {"Me, with the tandem."}})
	_, body = ti.get(t, bob.Client, thread)
	first, second := strings.Index(body, "<strong>Saturday</strong>"), strings.Index(body, "Me, with the tandem.")
	if first < 0 || second < first {
		t.Fatalf("messages not in order:\n%s", body)
	}
	// Alice heard of the new thread, Bob of the reply; Dan of nothing.
	if _, body := ti.get(t, alice.Client, "/groups"); !strings.Contains(body, "bob started a discussion in Vélo Lyon: “Saturday ride”") {
		t.Errorf("alice not told of the thread:\n%s", body)
	}
	if _, body := ti.get(t, bob.Client, "/groups"); !strings.Contains(body, "alice replied in “Saturday ride”") {
		t.Errorf("bob not told of the reply")
	}
	if _, body := ti.get(t, dan.Client, "/groups"); strings.Contains(body, "Saturday ride") {
		t.Errorf("dan, who switched news off, was told")
	}
}

// A member writing faster than anyone types (a script, a stuck key) is
// stopped after a burst of 20 messages with a clear word next to the
// field; what was typed is kept and nothing is stored. Changing a
// message counts the same.
func TestDiscussionMessagesArePaced(t *testing.T) {
	// The clock stands still, so a slow run cannot refill the bucket.
	still := time.Now()
	ti := newTestInstance(t, func(c *Config) { c.Now = func() time.Time { return still } })
	_, bob, _, _ := groupWithMembers(t, ti)
	res := ti.postForm(t, bob.Client, "/groups/velo/discussions", url.Values{"title": {"Flood"}, "body": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("start discussion: %d", res.StatusCode)
	}
	thread := strings.SplitN(res.Header.Get("Location"), "?", 2)[0]
	for i := 2; i <= 20; i++ {
		if res := ti.postForm(t, bob.Client, thread, url.Values{"body": {itoa(int64(i))}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("message %d: %d", i, res.StatusCode)
		}
	}
	res, body := ti.postFormBody(t, bob.Client, thread, url.Values{"body": {"one too many"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Too many attempts") || !strings.Contains(body, "one too many") {
		t.Fatalf("the 21st message in a burst: %d", res.StatusCode)
	}
	g := mustGroup(t, ti, "velo")
	ds, _ := ti.App.store.ListDiscussions(context.Background(), g.ID, 10, 0)
	if len(ds) != 1 || ds[0].MessageCount != 20 {
		t.Fatalf("after the burst: %+v", ds)
	}
	msgs, _ := ti.App.store.Messages(context.Background(), ds[0].ID, 0, 1)
	edit := thread + "/messages/" + itoa(msgs[0].ID) + "/edit"
	if res, body := ti.postFormBody(t, bob.Client, edit, url.Values{"body": {"changed"}}); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Too many attempts") {
		t.Fatalf("a change in the same burst: %d", res.StatusCode)
	}
	if m, _ := ti.App.store.MessageByID(context.Background(), msgs[0].ID); m.Source != "1" {
		t.Fatalf("the refused change was stored: %q", m.Source)
	}
}

func TestGroupPostsResourcesAndEvents(t *testing.T) {
	ti := newTestInstance(t)
	alice, bob, carol, _ := groupWithMembers(t, ti)
	anon := ti.client()
	// A member cannot post; a moderator can, in three visibilities.
	if res := ti.postForm(t, bob.Client, "/groups/velo/posts", url.Values{"title": {"x"}, "visibility": {"public"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("member posts: %d", res.StatusCode)
	}
	links := map[string]string{}
	for _, vis := range []string{"public", "unlisted", "members"} {
		res := ti.postForm(t, alice.Client, "/groups/velo/posts", url.Values{"title": {"News " + vis}, "body": {"Hello *" + vis + "*"}, "visibility": {vis}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("post %s: %d", vis, res.StatusCode)
		}
		links[vis] = res.Header.Get("Location")
	}
	_, page := ti.get(t, anon, "/@velo")
	if !strings.Contains(page, "News public") || strings.Contains(page, "News unlisted") || strings.Contains(page, "News members") {
		t.Fatalf("group page shows the wrong posts to a visitor:\n%s", page)
	}
	if res, _ := ti.get(t, anon, links["unlisted"]); res.StatusCode != http.StatusOK {
		t.Errorf("unlisted post by link: %d", res.StatusCode)
	}
	if res, _ := ti.get(t, carol.Client, links["members"]); res.StatusCode != http.StatusNotFound {
		t.Errorf("members-only post to a non-member: %d", res.StatusCode)
	}
	if res, body := ti.get(t, bob.Client, links["members"]); res.StatusCode != http.StatusOK || !strings.Contains(body, "<em>members</em>") {
		t.Errorf("members-only post to a member: %d", res.StatusCode)
	}
	_, feed := ti.get(t, anon, "/feeds/groups/velo.posts.atom")
	if !strings.Contains(feed, "News public") || strings.Contains(feed, "News members") || strings.Contains(feed, "News unlisted") {
		t.Errorf("posts feed:\n%s", feed)
	}

	// Resources: a pad link whose page gives its own title, a private one.
	pad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><head><title>Pad: ride plans</title></head></html>")
	}))
	defer pad.Close()
	if res := ti.postForm(t, carol.Client, "/groups/velo/resources", url.Values{"kind": {"link"}, "tool": {"pad"}, "url": {pad.URL}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("non-member adds a resource: %d", res.StatusCode)
	}
	res, body := ti.postFormBody(t, bob.Client, "/groups/velo/resources", url.Values{"kind": {"link"}, "tool": {"pad"}, "url": {"javascript:alert(1)"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "https://") {
		t.Fatalf("bad URL: %d", res.StatusCode)
	}
	ti.postForm(t, bob.Client, "/groups/velo/resources", url.Values{"kind": {"link"}, "tool": {"pad"}, "url": {pad.URL}, "title": {"Ride pad"}, "public": {"1"}})
	ti.postForm(t, bob.Client, "/groups/velo/resources", url.Values{"kind": {"link"}, "tool": {"chat"}, "url": {"https://chat.example.org/velo"}, "title": {"Members chat"}})
	_, page = ti.get(t, anon, "/@velo")
	if !strings.Contains(page, "Ride pad") || strings.Contains(page, "Members chat") {
		t.Errorf("public resources on the group page:\n%s", page)
	}
	// This instance refuses loopback addresses: no title was fetched.
	if strings.Contains(page, "Pad: ride plans") {
		t.Errorf("a loopback page's title was fetched")
	}
	_, page = ti.get(t, bob.Client, "/groups/velo/resources")
	if !strings.Contains(page, "Members chat") {
		t.Errorf("members do not see every resource")
	}

	// A moderator's event for the group shows on its page and in its feeds.
	g := mustGroup(t, ti, "velo")
	if _, body := ti.get(t, alice.Client, "/events/new"); !strings.Contains(body, `name="group"`) {
		t.Errorf("event form offers no group to a moderator")
	}
	if _, body := ti.get(t, bob.Client, "/events/new"); strings.Contains(body, `name="group"`) {
		t.Errorf("event form offers a group to a plain member")
	}
	e := addJoinableEvent(t, ti, alice.Identity.ID, "Critical mass", 48*time.Hour, func(e *store.Event) { e.AttributedToID = g.ID })
	_, page = ti.get(t, anon, "/@velo")
	if !strings.Contains(page, "Critical mass") {
		t.Errorf("group event not on the group page")
	}
	for _, f := range []string{"velo.rss", "velo.atom", "velo.ics"} {
		if _, body := ti.get(t, anon, "/feeds/groups/"+f); !strings.Contains(body, e.Title) {
			t.Errorf("group feed %s lacks the event", f)
		}
	}
}

// The unsafe fetcher option (tests only) lets a link's page title be read
// from loopback.
func TestResourceLinkTitle(t *testing.T) {
	ti := newTestInstance(t, func(c *Config) { c.UnsafeAllowPrivateFederation = true })
	alice := ti.newPerson(t, "alice")
	createGroupVia(t, ti, alice.Client, "velo", "Vélo Lyon", "open")
	pad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><head><title>Pad &amp; plans</title></head></html>")
	}))
	defer pad.Close()
	ti.postForm(t, alice.Client, "/groups/velo/resources", url.Values{"kind": {"link"}, "tool": {"pad"}, "url": {pad.URL}})
	if _, body := ti.get(t, alice.Client, "/groups/velo/resources"); !strings.Contains(body, "Pad &amp; plans") {
		t.Fatalf("link title not shown:\n%s", body)
	}
}

// A discussion of 1,000 messages is shown in pages of bounded size.
func TestLongDiscussionIsPaged(t *testing.T) {
	ti := newTestInstance(t)
	alice, _, _, _ := groupWithMembers(t, ti)
	path := seedDiscussion(t, ti, alice, 1000)
	_, body := ti.get(t, alice.Client, path)
	if n := strings.Count(body, `class="message"`); n != messagesPerPage {
		t.Fatalf("first page holds %d messages", n)
	}
	if !strings.Contains(body, "Next messages") {
		t.Fatal("no way to the next page")
	}
	_, body = ti.get(t, alice.Client, path+"?last=1")
	if !strings.Contains(body, "message 999") || strings.Contains(body, "message 1<") {
		t.Fatal("last page")
	}
	runtime.GC()
}

// seedDiscussion makes a discussion of n messages straight in the store.
func seedDiscussion(t testing.TB, ti *testInstance, author person, n int) string {
	t.Helper()
	ctx := context.Background()
	g := mustGroup(t, ti, "velo")
	d := &store.Discussion{GroupID: g.ID, AuthorID: author.Identity.ID, Title: "Long"}
	err := ti.App.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := ti.App.store.CreateDiscussionTx(ctx, tx, d, &store.Message{BodyHTML: "<p>message 0</p>"}); err != nil {
			return err
		}
		for i := 1; i < n; i++ {
			if err := ti.App.store.AddMessageTx(ctx, tx, &store.Message{DiscussionID: d.ID, AuthorID: author.Identity.ID,
				BodyHTML: fmt.Sprintf("<p>message %d %s</p>", i, strings.Repeat("words ", 40))}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return "/groups/velo/discussions/" + d.Slug
}

// The group's moderators manage its events, whoever of them made one: dan,
// made moderator, edits and cancels alice's group event; bob, a member,
// and carol, outside, are refused and change nothing. An event that is
// not the group's stays its organiser's alone.
func TestGroupModeratorsManageGroupEvents(t *testing.T) {
	ti := newTestInstance(t)
	alice, bob, carol, dan := groupWithMembers(t, ti)
	g := mustGroup(t, ti, "velo")
	danM, err := ti.App.store.MembershipOf(context.Background(), g.ID, dan.Identity.ID)
	if err != nil {
		t.Fatal(err)
	}
	ti.postForm(t, alice.Client, "/groups/velo/members/"+itoa(danM.ID)+"/role", url.Values{"role": {store.RoleModerator}})
	if got := membershipRole(t, ti, "velo", dan.Identity.ID); got != store.RoleModerator {
		t.Fatalf("dan is %q", got)
	}
	groupEvent := addJoinableEvent(t, ti, alice.Identity.ID, "Critical mass", 48*time.Hour, func(e *store.Event) { e.AttributedToID = g.ID })
	ownEvent := addJoinableEvent(t, ti, alice.Identity.ID, "Alice's birthday", 48*time.Hour)
	path := "/events/" + groupEvent.UUID

	for _, p := range []person{bob, carol} {
		if res, _ := ti.get(t, p.Client, path+"/edit"); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s opens the edit form of the group's event: %d", p.Identity.Username, res.StatusCode)
		}
		if res := ti.postForm(t, p.Client, path+"/cancel", nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s cancels the group's event: %d", p.Identity.Username, res.StatusCode)
		}
	}
	if res, _ := ti.get(t, dan.Client, "/events/"+ownEvent.UUID+"/edit"); res.StatusCode != http.StatusForbidden {
		t.Errorf("a moderator edits an event that is not the group's: %d", res.StatusCode)
	}
	res, form := ti.get(t, dan.Client, path+"/edit")
	if res.StatusCode != http.StatusOK || !strings.Contains(form, "Critical mass") {
		t.Fatalf("the moderator's edit form: %d", res.StatusCode)
	}
	if res := ti.postForm(t, dan.Client, path+"/cancel", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the moderator cancels the group's event: %d", res.StatusCode)
	}
	got, err := ti.App.store.EventByUUID(context.Background(), groupEvent.UUID)
	if err != nil || got.Status != store.StatusCancelled || got.OrganizerID != alice.Identity.ID || got.AttributedToID != g.ID {
		t.Fatalf("after the moderator's cancel: %+v %v", got, err)
	}
}
