package ap

import (
	"fmt"
	"strings"
	"time"

	vocab "github.com/go-ap/activitypub"
)

// Join modes, in Mobilizon's words ("restricted" is what we call approval).
const (
	JoinModeFree       = "free"
	JoinModeRestricted = "restricted"
	JoinModeInvite     = "invite"
	JoinModeExternal   = "external"
)

// Comment moderation options, in Mobilizon's words.
const (
	RepliesAllowAll  = "allow_all"
	RepliesModerated = "moderated"
	RepliesClosed    = "closed"
)

// Event statuses, as both iCalendar and Mobilizon spell them.
const (
	StatusTentative = "TENTATIVE"
	StatusConfirmed = "CONFIRMED"
	StatusCancelled = "CANCELLED"
)

// Event is an event as we publish it, in the Mobilizon 5.x dialect.
// StartTime and EndTime are kept in the event's own zone so the offset on
// the wire is the one people there live with.
type Event struct {
	Context any    `json:"@context,omitempty"`
	Type    string `json:"type"`
	ID      string `json:"id"`
	URL     string `json:"url"`
	UUID    string `json:"uuid,omitempty"`
	Name    string `json:"name"`
	Content string `json:"content"`
	// ContentMap is Content keyed by the event's language, where
	// Mastodon-API servers read a post's language.
	ContentMap map[string]string `json:"contentMap,omitempty"`
	MediaType  string            `json:"mediaType"`
	// Summary is a plain line (title, date, zone, place): it is what
	// Mastodon and GoToSocial show of an event.
	Summary string `json:"summary"`

	StartTime time.Time `json:"startTime"`
	EndTime   time.Time `json:"endTime,omitzero"`
	Timezone  string    `json:"timezone"`

	Location *Place `json:"location,omitempty"`
	IsOnline bool   `json:"isOnline"`

	// AttributedTo is the group the event belongs to, or the organiser;
	// Actor is always the organiser.
	AttributedTo string `json:"attributedTo"`
	Actor        string `json:"actor"`

	Category string `json:"category,omitempty"`
	Tag      []Tag  `json:"tag"`

	JoinMode                      string `json:"joinMode"`
	ExternalParticipationURL      string `json:"externalParticipationUrl,omitempty"`
	MaximumAttendeeCapacity       int    `json:"maximumAttendeeCapacity"` // 0: unlimited, as in Mobilizon
	RemainingAttendeeCapacity     *int   `json:"remainingAttendeeCapacity,omitempty"`
	ParticipantCount              int    `json:"participantCount"`
	AnonymousParticipationEnabled bool   `json:"anonymousParticipationEnabled"`
	RepliesModerationOption       string `json:"repliesModerationOption"`
	CommentsEnabled               bool   `json:"commentsEnabled"`
	Draft                         bool   `json:"draft"`

	// Status and ICalStatus carry the same value: current Mobilizon reads
	// "status", older releases "ical:status".
	Status     string `json:"status"`
	ICalStatus string `json:"ical:status"`
	InLanguage string `json:"inLanguage,omitempty"`

	Attachment []Attachment `json:"attachment"`

	Published time.Time `json:"published,omitzero"`
	Updated   time.Time `json:"updated,omitzero"`
	To        []string  `json:"to"`
	Cc        []string  `json:"cc"`
}

// MarshalJSON writes the event, with its @context if it is the top-level
// document.
func (e Event) MarshalJSON() ([]byte, error) { return marshalDoc(e.Context, e.item()) }

// item is the event on go-ap's vocab.Object of type Event, with
// Mobilizon's extensions. startTime and endTime are ours: go-ap would
// write them in UTC, and the offset is the wall clock of the event's place.
// contentMap too: go-ap writes a one-language value as content only.
func (e Event) item() vocab.Item {
	o := &vocab.Object{Type: asType(e.Type), ID: asIRI(e.ID), MediaType: asMime(e.MediaType)}
	x := ext{Item: o}
	f := &x.f
	if e.Type == "" {
		f.str("type", "")
	}
	if e.ID == "" {
		f.str("id", "")
	}
	if e.URL != "" {
		o.URL = asIRI(e.URL)
	} else {
		f.str("url", "")
	}
	if e.MediaType == "" {
		f.str("mediaType", "")
	}
	if n, ok := asNL(e.Name); ok {
		o.Name = n
	} else {
		f.str("name", e.Name)
	}
	if n, ok := asNL(e.Content); ok {
		o.Content = n
	} else {
		f.str("content", e.Content)
	}
	if n, ok := asNL(e.Summary); ok {
		o.Summary = n
	} else {
		f.str("summary", e.Summary)
	}
	if e.AttributedTo != "" {
		o.AttributedTo = asIRI(e.AttributedTo)
	} else {
		f.str("attributedTo", "")
	}
	if e.Location != nil {
		o.Location = e.Location.item()
	}
	if len(e.Tag) > 0 {
		o.Tag = tagList(e.Tag)
	} else {
		f.raw("tag", emptyList(e.Tag == nil))
	}
	if len(e.Attachment) > 0 {
		o.Attachment = attachmentList(e.Attachment)
	} else {
		f.raw("attachment", emptyList(e.Attachment == nil))
	}
	if len(e.To) > 0 {
		o.To = asIRIs(e.To).ItemCollection
	} else {
		f.strings("to", e.To)
	}
	if len(e.Cc) > 0 {
		o.CC = asIRIs(e.Cc).ItemCollection
	} else {
		f.strings("cc", e.Cc)
	}
	setTimes(o, f, e.Published, e.Updated)

	f.strOmit("uuid", e.UUID)
	if e.ContentMap != nil {
		f.json("contentMap", e.ContentMap)
	}
	f.time("startTime", e.StartTime)
	if !e.EndTime.IsZero() {
		f.time("endTime", e.EndTime)
	}
	f.str("timezone", e.Timezone)
	f.boolean("isOnline", e.IsOnline)
	f.str("actor", e.Actor)
	f.strOmit("category", e.Category)
	f.str("joinMode", e.JoinMode)
	f.strOmit("externalParticipationUrl", e.ExternalParticipationURL)
	f.int("maximumAttendeeCapacity", e.MaximumAttendeeCapacity)
	if e.RemainingAttendeeCapacity != nil {
		f.int("remainingAttendeeCapacity", *e.RemainingAttendeeCapacity)
	}
	f.int("participantCount", e.ParticipantCount)
	f.boolean("anonymousParticipationEnabled", e.AnonymousParticipationEnabled)
	f.str("repliesModerationOption", e.RepliesModerationOption)
	f.boolean("commentsEnabled", e.CommentsEnabled)
	f.boolean("draft", e.Draft)
	f.str("status", e.Status)
	f.str("ical:status", e.ICalStatus)
	f.strOmit("inLanguage", e.InLanguage)
	return x
}

// emptyList is an empty list as encoding/json wrote it: null when nil.
func emptyList(isNil bool) string {
	if isNil {
		return "null"
	}
	return "[]"
}

// NewEvent builds a public, confirmed, freely joinable event with comments
// open. Times are converted to zone, whose IANA name goes in timezone; end
// may be zero. The caller sets the rest (place, capacity, attachments, ...)
// and addressing (SetAudience).
func NewEvent(id, organizer, name string, start, end time.Time, zone *time.Location) *Event {
	if zone == nil {
		zone = time.UTC
	}
	e := &Event{
		Context:                 Context(),
		Type:                    TypeEvent,
		ID:                      id,
		URL:                     id,
		Name:                    name,
		MediaType:               "text/html",
		StartTime:               start.In(zone).Truncate(time.Second),
		Timezone:                zone.String(),
		AttributedTo:            organizer,
		Actor:                   organizer,
		Tag:                     []Tag{},
		JoinMode:                JoinModeFree,
		RepliesModerationOption: RepliesAllowAll,
		CommentsEnabled:         true,
		Attachment:              []Attachment{},
		To:                      []string{Public},
		Cc:                      []string{},
	}
	if !end.IsZero() {
		e.EndTime = end.In(zone).Truncate(time.Second)
	}
	e.SetStatus(StatusConfirmed)
	return e
}

// SetStatus sets both status fields.
func (e *Event) SetStatus(status string) {
	e.Status, e.ICalStatus = status, status
}

// SetRepliesModeration sets the comment moderation option and the
// PeerTube-style commentsEnabled flag Mastodon-side software reads.
func (e *Event) SetRepliesModeration(option string) {
	e.RepliesModerationOption = option
	e.CommentsEnabled = option != RepliesClosed
}

// SetAudience addresses a public event to everyone with cc followers, or an
// unlisted one to followers only (never to Public).
func (e *Event) SetAudience(followers string, public bool) {
	if public {
		e.To, e.Cc = []string{Public}, []string{followers}
	} else {
		e.To, e.Cc = []string{followers}, []string{}
	}
}

// SetOnlineAddress adds the online address as the Link attachment Mobilizon
// reads; online marks an event that happens only online.
func (e *Event) SetOnlineAddress(url string, online bool) {
	e.Attachment = append(e.Attachment, NewOnlineAddress(url))
	e.IsOnline = online
}

// SummaryLine is the plain line we put in an event's summary: start (and
// end) in the event's zone, the zone's name, the place. Language-neutral
// ISO dates, because the summary is read by people of every locale.
func SummaryLine(start, end time.Time, zone *time.Location, place string) string {
	if zone == nil {
		zone = time.UTC
	}
	start = start.In(zone)
	when := start.Format("2006-01-02 15:04")
	if !end.IsZero() {
		end = end.In(zone)
		if end.Format("2006-01-02") == start.Format("2006-01-02") {
			when += "–" + end.Format("15:04")
		} else {
			when += " – " + end.Format("2006-01-02 15:04")
		}
	}
	parts := []string{when, zone.String()}
	if place = strings.TrimSpace(place); place != "" {
		parts = append(parts, place)
	}
	return strings.Join(parts, " – ")
}

// PlaceLine is a one-line description of a place for SummaryLine.
func (p *Place) PlaceLine() string {
	if p == nil {
		return ""
	}
	var parts []string
	if p.Name != "" {
		parts = append(parts, p.Name)
	}
	if a := p.Address; a != nil {
		for _, s := range []string{a.StreetAddress, strings.TrimSpace(fmt.Sprint(a.PostalCode, " ", a.AddressLocality)), a.AddressCountry} {
			if s = strings.TrimSpace(s); s != "" && s != p.Name {
				parts = append(parts, s)
			}
		}
	}
	return strings.Join(parts, ", ")
}
