package app

import (
	"bytes"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"convene/app/i18n"
	"convene/app/store"
)

func readTestCalendar(t *testing.T, name string, now time.Time) *icsImport {
	t.Helper()
	f, err := os.Open("testdata/ics/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := readCalendar(i18n.For("en"), f, time.UTC, now)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func TestReadCalendarExports(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	paris := mustZone(t, "Europe/Paris")

	g := readTestCalendar(t, "google.ics", now)
	if len(g.Problems) != 0 || len(g.Events) != 3 || g.Name != "Chorale du quartier" {
		t.Fatalf("google: %d events, problems %v, name %q", len(g.Events), g.Problems, g.Name)
	}
	concert := g.Events[0].Event
	if concert.Title != "Concert de printemps, chorale" || !concert.StartsAt.Equal(time.Date(2027, 6, 12, 19, 0, 0, 0, paris)) ||
		concert.Timezone != "Europe/Paris" || concert.EndsAt.Sub(concert.StartsAt) != 150*time.Minute {
		t.Errorf("google concert: %q %v %s %v", concert.Title, concert.StartsAt, concert.Timezone, concert.EndsAt.Sub(concert.StartsAt))
	}
	if concert.DescriptionMD != "Entrée libre; chapeau à la sortie.\nVenez nombreux !" || concert.Address.Venue != "Église Saint-Jean, 12 place du Marché, Lyon" {
		t.Errorf("google concert text: %q / %q", concert.DescriptionMD, concert.Address.Venue)
	}
	allDay := g.Events[1].Event
	// VALUE=DATE, read in the calendar's X-WR-TIMEZONE.
	if !allDay.StartsAt.Equal(time.Date(2027, 6, 21, 0, 0, 0, 0, paris)) || allDay.EndsAt.Sub(allDay.StartsAt) != 24*time.Hour {
		t.Errorf("all-day event: %v – %v", allDay.StartsAt, allDay.EndsAt)
	}
	if !strings.Contains(allDay.DescriptionMD, "longue pour être repliée sur plusieurs lignes par Google, comme") {
		t.Errorf("folded description: %q", allDay.DescriptionMD)
	}
	if g.Events[2].Event.Status != "cancelled" {
		t.Errorf("STATUS:CANCELLED read as %q", g.Events[2].Event.Status)
	}

	fb := readTestCalendar(t, "facebook.ics", now)
	if len(fb.Problems) != 0 || len(fb.Events) != 1 {
		t.Fatalf("facebook: %d events, problems %v", len(fb.Events), fb.Problems)
	}
	e := fb.Events[0].Event
	if e.Title != "Repair Café" || !strings.Contains(e.DescriptionMD, "cassés, on répare ensemble !\n\nhttps://www.facebook.com/events/123456789/") ||
		!e.StartsAt.Equal(time.Date(2027, 3, 15, 13, 0, 0, 0, time.UTC)) || fb.Events[0].UID != "e123456789@facebook.com" {
		t.Errorf("facebook event: %+v", e)
	}
}

func TestReadBrokenCalendarOffersTheGoodEvents(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	nc := readTestCalendar(t, "nextcloud-broken.ics", now)
	var titles []string
	for _, e := range nc.Events {
		titles = append(titles, e.Event.Title)
	}
	joined := strings.Join(nc.Problems, "\n")
	for _, want := range []string{
		`Line 15: the event "Forgot the start" has no start (DTSTART)`,
		`Line 21: the event "Zone from elsewhere" was skipped: the time zone "Mars/Olympus_Mons" is unknown.`,
		`Line 24: this is not an iCalendar line`,
		`Line 12: the event "Book club" repeats without end: its dates until`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("problems lack %q:\n%s", want, joined)
		}
	}
	// The weekly book club from now to the window's end (13 Tuesdays),
	// then the event that was fine.
	ny := mustZone(t, "America/New_York")
	if len(titles) != 14 || titles[13] != "Still fine" {
		t.Fatalf("events offered: %v", titles)
	}
	for _, e := range nc.Events[:13] {
		local := e.Event.StartsAt.In(ny)
		if e.Event.Title != "Book club" || local.Weekday() != time.Tuesday || local.Hour() != 18 || local.Minute() != 30 {
			t.Errorf("occurrence %q at %v", e.Event.Title, local)
		}
	}
	if nc.Events[0].Event.DescriptionMD != "We read, we talk." {
		t.Errorf("escaped comma: %q", nc.Events[0].Event.DescriptionMD)
	}
}

func TestReadCalendarLimits(t *testing.T) {
	l := i18n.For("en")
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	// 20 MB: refused as a whole, without reading it all into memory.
	big := strings.NewReader("BEGIN:VCALENDAR\r\n" + strings.Repeat("X-FILLER:"+strings.Repeat("a", 1000)+"\r\n", 20_000))
	if _, err := readCalendar(l, big, time.UTC, now); err != errImportTooBig {
		t.Errorf("a 20 MB calendar: %v", err)
	}
	// 100,000 events: the first ones are offered, and the rest said.
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\n")
	for i := range 100_000 {
		b.WriteString("BEGIN:VEVENT\r\nUID:")
		b.WriteString(strings.Repeat("x", 1) + time.Duration(i).String())
		b.WriteString("\r\nDTSTART:20270101T100000Z\r\nSUMMARY:E\r\nEND:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	im, err := readCalendar(l, strings.NewReader(b.String()), time.UTC, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Events) != maxImportEvents || !strings.Contains(strings.Join(im.Problems, "\n"), "more than 2000 events") {
		t.Errorf("100,000 events: %d offered, problems %v", len(im.Events), im.Problems)
	}
	// Not a calendar at all.
	im, _ = readCalendar(l, strings.NewReader("<html>hello</html>"), time.UTC, now)
	if len(im.Events) != 0 || !strings.Contains(strings.Join(im.Problems, "\n"), "not an iCalendar file") {
		t.Errorf("HTML read as: %v", im.Problems)
	}
}

// postCalendarFile uploads an .ics as the import form does.
func postCalendarFile(t *testing.T, ti *testInstance, c *http.Client, name string, data []byte) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, ti.URL+"/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

var importTokenPattern = regexp.MustCompile(`name="token" value="([^"]+)"`)

func TestImportFromAURLKeptInSync(t *testing.T) {
	clock := newTestClock(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))
	ti := newTestInstance(t, func(c *Config) { c.Now = clock.Now; c.UnsafeAllowPrivateFederation = true })
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	c := ti.login(t, "alice@example.org", "correct horse battery")

	google, _ := os.ReadFile("testdata/ics/google.ics")
	var mu sync.Mutex
	served := google
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "text/calendar")
		w.Write(served)
	}))
	t.Cleanup(remote.Close)

	res, page := ti.postFormBody(t, c, "/import", url.Values{"url": {remote.URL + "/basic.ics"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "3 events will be created") || !strings.Contains(page, "Concert de printemps, chorale") {
		t.Fatalf("preview: status %d\n%s", res.StatusCode, pageText(page))
	}
	if n := ti.countEvents(t); n != 0 {
		t.Fatalf("a preview created %d events", n)
	}
	token := importTokenPattern.FindStringSubmatch(page)[1]
	res = ti.postForm(t, c, "/import/confirm", url.Values{"token": {token}, "publish": {"published"}, "keep_in_sync": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: status %d", res.StatusCode)
	}
	listed, _ := ti.App.store.ListEvents(t.Context(), store.EventQuery{Now: clock.Now(), Listed: true, OrganizerID: alice.ID, Limit: 10})
	if len(listed) != 3 {
		t.Fatalf("%d listed events after importing 3", len(listed))
	}
	// The token works once.
	if res := ti.postForm(t, c, "/import/confirm", url.Values{"token": {token}, "publish": {"published"}}); res.StatusCode != http.StatusSeeOther || ti.countEvents(t) != 3 {
		t.Errorf("confirming twice: status %d, %d events", res.StatusCode, ti.countEvents(t))
	}

	// The calendar changes: the concert moves, the Fête disappears.
	mu.Lock()
	served = bytes.Replace(google, []byte("SUMMARY:Concert de printemps\\, chorale"), []byte("SUMMARY:Concert d'été"), 1)
	start := bytes.Index(served, []byte("BEGIN:VEVENT\r\nDTSTART;VALUE=DATE"))
	end := bytes.Index(served[start:], []byte("END:VEVENT\r\n")) + start + len("END:VEVENT\r\n")
	served = append(append([]byte{}, served[:start]...), served[end:]...)
	mu.Unlock()
	clock.Advance(2 * time.Hour)
	ti.App.SyncImports(t.Context())
	all, _ := ti.App.store.ListEvents(t.Context(), store.EventQuery{Now: clock.Now(), OrganizerID: alice.ID, Limit: 10})
	got := map[string]string{}
	for _, e := range all {
		got[e.Title] = e.Status
	}
	if got["Concert d'été"] != store.StatusConfirmed || got["Fête de la musique"] != store.StatusCancelled || len(all) != 3 {
		t.Errorf("after sync: %v", got)
	}
	_, page = ti.get(t, c, "/import")
	if !strings.Contains(html.UnescapeString(page), "Synced: 0 new, 1 updated, 1 cancelled.") {
		t.Errorf("the import page does not show the last sync:\n%s", pageText(page))
	}
}

func TestImportRefusesPrivateAddressesAndExplainsBrokenFiles(t *testing.T) {
	ti := newTestInstance(t) // production policy: no loopback
	ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	c := ti.login(t, "alice@example.org", "correct horse battery")
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the instance fetched a loopback address")
	}))
	t.Cleanup(remote.Close)
	for _, u := range []string{remote.URL + "/cal.ics", "https://127.0.0.1/cal.ics", "webcal://localhost/cal.ics", "ftp://example.org/x.ics", ""} {
		res, page := ti.postFormBody(t, c, "/import", url.Values{"url": {u}})
		if res.StatusCode != http.StatusUnprocessableEntity || fieldErrorsIn(page)["url"] == "" {
			t.Errorf("%q: status %d, errors %v", u, res.StatusCode, fieldErrorsIn(page))
		}
	}

	broken, _ := os.ReadFile("testdata/ics/nextcloud-broken.ics")
	res, page := postCalendarFile(t, ti, c, "broken.ics", broken)
	text := html.UnescapeString(page)
	if res.StatusCode != http.StatusOK || !strings.Contains(text, `Line 15: the event "Forgot the start" has no start (DTSTART)`) ||
		!strings.Contains(text, "Still fine") {
		t.Errorf("broken file preview: status %d\n%s", res.StatusCode, pageText(page))
	}
	big := bytes.Repeat([]byte("X-FILLER:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"), 20<<20/100)
	res, page = postCalendarFile(t, ti, c, "big.ics", big)
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(fieldErrorsIn(page)["file"], "larger than 10 MB") {
		t.Errorf("a 20 MB file: status %d, errors %v", res.StatusCode, fieldErrorsIn(page))
	}
	if ti.countEvents(t) != 0 {
		t.Errorf("previews created events")
	}
}
