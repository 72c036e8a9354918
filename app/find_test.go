package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// findClock is the fixed "now" of these tests: a Tuesday.
var findClock = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// addEvent stores a listed event through the store, starting `in` from
// the instance's clock; edit adjusts it first.
func addEvent(t testing.TB, ti *testInstance, organizerID int64, title string, in time.Duration, edit ...func(*store.Event)) *store.Event {
	t.Helper()
	now := ti.App.now()
	published := now.Add(-time.Hour)
	e := &store.Event{
		OrganizerID: organizerID, Title: title, StartsAt: now.Add(in), EndsAt: now.Add(in + 2*time.Hour),
		Timezone: "Europe/Paris", Category: "other", Status: store.StatusConfirmed, Visibility: store.VisibilityPublic,
		JoinMode: store.JoinFree, CommentModeration: store.CommentsAllowAll, PublishedAt: &published,
		Address: store.Address{Venue: "Town hall", Locality: "Lyon"}, Tags: []string{"neighbours"},
	}
	for _, fn := range edit {
		fn(e)
	}
	if e.DescriptionHTML == "" {
		// As the event form does.
		e.DescriptionHTML = renderMarkdown(e.DescriptionMD)
	}
	if err := ti.App.Store().CreateEvent(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

// clockAt returns a configuration that starts the instance's clock at t
// and a function that moves it.
func clockAt(t time.Time) (func(*Config), func(time.Duration)) {
	now := t
	return func(c *Config) { c.Now = func() time.Time { return now } },
		func(d time.Duration) { now = now.Add(d) }
}

func getOK(t *testing.T, ti *testInstance, c *http.Client, path string) string {
	t.Helper()
	res, body := ti.get(t, c, path)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d\n%s", path, res.StatusCode, body)
	}
	return body
}

// The pages that list events for everybody.
var listingPages = []string{"/", "/search?q=lyon", "/search", "/tags/neighbours", "/categories/community"}

func TestOnlyListedEventsAppearInLists(t *testing.T) {
	setClock, move := clockAt(findClock)
	ti := newTestInstance(t, setClock)
	_, org := ti.createAccount(t, "org@example.org", "org", "correct horse battery", false)
	community := func(e *store.Event) { e.Category = "community" }
	addEvent(t, ti, org.ID, "Public picnic", 24*time.Hour, community)
	addEvent(t, ti, org.ID, "Unlisted picnic", 24*time.Hour, community, func(e *store.Event) { e.Visibility = store.VisibilityUnlisted })
	addEvent(t, ti, org.ID, "Private picnic", 24*time.Hour, community, func(e *store.Event) { e.Visibility = store.VisibilityPrivate })
	addEvent(t, ti, org.ID, "Draft picnic", 24*time.Hour, community, func(e *store.Event) { e.Draft = true; e.PublishedAt = nil })
	addEvent(t, ti, org.ID, "Scheduled picnic", 24*time.Hour, community, func(e *store.Event) {
		at := findClock.Add(2 * time.Hour)
		e.PublishedAt = &at
	})

	// The organiser is logged in: lists are the same for them as for anyone.
	for _, c := range []*http.Client{ti.client(), ti.login(t, "org@example.org", "correct horse battery")} {
		for _, path := range listingPages {
			body := getOK(t, ti, c, path)
			if !strings.Contains(body, "Public picnic") {
				t.Errorf("%s: the public event is missing", path)
			}
			for _, hidden := range []string{"Unlisted picnic", "Private picnic", "Draft picnic", "Scheduled picnic"} {
				if strings.Contains(body, hidden) {
					t.Errorf("%s shows %q", path, hidden)
				}
			}
		}
	}

	// Once its publication time has passed, the scheduled event is listed.
	move(3 * time.Hour)
	for _, path := range listingPages {
		if body := getOK(t, ti, ti.client(), path); !strings.Contains(body, "Scheduled picnic") {
			t.Errorf("%s: the scheduled event is missing after its publication time", path)
		}
	}
}

func TestHomeAndPastPagesArePaginated(t *testing.T) {
	setClock, _ := clockAt(findClock)
	ti := newTestInstance(t, setClock)
	_, org := ti.createAccount(t, "org@example.org", "org", "correct horse battery", false)
	for i := range eventsPerPage + 5 {
		addEvent(t, ti, org.ID, fmt.Sprintf("Upcoming %02d", i), time.Duration(i+1)*24*time.Hour)
		addEvent(t, ti, org.ID, fmt.Sprintf("Ended %02d", i), -time.Duration(i+1)*24*time.Hour)
	}
	c := ti.client()

	home := getOK(t, ti, c, "/")
	if !strings.Contains(home, "Upcoming 00") || !strings.Contains(home, "Upcoming 19") || strings.Contains(home, "Upcoming 20") {
		t.Error("the first home page does not hold the 20 soonest events")
	}
	if strings.Contains(home, "Ended") {
		t.Error("the home page shows ended events")
	}
	if strings.Index(home, "Upcoming 00") > strings.Index(home, "Upcoming 01") {
		t.Error("the home page is not soonest first")
	}
	if !strings.Contains(home, `href="?page=2"`) {
		t.Error("no link to the second page")
	}
	second := getOK(t, ti, c, "/?page=2")
	if !strings.Contains(second, "Upcoming 20") || !strings.Contains(second, "Upcoming 24") || strings.Contains(second, "Upcoming 19") {
		t.Error("the second home page does not hold the next events")
	}
	if strings.Contains(second, `href="?page=3"`) || !strings.Contains(second, `href="?page=1"`) {
		t.Error("the second page links wrongly")
	}

	past := getOK(t, ti, c, "/events/past")
	if strings.Contains(past, "Upcoming 0") {
		t.Error("the past page shows upcoming events")
	}
	if !strings.Contains(past, "Ended 00") || strings.Index(past, "Ended 00") > strings.Index(past, "Ended 01") {
		t.Error("the past page is not newest first")
	}
	if past2 := getOK(t, ti, c, "/events/past?page=2"); !strings.Contains(past2, "Ended 24") || strings.Contains(past2, "Ended 00") {
		t.Error("the second past page does not hold the oldest events")
	}
	// Junk page numbers fall back to the first page.
	for _, junk := range []string{"/?page=abc", "/?page=-3", "/?page=99999999999999999999", "/events/past?page=0"} {
		getOK(t, ti, c, junk)
	}
}

func TestTagAndCategoryPages(t *testing.T) {
	setClock, _ := clockAt(findClock)
	ti := newTestInstance(t, setClock)
	_, org := ti.createAccount(t, "org@example.org", "org", "correct horse battery", false)
	addEvent(t, ti, org.ID, "Climate march", 24*time.Hour, func(e *store.Event) { e.Category = "climate"; e.Tags = []string{"climate", "march"} })
	addEvent(t, ti, org.ID, "Old march", -48*time.Hour, func(e *store.Event) { e.Category = "climate"; e.Tags = []string{"march"} })
	addEvent(t, ti, org.ID, "Jazz night", 24*time.Hour, func(e *store.Event) { e.Category = "music"; e.Tags = []string{"jazz"} })
	c := ti.client()

	tag := getOK(t, ti, c, "/tags/march")
	if !strings.Contains(tag, "Climate march") || strings.Contains(tag, "Jazz night") || strings.Contains(tag, "Old march") {
		t.Error("the tag page lists the wrong events")
	}
	if past := getOK(t, ti, c, "/tags/march?when=past"); !strings.Contains(past, "Old march") || strings.Contains(past, "Climate march") {
		t.Error("the tag page's past events are wrong")
	}
	if none := getOK(t, ti, c, "/tags/nothing-here"); !strings.Contains(none, "No upcoming events with this tag.") {
		t.Error("an empty tag page does not say so")
	}

	cat := getOK(t, ti, c, "/categories/climate")
	if !strings.Contains(cat, "Climate march") || strings.Contains(cat, "Jazz night") {
		t.Error("the category page lists the wrong events")
	}
	if res, _ := ti.get(t, c, "/categories/nonsense"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown category: status %d, want 404", res.StatusCode)
	}

	// The category list, translated.
	req, _ := http.NewRequest(http.MethodGet, ti.URL+"/categories", nil)
	req.Header.Set("Accept-Language", "fr")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	_, _ = fmt.Fprint(&b, readAll(t, res))
	for _, want := range []string{`href="/categories/food_drink"`, "Cuisine et boissons", "Climat", "Autre"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the French category list lacks %q", want)
		}
	}
}

func TestSearchPage(t *testing.T) {
	setClock, _ := clockAt(findClock)
	ti := newTestInstance(t, setClock)
	_, org := ti.createAccount(t, "org@example.org", "org", "correct horse battery", false)
	addEvent(t, ti, org.ID, "Fête de la musique", 24*time.Hour, func(e *store.Event) {
		e.Category = "music"
		e.DescriptionMD = "Bands play in every street of the old town until late."
	})
	addEvent(t, ti, org.ID, "Online music theory class", 48*time.Hour, func(e *store.Event) {
		e.Category = "learning"
		e.Address = store.Address{}
		e.OnlineURL = "https://video.example.org/room"
	})
	c := ti.client()

	body := getOK(t, ti, c, "/search?q=fete")
	if !strings.Contains(body, "<mark>Fête</mark> de la musique") {
		t.Error("the matched word is not highlighted in the title")
	}
	body = getOK(t, ti, c, "/search?q=street")
	if !strings.Contains(body, "every <mark>street</mark> of") {
		t.Error("the matched word is not highlighted in the description")
	}
	// Filters.
	body = getOK(t, ti, c, "/search?q=music&attend=online")
	if !strings.Contains(body, "theory class") || strings.Contains(body, "Fête") {
		t.Error("the online filter does not work")
	}
	body = getOK(t, ti, c, "/search?attend=in_person&category=music")
	if strings.Contains(body, "theory class") || !strings.Contains(body, "Fête") {
		t.Error("the in-person and category filters do not work")
	}
	body = getOK(t, ti, c, "/search?attend=in_person&category=learning")
	if strings.Contains(body, "theory class") || strings.Contains(body, "Fête") {
		t.Error("the in-person and category filters do not work together")
	}
	body = getOK(t, ti, c, "/search?from=2026-03-12&to=2026-03-12")
	if !strings.Contains(body, "theory class") || strings.Contains(body, "de la musique") {
		t.Error("the date filters do not work")
	}
	// Every filter is kept in the form.
	if !strings.Contains(body, `value="2026-03-12"`) {
		t.Error("the form does not keep the dates")
	}

	// An empty result says so and offers the words without the filters.
	body = getOK(t, ti, c, "/search?q=music&category=sports&attend=online")
	if !strings.Contains(body, "No events match your search.") {
		t.Error("an empty result does not say so")
	}
	if !strings.Contains(body, `href="/search?q=music"`) {
		t.Error("an empty filtered result does not offer to drop the filters")
	}
	body = getOK(t, ti, c, "/search?q=nothingmatchesthis")
	if !strings.Contains(body, "No events match your search.") || strings.Contains(body, "without filters") {
		t.Error("an empty result without filters is wrong")
	}

	// The home page's quick range lands on the search page as dates.
	body = getOK(t, ti, c, "/search?when=tomorrow")
	if !strings.Contains(body, `value="2026-03-11"`) || !strings.Contains(body, "de la musique") || strings.Contains(body, "theory class") {
		t.Error("the quick range 'tomorrow' is wrong")
	}
}

func TestSearchBadInputGetsAMessage(t *testing.T) {
	ti := newTestInstance(t)
	c := ti.client()
	for query, want := range map[string]string{
		"from=yesterday":                    "Enter a date like",
		"to=2026-02-30":                     "Enter a date like",
		"from=2026-03-10&to=2026-03-01":     "The end of the period cannot be before its start.",
		"category=nonsense":                 "This category does not exist.",
		"attend=moon":                       "Choose online, in person or either.",
		"q=" + strings.Repeat("x", 201):     "This text is too long",
		"q=%ff%fe":                          "This text contains invalid characters.",
		"q=a%00b":                           "This text contains invalid characters.",
		"from=99999-01-01":                  "Enter a date like",
		"q=keep+me&from=junk&category=arts": "Enter a date like",
	} {
		res, body := ti.get(t, c, "/search?"+query)
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", query, res.StatusCode)
		}
		if !strings.Contains(body, want) {
			t.Errorf("%s: the page does not say %q", query, want)
		}
	}
	// What was typed is kept.
	_, body := ti.get(t, c, "/search?q=keep+me&from=junk&category=arts")
	if !strings.Contains(body, `value="keep me"`) || !strings.Contains(body, `value="junk"`) || !strings.Contains(body, `value="arts" selected`) {
		t.Error("the form does not keep what was typed")
	}
	// Query syntax never breaks the search.
	for _, q := range []string{`"`, `AND OR (`, `*`, `NEAR(`, `title:x`, `'`, `\`} {
		res, _ := ti.get(t, c, "/search?"+url.Values{"q": {q}}.Encode())
		if res.StatusCode != http.StatusOK {
			t.Errorf("q=%s: status %d", q, res.StatusCode)
		}
	}
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}
