package ap

// Reading what peers send: github.com/go-ap/activitypub first, our tolerant
// reader for what it drops or changes.
//
// Every document is decoded twice from the same bytes, once by each reader
// (read_goap.go explains why that is the cheap way). go-ap's readers
// (JSONGetID, JSONGetType, JSONGetItem, JSONGetTime,
// JSONGetNaturalLanguageField, JSONLoadPublicKey, ...) give the standard
// vocabulary: ids, types, actor, object, target, to/cc, inReplyTo,
// attributedTo, published/updated, name/content/summary, mediaType, url,
// startTime/endTime, the id, name and coordinates of a location, the kind,
// name, media type, href and url of an attachment, an actor's inbox,
// outbox, followers, following, sharedInbox and keys. Each value go-ap
// gives goes through the same gates as before (keepURL, clip). The
// tolerant reader (fields, below) decides wherever go-ap cannot:
//
//   - what go-ap does not know: Mobilizon's joinMode, timezone, capacity,
//     commentsEnabled, Place.address, VirtualLocation; Mastodon's
//     manuallyApprovesFollowers, discoverable, sensitive, Hashtag and
//     PropertyValue (go-ap drops unknown types: JSONLoadItem returns nil);
//   - what go-ap changes: times come back in UTC (we keep the offset the
//     peer wrote, read from the raw string; go-ap's instant is used), a
//     "type" array reads as no type, a name or content that is itself
//     valid JSON ("42") or holds a backslash sequence is re-parsed by
//     LangRefValue.UnmarshalJSON (we use go-ap's text only when it is the
//     text that was sent);
//   - odd shapes: a string address, an id in an array, a single value
//     where a list is expected, a number where a string is expected, a
//     time without an offset (read in the event's own zone), nameMap;
//   - and documents where go-ap's JSON parser (fastjson) and encoding/json
//     read different text: invalid UTF-8 or \uD800-style surrogate
//     escapes, a key sent twice (fastjson keeps the first, encoding/json and
//     the rest of Convene the last), nesting deeper than fastjson's 300.
//     There go-ap stands aside for the whole document (or object).
//
// Errors are decided as before: a document encoding/json cannot decode as
// an object is refused before go-ap sees it. A panic inside go-ap is
// recovered and the document read again by the tolerant reader alone.
//
// Every string and list is capped as it is read, so a hostile peer cannot
// make us store megabytes for one event.

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // timezone names are validated against the zone database

	"convene/app/weburl"
)

// Caps on what we keep of a remote object.
const (
	MaxNameRunes    = 1000
	MaxContentRunes = 100_000
	MaxTextRunes    = 2000 // every other string, URLs included
	MaxTags         = 50
	MaxAttachments  = 20
	MaxLocations    = 10
	MaxAudience     = 1000 // entries of to or cc
	maxAttributedTo = 10
	maxListScan     = 200 // items examined in any list, kept or not
)

var (
	ErrNotJSONObject  = errors.New("ap: not a JSON object")
	ErrUnexpectedType = errors.New("ap: object is not of the expected type")
	ErrInvalidObject  = errors.New("ap: invalid object")
)

// ObjectRef is what an activity's object (or target) can be: an id, or an
// object embedded whole. Raw keeps the embedded JSON for the caller to parse
// as what its type says, or to ignore and refetch from its origin.
type ObjectRef struct {
	ID    string
	Types []string
	Raw   json.RawMessage
}

// Embedded reports whether the object came with its content, not only its id.
func (r ObjectRef) Embedded() bool { return len(r.Raw) > 0 }

// Is reports whether the embedded object has type t.
func (r ObjectRef) Is(t string) bool { return slices.Contains(r.Types, t) }

// RemoteActivity is an activity as a peer sent it.
type RemoteActivity struct {
	ID    string
	Types []string
	Actor string
	// Object is the first object; Objects all of them (a Flag names several).
	Object               ObjectRef
	Objects              []ObjectRef
	Target               ObjectRef
	To, Cc               []string
	Published            time.Time
	Content              string
	ParticipationMessage string
}

// Is reports whether the activity has type t.
func (a *RemoteActivity) Is(t string) bool { return slices.Contains(a.Types, t) }

// Addressed reports whether the activity is addressed to the audience iri
// (Public, a followers collection, an actor) in to or cc.
func (a *RemoteActivity) Addressed(iri string) bool {
	return slices.Contains(a.To, iri) || slices.Contains(a.Cc, iri)
}

// RemoteObject is what every object has: enough for a Note (a reply) and the
// common part of an event.
type RemoteObject struct {
	ID        string
	Types     []string
	URL       string
	Name      string
	Content   string // HTML, not yet sanitised
	MediaType string
	Summary   string
	// AttributedTo lists who the object is attributed to, first the one
	// that matters (a group or an author).
	AttributedTo []string
	InReplyTo    string
	Tags         []string // hashtag names without "#"
	Attachments  []RemoteAttachment
	Published    time.Time
	Updated      time.Time
	To, Cc       []string
	Sensitive    bool
}

// Is reports whether the object has type t.
func (o *RemoteObject) Is(t string) bool { return slices.Contains(o.Types, t) }

// RemoteAttachment is one attachment of any kind: Document/Image (URL),
// Link (Href), PropertyValue (PropertyID, Value).
type RemoteAttachment struct {
	Type       string
	Name       string
	MediaType  string
	URL        string
	Href       string
	PropertyID string
	Value      string
}

// RemotePlace is a physical place. Address is set when the peer sent a
// PostalAddress, AddressText when it sent a plain string.
type RemotePlace struct {
	ID          string
	Name        string
	Address     *PostalAddress
	AddressText string
	Latitude    *float64
	Longitude   *float64
}

// RemoteEvent is an event as a peer published it.
type RemoteEvent struct {
	RemoteObject

	// Actor is the organiser when the event is attributed to a group.
	Actor string
	// StartTime and EndTime keep the offset they were written with.
	StartTime time.Time
	EndTime   time.Time
	// Timezone is the IANA zone name, when the peer sent a valid one.
	Timezone string

	Locations       []RemotePlace
	OnlineAddresses []string
	IsOnline        bool
	BannerURL       string
	Category        string

	JoinMode                      string
	ExternalParticipationURL      string
	MaximumAttendeeCapacity       *int
	RemainingAttendeeCapacity     *int
	ParticipantCount              *int
	AnonymousParticipationEnabled *bool
	RepliesModerationOption       string
	CommentsEnabled               *bool
	Draft                         bool
	Status                        string // TENTATIVE, CONFIRMED, CANCELLED, upper-cased
	InLanguage                    string
}

// Organizer is the actor who organises the event: the explicit actor when
// the peer names one (Mobilizon does, for group events), else the first
// attributedTo.
func (e *RemoteEvent) Organizer() string {
	if e.Actor != "" {
		return e.Actor
	}
	if len(e.AttributedTo) > 0 {
		return e.AttributedTo[0]
	}
	return ""
}

// OnlineAddress is the first online address, or "".
func (e *RemoteEvent) OnlineAddress() string {
	if len(e.OnlineAddresses) > 0 {
		return e.OnlineAddresses[0]
	}
	return ""
}

// Zone is the event's time zone: the named one, else the fixed offset its
// start was written with.
func (e *RemoteEvent) Zone() *time.Location {
	if e.Timezone != "" {
		if loc, err := time.LoadLocation(e.Timezone); err == nil {
			return loc
		}
	}
	return e.StartTime.Location()
}

// RemoteActor is a Person, Group, Application or Service as a peer
// publishes it.
type RemoteActor struct {
	ID                        string
	Types                     []string
	URL                       string
	PreferredUsername         string
	Name                      string
	Summary                   string
	IconURL                   string
	Inbox                     string
	Outbox                    string
	Followers                 string
	Following                 string
	SharedInbox               string
	PublicKey                 PublicKey // the first key the actor lists
	PublicKeys                []PublicKey
	ManuallyApprovesFollowers bool
	Discoverable              bool
	// Group only. The collections are read at top level, else from
	// endpoints (where Mobilizon reads them).
	Openness    string
	Members     string
	Resources   string
	Posts       string
	Events      string
	Discussions string
	MemberCount *int
}

// Is reports whether the actor has type t.
func (a *RemoteActor) Is(t string) bool { return slices.Contains(a.Types, t) }

func isActorType(t string) bool {
	switch t {
	case TypePerson, TypeGroup, TypeApplication, TypeService, TypeOrganization:
		return true
	}
	return false
}

// Key returns the actor's key with the given id.
func (a *RemoteActor) Key(keyID string) (PublicKey, bool) {
	for _, k := range a.PublicKeys {
		if k.ID == keyID {
			return k, true
		}
	}
	return PublicKey{}, false
}

// ParseActivity reads an activity. Its object is left as an ObjectRef; use
// ParseEvent, ParseObject or ParseActor on Object.Raw when it is embedded.
func ParseActivity(raw []byte) (*RemoteActivity, error) {
	return parseDoc(raw, parseActivity)
}

func parseActivity(d doc) (*RemoteActivity, error) {
	a := &RemoteActivity{
		ID:                   d.ref("id"),
		Types:                d.types(),
		Actor:                d.ref("actor"),
		To:                   d.refs("to", MaxAudience),
		Cc:                   d.refs("cc", MaxAudience),
		Published:            d.time("published", nil),
		Content:              d.text("content", MaxContentRunes),
		ParticipationMessage: d.f.text("participationMessage", MaxTextRunes),
	}
	if err := checkTopLevel(d.f, a.ID, a.Types); err != nil {
		return nil, err
	}
	// Activity types are open-ended; what makes one is an actor doing it.
	if a.Actor == "" {
		return nil, fmt.Errorf("%w: %v has no actor", ErrUnexpectedType, a.Types)
	}
	for _, it := range d.items("object", MaxAttachments) {
		if ref, ok := objectRef(it); ok {
			a.Objects = append(a.Objects, ref)
		}
	}
	if len(a.Objects) > 0 {
		a.Object = a.Objects[0]
	}
	if items := d.items("target", 1); len(items) > 0 {
		a.Target, _ = objectRef(items[0])
	}
	return a, nil
}

// ParseObject reads any object (a Note, a collection, ...) into its common
// fields.
func ParseObject(raw []byte) (*RemoteObject, error) {
	return parseDoc(raw, func(d doc) (*RemoteObject, error) {
		o := readObject(d)
		if err := checkTopLevel(d.f, o.ID, o.Types); err != nil {
			return nil, err
		}
		return &o, nil
	})
}

// ParseEvent reads an Event.
func ParseEvent(raw []byte) (*RemoteEvent, error) {
	return parseDoc(raw, parseEvent)
}

func parseEvent(d doc) (*RemoteEvent, error) {
	f := d.f
	e := &RemoteEvent{RemoteObject: readObject(d)}
	if err := checkTopLevel(f, e.ID, e.Types); err != nil {
		return nil, err
	}
	if !e.Is(TypeEvent) {
		return nil, fmt.Errorf("%w: %v, want Event", ErrUnexpectedType, e.Types)
	}
	e.Actor = d.ref("actor")
	// go-ap reads no timezone; an offset-less start is read in it.
	e.Timezone = zoneName(f.str("timezone"))
	var zone *time.Location
	if e.Timezone != "" {
		zone, _ = time.LoadLocation(e.Timezone)
	}
	e.StartTime = d.time("startTime", zone)
	e.EndTime = d.time("endTime", zone)
	// Mobilizon's and schema.org's extensions: go-ap drops them all.
	e.Category = f.text("category", MaxTextRunes)
	e.IsOnline = f.boolean("isOnline")
	e.JoinMode = f.text("joinMode", MaxTextRunes)
	e.ExternalParticipationURL = f.url("externalParticipationUrl")
	e.MaximumAttendeeCapacity = f.integer("maximumAttendeeCapacity")
	e.RemainingAttendeeCapacity = f.integer("remainingAttendeeCapacity")
	e.ParticipantCount = f.integer("participantCount")
	e.AnonymousParticipationEnabled = f.boolPtr("anonymousParticipationEnabled")
	e.RepliesModerationOption = f.text("repliesModerationOption", MaxTextRunes)
	e.CommentsEnabled = f.boolPtr("commentsEnabled")
	e.Draft = f.boolean("draft")
	e.InLanguage = f.text("inLanguage", MaxTextRunes)
	e.Status = strings.ToUpper(f.text("status", MaxTextRunes))
	if e.Status == "" {
		e.Status = strings.ToUpper(f.text("ical:status", MaxTextRunes))
	}

	for _, it := range d.items("location", MaxLocations) {
		place, online := readLocation(it)
		if online != "" {
			e.addOnline(online)
		}
		if place != nil && len(e.Locations) < MaxLocations {
			e.Locations = append(e.Locations, *place)
		}
	}
	e.readAttachments(d)
	return e, nil
}

func (e *RemoteEvent) addOnline(u string) {
	if u != "" && !slices.Contains(e.OnlineAddresses, u) && len(e.OnlineAddresses) < MaxLocations {
		e.OnlineAddresses = append(e.OnlineAddresses, u)
	}
}

// readAttachments finds the banner and the online address among the
// attachments. The online address is, in order of trust: a VirtualLocation
// (already read), the Link Mobilizon names "Website", any other Link.
func (e *RemoteEvent) readAttachments(d doc) {
	var website, firstLink string
	for _, a := range e.Attachments {
		switch a.Type {
		case TypeDocument, TypeImage:
			if e.BannerURL == "" || strings.EqualFold(a.Name, BannerName) {
				if a.MediaType == "" || strings.HasPrefix(a.MediaType, "image/") {
					e.BannerURL = a.URL
				}
			}
		case TypeLink:
			if website == "" && strings.EqualFold(a.Name, OnlineAddressName) {
				website = a.Href
			}
			if firstLink == "" {
				firstLink = a.Href
			}
		}
	}
	if website != "" {
		e.addOnline(website)
	} else {
		e.addOnline(firstLink)
	}
	if e.BannerURL == "" {
		e.BannerURL = d.imageURL("image")
	}
}

// ParseActor reads an actor.
func ParseActor(raw []byte) (*RemoteActor, error) {
	return parseDoc(raw, parseActor)
}

func parseActor(d doc) (*RemoteActor, error) {
	f := d.f
	a := &RemoteActor{
		ID:                d.ref("id"),
		Types:             d.types(),
		URL:               d.linkURL("url"),
		PreferredUsername: d.text("preferredUsername", MaxTextRunes),
		Name:              d.text("name", MaxNameRunes),
		Summary:           d.text("summary", MaxTextRunes),
		IconURL:           d.imageURL("icon"),
		Inbox:             d.url("inbox"),
		Outbox:            d.url("outbox"),
		Followers:         d.url("followers"),
		Following:         d.url("following"),
		// Mastodon's and Mobilizon's extensions: go-ap drops them.
		ManuallyApprovesFollowers: f.boolean("manuallyApprovesFollowers"),
		Discoverable:              f.boolean("discoverable"),
		Openness:                  f.text("openness", MaxTextRunes),
		Members:                   f.url("members"),
		Resources:                 f.url("resources"),
		Posts:                     f.url("posts"),
		Events:                    f.url("events"),
		Discussions:               f.url("discussions"),
		MemberCount:               f.integer("memberCount"),
	}
	if err := checkTopLevel(f, a.ID, a.Types); err != nil {
		return nil, err
	}
	// A key fetched from a Note or an Event must not pass for an actor's.
	if !slices.ContainsFunc(a.Types, isActorType) {
		return nil, fmt.Errorf("%w: %v is not an actor", ErrUnexpectedType, a.Types)
	}
	if ep, ok := (item{raw: f.raw("endpoints"), g: d.gv("endpoints")}).doc(); ok {
		a.SharedInbox = ep.url("sharedInbox")
		for _, c := range []struct {
			field *string
			name  string
		}{{&a.Members, "members"}, {&a.Resources, "resources"}, {&a.Posts, "posts"}, {&a.Events, "events"},
			{&a.Discussions, "discussions"}} {
			if *c.field == "" {
				*c.field = ep.f.url(c.name)
			}
		}
	}
	for _, it := range d.items("publicKey", 5) {
		k, ok := it.doc()
		if !ok {
			continue
		}
		key := k.publicKey()
		if key.ID != "" && key.PublicKeyPEM != "" {
			a.PublicKeys = append(a.PublicKeys, key)
		}
	}
	if len(a.PublicKeys) > 0 {
		a.PublicKey = a.PublicKeys[0]
	}
	return a, nil
}

func readObject(d doc) RemoteObject {
	f := d.f
	o := RemoteObject{
		ID:           d.ref("id"),
		Types:        d.types(),
		URL:          d.linkURL("url"),
		Name:         d.mapped("name", MaxNameRunes),
		Content:      d.mapped("content", MaxContentRunes),
		MediaType:    d.mediaType(),
		Summary:      d.mapped("summary", MaxTextRunes),
		AttributedTo: d.refs("attributedTo", maxAttributedTo),
		InReplyTo:    d.ref("inReplyTo"),
		Published:    d.time("published", nil),
		Updated:      d.time("updated", nil),
		To:           d.refs("to", MaxAudience),
		Cc:           d.refs("cc", MaxAudience),
		Sensitive:    f.boolean("sensitive"),
	}
	// Hashtag is Mastodon's type, unknown to go-ap (it drops the tag).
	for _, raw := range f.list("tag", maxListScan) {
		t, err := decodeFields(raw)
		if err != nil || !slices.Contains(t.types(), TypeHashtag) {
			continue
		}
		name := strings.TrimPrefix(t.text("name", MaxTextRunes), "#")
		if name != "" && !slices.Contains(o.Tags, name) {
			o.Tags = append(o.Tags, name)
			if len(o.Tags) == MaxTags {
				break
			}
		}
	}
	for _, it := range d.items("attachment", MaxAttachments) {
		a, ok := it.doc()
		if !ok {
			continue
		}
		types := a.types()
		att := RemoteAttachment{
			Name:      a.text("name", MaxNameRunes),
			MediaType: a.mediaType(),
			// PropertyValue is schema.org's, unknown to go-ap.
			PropertyID: a.f.text("propertyID", MaxTextRunes),
			Value:      a.f.text("value", MaxTextRunes),
			Href:       a.url("href"),
		}
		if len(types) > 0 {
			att.Type = types[0]
		}
		att.URL = a.linkURL("url")
		if att.Type == TypeLink && att.Href == "" {
			att.Href = att.URL
		}
		o.Attachments = append(o.Attachments, att)
	}
	return o
}

// readLocation reads one entry of an event's location: a physical place, an
// online address, or (Gancio) a Place whose address is a VirtualLocation.
// go-ap reads the place's id, type, name and coordinates; the address
// (schema.org's PostalAddress, or a string), VirtualLocation (Mobilizon's)
// and Mobilizon 1.x's "geo" are ours.
func readLocation(it item) (place *RemotePlace, online string) {
	if s, ok := asString(it.raw); ok {
		s = clip(strings.TrimSpace(s), MaxNameRunes)
		if isHTTPURL(s) {
			return nil, s
		}
		if s == "" {
			return nil, ""
		}
		return &RemotePlace{Name: s}, ""
	}
	d, ok := it.doc()
	if !ok {
		return nil, ""
	}
	f := d.f
	types := d.types()
	if slices.Contains(types, TypeVirtualLocation) || slices.Contains(types, TypeLink) {
		u := d.linkURL("url")
		if u == "" {
			u = d.url("href")
		}
		return nil, u
	}
	p := &RemotePlace{ID: d.ref("id"), Name: d.text("name", MaxNameRunes)}
	addrRaw := f.raw("address")
	if s, ok := asString(addrRaw); ok {
		p.AddressText = clip(strings.TrimSpace(s), MaxTextRunes)
	} else if a, err := decodeFields(addrRaw); err == nil {
		if slices.Contains(a.types(), TypeVirtualLocation) {
			u := linkURL(a.raw("url"))
			if u == "" {
				u = p.ID
			}
			return nil, u
		}
		addr := PostalAddress{
			Type:            TypePostalAddress,
			StreetAddress:   strings.TrimSpace(a.text("streetAddress", MaxTextRunes)),
			PostalCode:      strings.TrimSpace(a.text("postalCode", MaxTextRunes)),
			AddressLocality: strings.TrimSpace(a.text("addressLocality", MaxTextRunes)),
			AddressRegion:   strings.TrimSpace(a.text("addressRegion", MaxTextRunes)),
			AddressCountry:  strings.TrimSpace(a.text("addressCountry", MaxTextRunes)),
		}
		if addr != (PostalAddress{Type: TypePostalAddress}) {
			p.Address = &addr
		}
	}
	p.Latitude, p.Longitude = d.coordinate("latitude"), d.coordinate("longitude")
	// Mobilizon 1.x sent a schema.org GeoCoordinates under "geo".
	if p.Latitude == nil || p.Longitude == nil {
		if g, err := decodeFields(f.raw("geo")); err == nil {
			p.Latitude, p.Longitude = g.float("latitude"), g.float("longitude")
		}
	}
	if p.Latitude != nil && p.Longitude != nil && (*p.Latitude < -90 || *p.Latitude > 90 || *p.Longitude < -180 || *p.Longitude > 180) {
		p.Latitude, p.Longitude = nil, nil
	}
	if p.Latitude == nil || p.Longitude == nil {
		p.Latitude, p.Longitude = nil, nil
	}
	// A place with nothing to show or find (Gancio's "bad location": an id
	// alone) is no place at all.
	if p.Name == "" && p.Address == nil && p.AddressText == "" && p.Latitude == nil {
		return nil, ""
	}
	return p, ""
}

// objectRef reads an id, or an embedded object with its id and types.
func objectRef(it item) (ObjectRef, bool) {
	if s, ok := asString(it.raw); ok {
		s = keepURL(strings.TrimSpace(s))
		if s == "" {
			return ObjectRef{}, false
		}
		return ObjectRef{ID: s}, true
	}
	d, ok := it.doc()
	if !ok {
		return ObjectRef{}, false
	}
	return ObjectRef{ID: d.ref("id"), Types: d.types(), Raw: it.raw}, true
}

// checkTopLevel refuses what cannot be an object at all: no type, or an id
// longer than we would store.
func checkTopLevel(f fields, id string, types []string) error {
	if len(types) == 0 {
		return fmt.Errorf("%w: no type", ErrInvalidObject)
	}
	if rawID, ok := asString(f.raw("id")); ok && rawID != "" && id == "" {
		return fmt.Errorf("%w: unusable id", ErrInvalidObject)
	}
	return nil
}

// fields is a JSON object whose values are read lazily, each by the reader
// that knows which shapes to tolerate.
type fields map[string]json.RawMessage

func decodeFields(raw []byte) (fields, error) {
	var f fields
	if err := json.Unmarshal(raw, &f); err != nil || f == nil {
		return nil, ErrNotJSONObject
	}
	return f, nil
}

func (f fields) raw(key string) json.RawMessage {
	v := f[key]
	if string(v) == "null" {
		return nil
	}
	return v
}

// list returns the items of an array value, or a single value as a list of
// one; nulls are skipped. At most max items are returned.
func (f fields) list(key string, max int) []json.RawMessage {
	v := f.raw(key)
	if len(v) == 0 {
		return nil
	}
	if v[0] != '[' {
		return []json.RawMessage{v}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(v, &items); err != nil {
		return nil
	}
	out := items[:0]
	for _, it := range items {
		if string(it) != "null" {
			out = append(out, it)
		}
		if len(out) == max {
			break
		}
	}
	return out
}

// str reads a string; a number is taken as its text, an array as its first
// string. Anything else is "".
func (f fields) str(key string) string {
	v := f.raw(key)
	if s, ok := asString(v); ok {
		return s
	}
	if len(v) > 0 && v[0] == '[' {
		for _, it := range f.list(key, maxListScan) {
			if s, ok := asString(it); ok {
				return s
			}
		}
	}
	if n, err := strconv.ParseFloat(string(v), 64); err == nil {
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return ""
}

func (f fields) text(key string, max int) string {
	return clip(f.str(key), max)
}

// mapped reads a natural-language property, falling back on its language
// map ("nameMap", "contentMap") when the plain form is absent.
func (f fields) mapped(key string, max int) string {
	if s := f.str(key); s != "" {
		return clip(s, max)
	}
	var m map[string]string
	if json.Unmarshal(f.raw(key+"Map"), &m) != nil || len(m) == 0 {
		return ""
	}
	langs := make([]string, 0, len(m))
	for lang := range m {
		langs = append(langs, lang)
	}
	slices.Sort(langs) // the same map always gives the same text
	return clip(m[langs[0]], max)
}

// url reads a URL-valued field; a URL too long to keep is dropped rather
// than cut, since a cut URL points somewhere else.
func (f fields) url(key string) string {
	return keepURL(f.id(key))
}

// id reads a reference: a string, or an object's id (or a Link's href), or
// the first of an array of those.
func (f fields) id(key string) string {
	for _, it := range f.list(key, maxListScan) {
		if id := refID(it); id != "" {
			return id
		}
	}
	return ""
}

// ids reads a list of references, up to max.
func (f fields) ids(key string, max int) []string {
	var out []string
	for _, it := range f.list(key, maxListScan) {
		if id := refID(it); id != "" && !slices.Contains(out, id) {
			out = append(out, id)
			if len(out) == max {
				break
			}
		}
	}
	return out
}

func refID(raw json.RawMessage) string {
	if s, ok := asString(raw); ok {
		return refString(s)
	}
	o, err := decodeFields(raw)
	if err != nil {
		return ""
	}
	if id := keepURL(o.str("id")); id != "" {
		return id
	}
	return keepURL(o.str("href"))
}

// refString is the gate for a reference sent as a string.
func refString(s string) string {
	s = strings.TrimSpace(s)
	// The compacted forms of Public some servers send in to and cc:
	// not URLs, but the audience everyone understands.
	if s == "as:Public" || s == "Public" {
		return Public
	}
	return keepURL(s)
}

// types reads "type", a string or an array of strings.
func (f fields) types() []string {
	var out []string
	for _, it := range f.list("type", 10) {
		if s, ok := asString(it); ok && s != "" {
			out = append(out, clip(s, 100))
		}
	}
	return out
}

func (f fields) boolean(key string) bool {
	b := f.boolPtr(key)
	return b != nil && *b
}

func (f fields) boolPtr(key string) *bool {
	v := f.raw(key)
	var b bool
	if json.Unmarshal(v, &b) == nil {
		return &b
	}
	if s, ok := asString(v); ok {
		if b, err := strconv.ParseBool(strings.TrimSpace(s)); err == nil {
			return &b
		}
	}
	return nil
}

// integer reads a whole number sent as a number or a numeric string.
func (f fields) integer(key string) *int {
	s := strings.TrimSpace(f.str(key))
	if s == "" {
		return nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < -1e9 || n > 1e9 {
		return nil
	}
	i := int(n)
	return &i
}

func (f fields) float(key string) *float64 {
	s := strings.TrimSpace(f.str(key))
	if s == "" {
		return nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil
	}
	return &n
}

// time reads a timestamp keeping the offset it was written with. One
// without an offset is read in zone (the event's own) if known, else UTC.
func (f fields) time(key string, zone *time.Location) time.Time {
	s := strings.TrimSpace(f.str(key))
	if s == "" || len(s) > 64 {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		// time.Parse hands back the machine's Local zone when the offset
		// happens to match it; a fixed zone keeps the result independent of
		// where we run.
		_, offset := t.Zone()
		return t.In(time.FixedZone("", offset))
	}
	if zone == nil {
		zone = time.UTC
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, zone); err == nil {
			return t
		}
	}
	return time.Time{}
}

func asString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// linkURL reads a "url" that may be a string, a Link object (href) or an
// array of either, preferring an HTML link when several are given.
func linkURL(raw json.RawMessage) string {
	f := fields{"url": raw}
	items := f.list("url", maxListScan)
	var first string
	for _, it := range items {
		if s, ok := asString(it); ok {
			if u := keepURL(strings.TrimSpace(s)); u != "" && first == "" {
				first = u
			}
			continue
		}
		l, err := decodeFields(it)
		if err != nil {
			continue
		}
		u := keepURL(l.str("href"))
		if u == "" {
			u = keepURL(l.str("url"))
		}
		if u == "" {
			continue
		}
		if strings.HasPrefix(l.str("mediaType"), "text/html") {
			return u
		}
		if first == "" {
			first = u
		}
	}
	return first
}

// imageURL reads an icon or image: an Image object, a URL, or an array of
// either (the first wins).
func imageURL(raw json.RawMessage) string {
	f := fields{"image": raw}
	for _, it := range f.list("image", maxListScan) {
		if s, ok := asString(it); ok {
			if u := keepURL(s); u != "" {
				return u
			}
			continue
		}
		if img, err := decodeFields(it); err == nil {
			if u := linkURL(img.raw("url")); u != "" {
				return u
			}
		}
	}
	return ""
}

// keepURL is the one gate every URL a peer sends goes through: an
// absolute http(s) URL is kept, anything else (javascript:, data:, a
// relative path, a URL too long to keep whole) is dropped here, before any
// of it can be stored, fetched or shown as a link.
func keepURL(s string) string {
	if len(s) > MaxTextRunes {
		return ""
	}
	return weburl.Check(s)
}

func isHTTPURL(s string) bool { return keepURL(s) != "" }

// zoneName keeps a time zone name only if it is a real IANA zone.
func zoneName(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 || s == "Local" {
		return ""
	}
	if _, err := time.LoadLocation(s); err != nil {
		return ""
	}
	return s
}

// clip cuts s to at most max runes, on a rune boundary.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i]
		}
		n++
	}
	return s
}
