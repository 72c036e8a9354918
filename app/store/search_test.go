package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// searchFixture is a store holding a few events around a fixed now.
type searchFixture struct {
	s     *Store
	now   time.Time
	orgID int64
}

func newSearchFixture(t *testing.T) *searchFixture {
	t.Helper()
	s := openTestStore(t)
	_, org, err := s.CreateAccountWithIdentity(context.Background(), "org@example.org", "", false, NewIdentity{Username: "org"})
	if err != nil {
		t.Fatal(err)
	}
	return &searchFixture{s: s, now: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC), orgID: org.ID}
}

// add stores a listed event starting `in` from now and lasting two hours;
// edit adjusts it before it is stored.
func (f *searchFixture) add(t *testing.T, title string, in time.Duration, edit ...func(*Event)) *Event {
	t.Helper()
	published := f.now.Add(-48 * time.Hour)
	e := &Event{
		OrganizerID: f.orgID, Title: title, StartsAt: f.now.Add(in), EndsAt: f.now.Add(in + 2*time.Hour),
		Timezone: "Europe/Paris", Category: "other", Status: StatusConfirmed, Visibility: VisibilityPublic,
		JoinMode: JoinFree, CommentModeration: CommentsAllowAll, PublishedAt: &published,
		Address: Address{Locality: "Lyon"},
	}
	for _, fn := range edit {
		fn(e)
	}
	if err := f.s.CreateEvent(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

func (f *searchFixture) search(t *testing.T, q SearchQuery) []string {
	t.Helper()
	if q.Now.IsZero() {
		q.Now = f.now
	}
	events, err := f.s.SearchEvents(context.Background(), q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	var titles []string
	for _, e := range events {
		titles = append(titles, e.Title)
	}
	return titles
}

// sameSet compares titles ignoring order, for results whose rank depends
// on the lengths of the texts rather than on what a test is about.
func sameSet(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	sameTitles(t, what, g, w...)
}

func sameTitles(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

func TestSearchRanksTitleMatchesFirstThenSoonest(t *testing.T) {
	f := newSearchFixture(t)
	f.add(t, "Repair café", 72*time.Hour, func(e *Event) { e.DescriptionMD = "Bring a broken lamp; we also dance afterwards." })
	f.add(t, "Folk dance ball", 96*time.Hour)
	f.add(t, "Dance class", 24*time.Hour)
	f.add(t, "Knitting", 48*time.Hour, func(e *Event) { e.Tags = []string{"dance"} })
	f.add(t, "Choir", 12*time.Hour)

	got := f.search(t, SearchQuery{Words: "dance"})
	// Both title matches first (the sooner one first), then the tag, then
	// the description.
	sameTitles(t, "dance", got, "Dance class", "Folk dance ball", "Knitting", "Repair café")
}

func TestSearchMarksMatchedWords(t *testing.T) {
	f := newSearchFixture(t)
	f.add(t, "Folk <b>dance</b> ball", time.Hour, func(e *Event) {
		e.DescriptionMD = "An evening of traditional dancing with a live band from Brittany."
		e.DescriptionHTML = "<p>" + e.DescriptionMD + "</p>"
	})
	events, err := f.s.SearchEvents(context.Background(), SearchQuery{Words: "danc", Now: f.now})
	if err != nil || len(events) != 1 {
		t.Fatalf("search: %v, %d events", err, len(events))
	}
	e := events[0]
	if e.TitleMarked != "Folk <b>\x02dance\x03</b> ball" {
		t.Errorf("title marked %q", e.TitleMarked)
	}
	if !strings.Contains(e.Snippet, "traditional \x02dancing\x03 with") {
		t.Errorf("snippet %q", e.Snippet)
	}
	if e.Organizer == nil || e.Organizer.Username != "org" {
		t.Errorf("organizer not filled: %+v", e.Organizer)
	}
	// A match in the title only leaves the snippet empty rather than
	// showing an unmarked excerpt.
	events, _ = f.s.SearchEvents(context.Background(), SearchQuery{Words: "ball", Now: f.now})
	if len(events) != 1 || events[0].Snippet != "" {
		t.Errorf("snippet without a match in the description: %+v", events)
	}
}

func TestSearchIgnoresDiacriticsAndCase(t *testing.T) {
	f := newSearchFixture(t)
	f.add(t, "Fête de la musique", time.Hour)
	f.add(t, "Café ÉCOLOGIE", 2*time.Hour)
	sameTitles(t, "fete", f.search(t, SearchQuery{Words: "fete"}), "Fête de la musique")
	sameTitles(t, "FÈTE", f.search(t, SearchQuery{Words: "FÈTE"}), "Fête de la musique")
	sameTitles(t, "ecologie", f.search(t, SearchQuery{Words: "cafe ecologie"}), "Café ÉCOLOGIE")
	// Every word must match.
	sameTitles(t, "fete cafe", f.search(t, SearchQuery{Words: "fete cafe"}))
	// The place and tags are indexed too.
	sameSet(t, "lyon", f.search(t, SearchQuery{Words: "LYON"}), "Fête de la musique", "Café ÉCOLOGIE")
}

func TestSearchNeverFailsOnOddInput(t *testing.T) {
	f := newSearchFixture(t)
	f.add(t, "AND OR NOT party", time.Hour)
	for _, words := range []string{
		`"`, `""`, `'`, `*`, `**`, `AND OR (`, `)`, `NEAR(a b)`, `title:party`, `-party`, `^party`, `party*`,
		`{title}: x`, `a OR`, `NOT`, `\`, `%`, `_`, "\x00", "\x02\x03", "\u0301", "e\u0301", `😀`,
		"\xff\xfe", strings.Repeat("a ", 5000), strings.Repeat(`"(`, 1000), `'; DROP TABLE events; --`,
	} {
		if _, err := f.s.SearchEvents(context.Background(), SearchQuery{Words: words, Now: f.now}); err != nil {
			t.Errorf("search %q: %v", words, err)
		}
	}
	// Query syntax typed by a visitor is searched as plain words.
	sameTitles(t, "AND OR", f.search(t, SearchQuery{Words: "and or"}), "AND OR NOT party")
	sameTitles(t, "title:party", f.search(t, SearchQuery{Words: "title:party"}))
	sameTitles(t, `"party"`, f.search(t, SearchQuery{Words: `"party`}), "AND OR NOT party")
	sameTitles(t, "only punctuation", f.search(t, SearchQuery{Words: `"*(`}))
}

func TestSearchFilters(t *testing.T) {
	f := newSearchFixture(t)
	f.add(t, "Past concert", -72*time.Hour)
	f.add(t, "Online concert", 24*time.Hour, func(e *Event) { e.Address = Address{}; e.OnlineURL = "https://example.org/live" })
	f.add(t, "Hybrid concert", 48*time.Hour, func(e *Event) { e.OnlineURL = "https://example.org/live"; e.Category = "music" })
	f.add(t, "Hall concert", 30*24*time.Hour, func(e *Event) { e.Category = "music" })
	f.add(t, "Climate march", 36*time.Hour, func(e *Event) { e.Category = "climate" })

	sameSet(t, "upcoming", f.search(t, SearchQuery{Words: "concert"}), "Online concert", "Hybrid concert", "Hall concert")
	sameSet(t, "with past", f.search(t, SearchQuery{Words: "concert", IncludePast: true}),
		"Past concert", "Online concert", "Hybrid concert", "Hall concert")
	sameSet(t, "online", f.search(t, SearchQuery{Words: "concert", Attend: AttendOnline}), "Online concert", "Hybrid concert")
	sameSet(t, "in person", f.search(t, SearchQuery{Words: "concert", Attend: AttendInPerson}), "Hybrid concert", "Hall concert")
	sameTitles(t, "category", f.search(t, SearchQuery{Category: "music"}), "Hybrid concert", "Hall concert")
	sameTitles(t, "category and words", f.search(t, SearchQuery{Words: "hall", Category: "music"}), "Hall concert")
	// A date range keeps events overlapping it.
	sameTitles(t, "from", f.search(t, SearchQuery{From: f.now.Add(7 * 24 * time.Hour)}), "Hall concert")
	sameTitles(t, "to", f.search(t, SearchQuery{To: f.now.Add(40 * time.Hour)}), "Online concert", "Climate march")
	sameTitles(t, "range", f.search(t, SearchQuery{From: f.now.Add(25 * time.Hour), To: f.now.Add(40 * time.Hour)}),
		"Online concert", "Climate march")
	sameTitles(t, "past range", f.search(t, SearchQuery{IncludePast: true, To: f.now}), "Past concert")
	// Paging.
	sameTitles(t, "page 2", f.search(t, SearchQuery{Limit: 2, Offset: 2}), "Hybrid concert", "Hall concert")
}

func TestSearchFindsOnlyListedEvents(t *testing.T) {
	f := newSearchFixture(t)
	f.add(t, "Public picnic", time.Hour)
	f.add(t, "Unlisted picnic", time.Hour, func(e *Event) { e.Visibility = VisibilityUnlisted })
	f.add(t, "Private picnic", time.Hour, func(e *Event) { e.Visibility = VisibilityPrivate })
	f.add(t, "Draft picnic", time.Hour, func(e *Event) { e.Draft = true; e.PublishedAt = nil })
	f.add(t, "Scheduled picnic", time.Hour, func(e *Event) { at := f.now.Add(30 * time.Minute); e.PublishedAt = &at })

	sameTitles(t, "now", f.search(t, SearchQuery{Words: "picnic"}), "Public picnic")
	sameTitles(t, "after publication", f.search(t, SearchQuery{Words: "picnic", Now: f.now.Add(31 * time.Minute)}),
		"Public picnic", "Scheduled picnic")

	// An edit keeps the index in step with the event.
	events, _ := f.s.SearchEvents(context.Background(), SearchQuery{Words: "public", Now: f.now})
	e := events[0]
	e.Title = "Public barbecue"
	if err := f.s.UpdateEvent(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	sameTitles(t, "after edit", f.search(t, SearchQuery{Words: "picnic"}))
	sameTitles(t, "new title", f.search(t, SearchQuery{Words: "barbecue"}), "Public barbecue")
	if err := f.s.DeleteEvent(context.Background(), e.ID); err != nil {
		t.Fatal(err)
	}
	sameTitles(t, "after delete", f.search(t, SearchQuery{Words: "barbecue"}))
}

func TestMatchExpressionQuotesEveryTerm(t *testing.T) {
	for words, want := range map[string]string{
		"fete":              `"fete"*`,
		"  folk   dance  ":  `"folk" "dance"*`,
		`a"b OR (c)`:        `"a" "b" "OR" "c"*`,
		`***`:               ``,
		"l'été à Montréal!": `"l" "été" "à" "Montréal"*`,
	} {
		if got := matchExpression(words); got != want {
			t.Errorf("matchExpression(%q) = %q, want %q", words, got, want)
		}
	}
}

func TestListsFillTagsLinksAndOrganizersOfEachEvent(t *testing.T) {
	f := newSearchFixture(t)
	_, other, err := f.s.CreateAccountWithIdentity(context.Background(), "b@example.org", "", false, NewIdentity{Username: "bea"})
	if err != nil {
		t.Fatal(err)
	}
	f.add(t, "One", time.Hour, func(e *Event) {
		e.Tags = []string{"b", "a"}
		e.Links = []Link{{Kind: "pad", URL: "https://pad.example.org/1"}, {Kind: "poll", URL: "https://poll.example.org/1"}}
	})
	f.add(t, "Two", 2*time.Hour, func(e *Event) { e.OrganizerID = other.ID })
	f.add(t, "Three", 3*time.Hour, func(e *Event) {
		e.Tags = []string{"c"}
		e.Links = []Link{{Kind: "video", URL: "https://video.example.org/3"}}
	})
	events, err := f.s.ListEvents(context.Background(), EventQuery{Now: f.now, Listed: true})
	if err != nil || len(events) != 3 {
		t.Fatalf("list: %v, %d events", err, len(events))
	}
	got := func(e *Event) string {
		var links []string
		for _, l := range e.Links {
			links = append(links, l.Kind)
		}
		return e.Title + " by " + e.Organizer.Username + " tags " + strings.Join(e.Tags, ",") + " links " + strings.Join(links, ",")
	}
	for i, want := range []string{"One by org tags a,b links pad,poll", "Two by bea tags  links ", "Three by org tags c links video"} {
		if g := got(events[i]); g != want {
			t.Errorf("event %d: %q, want %q", i, g, want)
		}
	}
}

// An event that started long ago and has not ended is still upcoming,
// however far back its start is.
func TestUpcomingListsKeepLongRunningEvents(t *testing.T) {
	f := newSearchFixture(t)
	f.add(t, "Ended yesterday", -26*time.Hour)
	f.add(t, "Summer exhibition", -60*24*time.Hour, func(e *Event) { e.EndsAt = f.now.Add(24 * time.Hour) })
	f.add(t, "Tomorrow", 24*time.Hour)
	events, err := f.s.ListEvents(context.Background(), EventQuery{Now: f.now, Listed: true})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, e := range events {
		titles = append(titles, e.Title)
	}
	sameTitles(t, "upcoming", titles, "Summer exhibition", "Tomorrow")
	sameTitles(t, "search", f.search(t, SearchQuery{}), "Summer exhibition", "Tomorrow")
	events, _ = f.s.ListEvents(context.Background(), EventQuery{Now: f.now, Listed: true, Past: true})
	if len(events) != 1 || events[0].Title != "Ended yesterday" {
		t.Errorf("past: %v", events)
	}
}

func TestMarkerFollowsTheIndexFolding(t *testing.T) {
	m := newMarker(searchTerms("fete MUSIQ"))
	if got, ok := m.mark("La Fête de la musique, fêtée"); !ok || got != "La \x02Fête\x03 de la \x02musique\x03, fêtée" {
		t.Errorf("mark: %q %v", got, ok)
	}
	if _, ok := m.mark("nothing \x02here\x03"); ok {
		t.Error("marked a text without the words")
	}
	long := strings.Repeat("word ", 100) + "the fete ends here " + strings.Repeat("tail ", 50)
	s := m.snippet(long, 10)
	if s != "…word word the \x02fete\x03 ends here tail tail tail tail…" {
		t.Errorf("snippet: %q", s)
	}
	if s := m.snippet("Short fete.", 10); s != "Short \x02fete\x03." {
		t.Errorf("short snippet: %q", s)
	}
	if s := m.snippet("no match at all", 10); s != "" {
		t.Errorf("snippet without a match: %q", s)
	}
}

func TestSearchPutsTitleMatchesAboveDescriptionsThatRepeatTheWord(t *testing.T) {
	f := newSearchFixture(t)
	f.add(t, "Garden open day", 12*time.Hour, func(e *Event) {
		e.DescriptionMD = "Choir! " + strings.Repeat("choir ", 40)
		e.DescriptionHTML = "<p>" + e.DescriptionMD + "</p>"
	})
	long := "A long evening with the neighbourhood choir and friends from the other side of the river, then songs, tea and cakes until late at night in the old market hall"
	f.add(t, long, 48*time.Hour)
	got := f.search(t, SearchQuery{Words: "choir"})
	sameTitles(t, "choir", got, long, "Garden open day")
}

func TestSearchSnippetIsPlainText(t *testing.T) {
	f := newSearchFixture(t)
	f.add(t, "Ball", 12*time.Hour, func(e *Event) {
		e.DescriptionMD = "**Bring** [your shoes](https://example.org/shoes) and *dance*"
		e.DescriptionHTML = `<p><strong>Bring</strong> <a href="https://example.org/shoes">your shoes</a> and <em>dance</em></p>`
	})
	events, err := f.s.SearchEvents(context.Background(), SearchQuery{Words: "shoes", Now: f.now})
	if err != nil || len(events) != 1 {
		t.Fatalf("search: %v %v", events, err)
	}
	if got, want := events[0].Snippet, "Bring your \x02shoes\x03 and dance"; got != want {
		t.Errorf("snippet %q, want %q", got, want)
	}
}

// A weekly series shows once in a list and in search, as its next date;
// counts agree with what the lists show.
func TestSeriesShowsOnceInListsAndSearch(t *testing.T) {
	f := newSearchFixture(t)
	ctx := context.Background()
	var occurrences []*Event
	for week := range 4 {
		occurrences = append(occurrences, f.add(t, "Sewing workshop", time.Duration(week*7*24-24)*time.Hour))
	}
	f.add(t, "Picnic", 30*time.Hour)
	err := f.s.Tx(ctx, func(tx *sql.Tx) error {
		sr := &Series{OrganizerID: f.orgID, Rule: "FREQ=WEEKLY;BYDAY=MO", FirstStart: "2026-03-09T12:00:00", Duration: 2 * time.Hour, Timezone: "Europe/Paris"}
		if err := f.s.CreateSeriesTx(ctx, tx, sr, occurrences[0].ID); err != nil {
			return err
		}
		for _, o := range occurrences[1:] {
			if err := f.s.SetEventSeriesTx(ctx, tx, o.ID, sr.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	q := EventQuery{Now: f.now, Listed: true, OnePerSeries: true}
	list, err := f.s.ListEvents(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Title+"@"+e.StartsAt.Format("01-02"))
		if e.Title == "Sewing workshop" && (e.SeriesID == 0 || e.SeriesRule != "FREQ=WEEKLY;BYDAY=MO") {
			t.Errorf("the series' card does not know its series: %d %q", e.SeriesID, e.SeriesRule)
		}
	}
	// The first occurrence has ended: the next one (in six days) stands for the series.
	sameTitles(t, "home list", got, "Picnic@03-11", "Sewing workshop@03-16")
	if n, err := f.s.CountEvents(ctx, q); err != nil || n != 2 {
		t.Errorf("count %d, %v; want 2", n, err)
	}
	sameTitles(t, "search", f.search(t, SearchQuery{Words: "sewing"}), "Sewing workshop")
	if n, err := f.s.CountSearch(ctx, SearchQuery{Words: "sewing", Now: f.now}); err != nil || n != 1 {
		t.Errorf("search count %d, %v; want 1", n, err)
	}
	// In a window holding only a later date, that date is found.
	later := f.search(t, SearchQuery{From: f.now.Add(10 * 24 * time.Hour), To: f.now.Add(16 * 24 * time.Hour)})
	sameTitles(t, "window", later, "Sewing workshop")
}

// A list of upcoming events showing each series once looks up every
// occurrence's series by a seek on events_series, and sorts nothing more
// than the same list without it: a plan sorting events per row (a
// temporary B-tree) made the home page of 10,000 events, a quarter of
// them in series, take half a second.
func TestNextOfSeriesIsASeekOnTheSeriesIndex(t *testing.T) {
	f := newSearchFixture(t)
	plan := func(q EventQuery) string {
		query, args := q.listSQL()
		rows, err := f.s.DB().Query(`EXPLAIN QUERY PLAN `+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var steps []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			steps = append(steps, detail)
		}
		return strings.Join(steps, "\n")
	}
	for _, listed := range []bool{true, false} {
		all := plan(EventQuery{Now: f.now, Listed: listed})
		once := plan(EventQuery{Now: f.now, Listed: listed, OnePerSeries: true})
		if !strings.Contains(once, "SEARCH o USING INDEX events_series (series_id=? AND starts_at>?)") ||
			strings.Count(once, "TEMP B-TREE") != strings.Count(all, "TEMP B-TREE") {
			t.Errorf("listed=%v: plan\n%s\nwant the series seek on events_series(series_id, starts_at) and no more sorts than\n%s", listed, once, all)
		}
	}
}

// A word in more events than SearchRankCap: the search ranks a bounded
// set (the newest matches that pass the filters), still title matches
// first, counts CountCap ("100+"), and pages through the set without
// repeating an event, then stops.
func TestSearchOfACommonWordRanksABoundedSet(t *testing.T) {
	f := newSearchFixture(t)
	ctx := context.Background()
	published := f.now.Add(-48 * time.Hour)
	n := SearchRankCap + 60
	err := f.s.Tx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			title := fmt.Sprintf("Meeting %d", i)
			if i%50 == 7 {
				title = fmt.Sprintf("Choir rehearsal %d", i)
			}
			e := &Event{OrganizerID: f.orgID, Title: title, DescriptionMD: "Songs with the choir of the district.",
				StartsAt: f.now.Add(time.Duration(i+1) * time.Hour), EndsAt: f.now.Add(time.Duration(i+2) * time.Hour),
				Timezone: "Europe/Paris", Category: "other", Status: StatusConfirmed, Visibility: VisibilityPublic,
				JoinMode: JoinFree, CommentModeration: CommentsAllowAll, PublishedAt: &published}
			if err := f.s.CreateEventTx(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	q := SearchQuery{Words: "choir", Now: f.now, Limit: 20}
	if c, err := f.s.CountSearch(ctx, q); err != nil || c != CountCap {
		t.Errorf("count %d (%v), want %d", c, err, CountCap)
	}
	seen := map[string]bool{}
	var titles []string
	for page := 0; ; page++ {
		q.Offset = page * q.Limit
		got := f.search(t, q)
		if page == 0 {
			// The title matches among the ranked, then the others.
			if len(got) != 20 || !strings.HasPrefix(got[0], "Choir rehearsal") || !strings.HasPrefix(got[9], "Choir rehearsal") ||
				strings.HasPrefix(got[10], "Choir rehearsal") {
				t.Errorf("first page %q: want the ten ranked title matches first", got)
			}
		}
		if len(got) == 0 {
			break
		}
		for _, title := range got {
			if seen[title] {
				t.Fatalf("page %d repeats %q", page+1, title)
			}
			seen[title] = true
		}
		titles = append(titles, got...)
		if page > n/20+1 {
			t.Fatal("the pages never end")
		}
	}
	if len(titles) != SearchRankCap {
		t.Errorf("%d events over all pages, want the %d ranked", len(titles), SearchRankCap)
	}
	// The ranked set is the newest events: the first ones added are left out.
	if seen["Meeting 0"] || !seen[fmt.Sprintf("Meeting %d", n-1)] {
		t.Errorf("ranked set: oldest in %v, newest in %v", seen["Meeting 0"], seen[fmt.Sprintf("Meeting %d", n-1)])
	}
}
