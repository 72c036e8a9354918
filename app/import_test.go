package app

import (
	"os"
	"strings"
	"testing"
	"time"

	"convene/app/i18n"
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
