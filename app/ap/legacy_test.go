package ap

import (
	"encoding/json"
	"time"
)

// The hand-written encoding/json structs that wrote our documents before
// they were built on go-ap, kept unchanged (renamed legacy*) as the
// baseline of BenchmarkSerialiseEvent and BenchmarkSerialiseActor.

type legacyPlace struct {
	Type      string         `json:"type"`
	ID        string         `json:"id,omitempty"`
	Name      string         `json:"name,omitempty"`
	Address   *PostalAddress `json:"address,omitempty"`
	Latitude  *float64       `json:"latitude,omitempty"`
	Longitude *float64       `json:"longitude,omitempty"`

	online *VirtualLocation
}

func (p legacyPlace) MarshalJSON() ([]byte, error) {
	type plain legacyPlace
	if p.online == nil {
		return json.Marshal(plain(p))
	}
	return json.Marshal(struct {
		plain
		Address *VirtualLocation `json:"address"`
	}{plain(p), p.online})
}

type legacyTag struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Href string `json:"href,omitempty"`
}

type legacyImage struct {
	Type      string `json:"type"`
	MediaType string `json:"mediaType,omitempty"`
	URL       string `json:"url"`
}

type legacyAttachment struct {
	Type       string `json:"type"`
	Name       string `json:"name,omitempty"`
	MediaType  string `json:"mediaType,omitempty"`
	URL        string `json:"url,omitempty"`
	Href       string `json:"href,omitempty"`
	PropertyID string `json:"propertyID,omitempty"`
	Value      string `json:"value,omitempty"`
}

type legacyEvent struct {
	Context    any               `json:"@context,omitempty"`
	Type       string            `json:"type"`
	ID         string            `json:"id"`
	URL        string            `json:"url"`
	UUID       string            `json:"uuid,omitempty"`
	Name       string            `json:"name"`
	Content    string            `json:"content"`
	ContentMap map[string]string `json:"contentMap,omitempty"`
	MediaType  string            `json:"mediaType"`
	Summary    string            `json:"summary"`

	StartTime time.Time `json:"startTime"`
	EndTime   time.Time `json:"endTime,omitzero"`
	Timezone  string    `json:"timezone"`

	Location *legacyPlace `json:"location,omitempty"`
	IsOnline bool         `json:"isOnline"`

	AttributedTo string `json:"attributedTo"`
	Actor        string `json:"actor"`

	Category string      `json:"category,omitempty"`
	Tag      []legacyTag `json:"tag"`

	JoinMode                      string `json:"joinMode"`
	ExternalParticipationURL      string `json:"externalParticipationUrl,omitempty"`
	MaximumAttendeeCapacity       int    `json:"maximumAttendeeCapacity"`
	RemainingAttendeeCapacity     *int   `json:"remainingAttendeeCapacity,omitempty"`
	ParticipantCount              int    `json:"participantCount"`
	AnonymousParticipationEnabled bool   `json:"anonymousParticipationEnabled"`
	RepliesModerationOption       string `json:"repliesModerationOption"`
	CommentsEnabled               bool   `json:"commentsEnabled"`
	Draft                         bool   `json:"draft"`

	Status     string `json:"status"`
	ICalStatus string `json:"ical:status"`
	InLanguage string `json:"inLanguage,omitempty"`

	Attachment []legacyAttachment `json:"attachment"`

	Published time.Time `json:"published,omitzero"`
	Updated   time.Time `json:"updated,omitzero"`
	To        []string  `json:"to"`
	Cc        []string  `json:"cc"`
}

type legacyActor struct {
	Context                   any                `json:"@context,omitempty"`
	Type                      string             `json:"type"`
	ID                        string             `json:"id"`
	URL                       string             `json:"url,omitempty"`
	PreferredUsername         string             `json:"preferredUsername"`
	Name                      string             `json:"name,omitempty"`
	Summary                   string             `json:"summary,omitempty"`
	Icon                      *legacyImage       `json:"icon,omitempty"`
	Image                     *legacyImage       `json:"image,omitempty"`
	Inbox                     string             `json:"inbox"`
	Outbox                    string             `json:"outbox"`
	Followers                 string             `json:"followers"`
	Following                 string             `json:"following"`
	Endpoints                 *Endpoints         `json:"endpoints,omitempty"`
	PublicKey                 PublicKey          `json:"publicKey"`
	Discoverable              bool               `json:"discoverable"`
	ManuallyApprovesFollowers bool               `json:"manuallyApprovesFollowers"`
	Attachment                []legacyAttachment `json:"attachment,omitempty"`
	Published                 time.Time          `json:"published,omitzero"`
	Suspended                 bool               `json:"suspended,omitempty"`

	Openness    string `json:"openness,omitempty"`
	Members     string `json:"members,omitempty"`
	MemberCount *int   `json:"memberCount,omitempty"`
	Events      string `json:"events,omitempty"`
}

func legacyAttachments(in []Attachment) []legacyAttachment {
	if in == nil {
		return nil
	}
	out := make([]legacyAttachment, len(in))
	for i, a := range in {
		out[i] = legacyAttachment(a)
	}
	return out
}

func legacyImageOf(i *Image) *legacyImage {
	if i == nil {
		return nil
	}
	return &legacyImage{Type: i.Type, MediaType: i.MediaType, URL: i.URL}
}

// toLegacyEvent copies an event into the old struct, field by field.
func toLegacyEvent(e *Event) *legacyEvent {
	l := &legacyEvent{
		Context: e.Context, Type: e.Type, ID: e.ID, URL: e.URL, UUID: e.UUID, Name: e.Name, Content: e.Content,
		ContentMap: e.ContentMap, MediaType: e.MediaType, Summary: e.Summary, StartTime: e.StartTime, EndTime: e.EndTime,
		Timezone: e.Timezone, IsOnline: e.IsOnline, AttributedTo: e.AttributedTo, Actor: e.Actor, Category: e.Category,
		JoinMode: e.JoinMode, ExternalParticipationURL: e.ExternalParticipationURL,
		MaximumAttendeeCapacity: e.MaximumAttendeeCapacity, RemainingAttendeeCapacity: e.RemainingAttendeeCapacity,
		ParticipantCount: e.ParticipantCount, AnonymousParticipationEnabled: e.AnonymousParticipationEnabled,
		RepliesModerationOption: e.RepliesModerationOption, CommentsEnabled: e.CommentsEnabled, Draft: e.Draft,
		Status: e.Status, ICalStatus: e.ICalStatus, InLanguage: e.InLanguage, Attachment: legacyAttachments(e.Attachment),
		Published: e.Published, Updated: e.Updated, To: e.To, Cc: e.Cc,
	}
	if p := e.Location; p != nil {
		l.Location = &legacyPlace{Type: p.Type, ID: p.ID, Name: p.Name, Address: p.Address, Latitude: p.Latitude, Longitude: p.Longitude, online: p.online}
	}
	l.Tag = make([]legacyTag, len(e.Tag))
	for i, t := range e.Tag {
		l.Tag[i] = legacyTag{Type: t.Type, Name: t.Name, Href: t.Href}
	}
	return l
}

// toLegacyActor copies an actor into the old struct, field by field.
func toLegacyActor(a *Actor) *legacyActor {
	return &legacyActor{
		Context: a.Context, Type: a.Type, ID: a.ID, URL: a.URL, PreferredUsername: a.PreferredUsername, Name: a.Name,
		Summary: a.Summary, Icon: legacyImageOf(a.Icon), Image: legacyImageOf(a.Image), Inbox: a.Inbox, Outbox: a.Outbox,
		Followers: a.Followers, Following: a.Following, Endpoints: a.Endpoints, PublicKey: a.PublicKey,
		Discoverable: a.Discoverable, ManuallyApprovesFollowers: a.ManuallyApprovesFollowers,
		Attachment: legacyAttachments(a.Attachment), Published: a.Published, Suspended: a.Suspended,
		Openness: a.Openness, Members: a.Members, MemberCount: a.MemberCount, Events: a.Events,
	}
}

// legacyOrderedCollection is app/actors.go's orderedCollection as it was
// before collections were built on go-ap.
type legacyOrderedCollection struct {
	Context      any    `json:"@context,omitempty"`
	Type         string `json:"type"`
	ID           string `json:"id"`
	TotalItems   *int   `json:"totalItems,omitempty"`
	First        string `json:"first,omitempty"`
	PartOf       string `json:"partOf,omitempty"`
	Next         string `json:"next,omitempty"`
	Prev         string `json:"prev,omitempty"`
	OrderedItems []any  `json:"orderedItems,omitempty"`
}
