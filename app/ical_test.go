package app

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"convene/app/store"

	goical "github.com/emersion/go-ical"
)

// decodeCalendar reads our output with an independent iCalendar parser.
func decodeCalendar(t *testing.T, body string) *goical.Calendar {
	t.Helper()
	cal, err := goical.NewDecoder(strings.NewReader(body)).Decode()
	if err != nil {
		t.Fatalf("an independent parser cannot read the calendar: %v\n%s", err, body)
	}
	return cal
}

// checkContentLines checks the framing RFC 5545 asks for: CRLF line ends
// and lines of at most 75 octets.
func checkContentLines(t *testing.T, body string) {
	t.Helper()
	if !strings.HasSuffix(body, "END:VCALENDAR\r\n") {
		t.Errorf("calendar does not end with END:VCALENDAR CRLF")
	}
	for i, line := range strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n") {
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i+1, line)
		}
		if len(line) > 75 {
			t.Errorf("line %d is %d octets long: %q", i+1, len(line), line)
		}
	}
}

func eventsByTitle(t *testing.T, cal *goical.Calendar) map[string]goical.Event {
	t.Helper()
	out := map[string]goical.Event{}
	for _, ev := range cal.Events() {
		title, err := ev.Props.Text(goical.PropSummary)
		if err != nil {
			t.Fatal(err)
		}
		out[title] = ev
	}
	return out
}

func TestCalendarsSurviveAnIndependentParser(t *testing.T) {
	ti := newTestInstance(t)
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	paris, _ := time.LoadLocation("Europe/Paris")
	newYork, _ := time.LoadLocation("America/New_York")
	winter := time.Date(2031, time.January, 15, 19, 0, 0, 0, paris)
	summer := time.Date(2031, time.July, 15, 19, 0, 0, 0, paris)
	description := "Line one, with a comma; and a semicolon.\nLine two: \\ backslash — « guillemets » 日本語.\r\nLine three is long enough to be folded across several content lines by the writer, surely."
	storeEvent(t, ti, alice, func(e *store.Event) {
		e.Title = "Bal folk, «hiver»; à Zürich"
		e.StartsAt, e.EndsAt = winter, winter.Add(3*time.Hour)
		e.DescriptionMD = description
		e.Tags = []string{"folk", "danse"}
	})
	storeEvent(t, ti, alice, func(e *store.Event) {
		e.Title = "Summer class"
		e.StartsAt, e.EndsAt = summer, summer.Add(time.Hour)
	})
	nyStart := time.Date(2031, time.March, 20, 18, 30, 0, 0, newYork)
	storeEvent(t, ti, alice, func(e *store.Event) {
		e.Title = "Cancelled in New York"
		e.Timezone = "America/New_York"
		e.StartsAt, e.EndsAt = nyStart, nyStart.Add(90*time.Minute)
		e.Status = store.StatusCancelled
		e.Address = store.Address{}
		e.OnlineURL = "https://video.example.org/room"
	})
	storeEvent(t, ti, alice, func(e *store.Event) { e.Title = "Not public"; e.Visibility = store.VisibilityUnlisted })

	for _, path := range []string{"/calendar.ics", "/feeds/@alice.ics", "/feeds/tags/folk.ics", "/feeds/categories/music.ics"} {
		res, body := ti.get(t, ti.client(), path)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/calendar") {
			t.Fatalf("%s: status %d, type %q", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		checkContentLines(t, body)
		cal := decodeCalendar(t, body)
		events := eventsByTitle(t, cal)
		if _, ok := events["Not public"]; ok {
			t.Errorf("%s: an unlisted event is in a public calendar", path)
		}
		if path == "/feeds/tags/folk.ics" {
			if len(events) != 1 {
				t.Errorf("%s: %d events, want the one tagged folk", path, len(events))
			}
		} else if len(events) != 3 {
			t.Errorf("%s: %d events, want 3", path, len(events))
		}

		ev, ok := events["Bal folk, «hiver»; à Zürich"]
		if !ok {
			t.Fatalf("%s: non-ASCII title with a comma and a semicolon did not survive: %v", path, events)
		}
		if got, _ := ev.Props.Text(goical.PropDescription); !strings.HasPrefix(got, strings.ReplaceAll(description, "\r\n", "\n")) {
			t.Errorf("%s: description came back as %q", path, got)
		}
		start := ev.Props.Get(goical.PropDateTimeStart)
		if start.Params.Get(goical.ParamTimezoneID) != "Europe/Paris" {
			t.Errorf("%s: DTSTART TZID %q", path, start.Params.Get(goical.ParamTimezoneID))
		}
		if got, err := ev.DateTimeStart(nil); err != nil || !got.Equal(winter) {
			t.Errorf("%s: winter start %v (%v), want %v", path, got, err, winter)
		}
		if got, _ := ev.Props.Text(goical.PropUID); !strings.HasSuffix(got, "@"+ti.App.Host()) {
			t.Errorf("%s: UID %q", path, got)
		}
		if path == "/feeds/tags/folk.ics" {
			continue
		}
		// Across the daylight-saving change, the summer event is still at
		// 19:00 local, which is 17:00 UTC instead of 18:00.
		sev := events["Summer class"]
		got, err := sev.DateTimeStart(nil)
		if err != nil || !got.Equal(summer) || got.UTC().Hour() != 17 {
			t.Errorf("%s: summer start %v (%v), want %v", path, got, err, summer)
		}
		cev := events["Cancelled in New York"]
		if st, _ := cev.Status(); st != goical.EventCancelled {
			t.Errorf("%s: cancelled event has status %q", path, st)
		}
		if got, err := cev.DateTimeStart(nil); err != nil || !got.Equal(nyStart) {
			t.Errorf("%s: New York start %v, want %v", path, got, nyStart)
		}
		if loc, _ := cev.Props.Text(goical.PropLocation); loc != "https://video.example.org/room" {
			t.Errorf("%s: online location %q", path, loc)
		}
		// Every TZID used has its VTIMEZONE, whose offsets are right.
		zones := map[string]*goical.Component{}
		for _, c := range cal.Children {
			if c.Name == goical.CompTimezone {
				id, _ := c.Props.Text(goical.PropTimezoneID)
				zones[id] = c
			}
		}
		for _, id := range []string{"Europe/Paris", "America/New_York"} {
			z, ok := zones[id]
			if !ok {
				t.Errorf("%s: no VTIMEZONE for %s", path, id)
				continue
			}
			offsets := map[string]bool{}
			for _, o := range z.Children {
				v := o.Props.Get(goical.PropTimezoneOffsetTo).Value
				offsets[o.Name+v] = true
			}
			want := map[string][]string{"Europe/Paris": {"STANDARD+0100", "DAYLIGHT+0200"}, "America/New_York": {"STANDARD-0500", "DAYLIGHT-0400"}}[id]
			for _, w := range want {
				if !offsets[w] {
					t.Errorf("%s: VTIMEZONE %s lacks %s: %v", path, id, w, offsets)
				}
			}
		}
	}
}

func TestEventCalendarFile(t *testing.T) {
	ti := newTestInstance(t)
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	e := storeEvent(t, ti, alice, nil)
	draft := storeEvent(t, ti, alice, func(e *store.Event) { e.Draft = true; e.PublishedAt = nil })
	anon := ti.client()

	res, body := ti.get(t, anon, "/events/"+e.UUID+"/calendar.ics")
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), "folk-dance-class.ics") {
		t.Fatalf("status %d, disposition %q", res.StatusCode, res.Header.Get("Content-Disposition"))
	}
	checkContentLines(t, body)
	ev := decodeCalendar(t, body).Events()
	if len(ev) != 1 {
		t.Fatalf("%d events in one event's file", len(ev))
	}
	if seq, _ := ev[0].Props.Get(goical.PropSequence).Int(); seq != 0 {
		t.Errorf("SEQUENCE %d, want 0", seq)
	}
	uid, _ := ev[0].Props.Text(goical.PropUID)

	// An edit bumps SEQUENCE and keeps the UID.
	e.Title = "Folk dance class, new room"
	if err := ti.App.store.UpdateEvent(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	_, body = ti.get(t, anon, "/events/"+e.UUID+"/calendar.ics")
	ev = decodeCalendar(t, body).Events()
	if seq, _ := ev[0].Props.Get(goical.PropSequence).Int(); seq != 1 {
		t.Errorf("SEQUENCE after an edit %d, want 1", seq)
	}
	if again, _ := ev[0].Props.Text(goical.PropUID); again != uid {
		t.Errorf("UID changed on edit: %q then %q", uid, again)
	}

	// A draft is nobody's business but its organizer's.
	if res, _ := ti.get(t, anon, "/events/"+draft.UUID+"/calendar.ics"); res.StatusCode != http.StatusNotFound {
		t.Errorf("a draft's .ics for a visitor: status %d", res.StatusCode)
	}
	owner := ti.login(t, "alice@example.org", "correct horse battery")
	if res, _ := ti.get(t, owner, "/events/"+draft.UUID+"/calendar.ics"); res.StatusCode != http.StatusOK {
		t.Errorf("a draft's .ics for its organizer: status %d", res.StatusCode)
	}
	if res, _ := ti.get(t, anon, "/events/00000000-0000-0000-0000-000000000000/calendar.ics"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown event .ics: status %d", res.StatusCode)
	}
}
