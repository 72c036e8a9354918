package ap

// A frozen copy of the hand-written reader as it was before the go-ap reader
// (issue 17), kept in the test binary only: the table test and
// FuzzReaderAgainstLegacy compare every reading of the new reader with this
// one, and the benchmarks measure the new reader against it. Identifiers are
// prefixed "legacy"; the Remote* types are shared with parse.go.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"convene/app/weburl"
)

// legacyParseActivity reads an activity. Its object is left as an ObjectRef; use
// legacyParseEvent, legacyParseObject or legacyParseActor on Object.Raw when it is embedded.
func legacyParseActivity(raw []byte) (*RemoteActivity, error) {
	f, err := legacyDecodeFields(raw)
	if err != nil {
		return nil, err
	}
	a := &RemoteActivity{
		ID:                   f.id("id"),
		Types:                f.types(),
		Actor:                f.id("actor"),
		To:                   f.ids("to", MaxAudience),
		Cc:                   f.ids("cc", MaxAudience),
		Published:            f.time("published", nil),
		Content:              f.text("content", MaxContentRunes),
		ParticipationMessage: f.text("participationMessage", MaxTextRunes),
	}
	if err := legacyCheckTopLevel(f, a.ID, a.Types); err != nil {
		return nil, err
	}
	// Activity types are open-ended; what makes one is an actor doing it.
	if a.Actor == "" {
		return nil, fmt.Errorf("%w: %v has no actor", ErrUnexpectedType, a.Types)
	}
	for _, item := range f.list("object", MaxAttachments) {
		if ref, ok := legacyObjectRef(item); ok {
			a.Objects = append(a.Objects, ref)
		}
	}
	if len(a.Objects) > 0 {
		a.Object = a.Objects[0]
	}
	if items := f.list("target", 1); len(items) > 0 {
		a.Target, _ = legacyObjectRef(items[0])
	}
	return a, nil
}

// legacyParseObject reads any object (a Note, a collection, ...) into its common
// fields.
func legacyParseObject(raw []byte) (*RemoteObject, error) {
	f, err := legacyDecodeFields(raw)
	if err != nil {
		return nil, err
	}
	o := legacyReadObject(f)
	if err := legacyCheckTopLevel(f, o.ID, o.Types); err != nil {
		return nil, err
	}
	return &o, nil
}

// legacyParseEvent reads an Event.
func legacyParseEvent(raw []byte) (*RemoteEvent, error) {
	f, err := legacyDecodeFields(raw)
	if err != nil {
		return nil, err
	}
	e := &RemoteEvent{RemoteObject: legacyReadObject(f)}
	if err := legacyCheckTopLevel(f, e.ID, e.Types); err != nil {
		return nil, err
	}
	if !e.Is(TypeEvent) {
		return nil, fmt.Errorf("%w: %v, want Event", ErrUnexpectedType, e.Types)
	}
	e.Actor = f.id("actor")
	e.Timezone = legacyZoneName(f.str("timezone"))
	var zone *time.Location
	if e.Timezone != "" {
		zone, _ = time.LoadLocation(e.Timezone)
	}
	e.StartTime = f.time("startTime", zone)
	e.EndTime = f.time("endTime", zone)
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

	for _, item := range f.list("location", MaxLocations) {
		place, online := legacyReadLocation(item)
		if online != "" {
			e.legacyAddOnline(online)
		}
		if place != nil && len(e.Locations) < MaxLocations {
			e.Locations = append(e.Locations, *place)
		}
	}
	e.legacyReadAttachments(f)
	return e, nil
}

func (e *RemoteEvent) legacyAddOnline(u string) {
	if u != "" && !slices.Contains(e.OnlineAddresses, u) && len(e.OnlineAddresses) < MaxLocations {
		e.OnlineAddresses = append(e.OnlineAddresses, u)
	}
}

// legacyReadAttachments finds the banner and the online address among the
// attachments. The online address is, in order of trust: a VirtualLocation
// (already read), the Link Mobilizon names "Website", any other Link.
func (e *RemoteEvent) legacyReadAttachments(f legacyFields) {
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
		e.legacyAddOnline(website)
	} else {
		e.legacyAddOnline(firstLink)
	}
	if e.BannerURL == "" {
		e.BannerURL = legacyImageURL(f.raw("image"))
	}
}

// legacyParseActor reads an actor.
func legacyParseActor(raw []byte) (*RemoteActor, error) {
	f, err := legacyDecodeFields(raw)
	if err != nil {
		return nil, err
	}
	a := &RemoteActor{
		ID:                        f.id("id"),
		Types:                     f.types(),
		URL:                       legacyLinkURL(f.raw("url")),
		PreferredUsername:         f.text("preferredUsername", MaxTextRunes),
		Name:                      f.text("name", MaxNameRunes),
		Summary:                   f.text("summary", MaxTextRunes),
		IconURL:                   legacyImageURL(f.raw("icon")),
		Inbox:                     f.url("inbox"),
		Outbox:                    f.url("outbox"),
		Followers:                 f.url("followers"),
		Following:                 f.url("following"),
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
	if err := legacyCheckTopLevel(f, a.ID, a.Types); err != nil {
		return nil, err
	}
	// A key fetched from a Note or an Event must not pass for an actor's.
	if !slices.ContainsFunc(a.Types, isActorType) {
		return nil, fmt.Errorf("%w: %v is not an actor", ErrUnexpectedType, a.Types)
	}
	if ep, err := legacyDecodeFields(f.raw("endpoints")); err == nil {
		a.SharedInbox = ep.url("sharedInbox")
		for _, c := range []struct {
			field *string
			name  string
		}{{&a.Members, "members"}, {&a.Resources, "resources"}, {&a.Posts, "posts"}, {&a.Events, "events"},
			{&a.Discussions, "discussions"}} {
			if *c.field == "" {
				*c.field = ep.url(c.name)
			}
		}
	}
	for _, item := range f.list("publicKey", 5) {
		k, err := legacyDecodeFields(item)
		if err != nil {
			continue
		}
		key := PublicKey{ID: k.url("id"), Owner: k.url("owner"), PublicKeyPEM: k.text("publicKeyPem", 16*1024)}
		if key.ID != "" && key.PublicKeyPEM != "" {
			a.PublicKeys = append(a.PublicKeys, key)
		}
	}
	if len(a.PublicKeys) > 0 {
		a.PublicKey = a.PublicKeys[0]
	}
	return a, nil
}

func legacyReadObject(f legacyFields) RemoteObject {
	o := RemoteObject{
		ID:           f.id("id"),
		Types:        f.types(),
		URL:          legacyLinkURL(f.raw("url")),
		Name:         f.mapped("name", MaxNameRunes),
		Content:      f.mapped("content", MaxContentRunes),
		MediaType:    f.text("mediaType", MaxTextRunes),
		Summary:      f.mapped("summary", MaxTextRunes),
		AttributedTo: f.ids("attributedTo", maxAttributedTo),
		InReplyTo:    f.id("inReplyTo"),
		Published:    f.time("published", nil),
		Updated:      f.time("updated", nil),
		To:           f.ids("to", MaxAudience),
		Cc:           f.ids("cc", MaxAudience),
		Sensitive:    f.boolean("sensitive"),
	}
	for _, item := range f.list("tag", maxListScan) {
		t, err := legacyDecodeFields(item)
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
	for _, item := range f.list("attachment", MaxAttachments) {
		a, err := legacyDecodeFields(item)
		if err != nil {
			continue
		}
		types := a.types()
		att := RemoteAttachment{
			Name:       a.text("name", MaxNameRunes),
			MediaType:  a.text("mediaType", MaxTextRunes),
			PropertyID: a.text("propertyID", MaxTextRunes),
			Value:      a.text("value", MaxTextRunes),
			Href:       a.url("href"),
		}
		if len(types) > 0 {
			att.Type = types[0]
		}
		att.URL = legacyLinkURL(a.raw("url"))
		if att.Type == TypeLink && att.Href == "" {
			att.Href = att.URL
		}
		o.Attachments = append(o.Attachments, att)
	}
	return o
}

// legacyReadLocation reads one entry of an event's location: a physical place, an
// online address, or (Gancio) a Place whose address is a VirtualLocation.
func legacyReadLocation(raw json.RawMessage) (place *RemotePlace, online string) {
	if s, ok := legacyAsString(raw); ok {
		s = legacyClip(strings.TrimSpace(s), MaxNameRunes)
		if legacyIsHTTPURL(s) {
			return nil, s
		}
		if s == "" {
			return nil, ""
		}
		return &RemotePlace{Name: s}, ""
	}
	f, err := legacyDecodeFields(raw)
	if err != nil {
		return nil, ""
	}
	types := f.types()
	if slices.Contains(types, TypeVirtualLocation) || slices.Contains(types, TypeLink) {
		u := legacyLinkURL(f.raw("url"))
		if u == "" {
			u = f.url("href")
		}
		return nil, u
	}
	p := &RemotePlace{ID: f.id("id"), Name: f.text("name", MaxNameRunes)}
	addrRaw := f.raw("address")
	if s, ok := legacyAsString(addrRaw); ok {
		p.AddressText = legacyClip(strings.TrimSpace(s), MaxTextRunes)
	} else if a, err := legacyDecodeFields(addrRaw); err == nil {
		if slices.Contains(a.types(), TypeVirtualLocation) {
			u := legacyLinkURL(a.raw("url"))
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
	p.Latitude, p.Longitude = f.float("latitude"), f.float("longitude")
	// Mobilizon 1.x sent a schema.org GeoCoordinates under "geo".
	if p.Latitude == nil || p.Longitude == nil {
		if g, err := legacyDecodeFields(f.raw("geo")); err == nil {
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

// legacyObjectRef reads an id, or an embedded object with its id and types.
func legacyObjectRef(raw json.RawMessage) (ObjectRef, bool) {
	if s, ok := legacyAsString(raw); ok {
		s = legacyKeepURL(strings.TrimSpace(s))
		if s == "" {
			return ObjectRef{}, false
		}
		return ObjectRef{ID: s}, true
	}
	f, err := legacyDecodeFields(raw)
	if err != nil {
		return ObjectRef{}, false
	}
	return ObjectRef{ID: f.id("id"), Types: f.types(), Raw: raw}, true
}

// legacyCheckTopLevel refuses what cannot be an object at all: no type, or an id
// longer than we would store.
func legacyCheckTopLevel(f legacyFields, id string, types []string) error {
	if len(types) == 0 {
		return fmt.Errorf("%w: no type", ErrInvalidObject)
	}
	if rawID, ok := legacyAsString(f.raw("id")); ok && rawID != "" && id == "" {
		return fmt.Errorf("%w: unusable id", ErrInvalidObject)
	}
	return nil
}

// legacyFields is a JSON object whose values are read lazily, each by the reader
// that knows which shapes to tolerate.
type legacyFields map[string]json.RawMessage

func legacyDecodeFields(raw []byte) (legacyFields, error) {
	var f legacyFields
	if err := json.Unmarshal(raw, &f); err != nil || f == nil {
		return nil, ErrNotJSONObject
	}
	return f, nil
}

func (f legacyFields) raw(key string) json.RawMessage {
	v := f[key]
	if string(v) == "null" {
		return nil
	}
	return v
}

// list returns the items of an array value, or a single value as a list of
// one; nulls are skipped. At most max items are returned.
func (f legacyFields) list(key string, max int) []json.RawMessage {
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
func (f legacyFields) str(key string) string {
	v := f.raw(key)
	if s, ok := legacyAsString(v); ok {
		return s
	}
	if len(v) > 0 && v[0] == '[' {
		for _, it := range f.list(key, maxListScan) {
			if s, ok := legacyAsString(it); ok {
				return s
			}
		}
	}
	if n, err := strconv.ParseFloat(string(v), 64); err == nil {
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return ""
}

func (f legacyFields) text(key string, max int) string {
	return legacyClip(f.str(key), max)
}

// mapped reads a natural-language property, falling back on its language
// map ("nameMap", "contentMap") when the plain form is absent.
func (f legacyFields) mapped(key string, max int) string {
	if s := f.str(key); s != "" {
		return legacyClip(s, max)
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
	return legacyClip(m[langs[0]], max)
}

// url reads a URL-valued field; a URL too long to keep is dropped rather
// than cut, since a cut URL points somewhere else.
func (f legacyFields) url(key string) string {
	return legacyKeepURL(f.id(key))
}

// id reads a reference: a string, or an object's id (or a Link's href), or
// the first of an array of those.
func (f legacyFields) id(key string) string {
	for _, it := range f.list(key, maxListScan) {
		if id := legacyRefID(it); id != "" {
			return id
		}
	}
	return ""
}

// ids reads a list of references, up to max.
func (f legacyFields) ids(key string, max int) []string {
	var out []string
	for _, it := range f.list(key, maxListScan) {
		if id := legacyRefID(it); id != "" && !slices.Contains(out, id) {
			out = append(out, id)
			if len(out) == max {
				break
			}
		}
	}
	return out
}

func legacyRefID(raw json.RawMessage) string {
	if s, ok := legacyAsString(raw); ok {
		s = strings.TrimSpace(s)
		// The compacted forms of Public some servers send in to and cc:
		// not URLs, but the audience everyone understands.
		if s == "as:Public" || s == "Public" {
			return Public
		}
		return legacyKeepURL(s)
	}
	o, err := legacyDecodeFields(raw)
	if err != nil {
		return ""
	}
	if id := legacyKeepURL(o.str("id")); id != "" {
		return id
	}
	return legacyKeepURL(o.str("href"))
}

// types reads "type", a string or an array of strings.
func (f legacyFields) types() []string {
	var out []string
	for _, it := range f.list("type", 10) {
		if s, ok := legacyAsString(it); ok && s != "" {
			out = append(out, legacyClip(s, 100))
		}
	}
	return out
}

func (f legacyFields) boolean(key string) bool {
	b := f.boolPtr(key)
	return b != nil && *b
}

func (f legacyFields) boolPtr(key string) *bool {
	v := f.raw(key)
	var b bool
	if json.Unmarshal(v, &b) == nil {
		return &b
	}
	if s, ok := legacyAsString(v); ok {
		if b, err := strconv.ParseBool(strings.TrimSpace(s)); err == nil {
			return &b
		}
	}
	return nil
}

// integer reads a whole number sent as a number or a numeric string.
func (f legacyFields) integer(key string) *int {
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

func (f legacyFields) float(key string) *float64 {
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
func (f legacyFields) time(key string, zone *time.Location) time.Time {
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

func legacyAsString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// legacyLinkURL reads a "url" that may be a string, a Link object (href) or an
// array of either, preferring an HTML link when several are given.
func legacyLinkURL(raw json.RawMessage) string {
	f := legacyFields{"url": raw}
	items := f.list("url", maxListScan)
	var first string
	for _, it := range items {
		if s, ok := legacyAsString(it); ok {
			if u := legacyKeepURL(strings.TrimSpace(s)); u != "" && first == "" {
				first = u
			}
			continue
		}
		l, err := legacyDecodeFields(it)
		if err != nil {
			continue
		}
		u := legacyKeepURL(l.str("href"))
		if u == "" {
			u = legacyKeepURL(l.str("url"))
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

// legacyImageURL reads an icon or image: an Image object, a URL, or an array of
// either (the first wins).
func legacyImageURL(raw json.RawMessage) string {
	f := legacyFields{"image": raw}
	for _, it := range f.list("image", maxListScan) {
		if s, ok := legacyAsString(it); ok {
			if u := legacyKeepURL(s); u != "" {
				return u
			}
			continue
		}
		if img, err := legacyDecodeFields(it); err == nil {
			if u := legacyLinkURL(img.raw("url")); u != "" {
				return u
			}
		}
	}
	return ""
}

// legacyKeepURL is the one gate every URL a peer sends goes through: an
// absolute http(s) URL is kept, anything else (javascript:, data:, a
// relative path, a URL too long to keep whole) is dropped here, before any
// of it can be stored, fetched or shown as a link.
func legacyKeepURL(s string) string {
	if len(s) > MaxTextRunes {
		return ""
	}
	return weburl.Check(s)
}

func legacyIsHTTPURL(s string) bool { return legacyKeepURL(s) != "" }

// legacyZoneName keeps a time zone name only if it is a real IANA zone.
func legacyZoneName(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 || s == "Local" {
		return ""
	}
	if _, err := time.LoadLocation(s); err != nil {
		return ""
	}
	return s
}

// legacyClip cuts s to at most max runes, on a rune boundary.
func legacyClip(s string, max int) string {
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
