package app

// Importing events from an iCalendar file or URL (exports of Facebook,
// Google Calendar, Nextcloud, Meetup). The reader is tolerant: a bad line
// or a broken event is reported with its line number and skipped, and the
// good events are still offered. Nothing is written before the organiser
// confirms the preview, and then everything in one transaction.

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"convene/app/i18n"
	"convene/app/store"

	"github.com/teambition/rrule-go"
)

const (
	maxImportBytes       = 10 << 20
	maxImportEvents      = 2000
	maxImportLineBytes   = 64 << 10
	maxImportOccurrences = 100 // per repeating event
	maxImportProblems    = 50  // problems listed; more are counted
)

// icsProperty is one unfolded content line.
type icsProperty struct {
	Name   string
	Params map[string]string
	Value  string
	Line   int
}

// importedEvent is an event read from a calendar, not stored yet.
type importedEvent struct {
	UID   string // UID, plus the start for an occurrence of a repeating event
	Line  int    // where its BEGIN:VEVENT is
	Event store.Event
}

// icsImport is what a calendar file yields: events to offer and problems
// to tell.
type icsImport struct {
	Name     string
	Events   []importedEvent
	Problems []string
	More     int // problems not listed
}

func (im *icsImport) problem(l *i18n.Printer, line int, msg string, args ...any) {
	if len(im.Problems) >= maxImportProblems {
		im.More++
		return
	}
	text := l.T(msg, args...)
	if line > 0 {
		text = l.T("Line %d: %s", line, text)
	}
	im.Problems = append(im.Problems, text)
}

// errImportTooBig is returned when the calendar is over maxImportBytes.
var errImportTooBig = errors.New("calendar too big")

// icsUnescape reads an iCalendar TEXT value.
var icsUnescape = strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\N`, "\n", `\,`, `,`, `\;`, `;`)

// parseContentLine splits NAME;PARAM=V;...:VALUE, minding quoted values.
func parseContentLine(s string) (icsProperty, bool) {
	var p icsProperty
	i := strings.IndexAny(s, ";:")
	if i <= 0 {
		return p, false
	}
	p.Name = strings.ToUpper(s[:i])
	rest := s[i:]
	for strings.HasPrefix(rest, ";") {
		rest = rest[1:]
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return p, false
		}
		key := strings.ToUpper(rest[:eq])
		rest = rest[eq+1:]
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return p, false
			}
			val, rest = rest[1:end+1], rest[end+2:]
		} else {
			end := strings.IndexAny(rest, ";:")
			if end < 0 {
				return p, false
			}
			val, rest = rest[:end], rest[end:]
		}
		if p.Params == nil {
			p.Params = map[string]string{}
		}
		p.Params[key] = val
	}
	if !strings.HasPrefix(rest, ":") {
		return p, false
	}
	p.Value = rest[1:]
	return p, true
}

// readCalendar parses an iCalendar stream into events, for the organiser
// organizerID, reading times in defaultZone when the file gives none.
// It stops with errImportTooBig past maxImportBytes.
func readCalendar(l *i18n.Printer, r io.Reader, defaultZone *time.Location, now time.Time) (*icsImport, error) {
	return readCalendarReporting(l, r, defaultZone, now, nil)
}

// readCalendarReporting is readCalendar telling onEvent, when not nil, how
// many events it has read so far, for a page that shows progress.
func readCalendarReporting(l *i18n.Printer, r io.Reader, defaultZone *time.Location, now time.Time, onEvent func(events int)) (*icsImport, error) {
	im := &icsImport{}
	br := bufio.NewReaderSize(io.LimitReader(r, maxImportBytes+1), 64<<10)
	var read int64
	lineNo := 0
	var pending string
	pendingLine := 0
	var stack []string
	var event []icsProperty
	eventLine := 0
	zone := defaultZone
	sawCalendar := false
	tooMany := false

	handle := func(text string, line int) {
		if text == "" {
			return
		}
		p, ok := parseContentLine(text)
		if !ok {
			im.problem(l, line, "this is not an iCalendar line, it was skipped.")
			return
		}
		switch p.Name {
		case "BEGIN":
			v := strings.ToUpper(p.Value)
			stack = append(stack, v)
			if v == "VCALENDAR" {
				sawCalendar = true
			}
			if v == "VEVENT" && len(stack) == 2 {
				event, eventLine = event[:0], line
			}
			return
		case "END":
			v := strings.ToUpper(p.Value)
			if len(stack) == 0 || stack[len(stack)-1] != v {
				im.problem(l, line, "END:%s does not close what was opened.", v)
				return
			}
			stack = stack[:len(stack)-1]
			if v == "VEVENT" && len(stack) == 1 {
				if len(im.Events) >= maxImportEvents {
					tooMany = true
					return
				}
				im.addEvent(l, event, eventLine, zone, now)
				if onEvent != nil {
					onEvent(len(im.Events))
				}
			}
			return
		}
		if len(stack) == 1 && stack[0] == "VCALENDAR" {
			switch p.Name {
			case "X-WR-CALNAME", "NAME":
				im.Name = icsUnescape.Replace(p.Value)
			case "X-WR-TIMEZONE":
				if loc, err := time.LoadLocation(p.Value); err == nil {
					zone = loc
				} else {
					im.problem(l, line, "the calendar's time zone %q is unknown; times without a zone are read in %s.", p.Value, zone.String())
				}
			}
		}
		if len(stack) == 2 && stack[1] == "VEVENT" {
			p.Line = line
			event = append(event, p)
		}
	}

	for {
		raw, err := br.ReadString('\n')
		read += int64(len(raw))
		if read > maxImportBytes {
			return nil, errImportTooBig
		}
		if raw != "" {
			lineNo++
			text := strings.TrimRight(raw, "\r\n")
			if len(text) > maxImportLineBytes {
				im.problem(l, lineNo, "this line is too long, it was skipped.")
				text = ""
			}
			if strings.HasPrefix(text, " ") || strings.HasPrefix(text, "\t") {
				// A folded line continues the one before.
				if len(pending)+len(text) <= maxImportLineBytes {
					pending += text[1:]
				}
			} else {
				handle(pending, pendingLine)
				pending, pendingLine = text, lineNo
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	handle(pending, pendingLine)
	if !sawCalendar {
		im.problem(l, 0, "This is not an iCalendar file (no BEGIN:VCALENDAR).")
	} else if len(stack) > 0 {
		im.problem(l, lineNo, "the file ends before END:%s: it may be cut off.", stack[len(stack)-1])
	}
	if tooMany {
		im.problem(l, 0, "The calendar has more than %d events: only the first %d are offered.", maxImportEvents, maxImportEvents)
	}
	return im, nil
}

// icsTime reads a DATE-TIME or DATE property: UTC with Z, in its TZID,
// else in zone. allDay is true for a VALUE=DATE.
func icsTime(p icsProperty, zone *time.Location) (t time.Time, allDay bool, problem string, args []any) {
	loc := zone
	if tzid := p.Params["TZID"]; tzid != "" {
		l, err := time.LoadLocation(strings.Trim(tzid, "/"))
		if err != nil {
			// Windows names and custom zones: not ours to guess.
			return time.Time{}, false, "the time zone %q is unknown.", []any{tzid}
		}
		loc = l
	}
	v := strings.TrimSpace(p.Value)
	if p.Params["VALUE"] == "DATE" || len(v) == 8 {
		d, err := time.ParseInLocation("20060102", v, loc)
		if err != nil {
			return time.Time{}, false, "%s is not a date: %q.", []any{p.Name, v}
		}
		return d, true, "", nil
	}
	if strings.HasSuffix(v, "Z") {
		d, err := time.Parse("20060102T150405Z", v)
		if err != nil {
			return time.Time{}, false, "%s is not a date and time: %q.", []any{p.Name, v}
		}
		return d, false, "", nil
	}
	d, err := time.ParseInLocation("20060102T150405", v, loc)
	if err != nil {
		return time.Time{}, false, "%s is not a date and time: %q.", []any{p.Name, v}
	}
	return d, false, "", nil
}

// addEvent turns a VEVENT's properties into events (several when it
// repeats), or a problem naming its line.
func (im *icsImport) addEvent(l *i18n.Printer, props []icsProperty, line int, zone *time.Location, now time.Time) {
	get := func(name string) (icsProperty, bool) {
		for _, p := range props {
			if p.Name == name {
				return p, true
			}
		}
		return icsProperty{}, false
	}
	text := func(name string) string {
		p, _ := get(name)
		return strings.TrimSpace(icsUnescape.Replace(p.Value))
	}
	title := text("SUMMARY")
	if title == "" {
		title = l.T("Untitled event")
	}
	title = truncateRunes(title, maxTitle)
	startProp, ok := get("DTSTART")
	if !ok {
		im.problem(l, line, "the event %q has no start (DTSTART), it was skipped.", title)
		return
	}
	start, allDay, msg, args := icsTime(startProp, zone)
	if msg != "" {
		im.problem(l, startProp.Line, l.T("the event %q was skipped: ", title)+l.T(msg, args...))
		return
	}
	var end time.Time
	if p, ok := get("DTEND"); ok {
		var m string
		end, _, m, args = icsTime(p, start.Location())
		if m != "" {
			im.problem(l, p.Line, l.T("the event %q was skipped: ", title)+l.T(m, args...))
			return
		}
	}
	if end.IsZero() || !end.After(start) {
		if allDay {
			end = start.AddDate(0, 0, 1)
		} else {
			end = start.Add(time.Hour)
		}
	}
	uid := text("UID")
	if uid == "" {
		h := sha256.Sum256([]byte(title + start.String()))
		uid = "no-uid-" + hex.EncodeToString(h[:8])
	}
	if rid, ok := get("RECURRENCE-ID"); ok {
		uid += "/" + strings.TrimSpace(rid.Value)
	}
	e := store.Event{
		Title:                  title,
		DescriptionMD:          truncateRunes(text("DESCRIPTION"), maxDescription),
		StartsAt:               start.UTC(),
		EndsAt:                 end.UTC(),
		Timezone:               start.Location().String(),
		Category:               "other",
		Status:                 store.StatusConfirmed,
		Visibility:             store.VisibilityPublic,
		JoinMode:               store.JoinFree,
		CommentModeration:      store.CommentsAllowAll,
		AnonymousParticipation: true,
	}
	if e.Timezone == "Local" {
		e.Timezone = "UTC"
	}
	switch strings.ToUpper(text("STATUS")) {
	case "CANCELLED":
		e.Status = store.StatusCancelled
	case "TENTATIVE":
		e.Status = store.StatusTentative
	}
	if loc := text("LOCATION"); loc != "" {
		if validWebURL(nil, loc) == "" {
			e.OnlineURL = truncateRunes(loc, maxURL)
		} else {
			e.Address.Venue = truncateRunes(loc, maxPlacePart)
		}
	}
	if u := text("URL"); e.OnlineURL == "" && validWebURL(nil, u) == "" && u != "" {
		e.Links = []store.Link{{Kind: "other", Title: "", URL: truncateRunes(u, maxURL)}}
	}
	e.DescriptionHTML = renderMarkdown(e.DescriptionMD)

	rule, repeats := get("RRULE")
	if !repeats {
		im.Events = append(im.Events, importedEvent{UID: uid, Line: line, Event: e})
		return
	}
	opt, err := rrule.StrToROptionInLocation(rule.Value, start.Location())
	if err != nil {
		im.problem(l, rule.Line, "the event %q repeats by a rule that cannot be read; only its first date is offered.", title)
		im.Events = append(im.Events, importedEvent{UID: uid, Line: line, Event: e})
		return
	}
	opt.Dtstart = start
	r, err := rrule.NewRRule(*opt)
	if err != nil {
		im.problem(l, rule.Line, "the event %q repeats by a rule that cannot be read; only its first date is offered.", title)
		im.Events = append(im.Events, importedEvent{UID: uid, Line: line, Event: e})
		return
	}
	// Each date becomes an event, from today to the recurrence window;
	// a rule without end is cut there and said so.
	horizon := now.Add(recurrenceWindow)
	dates := r.Between(now.Add(-24*time.Hour), horizon, true)
	if len(dates) > maxImportOccurrences {
		dates = dates[:maxImportOccurrences]
	}
	if opt.Count == 0 && opt.Until.IsZero() {
		im.problem(l, rule.Line, "the event %q repeats without end: its dates until %s are offered.", title, l.Date(horizon.In(start.Location())))
	}
	length := end.Sub(start)
	for _, d := range dates {
		occ := e
		occ.StartsAt, occ.EndsAt = d.UTC(), d.Add(length).UTC()
		im.Events = append(im.Events, importedEvent{UID: uid + "/" + d.UTC().Format(icalUTCFormat), Line: line, Event: occ})
	}
}

// digest fingerprints what an imported event says, so a re-sync touches
// only the events that changed.
func (ie importedEvent) digest() string {
	e := ie.Event
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d\x00%s\x00%s\x00%s\x00%s", e.Title, e.DescriptionMD, e.StartsAt.Unix(), e.EndsAt.Unix(),
		e.Timezone, e.Status, e.Address.Venue, e.OnlineURL)
	return hex.EncodeToString(h.Sum(nil)[:16])
}
