package app

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"convene/app/store"

	goical "github.com/emersion/go-ical"
)

// A remote actor's name (and any text a peer sends) cannot add lines to
// a calendar: a name carrying CRLF and END:VEVENT stays inside its
// property, and an independent parser finds one event, organised by
// that name.
func TestICalendarNameCannotInjectLines(t *testing.T) {
	ti := newTestInstance(t)
	evil := "Eve\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:injected\r\nSUMMARY:Free money\r\nX-EVIL:1"
	e := &store.Event{
		UUID: "f0f0f0f0-0000-4000-8000-000000000001", Title: "Ball\r\nEND:VEVENT\r\nX-TITLE:1", Timezone: "Europe/Paris",
		StartsAt: time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC), EndsAt: time.Date(2026, 6, 1, 20, 0, 0, 0, time.UTC),
		CreatedAt: time.Now(), UpdatedAt: time.Now(), Status: "confirmed",
		Organizer: &store.Actor{Username: "eve", Domain: "peer.example", DisplayName: evil},
		Tags:      []string{"folk\r\nX-TAG:1"},
	}
	var out bytes.Buffer
	err := ti.App.streamCalendar(t.Context(), &out, "Calendar of "+evil, "desc\r\nX-DESC:1", nil,
		func(fn func(*store.Event) error) error { return fn(e) })
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(out.String(), "\r\n") {
		for _, injected := range []string{"UID:injected", "SUMMARY:Free money", "X-EVIL", "X-TITLE", "X-TAG", "X-DESC"} {
			if strings.HasPrefix(line, injected) {
				t.Fatalf("a line was injected: %q\n%s", line, out.String())
			}
		}
	}
	if n := strings.Count(out.String(), "\nEND:VEVENT\r\n"); n != 1 {
		t.Fatalf("%d END:VEVENT lines, want 1:\n%s", n, out.String())
	}
	cal, err := goical.NewDecoder(&out).Decode()
	if err != nil {
		t.Fatalf("an independent parser rejects the calendar: %v", err)
	}
	events := cal.Events()
	if len(events) != 1 {
		t.Fatalf("%d events, want 1", len(events))
	}
	org := events[0].Props.Get(goical.PropOrganizer)
	if org == nil || !strings.HasPrefix(org.Params.Get(goical.ParamCommonName), "Eve") {
		t.Fatalf("organizer %+v", org)
	}
}
