package ap

import (
	"time"

	vocab "github.com/go-ap/activitypub"
)

// PublicKey is the key an actor signs with, as the security/v1 vocabulary
// publishes it.
type PublicKey struct {
	ID           string `json:"id"`
	Owner        string `json:"owner"`
	PublicKeyPEM string `json:"publicKeyPem"`
}

// Endpoints lists an actor's server-wide endpoints.
type Endpoints struct {
	SharedInbox string `json:"sharedInbox,omitempty"`
}

// Group openness, in Mobilizon's words.
const (
	OpennessOpen       = "open"
	OpennessModerated  = "moderated"
	OpennessInviteOnly = "invite_only"
)

// Actor is an identity (Person), the instance (Application) or a Group, as
// we publish it.
type Actor struct {
	Context                   any          `json:"@context,omitempty"`
	Type                      string       `json:"type"`
	ID                        string       `json:"id"`
	URL                       string       `json:"url,omitempty"`
	PreferredUsername         string       `json:"preferredUsername"`
	Name                      string       `json:"name,omitempty"`
	Summary                   string       `json:"summary,omitempty"`
	Icon                      *Image       `json:"icon,omitempty"`
	Image                     *Image       `json:"image,omitempty"`
	Inbox                     string       `json:"inbox"`
	Outbox                    string       `json:"outbox"`
	Followers                 string       `json:"followers"`
	Following                 string       `json:"following"`
	Endpoints                 *Endpoints   `json:"endpoints,omitempty"`
	PublicKey                 PublicKey    `json:"publicKey"`
	Discoverable              bool         `json:"discoverable"`
	ManuallyApprovesFollowers bool         `json:"manuallyApprovesFollowers"`
	Attachment                []Attachment `json:"attachment,omitempty"`
	Published                 time.Time    `json:"published,omitzero"`
	// Suspended is Mastodon's toot:suspended: the instance's moderators
	// suspended this actor's account.
	Suspended bool `json:"suspended,omitempty"`

	// Group only.
	Openness    string `json:"openness,omitempty"`
	Members     string `json:"members,omitempty"`
	MemberCount *int   `json:"memberCount,omitempty"`
	Events      string `json:"events,omitempty"`
}

// MarshalJSON writes the actor, with its @context if it is the top-level
// document.
func (a Actor) MarshalJSON() ([]byte, error) { return marshalDoc(a.Context, a.item()) }

// item is the actor on go-ap's vocab.Actor (Person, Application, Group:
// inbox, outbox, publicKey, endpoints, ...), with Mastodon's
// discoverable, manuallyApprovesFollowers and suspended and Mobilizon's
// group fields.
func (a Actor) item() vocab.Item {
	v := &vocab.Actor{Type: asType(a.Type), ID: asIRI(a.ID)}
	x := ext{Item: v}
	f := &x.f
	if a.Type == "" {
		f.str("type", "")
	}
	if a.ID == "" {
		f.str("id", "")
	}
	if a.URL != "" {
		v.URL = asIRI(a.URL)
	}
	if n, ok := asNL(a.PreferredUsername); ok {
		v.PreferredUsername = n
	} else {
		f.str("preferredUsername", a.PreferredUsername)
	}
	if n, ok := asNL(a.Name); ok {
		v.Name = n
	} else {
		f.strOmit("name", a.Name)
	}
	if n, ok := asNL(a.Summary); ok {
		v.Summary = n
	} else {
		f.strOmit("summary", a.Summary)
	}
	if a.Icon != nil {
		v.Icon = a.Icon.item()
	}
	if a.Image != nil {
		v.Image = a.Image.item()
	}
	for _, c := range []struct {
		name string
		iri  string
		dst  *vocab.Item
	}{{"inbox", a.Inbox, &v.Inbox}, {"outbox", a.Outbox, &v.Outbox}, {"followers", a.Followers, &v.Followers}, {"following", a.Following, &v.Following}} {
		if c.iri != "" {
			*c.dst = asIRI(c.iri)
		} else {
			f.str(c.name, "")
		}
	}
	if a.Endpoints != nil {
		if a.Endpoints.SharedInbox != "" {
			v.Endpoints = &vocab.Endpoints{SharedInbox: asIRI(a.Endpoints.SharedInbox)}
		} else {
			f.raw("endpoints", "{}")
		}
	}
	if k := a.PublicKey; k.ID != "" && k.Owner != "" && k.PublicKeyPEM != "" {
		v.PublicKey = vocab.PublicKey{ID: asIRI(k.ID), Owner: asIRI(k.Owner), PublicKeyPem: k.PublicKeyPEM}
	} else {
		// go-ap leaves out an empty id, owner or key.
		f.json("publicKey", k)
	}
	if len(a.Attachment) > 0 {
		v.Attachment = attachmentList(a.Attachment)
	}
	if goapWritesTime(a.Published) {
		v.Published = a.Published
	} else {
		f.time("published", a.Published)
	}
	f.boolean("discoverable", a.Discoverable)
	f.boolean("manuallyApprovesFollowers", a.ManuallyApprovesFollowers)
	if a.Suspended {
		f.boolean("suspended", true)
	}
	f.strOmit("openness", a.Openness)
	f.strOmit("members", a.Members)
	if a.MemberCount != nil {
		f.int("memberCount", *a.MemberCount)
	}
	f.strOmit("events", a.Events)
	return x
}

// KeyID is the id of an actor's key: the actor id with a #main-key fragment,
// the convention Mastodon and Mobilizon share.
func KeyID(actorID string) string { return actorID + "#main-key" }

// NewActor builds an actor of type typ (TypePerson, TypeApplication or
// TypeGroup) whose inbox, outbox, followers and following hang under its id,
// and whose key is publicKeyPEM. The instance's shared inbox is where
// servers with many followers here deliver once for all of them.
func NewActor(typ, id, preferredUsername, publicKeyPEM, sharedInbox string) *Actor {
	a := &Actor{
		Context:           Context(),
		Type:              typ,
		ID:                id,
		URL:               id,
		PreferredUsername: preferredUsername,
		Inbox:             id + "/inbox",
		Outbox:            id + "/outbox",
		Followers:         id + "/followers",
		Following:         id + "/following",
		PublicKey:         PublicKey{ID: KeyID(id), Owner: id, PublicKeyPEM: publicKeyPEM},
	}
	if sharedInbox != "" {
		a.Endpoints = &Endpoints{SharedInbox: sharedInbox}
	}
	if typ == TypeGroup {
		a.Members = id + "/members"
		a.Events = id + "/events"
	}
	return a
}
