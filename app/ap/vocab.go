// Package ap maps Convene's world onto ActivityStreams and back, and holds
// the primitives federation stands on: HTTP signatures and a fetcher that
// refuses to be turned against our own network. It knows nothing of the
// database or of the app; the app maps its own types onto these.
//
// What we send follows the dialect Mobilizon 5.x speaks, so that Mobilizon
// understands us fully and Mastodon shows something sensible; what we read
// is parsed tolerantly (parse.go), since peers vary.
package ap

import (
	"time"

	vocab "github.com/go-ap/activitypub"
)

// Public is the special collection meaning "anyone".
const Public = "https://www.w3.org/ns/activitystreams#Public"

// Object types we send or recognise.
const (
	TypeEvent           = "Event"
	TypeNote            = "Note"
	TypePlace           = "Place"
	TypePostalAddress   = "PostalAddress"
	TypeVirtualLocation = "VirtualLocation"
	TypeTombstone       = "Tombstone"
	TypeDocument        = "Document"
	TypeImage           = "Image"
	TypeLink            = "Link"
	TypePropertyValue   = "PropertyValue"
	TypeHashtag         = "Hashtag"
	TypeMention         = "Mention"
	TypePerson          = "Person"
	TypeApplication     = "Application"
	TypeGroup           = "Group"
	TypeService         = "Service"
	TypeOrganization    = "Organization"
)

// Activity types.
const (
	TypeCreate   = "Create"
	TypeUpdate   = "Update"
	TypeDelete   = "Delete"
	TypeAccept   = "Accept"
	TypeReject   = "Reject"
	TypeFollow   = "Follow"
	TypeUndo     = "Undo"
	TypeJoin     = "Join"
	TypeLeave    = "Leave"
	TypeAnnounce = "Announce"
	TypeFlag     = "Flag"
	TypeLike     = "Like"
	TypeInvite   = "Invite"
	TypeRemove   = "Remove"
)

// contextTerms are the term definitions Mobilizon 5.x puts in its inline
// @context. JSON-LD processors (Mobilizon expands incoming documents) need
// them to see our extensions under the same IRIs as Mobilizon's own.
var contextTerms = map[string]any{
	"sc":        "http://schema.org#",
	"mz":        "https://joinmobilizon.org/ns#",
	"toot":      "http://joinmastodon.org/ns#",
	"pt":        "https://joinpeertube.org/ns#",
	"ical":      "http://www.w3.org/2002/12/cal/ical#",
	"@language": "und",

	"Hashtag":       "as:Hashtag",
	"PostalAddress": "sc:PostalAddress",
	"PropertyValue": "sc:PropertyValue",
	"propertyID":    "sc:propertyID",
	"value":         "sc:value",
	"uuid":          "sc:identifier",
	"category":      "sc:category",
	"inLanguage":    "sc:inLanguage",

	"address":         map[string]any{"@id": "sc:address", "@type": "sc:PostalAddress"},
	"streetAddress":   "sc:streetAddress",
	"postalCode":      "sc:postalCode",
	"addressLocality": "sc:addressLocality",
	"addressRegion":   "sc:addressRegion",
	"addressCountry":  "sc:addressCountry",
	// "location" is left to ActivityStreams (as:location, a Place).
	// Mobilizon maps it to schema.org's, so JSON-LD processors such as
	// Fedify do not see a Mobilizon event's place; Mobilizon, Gancio and
	// Mastodon read the plain key, so as:location costs them nothing.

	"timezone":                      map[string]any{"@id": "mz:timezone", "@type": "sc:Text"},
	"isOnline":                      map[string]any{"@id": "mz:isOnline", "@type": "sc:Boolean"},
	"joinMode":                      map[string]any{"@id": "mz:joinMode", "@type": "mz:joinModeType"},
	"joinModeType":                  map[string]any{"@id": "mz:joinModeType", "@type": "rdfs:Class"},
	"externalParticipationUrl":      map[string]any{"@id": "mz:externalParticipationUrl", "@type": "sc:URL"},
	"participationMessage":          map[string]any{"@id": "mz:participationMessage", "@type": "sc:Text"},
	"anonymousParticipationEnabled": map[string]any{"@id": "mz:anonymousParticipationEnabled", "@type": "sc:Boolean"},
	"maximumAttendeeCapacity":       "sc:maximumAttendeeCapacity",
	"remainingAttendeeCapacity":     "sc:remainingAttendeeCapacity",
	"participantCount":              map[string]any{"@id": "mz:participantCount", "@type": "sc:Integer"},
	"repliesModerationOption":       map[string]any{"@id": "mz:repliesModerationOption", "@type": "mz:repliesModerationOptionType"},
	"repliesModerationOptionType":   map[string]any{"@id": "mz:repliesModerationOptionType", "@type": "rdfs:Class"},
	"commentsEnabled":               map[string]any{"@id": "pt:commentsEnabled", "@type": "sc:Boolean"},
	"status":                        map[string]any{"@id": "ical:status", "@type": "ical:status"},

	"discoverable":              "toot:discoverable",
	"suspended":                 "toot:suspended",
	"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
	"openness":                  map[string]any{"@id": "mz:openness", "@type": "@id"},
	"memberCount":               map[string]any{"@id": "mz:memberCount", "@type": "sc:Integer"},
	"members":                   map[string]any{"@id": "mz:members", "@type": "@id"},
	"events":                    map[string]any{"@id": "mz:events", "@type": "@id"},
}

// Context returns the @context every top-level document we send carries.
// It is built fresh so a caller cannot alter the shared term map.
func Context() []any {
	terms := make(map[string]any, len(contextTerms))
	for k, v := range contextTerms {
		terms[k] = v
	}
	return []any{
		"https://www.w3.org/ns/activitystreams",
		"https://w3id.org/security/v1",
		terms,
	}
}

// PostalAddress is a schema.org address, as Mobilizon nests it in a Place.
type PostalAddress struct {
	Type            string `json:"type"`
	StreetAddress   string `json:"streetAddress,omitempty"`
	PostalCode      string `json:"postalCode,omitempty"`
	AddressLocality string `json:"addressLocality,omitempty"`
	AddressRegion   string `json:"addressRegion,omitempty"`
	AddressCountry  string `json:"addressCountry,omitempty"`
}

// Place is where an event happens. Coordinates are pointers because 0,0 is a
// real place in the Gulf of Guinea, not "unknown".
type Place struct {
	Type      string         `json:"type"`
	ID        string         `json:"id,omitempty"`
	Name      string         `json:"name,omitempty"`
	Address   *PostalAddress `json:"address,omitempty"`
	Latitude  *float64       `json:"latitude,omitempty"`
	Longitude *float64       `json:"longitude,omitempty"`

	online *VirtualLocation // NewOnlinePlace's address, instead of Address
}

// VirtualLocation is an online address given as a place's address, the
// shape FEP-8a8e proposes and Gancio reads (and sends).
type VirtualLocation struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// NewOnlinePlace is where an online-only event happens: a Place whose
// address is a VirtualLocation. Gancio needs a location on every event
// (it answers 500 to an Update of one without) and takes a Place whose
// address has a url as online.
func NewOnlinePlace(name, url string) *Place {
	return &Place{Type: TypePlace, Name: name, online: &VirtualLocation{Type: TypeVirtualLocation, URL: url}}
}

// MarshalJSON writes the place, with the online address in place of the
// postal one.
func (p Place) MarshalJSON() ([]byte, error) { return marshalDoc(nil, p.item()) }

// item is the place on go-ap's vocab.Place; the address (a schema.org
// PostalAddress or a VirtualLocation) and the coordinates are ours (go-ap
// drops coordinates <= 0 and rounds the others to six decimals).
func (p Place) item() vocab.Item {
	x := ext{Item: &vocab.Place{Type: asType(p.Type), ID: asIRI(p.ID)}}
	if p.Type == "" {
		x.f.str("type", "")
	}
	if n, ok := asNL(p.Name); ok {
		x.Item.(*vocab.Place).Name = n
	} else {
		x.f.strOmit("name", p.Name)
	}
	if p.online != nil {
		x.f.json("address", p.online)
	} else if p.Address != nil {
		x.f.json("address", p.Address)
	}
	if p.Latitude != nil {
		x.f.float("latitude", *p.Latitude)
	}
	if p.Longitude != nil {
		x.f.float("longitude", *p.Longitude)
	}
	return x
}

// NewPlace builds a Place; id may be empty (the place is then only a part of
// its event).
func NewPlace(id, name string, addr PostalAddress) *Place {
	addr.Type = TypePostalAddress
	p := &Place{Type: TypePlace, ID: id, Name: name}
	if addr != (PostalAddress{Type: TypePostalAddress}) {
		p.Address = &addr
	}
	return p
}

// SetCoordinates records the place's position in WGS84 degrees.
func (p *Place) SetCoordinates(latitude, longitude float64) {
	p.Latitude, p.Longitude = &latitude, &longitude
}

// Tag is a Hashtag or a Mention.
type Tag struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Href string `json:"href,omitempty"`
}

// MarshalJSON writes the tag.
func (t Tag) MarshalJSON() ([]byte, error) { return marshalDoc(nil, t.item()) }

// item is the tag on go-ap's vocab.Link (a Mention is one; a Hashtag has
// a Link's shape).
func (t Tag) item() vocab.Item {
	l := &vocab.Link{Type: asType(t.Type), Href: asIRI(t.Href)}
	x := ext{Item: l}
	if t.Type == "" {
		x.f.str("type", "")
	}
	if n, ok := asNL(t.Name); ok {
		l.Name = n
	} else {
		x.f.str("name", t.Name)
	}
	return x
}

// NewHashtag makes a Hashtag tag; name is given without or with its "#".
func NewHashtag(name, href string) Tag {
	if len(name) == 0 || name[0] != '#' {
		name = "#" + name
	}
	return Tag{Type: TypeHashtag, Name: name, Href: href}
}

// NewMention is a Mention tag naming the actor href by its handle
// (user@host): the actor's server notifies them.
func NewMention(href, handle string) Tag {
	return Tag{Type: TypeMention, Name: handle, Href: href}
}

// Image is an actor's icon or banner.
type Image struct {
	Type      string `json:"type"`
	MediaType string `json:"mediaType,omitempty"`
	URL       string `json:"url"`
}

// MarshalJSON writes the picture.
func (i Image) MarshalJSON() ([]byte, error) { return marshalDoc(nil, i.item()) }

// item is the picture on go-ap's vocab.Object.
func (i Image) item() vocab.Item {
	x := ext{Item: &vocab.Object{Type: asType(i.Type), MediaType: asMime(i.MediaType), URL: asIRI(i.URL)}}
	if i.Type == "" {
		x.f.str("type", "")
	}
	if i.URL == "" {
		x.f.str("url", "")
	}
	return x
}

// NewImage describes a picture at url.
func NewImage(url, mediaType string) *Image {
	return &Image{Type: TypeImage, URL: url, MediaType: mediaType}
}

// Attachment is one entry of an object's attachment list. The list mixes
// kinds: a Document (the banner), PropertyValue (typed links to tools),
// Link (the online address). Use the constructors, which fill the extras each
// kind needs.
type Attachment struct {
	Type       string `json:"type"`
	Name       string `json:"name,omitempty"`
	MediaType  string `json:"mediaType,omitempty"`
	URL        string `json:"url,omitempty"`
	Href       string `json:"href,omitempty"`
	PropertyID string `json:"propertyID,omitempty"`
	Value      string `json:"value,omitempty"`
}

// MarshalJSON writes the attachment.
func (a Attachment) MarshalJSON() ([]byte, error) { return marshalDoc(nil, a.item()) }

// item is the attachment on go-ap's vocab.Link (a Link) or vocab.Object
// (a Document, a PropertyValue); what go-ap has no field for is ours
// (PropertyValue's schema.org propertyID and value).
func (a Attachment) item() vocab.Item {
	var x ext
	var name *vocab.NaturalLanguageValues
	if a.Type == TypeLink {
		l := &vocab.Link{Type: asType(a.Type), MediaType: asMime(a.MediaType), Href: asIRI(a.Href)}
		x.Item, name = l, &l.Name
		x.f.strOmit("url", a.URL)
	} else {
		o := &vocab.Object{Type: asType(a.Type), MediaType: asMime(a.MediaType)}
		if a.URL != "" {
			o.URL = asIRI(a.URL)
		}
		x.Item, name = o, &o.Name
		x.f.strOmit("href", a.Href)
	}
	if a.Type == "" {
		x.f.str("type", "")
	}
	if n, ok := asNL(a.Name); ok {
		*name = n
	} else {
		x.f.strOmit("name", a.Name)
	}
	x.f.strOmit("propertyID", a.PropertyID)
	x.f.strOmit("value", a.Value)
	return x
}

// attachments is a list of attachments, always written as an array.
func attachmentList(as []Attachment) list {
	c := make(vocab.ItemCollection, len(as))
	for i, a := range as {
		c[i] = a.item()
	}
	return list{c}
}

// tags is a list of tags, always written as an array.
func tagList(ts []Tag) vocab.ItemCollection {
	c := make(vocab.ItemCollection, len(ts))
	for i, t := range ts {
		c[i] = t.item()
	}
	return c
}

// BannerName is the name Mobilizon gives, and looks for, on the Document
// attachment that is an event's banner picture.
const BannerName = "Banner"

// OnlineAddressName is the name Mobilizon gives, and looks for, on the Link
// attachment that is an event's online address.
const OnlineAddressName = "Website"

// NewBanner is the Document attachment carrying an event's banner picture.
func NewBanner(url, mediaType string) Attachment {
	return Attachment{Type: TypeDocument, Name: BannerName, MediaType: mediaType, URL: url}
}

// NewOnlineAddress is the Link attachment carrying an event's online address.
func NewOnlineAddress(href string) Attachment {
	return NewLink(OnlineAddressName, href)
}

// NewLink is a Link attachment to a web page at href, named name: an
// event's link of a kind with no typed key.
func NewLink(name, href string) Attachment {
	return Attachment{Type: TypeLink, Name: name, MediaType: "text/html", Href: href}
}

// Keys of typed links to an event's external tools. They follow the shape of
// Mobilizon's event metadata keys ("mz:<kind>:..."), so a Mobilizon instance
// shows them among an event's metadata; peers that do not know them still
// see a named link.
const (
	LinkPad        = "mz:pad:url"
	LinkVideoRoom  = "mz:visio:url"
	LinkLiveStream = "mz:live:url"
	LinkPoll       = "mz:poll:url"
	LinkTickets    = "mz:ticket:url"
)

// NewTypedLink is a PropertyValue attachment for a link to one of an event's
// tools; propertyID is one of the Link* keys and name what a person reads.
//
// It carries a mediaType, which a PropertyValue has no use for, because
// Gancio looks for the picture among attachments with
// attachment.mediaType.includes("image") and fails on one without.
func NewTypedLink(propertyID, name, url string) Attachment {
	return Attachment{Type: TypePropertyValue, PropertyID: propertyID, Name: name, Value: url, MediaType: "text/html"}
}

// Tombstone replaces a deleted object in a Delete activity.
type Tombstone struct {
	Type       string    `json:"type"`
	ID         string    `json:"id"`
	FormerType string    `json:"formerType,omitempty"`
	Deleted    time.Time `json:"deleted,omitzero"`
}

// MarshalJSON writes the tombstone.
func (t Tombstone) MarshalJSON() ([]byte, error) { return marshalDoc(nil, t.item()) }

// item is the tombstone on go-ap's vocab.Tombstone.
func (t Tombstone) item() vocab.Item {
	v := &vocab.Tombstone{Type: asType(t.Type), ID: asIRI(t.ID), FormerType: asType(t.FormerType)}
	x := ext{Item: v}
	if t.Type == "" {
		x.f.str("type", "")
	}
	if t.ID == "" {
		x.f.str("id", "")
	}
	if goapWritesTime(t.Deleted) {
		v.Deleted = t.Deleted
	} else {
		x.f.time("deleted", t.Deleted)
	}
	return x
}

// Activity is every activity we send. Object is either an id (string) or an
// embedded object (*Event, *Actor, *Activity, *Tombstone, ...); the
// constructors strip the @context of embedded objects.
type Activity struct {
	Context              any       `json:"@context,omitempty"`
	Type                 string    `json:"type"`
	ID                   string    `json:"id"`
	Actor                string    `json:"actor"`
	Object               any       `json:"object,omitempty"`
	Target               string    `json:"target,omitempty"`
	Content              string    `json:"content,omitempty"`
	ParticipationMessage string    `json:"participationMessage,omitempty"`
	To                   []string  `json:"to,omitempty"`
	Cc                   []string  `json:"cc,omitempty"`
	Published            time.Time `json:"published,omitzero"`
}

// MarshalJSON writes the activity, with its @context if it is the
// top-level document.
func (a Activity) MarshalJSON() ([]byte, error) { return marshalDoc(a.Context, a.item()) }

// item is the activity on go-ap's vocab.Activity; participationMessage
// is Mobilizon's.
func (a Activity) item() vocab.Item {
	v := &vocab.Activity{Type: asType(a.Type), ID: asIRI(a.ID), Actor: asIRI(a.Actor), Object: asItem(a.Object)}
	x := ext{Item: v}
	if a.Type == "" {
		x.f.str("type", "")
	}
	if a.ID == "" {
		x.f.str("id", "")
	}
	if a.Actor == "" {
		x.f.str("actor", "")
	}
	if a.Target != "" {
		v.Target = asIRI(a.Target)
	}
	if n, ok := asNL(a.Content); ok {
		v.Content = n
	} else {
		x.f.strOmit("content", a.Content)
	}
	x.f.strOmit("participationMessage", a.ParticipationMessage)
	if len(a.To) > 0 {
		v.To = asIRIs(a.To).ItemCollection
	}
	if len(a.Cc) > 0 {
		v.CC = asIRIs(a.Cc).ItemCollection
	}
	if goapWritesTime(a.Published) {
		v.Published = a.Published
	} else {
		x.f.time("published", a.Published)
	}
	return x
}

func newActivity(typ, id, actor string, object any, to, cc []string) *Activity {
	return &Activity{
		Context:   Context(),
		Type:      typ,
		ID:        id,
		Actor:     actor,
		Object:    embedded(object),
		To:        to,
		Cc:        cc,
		Published: time.Now().UTC().Truncate(time.Second),
	}
}

// embedded returns a copy of obj without its @context: only the top-level
// document carries one, and copying keeps the caller's value intact.
func embedded(obj any) any {
	switch o := obj.(type) {
	case *Event:
		c := *o
		c.Context = nil
		return &c
	case *Actor:
		c := *o
		c.Context = nil
		return &c
	case *Activity:
		c := *o
		c.Context = nil
		return &c
	case *Note:
		c := *o
		c.Context = nil
		return &c
	}
	return obj
}

// NewCreate announces a new object (an *Event, a *Note) to its audience.
func NewCreate(id, actor string, object any, to, cc []string) *Activity {
	return newActivity(TypeCreate, id, actor, object, to, cc)
}

// NewUpdate announces the new state of an object, sent whole.
func NewUpdate(id, actor string, object any, to, cc []string) *Activity {
	return newActivity(TypeUpdate, id, actor, object, to, cc)
}

// NewDelete announces that objectID is gone, with a Tombstone in its place,
// so peers that never saw it do not fetch it to learn it is deleted.
func NewDelete(id, actor, objectID, formerType string, to, cc []string) *Activity {
	now := time.Now().UTC().Truncate(time.Second)
	return newActivity(TypeDelete, id, actor,
		&Tombstone{Type: TypeTombstone, ID: objectID, FormerType: formerType, Deleted: now}, to, cc)
}

// NewAccept answers a Follow or a Join. object is the activity accepted:
// embed it (an *Activity, or the remote activity's id) so the peer can match
// it even if it never stored its own activity's id.
func NewAccept(id, actor string, object any, to []string) *Activity {
	return newActivity(TypeAccept, id, actor, object, to, nil)
}

// NewReject refuses a Follow or a Join (full, cancelled, past, refused).
func NewReject(id, actor string, object any, to []string) *Activity {
	return newActivity(TypeReject, id, actor, object, to, nil)
}

// NewFollow asks to follow the actor objectActor.
func NewFollow(id, actor, objectActor string) *Activity {
	return newActivity(TypeFollow, id, actor, objectActor, []string{objectActor}, nil)
}

// NewUndo takes back an earlier activity (a Follow, a Like), embedded whole.
func NewUndo(id, actor string, object any, to []string) *Activity {
	return newActivity(TypeUndo, id, actor, object, to, nil)
}

// NewJoin asks to take part in an event; message is what the participant
// wrote to the organiser, if anything.
func NewJoin(id, actor, eventID, message string, to []string) *Activity {
	a := newActivity(TypeJoin, id, actor, eventID, to, nil)
	a.ParticipationMessage = message
	return a
}

// NewLeave cancels a participation in an event.
func NewLeave(id, actor, eventID string, to []string) *Activity {
	return newActivity(TypeLeave, id, actor, eventID, to, nil)
}

// NewAnnounce relays an object (by id) to the actor's audience, as groups do
// for their members' events.
func NewAnnounce(id, actor, objectID string, to, cc []string) *Activity {
	return newActivity(TypeAnnounce, id, actor, objectID, to, cc)
}

// NewFlag reports objects (the reported actor first, then the offending
// objects) to their instance. It is sent by the instance actor so that the
// reporting person is not exposed.
func NewFlag(id, instanceActor string, objects []string, comment, to string) *Activity {
	a := newActivity(TypeFlag, id, instanceActor, objects, []string{to}, nil)
	a.Content = comment
	return a
}

// Note is a comment: a reply to an event or to another comment.
type Note struct {
	Context      any       `json:"@context,omitempty"`
	Type         string    `json:"type"`
	ID           string    `json:"id"`
	URL          string    `json:"url,omitempty"`
	AttributedTo string    `json:"attributedTo"`
	InReplyTo    string    `json:"inReplyTo,omitempty"`
	Content      string    `json:"content"`
	MediaType    string    `json:"mediaType,omitempty"`
	Tag          []Tag     `json:"tag,omitempty"`
	To           []string  `json:"to,omitempty"`
	Cc           []string  `json:"cc,omitempty"`
	Published    time.Time `json:"published,omitzero"`
	Updated      time.Time `json:"updated,omitzero"`
}

// MarshalJSON writes the comment, with its @context if it is the
// top-level document.
func (n Note) MarshalJSON() ([]byte, error) { return marshalDoc(n.Context, n.item()) }

// item is the comment on go-ap's vocab.Object of type Note.
func (n Note) item() vocab.Item {
	o := &vocab.Object{Type: asType(n.Type), ID: asIRI(n.ID), MediaType: asMime(n.MediaType)}
	x := ext{Item: o}
	if n.Type == "" {
		x.f.str("type", "")
	}
	if n.ID == "" {
		x.f.str("id", "")
	}
	if n.URL != "" {
		o.URL = asIRI(n.URL)
	}
	if n.AttributedTo != "" {
		o.AttributedTo = asIRI(n.AttributedTo)
	} else {
		x.f.str("attributedTo", "")
	}
	if n.InReplyTo != "" {
		o.InReplyTo = asIRI(n.InReplyTo)
	}
	if c, ok := asNL(n.Content); ok {
		o.Content = c
	} else {
		x.f.str("content", n.Content)
	}
	if len(n.Tag) > 0 {
		o.Tag = tagList(n.Tag)
	}
	if len(n.To) > 0 {
		o.To = asIRIs(n.To).ItemCollection
	}
	if len(n.Cc) > 0 {
		o.CC = asIRIs(n.Cc).ItemCollection
	}
	setTimes(o, &x.f, n.Published, n.Updated)
	return x
}

// setTimes gives go-ap published and updated when it writes them as they
// are (UTC, whole seconds), and writes them otherwise.
func setTimes(o *vocab.Object, f *extras, published, updated time.Time) {
	if goapWritesTime(published) {
		o.Published = published
	} else {
		f.time("published", published)
	}
	if goapWritesTime(updated) {
		o.Updated = updated
	} else {
		f.time("updated", updated)
	}
}

// NewNote builds a comment by author in reply to inReplyTo; content is HTML.
func NewNote(id, author, inReplyTo, content string, published time.Time, to, cc []string) *Note {
	return &Note{
		Context:      Context(),
		Type:         TypeNote,
		ID:           id,
		URL:          id,
		AttributedTo: author,
		InReplyTo:    inReplyTo,
		Content:      content,
		MediaType:    "text/html",
		To:           to,
		Cc:           cc,
		Published:    published.UTC().Truncate(time.Second),
	}
}
