package app

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"convene/app/store"

	"github.com/mmcdole/gofeed"
)

// storeEvent writes an event straight into the store: a public, published
// event by organizer unless change says otherwise. Feeds only read events,
// so the test does not depend on the event form.
func storeEvent(t testing.TB, ti *testInstance, organizer *store.Actor, change func(e *store.Event)) *store.Event {
	t.Helper()
	paris, _ := time.LoadLocation("Europe/Paris")
	now := ti.App.now()
	published := now.Add(-time.Hour).UTC().Truncate(time.Second)
	start := time.Date(now.Year(), now.Month(), now.Day(), 19, 0, 0, 0, paris).AddDate(0, 0, 7)
	e := &store.Event{
		OrganizerID:            organizer.ID,
		Title:                  "Folk dance class",
		DescriptionMD:          "Come and dance.",
		DescriptionHTML:        "<p>Come and dance.</p>",
		StartsAt:               start,
		EndsAt:                 start.Add(2 * time.Hour),
		Timezone:               "Europe/Paris",
		Address:                store.Address{Venue: "Salle des fêtes", Street: "1 rue de la Paix", PostalCode: "69001", Locality: "Lyon", Country: "France"},
		Category:               "music",
		Status:                 store.StatusConfirmed,
		Visibility:             store.VisibilityPublic,
		JoinMode:               store.JoinFree,
		CommentModeration:      store.CommentsAllowAll,
		AnonymousParticipation: true,
		PublishedAt:            &published,
	}
	if change != nil {
		change(e)
	}
	if err := ti.App.store.CreateEvent(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

func parseFeed(t *testing.T, body string) *gofeed.Feed {
	t.Helper()
	f, err := gofeed.NewParser().ParseString(body)
	if err != nil {
		t.Fatalf("an independent parser cannot read the feed: %v\n%s", err, body)
	}
	return f
}

func itemTitles(f *gofeed.Feed) []string {
	var out []string
	for _, it := range f.Items {
		out = append(out, it.Title)
	}
	return out
}

func TestFeedsListPublicEventsNewestFirstWithDetails(t *testing.T) {
	ti := newTestInstance(t)
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	_, bob := ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	now := ti.App.now().UTC().Truncate(time.Second)
	older, newer := now.Add(-3*time.Hour), now.Add(-time.Hour)

	storeEvent(t, ti, alice, func(e *store.Event) {
		e.Title = "Older public"
		e.PublishedAt = &older
		e.Tags = []string{"folk"}
	})
	storeEvent(t, ti, bob, func(e *store.Event) {
		e.Title = "Fête de la musique à Zürich"
		e.PublishedAt = &newer
		e.DescriptionHTML = "<p>Bring <em>your</em> fiddle; and a chair, please.</p>"
		e.Category = "party"
		e.Tags = []string{"folk", "summer"}
	})
	storeEvent(t, ti, alice, func(e *store.Event) { e.Title = "Private one"; e.Visibility = store.VisibilityPrivate })
	storeEvent(t, ti, alice, func(e *store.Event) { e.Title = "Unlisted one"; e.Visibility = store.VisibilityUnlisted })
	storeEvent(t, ti, alice, func(e *store.Event) { e.Title = "Draft one"; e.Draft = true; e.PublishedAt = nil })
	later := now.Add(24 * time.Hour)
	storeEvent(t, ti, alice, func(e *store.Event) { e.Title = "Scheduled one"; e.PublishedAt = &later })

	c := ti.client()
	for _, path := range []string{"/feed.rss", "/feed.atom"} {
		res, body := ti.get(t, c, path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", path, res.StatusCode)
		}
		wantType := "application/rss+xml"
		if strings.HasSuffix(path, ".atom") {
			wantType = "application/atom+xml"
		}
		if !strings.HasPrefix(res.Header.Get("Content-Type"), wantType) {
			t.Errorf("%s: Content-Type %q", path, res.Header.Get("Content-Type"))
		}
		if res.Header.Get("Cache-Control") == "" || res.Header.Get("ETag") == "" || res.Header.Get("Last-Modified") == "" {
			t.Errorf("%s: caching headers missing: %v", path, res.Header)
		}
		f := parseFeed(t, body)
		if got := strings.Join(itemTitles(f), " | "); got != "Fête de la musique à Zürich | Older public" {
			t.Errorf("%s: items %q, want the two listed events, newest first", path, got)
		}
		it := f.Items[0]
		if !strings.Contains(it.Content, "<em>your</em> fiddle; and a chair, please.") {
			t.Errorf("%s: full HTML description missing: %q", path, it.Content)
		}
		if !strings.Contains(it.Content, "19:00") || !strings.Contains(it.Content, "Europe/Paris") {
			t.Errorf("%s: start time in the event's zone missing: %q", path, it.Content)
		}
		if !strings.Contains(it.Content, "Salle des fêtes") {
			t.Errorf("%s: place missing: %q", path, it.Content)
		}
		if !strings.HasPrefix(it.Link, ti.URL+"/events/") {
			t.Errorf("%s: link %q", path, it.Link)
		}
	}

	// Per identity, tag and category.
	for path, want := range map[string]string{
		"/feeds/@alice.rss":             "Older public",
		"/feeds/@bob.atom":              "Fête de la musique à Zürich",
		"/feeds/tags/folk.rss":          "Fête de la musique à Zürich | Older public",
		"/feeds/tags/summer.atom":       "Fête de la musique à Zürich",
		"/feeds/categories/party.rss":   "Fête de la musique à Zürich",
		"/feeds/categories/music.atom":  "Older public",
		"/feeds/categories/sports.atom": "",
	} {
		res, body := ti.get(t, c, path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", path, res.StatusCode)
			continue
		}
		if got := strings.Join(itemTitles(parseFeed(t, body)), " | "); got != want {
			t.Errorf("%s: items %q, want %q", path, got, want)
		}
	}

	// Unknown feeds are 404s.
	for _, path := range []string{"/feeds/@nobody.rss", "/feeds/alice.rss", "/feeds/@alice.json", "/feeds/categories/nope.rss",
		"/feeds/tags/no%20spaces.rss", "/feeds/tags/folk", "/feed.json"} {
		if res, _ := ti.get(t, c, path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, res.StatusCode)
		}
	}
}

func TestFeedsAnswerConditionalGets(t *testing.T) {
	ti := newTestInstance(t)
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	e := storeEvent(t, ti, alice, nil)
	c := ti.client()
	for _, path := range []string{"/feed.rss", "/feed.atom", "/calendar.ics", "/feeds/@alice.ics", "/feeds/tags/none.rss",
		"/events/" + e.UUID + "/calendar.ics"} {
		res, _ := ti.get(t, c, path)
		etag, lastMod := res.Header.Get("ETag"), res.Header.Get("Last-Modified")
		if res.StatusCode != 200 || etag == "" || res.Header.Get("Cache-Control") == "" {
			t.Fatalf("%s: status %d, ETag %q, Cache-Control %q", path, res.StatusCode, etag, res.Header.Get("Cache-Control"))
		}
		for name, value := range map[string]string{"If-None-Match": etag, "If-Modified-Since": lastMod} {
			if value == "" {
				continue
			}
			req, _ := http.NewRequest("GET", ti.URL+path, nil)
			req.Header.Set(name, value)
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusNotModified {
				t.Errorf("%s with %s: status %d, want 304", path, name, res.StatusCode)
			}
		}
	}

	// An edit changes the validators: the reader gets the new version.
	res, _ := ti.get(t, c, "/feed.rss")
	etag := res.Header.Get("ETag")
	e.Title = "Folk dance class (new room)"
	ti.App.cfg.Now = func() time.Time { return time.Now().Add(2 * time.Second) }
	ti.App.store.SetClock(ti.App.cfg.Now)
	if err := ti.App.store.UpdateEvent(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", ti.URL+"/feed.rss", nil)
	req.Header.Set("If-None-Match", etag)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("ETag") == etag {
		t.Errorf("after an edit: status %d, ETag %q (was %q)", res.StatusCode, res.Header.Get("ETag"), etag)
	}
}

func TestPagesAdvertiseTheirFeeds(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	for page, feed := range map[string]string{
		"/@alice":           "/feeds/@alice",
		"/tags/folk":        "/feeds/tags/folk",
		"/categories/music": "/feeds/categories/music",
	} {
		res, body := ti.get(t, ti.client(), page)
		if res.StatusCode != 200 {
			t.Fatalf("%s: status %d", page, res.StatusCode)
		}
		for _, ext := range []string{".rss", ".atom", ".ics"} {
			if !strings.Contains(body, `href="`+feed+ext+`"`) {
				t.Errorf("%s does not link to %s", page, feed+ext)
			}
		}
	}
	_, body := ti.get(t, ti.client(), "/")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`<link rel="alternate" type="application/rss\+xml" title="[^"]+" href="/feed.rss">`),
		regexp.MustCompile(`<link rel="alternate" type="application/atom\+xml" title="[^"]+" href="/feed.atom">`),
		regexp.MustCompile(`<link rel="alternate" type="text/calendar" title="[^"]+" href="/calendar.ics">`),
		regexp.MustCompile(`<a href="/feed.rss" type="application/rss\+xml">`),
	} {
		if !want.MatchString(body) {
			t.Errorf("home page lacks %s", want)
		}
	}
}

func TestPrivateCalendarSecretCanBeReplaced(t *testing.T) {
	ti := newTestInstance(t)
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	storeEvent(t, ti, alice, func(e *store.Event) { e.Title = "Secret picnic"; e.Visibility = store.VisibilityPrivate })
	c := ti.login(t, "alice@example.org", "correct horse battery")
	anon := ti.client()

	_, page := ti.get(t, c, "/me/calendar")
	if !strings.Contains(page, "/calendar.ics") || !strings.Contains(page, "webcal://") {
		t.Errorf("calendar page lacks the public calendars: %s", page)
	}
	secretURL := regexp.MustCompile(`https?://[^"<\s]+/feeds/private/[A-Za-z0-9_-]+\.ics`)
	_, page = ti.postFormBody(t, c, "/me/calendar", url.Values{})
	first := secretURL.FindString(page)
	if first == "" {
		t.Fatalf("no private link shown after making one: %s", page)
	}
	res, body := ti.get(t, anon, strings.TrimPrefix(first, ti.URL))
	if res.StatusCode != 200 || !strings.Contains(body, "SUMMARY:Secret picnic") {
		t.Fatalf("private calendar: status %d\n%s", res.StatusCode, body)
	}
	if !strings.Contains(res.Header.Get("Cache-Control"), "private") {
		t.Errorf("private calendar Cache-Control %q", res.Header.Get("Cache-Control"))
	}

	_, page = ti.postFormBody(t, c, "/me/calendar", url.Values{})
	second := secretURL.FindString(page)
	if second == "" || second == first {
		t.Fatalf("regenerating gave %q (first %q)", second, first)
	}
	oldRes, oldBody := ti.get(t, anon, strings.TrimPrefix(first, ti.URL))
	if oldRes.StatusCode != http.StatusNotFound {
		t.Errorf("old private link: status %d, want 404", oldRes.StatusCode)
	}
	if res, _ := ti.get(t, anon, strings.TrimPrefix(second, ti.URL)); res.StatusCode != 200 {
		t.Errorf("new private link: status %d", res.StatusCode)
	}
	// A made-up secret looks exactly like a replaced one.
	madeUpPath := "/feeds/private/" + store.NewSecret() + ".ics"
	_, madeUp := ti.get(t, anon, madeUpPath)
	// The pages differ only by the path they link back to.
	madeUp = strings.ReplaceAll(madeUp, url.QueryEscape(madeUpPath), "PATH")
	oldBody = strings.ReplaceAll(oldBody, url.QueryEscape(strings.TrimPrefix(first, ti.URL)), "PATH")
	if madeUp != oldBody || strings.Contains(oldBody, "alice") {
		t.Errorf("a wrong secret and a replaced one answer differently, or name the identity")
	}
	// Logged out, the page asks to log in.
	if res, _ := ti.get(t, anon, "/me/calendar"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("calendar settings logged out: status %d", res.StatusCode)
	}
}

func TestPrivateCalendarHasTheEventsIAmGoingTo(t *testing.T) {
	ti := newTestInstance(t)
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	e := storeEvent(t, ti, alice, func(e *store.Event) { e.Title = "Alice's picnic" })
	storeEvent(t, ti, alice, func(e *store.Event) { e.Title = "Not going there" })
	bob := ti.login(t, "bob@example.org", "correct horse battery")
	_, page := ti.postFormBody(t, bob, "/me/calendar", url.Values{})
	link := regexp.MustCompile(`/feeds/private/[A-Za-z0-9_-]+\.ics`).FindString(page)
	if link == "" {
		t.Fatal("no private link")
	}
	anon := ti.client()
	if _, body := ti.get(t, anon, link); strings.Contains(body, "BEGIN:VEVENT") {
		t.Fatalf("bob's calendar has events before he joins any:\n%s", body)
	}
	if res := ti.postForm(t, bob, "/events/"+e.UUID+"/join", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("join: status %d", res.StatusCode)
	}
	res, body := ti.get(t, anon, link)
	events := eventsByTitle(t, decodeCalendar(t, body))
	if _, ok := events["Alice's picnic"]; !ok || len(events) != 1 {
		t.Fatalf("bob's calendar after joining: %v", events)
	}
	etag := res.Header.Get("ETag")
	if res := ti.postForm(t, bob, "/events/"+e.UUID+"/leave", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("leave: status %d", res.StatusCode)
	}
	req, _ := http.NewRequest("GET", ti.URL+link, nil)
	req.Header.Set("If-None-Match", etag)
	res, err := anon.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("after leaving, the calendar answers %d to the old ETag, want a new version", res.StatusCode)
	}
	if _, body := ti.get(t, anon, link); strings.Contains(body, "BEGIN:VEVENT") {
		t.Errorf("bob's calendar still has the event he left")
	}
}
