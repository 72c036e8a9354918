package ap

import "time"

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
