package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"convene/app/store"
)

// exportFormat names the layout of the export, so a later importer (here
// or elsewhere) knows what it reads.
const exportFormat = "convene-account-export/1"

// AccountExport is everything one account owns, for its owner to keep:
// never the password hash, keys or sessions.
type AccountExport struct {
	Format         string                `json:"format"`
	Instance       string                `json:"instance"`
	ExportedAt     time.Time             `json:"exported_at"`
	Account        exportAccount         `json:"account"`
	Identities     []exportIdentity      `json:"identities"`
	Events         []exportEvent         `json:"events"`
	Participations []exportParticipation `json:"participations"`
	Comments       []exportComment       `json:"comments"`
	Groups         []exportMembership    `json:"group_memberships"`
	Messages       []exportMessage       `json:"discussion_messages"`
}

// exportComment is a comment one of the account's identities wrote.
type exportComment struct {
	Identity   string    `json:"identity"`
	URL        string    `json:"url"`
	EventUUID  string    `json:"event_uuid"`
	EventTitle string    `json:"event_title"`
	HTML       string    `json:"content_html"`
	State      string    `json:"state"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// exportMembership is a group one of the account's identities is in.
type exportMembership struct {
	Identity  string    `json:"identity"`
	Group     string    `json:"group"` // its handle
	Name      string    `json:"group_name,omitempty"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// exportMessage is a discussion message one of the account's identities
// wrote: the Markdown typed here when kept, and the HTML shown.
type exportMessage struct {
	Identity   string     `json:"identity"`
	Group      string     `json:"group"`
	Discussion string     `json:"discussion"`
	Markdown   string     `json:"markdown,omitempty"`
	HTML       string     `json:"content_html"`
	CreatedAt  time.Time  `json:"created_at"`
	EditedAt   *time.Time `json:"edited_at,omitempty"`
}

type exportAccount struct {
	Email     string    `json:"email"`
	IsAdmin   bool      `json:"is_admin"`
	Language  string    `json:"language,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

type exportIdentity struct {
	Username    string    `json:"username"`
	Handle      string    `json:"handle"`
	URL         string    `json:"url"`
	DisplayName string    `json:"display_name,omitempty"`
	Bio         string    `json:"bio,omitempty"`
	AvatarURL   string    `json:"avatar_url,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

type exportEvent struct {
	UUID                 string         `json:"uuid"`
	Organizer            string         `json:"organizer"`
	Title                string         `json:"title"`
	Description          string         `json:"description_markdown,omitempty"`
	StartsAt             string         `json:"starts_at"` // in the event's own zone, RFC 3339
	EndsAt               string         `json:"ends_at"`
	Timezone             string         `json:"timezone"`
	Address              *exportAddress `json:"address,omitempty"`
	OnlineURL            string         `json:"online_url,omitempty"`
	Category             string         `json:"category"`
	Tags                 []string       `json:"tags,omitempty"`
	Links                []exportLink   `json:"links,omitempty"`
	BannerURL            string         `json:"banner_url,omitempty"`
	Status               string         `json:"status"`
	Visibility           string         `json:"visibility"`
	Draft                bool           `json:"draft"`
	JoinMode             string         `json:"join_mode"`
	ExternalURL          string         `json:"external_url,omitempty"`
	Capacity             int            `json:"capacity,omitempty"`
	ParticipationMessage string         `json:"participation_message,omitempty"`
	Language             string         `json:"language,omitempty"`
	PublishedAt          *time.Time     `json:"published_at,omitempty"`
	CreatedAt            time.Time      `json:"created_at"`
	UpdatedAt            time.Time      `json:"updated_at"`
}

type exportAddress struct {
	Venue      string   `json:"venue,omitempty"`
	Street     string   `json:"street,omitempty"`
	PostalCode string   `json:"postal_code,omitempty"`
	Locality   string   `json:"locality,omitempty"`
	Region     string   `json:"region,omitempty"`
	Country    string   `json:"country,omitempty"`
	Latitude   *float64 `json:"latitude,omitempty"`
	Longitude  *float64 `json:"longitude,omitempty"`
}

type exportLink struct {
	Kind  string `json:"kind"`
	Title string `json:"title,omitempty"`
	URL   string `json:"url"`
}

// exportParticipation is an event one of the account's identities said it
// comes to.
type exportParticipation struct {
	Identity   string    `json:"identity"`
	State      string    `json:"state"`
	Message    string    `json:"message,omitempty"`
	EventUUID  string    `json:"event_uuid"`
	EventTitle string    `json:"event_title"`
	StartsAt   string    `json:"event_starts_at"`
	CreatedAt  time.Time `json:"created_at"`
}

// ExportAccount gathers one account's own data.
func (a *App) ExportAccount(ctx context.Context, acc *store.Account) (*AccountExport, error) {
	ids, err := a.store.IdentitiesOf(ctx, acc.ID)
	if err != nil {
		return nil, err
	}
	events, err := a.store.EventsOfAccount(ctx, acc.ID)
	if err != nil {
		return nil, err
	}
	x := &AccountExport{
		Format:     exportFormat,
		Instance:   a.cfg.BaseURL,
		ExportedAt: a.now().UTC().Truncate(time.Second),
		Account: exportAccount{
			Email: acc.Email, IsAdmin: acc.IsAdmin, Language: acc.Locale, CreatedAt: acc.CreatedAt.UTC(),
		},
		Identities:     []exportIdentity{},
		Events:         []exportEvent{},
		Participations: []exportParticipation{},
		Comments:       []exportComment{},
		Groups:         []exportMembership{},
		Messages:       []exportMessage{},
	}
	if err := a.exportWords(ctx, acc, x); err != nil {
		return nil, err
	}
	parts, err := a.store.AllParticipationsOfAccount(ctx, acc.ID)
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		loc := time.UTC
		if l, err := time.LoadLocation(p.Timezone); err == nil {
			loc = l
		}
		x.Participations = append(x.Participations, exportParticipation{
			Identity: p.Identity, State: p.State, Message: p.Message, EventUUID: p.EventUUID,
			EventTitle: p.EventTitle, StartsAt: p.StartsAt.In(loc).Format(time.RFC3339), CreatedAt: p.CreatedAt,
		})
	}
	for _, id := range ids {
		ei := exportIdentity{
			Username: id.Username, Handle: "@" + id.Username + "@" + a.Host(), URL: a.URL("/@" + id.Username),
			DisplayName: id.DisplayName, Bio: id.Bio, CreatedAt: id.CreatedAt.UTC(),
		}
		if id.AvatarUUID != "" {
			ei.AvatarURL = a.URL("/media/" + id.AvatarUUID)
		}
		x.Identities = append(x.Identities, ei)
	}
	for _, e := range events {
		loc := e.Location()
		ee := exportEvent{
			UUID: e.UUID, Title: e.Title, Description: e.DescriptionMD,
			StartsAt: e.StartsAt.In(loc).Format(time.RFC3339), EndsAt: e.EndsAt.In(loc).Format(time.RFC3339),
			Timezone: e.Timezone, OnlineURL: e.OnlineURL, Category: e.Category, Tags: e.Tags,
			Status: e.Status, Visibility: e.Visibility, Draft: e.Draft, JoinMode: e.JoinMode,
			ExternalURL: e.ExternalURL, Capacity: e.Capacity, ParticipationMessage: e.ParticipationMessage,
			Language: e.Language, PublishedAt: e.PublishedAt, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
		}
		if e.Organizer != nil {
			ee.Organizer = e.Organizer.Username
		}
		if !e.Address.IsZero() {
			ad := e.Address
			ee.Address = &exportAddress{Venue: ad.Venue, Street: ad.Street, PostalCode: ad.PostalCode, Locality: ad.Locality,
				Region: ad.Region, Country: ad.Country, Latitude: ad.Latitude, Longitude: ad.Longitude}
		}
		if e.BannerUUID != "" {
			ee.BannerURL = a.URL("/media/" + e.BannerUUID)
		}
		for _, l := range e.Links {
			ee.Links = append(ee.Links, exportLink{Kind: l.Kind, Title: l.Title, URL: l.URL})
		}
		x.Events = append(x.Events, ee)
	}
	return x, nil
}

// exportWords adds the account's comments, group memberships and
// discussion messages to x.
func (a *App) exportWords(ctx context.Context, acc *store.Account, x *AccountExport) error {
	comments, err := a.store.CommentsOfAccount(ctx, acc.ID)
	if err != nil {
		return err
	}
	for _, c := range comments {
		x.Comments = append(x.Comments, exportComment{Identity: c.Identity, URL: a.URL("/events/" + c.EventUUID + "#comment-" + c.UUID),
			EventUUID: c.EventUUID, EventTitle: c.EventTitle, HTML: c.HTML, State: c.State, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt})
	}
	groupHandle := func(name, domain string) string {
		if domain == "" {
			domain = a.Host()
		}
		return "@" + name + "@" + domain
	}
	members, err := a.store.MembershipsOfAccount(ctx, acc.ID)
	if err != nil {
		return err
	}
	for _, m := range members {
		x.Groups = append(x.Groups, exportMembership{Identity: m.Identity, Group: groupHandle(m.GroupName, m.GroupDomain),
			Name: m.DisplayName, Role: m.Role, CreatedAt: m.CreatedAt})
	}
	messages, err := a.store.MessagesOfAccount(ctx, acc.ID)
	if err != nil {
		return err
	}
	for _, m := range messages {
		x.Messages = append(x.Messages, exportMessage{Identity: m.Identity, Group: groupHandle(m.GroupName, m.GroupDomain),
			Discussion: m.DiscussionTitle, Markdown: m.Source, HTML: m.HTML, CreatedAt: m.CreatedAt, EditedAt: m.EditedAt})
	}
	return nil
}

// WriteExport writes the export of the account with that email as JSON.
func (a *App) WriteExport(ctx context.Context, w io.Writer, email string) error {
	acc, err := a.store.AccountByEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("no account with the email %q on this instance", email)
	}
	x, err := a.ExportAccount(ctx, acc)
	if err != nil {
		return err
	}
	return writeJSON(w, x)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// downloadExport answers GET /me/export: the logged-in account's data as
// a JSON file.
func (a *App) downloadExport(w http.ResponseWriter, r *http.Request) error {
	acc := currentAccount(r)
	if acc == nil {
		return a.sendToLogin(w, r)
	}
	x, err := a.ExportAccount(r.Context(), acc)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="convene-export-%s.json"`, a.now().UTC().Format("2006-01-02")))
	h.Set("Cache-Control", "no-store")
	return writeJSON(w, x)
}
