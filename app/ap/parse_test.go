package ap

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Our own cases, in testdata/extra: shapes real peers send that the
// captured fixtures do not show.
func TestParseVariants(t *testing.T) {
	t.Run("nulls everywhere", func(t *testing.T) {
		e := eventOf(t, readFixture(t, "testdata/extra/event-mobilizon5-nulls.json"))
		wantString(t, "name", e.Name, "Bal folk")
		wantString(t, "timezone", e.Timezone, "Europe/Paris")
		sameInstantAndOffset(t, "start", e.StartTime, "2025-03-29T20:30:00+01:00")
		if !e.EndTime.IsZero() {
			t.Errorf("null endTime read as %s", e.EndTime)
		}
		wantString(t, "join mode", e.JoinMode, JoinModeRestricted)
		wantString(t, "status falls back on ical:status", e.Status, StatusTentative)
		wantString(t, "organiser", e.Organizer(), "https://mobilizon.example/@danse")
		wantPlaces(t, e)
		if e.MaximumAttendeeCapacity != nil || e.CommentsEnabled != nil || e.Draft || len(e.To) != 0 {
			t.Errorf("null read as a value: %+v", e)
		}
		if e.Zone().String() != "Europe/Paris" {
			t.Errorf("zone %s", e.Zone())
		}
	})
	t.Run("arrays and objects where strings were expected", func(t *testing.T) {
		e := eventOf(t, readFixture(t, "testdata/extra/event-arrays-and-objects.json"))
		wantStrings(t, "types", e.Types, []string{"Event", "sc:Event"})
		wantString(t, "html url", e.URL, "https://events.example/@club/e/42")
		wantString(t, "name from nameMap", e.Name, "Bike workshop")
		wantString(t, "content from contentMap", e.Content, "<p>Réparons nos vélos</p>")
		wantStrings(t, "attributedTo", e.AttributedTo, []string{"https://events.example/@club", "https://events.example/@marie"})
		wantString(t, "organiser", e.Organizer(), "https://events.example/@marie")
		wantStrings(t, "to", e.To, []string{Public})
		wantStrings(t, "cc", e.Cc, []string{"https://events.example/@club/followers"})
		sameInstantAndOffset(t, "start", e.StartTime, "2025-06-14T10:00:00-04:00")
		sameInstantAndOffset(t, "end", e.EndTime, "2025-06-14T12:30:00-04:00")
		wantString(t, "timezone", e.Timezone, "America/Montreal")
		wantPlaces(t, e, RemotePlace{Name: "Atelier du Coin",
			Address: &PostalAddress{Type: TypePostalAddress, StreetAddress: "12 rue Rachel", PostalCode: "H2J 2H8",
				AddressLocality: "Montréal", AddressRegion: "QC", AddressCountry: "Canada"},
			Latitude: ptr(45.5231), Longitude: ptr(-73.5817)})
		wantString(t, "online", e.OnlineAddress(), "https://meet.example/velo")
		wantStrings(t, "tags", e.Tags, []string{"velo", "reparation"})
		wantString(t, "banner", e.BannerURL, "https://events.example/media/banner.webp")
		wantInt(t, "capacity from a string", e.MaximumAttendeeCapacity, 12)
		wantInt(t, "remaining", e.RemainingAttendeeCapacity, 3)
		wantInt(t, "participants from a float", e.ParticipantCount, 9)
		if e.AnonymousParticipationEnabled == nil || !*e.AnonymousParticipationEnabled {
			t.Error(`"true" not read as true`)
		}
		wantString(t, "status upper-cased", e.Status, StatusConfirmed)
	})
	t.Run("string address and naive times", func(t *testing.T) {
		e := eventOf(t, readFixture(t, "testdata/extra/event-string-address.json"))
		wantPlaces(t, e, RemotePlace{Name: "Piazza Maggiore", AddressText: "Piazza Maggiore, 40124 Bologna",
			Latitude: ptr(44.4938), Longitude: ptr(11.3430)})
		// No offset written: read in the event's own zone, not UTC.
		sameInstantAndOffset(t, "start", e.StartTime, "2025-08-01T21:00:00+02:00")
		wantString(t, "a lone Link is the online address", e.OnlineAddress(), "https://tickets.example/concert")
	})
	t.Run("Announce of a remote event", func(t *testing.T) {
		a := activityOf(t, readFixture(t, "testdata/extra/announce-remote-event.json"))
		wantStrings(t, "type", a.Types, []string{TypeAnnounce})
		wantString(t, "announcer", a.Actor, "https://mobilizon.example/@collectif")
		wantString(t, "object id", a.Object.ID, "https://other.example/events/8c2e")
		if SameHost(a.Actor, a.Object.ID) {
			t.Fatal("the event is on another host: the inbox must refetch it, and needs to see that")
		}
		e := embeddedEvent(t, a)
		wantString(t, "name", e.Name, "Marche pour le climat")
		wantString(t, "organiser", e.Organizer(), "https://other.example/@orga")
		wantString(t, "join mode", e.JoinMode, JoinModeExternal)
		wantString(t, "external url", e.ExternalParticipationURL, "https://framaforms.example/marche")
		wantString(t, "banner", e.BannerURL, "https://other.example/media/marche.jpg")
		wantString(t, "online", e.OnlineAddress(), "https://live.example/marche")
		wantString(t, "status", e.Status, StatusCancelled)
		sameInstantAndOffset(t, "start", e.StartTime, "2025-04-12T14:00:00+02:00")
	})
	t.Run("actor with arrays, objects and nulls", func(t *testing.T) {
		a := actorOf(t, readFixture(t, "testdata/extra/actor-variants.json"))
		wantString(t, "url from a Link", a.URL, "https://social.example/@zoe")
		wantString(t, "icon from an array", a.IconURL, "https://social.example/a/zoe.png")
		wantString(t, "followers from an object", a.Followers, "https://social.example/users/zoe/followers")
		wantString(t, "first key", a.PublicKey.ID, "https://social.example/users/zoe#main-key")
		if k, ok := a.Key("https://social.example/users/zoe#other-key"); !ok || !strings.Contains(k.PublicKeyPEM, "BBBB") {
			t.Error("second key not found by id")
		}
		if !a.ManuallyApprovesFollowers {
			t.Error(`"true" not read as true`)
		}
		wantString(t, "null outbox", a.Outbox, "")
		wantString(t, "null endpoints", a.SharedInbox, "")
	})
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name    string
		parse   func([]byte) error
		raw     string
		wantErr error
	}{
		{"event: not JSON", parseEventErr, `<html>`, ErrNotJSONObject},
		{"event: an array", parseEventErr, `[{"type":"Event"}]`, ErrNotJSONObject},
		{"event: null", parseEventErr, `null`, ErrNotJSONObject},
		{"event: a Note", parseEventErr, `{"type":"Note","id":"https://a.example/n/1"}`, ErrUnexpectedType},
		{"event: no type", parseEventErr, `{"id":"https://a.example/e/1"}`, ErrInvalidObject},
		{"event: id too long to keep", parseEventErr, `{"type":"Event","id":"https://a.example/` + strings.Repeat("x", 3000) + `"}`, ErrInvalidObject},
		{"actor: a Note carrying a key", parseActorErr, `{"type":"Note","id":"https://a.example/n/1","publicKey":{"id":"k","owner":"o","publicKeyPem":"p"}}`, ErrUnexpectedType},
		{"activity: no actor", parseActivityErr, `{"type":"Create","id":"https://a.example/c/1","object":"https://a.example/n/1"}`, ErrUnexpectedType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.parse([]byte(tt.raw)); !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func parseEventErr(raw []byte) error    { _, err := ParseEvent(raw); return err }
func parseActorErr(raw []byte) error    { _, err := ParseActor(raw); return err }
func parseActivityErr(raw []byte) error { _, err := ParseActivity(raw); return err }

// A hostile peer sends an event of enormous strings and lists; what we keep
// is bounded.
func TestParseCapsHostileEvent(t *testing.T) {
	doc := map[string]any{
		"type":      "Event",
		"id":        "https://evil.example/e/1",
		"name":      strings.Repeat("é", 5000),
		"content":   strings.Repeat("<p>x</p>", 50_000),
		"summary":   strings.Repeat("s", 10_000),
		"category":  strings.Repeat("c", 10_000),
		"timezone":  "../../../etc/passwd",
		"startTime": "2025-01-01T10:00:00Z",
		"url":       "https://evil.example/" + strings.Repeat("u", 5000),
	}
	var tags, attachments, locations []any
	for i := range 500 {
		tags = append(tags, map[string]any{"type": "Hashtag", "name": fmt.Sprintf("#t%d", i)})
		attachments = append(attachments, map[string]any{"type": "Document", "url": fmt.Sprintf("https://evil.example/%d.jpg", i)})
		locations = append(locations, map[string]any{"type": "Place", "name": fmt.Sprintf("place %d", i)})
	}
	doc["tag"], doc["attachment"], doc["location"] = tags, attachments, locations
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	e := eventOf(t, raw)
	checks := []struct {
		what      string
		got, want int
	}{
		{"name runes", utf8.RuneCountInString(e.Name), MaxNameRunes},
		{"content runes", utf8.RuneCountInString(e.Content), MaxContentRunes},
		{"summary runes", utf8.RuneCountInString(e.Summary), MaxTextRunes},
		{"category runes", utf8.RuneCountInString(e.Category), MaxTextRunes},
		{"tags", len(e.Tags), MaxTags},
		{"attachments", len(e.Attachments), MaxAttachments},
		{"locations", len(e.Locations), MaxLocations},
		{"url kept (too long: dropped, not cut)", len(e.URL), 0},
		{"timezone kept (not a zone)", len(e.Timezone), 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.what, c.got, c.want)
		}
	}
	if !utf8.ValidString(e.Name) {
		t.Error("name cut inside a rune")
	}
}

// An event we publish, read back by our own parser, keeps every field: what
// one Convene sends, another understands whole.
func TestEventRoundTrip(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 7, 14, 18, 30, 0, 0, time.UTC)
	end := start.Add(3 * time.Hour)
	ev := NewEvent("https://convene.example/events/7f3a", "https://convene.example/@marie", "Bal du 14 juillet", start, end, paris)
	ev.UUID = "7f3a"
	ev.Content = "<p>Venez <strong>danser</strong></p>"
	ev.AttributedTo = "https://convene.example/@comite"
	place := NewPlace("https://convene.example/places/1", "Place du Marché", PostalAddress{
		StreetAddress: "1 place du Marché", PostalCode: "69001", AddressLocality: "Lyon",
		AddressRegion: "Auvergne-Rhône-Alpes", AddressCountry: "France",
	})
	place.SetCoordinates(45.7640, 4.8357)
	ev.Location = place
	ev.Summary = SummaryLine(start, end, paris, place.PlaceLine())
	ev.Category = "PARTY"
	ev.Tag = []Tag{NewHashtag("bal", "https://convene.example/tags/bal"), NewHashtag("#folk", "")}
	ev.JoinMode = JoinModeRestricted
	ev.MaximumAttendeeCapacity = 120
	ev.RemainingAttendeeCapacity = ptr(20)
	ev.ParticipantCount = 100
	ev.AnonymousParticipationEnabled = true
	ev.SetRepliesModeration(RepliesModerated)
	ev.SetStatus(StatusTentative)
	ev.InLanguage = "fr"
	ev.Attachment = append(ev.Attachment,
		NewBanner("https://convene.example/media/bal.jpg", "image/jpeg"),
		NewTypedLink(LinkPad, "Pad", "https://pad.example/bal"))
	ev.SetOnlineAddress("https://live.example/bal", false)
	ev.SetAudience("https://convene.example/@marie/followers", true)
	ev.Published = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	// On the wire, times carry the event's offset (Paris in summer).
	if !strings.Contains(string(raw), `"startTime":"2025-07-14T20:30:00+02:00"`) {
		t.Errorf("startTime not in the event's zone: %s", raw)
	}
	for _, want := range []string{`"ical:status":"TENTATIVE"`, `"status":"TENTATIVE"`, `"@context":[`, `"https://w3id.org/security/v1"`, `"joinMode":"restricted"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("marshalled event lacks %s", want)
		}
	}

	got := eventOf(t, raw)
	wantString(t, "id", got.ID, ev.ID)
	wantString(t, "url", got.URL, ev.URL)
	wantStrings(t, "type", got.Types, []string{TypeEvent})
	wantString(t, "name", got.Name, ev.Name)
	wantString(t, "content", got.Content, ev.Content)
	wantString(t, "mediaType", got.MediaType, "text/html")
	wantString(t, "summary", got.Summary, "2025-07-14 20:30–23:30 – Europe/Paris – Place du Marché, 1 place du Marché, 69001 Lyon, France")
	sameInstantAndOffset(t, "start", got.StartTime, "2025-07-14T20:30:00+02:00")
	sameInstantAndOffset(t, "end", got.EndTime, "2025-07-14T23:30:00+02:00")
	wantString(t, "timezone", got.Timezone, "Europe/Paris")
	wantPlaces(t, got, RemotePlace{ID: place.ID, Name: place.Name, Address: place.Address, Latitude: place.Latitude, Longitude: place.Longitude})
	wantStrings(t, "online", got.OnlineAddresses, []string{"https://live.example/bal"})
	if got.IsOnline {
		t.Error("isOnline invented")
	}
	wantStrings(t, "attributedTo", got.AttributedTo, []string{"https://convene.example/@comite"})
	wantString(t, "organiser", got.Organizer(), "https://convene.example/@marie")
	wantString(t, "category", got.Category, "PARTY")
	wantStrings(t, "tags", got.Tags, []string{"bal", "folk"})
	wantString(t, "joinMode", got.JoinMode, JoinModeRestricted)
	wantInt(t, "capacity", got.MaximumAttendeeCapacity, 120)
	wantInt(t, "remaining", got.RemainingAttendeeCapacity, 20)
	wantInt(t, "participants", got.ParticipantCount, 100)
	if got.AnonymousParticipationEnabled == nil || !*got.AnonymousParticipationEnabled {
		t.Error("anonymousParticipationEnabled lost")
	}
	wantString(t, "replies", got.RepliesModerationOption, RepliesModerated)
	if got.CommentsEnabled == nil || !*got.CommentsEnabled {
		t.Error("commentsEnabled lost")
	}
	if got.Draft {
		t.Error("draft invented")
	}
	wantString(t, "status", got.Status, StatusTentative)
	wantString(t, "inLanguage", got.InLanguage, "fr")
	wantString(t, "banner", got.BannerURL, "https://convene.example/media/bal.jpg")
	if len(got.Attachments) != 3 || got.Attachments[1].PropertyID != LinkPad || got.Attachments[1].Value != "https://pad.example/bal" || got.Attachments[1].Name != "Pad" {
		t.Errorf("attachments %+v", got.Attachments)
	}
	wantStrings(t, "to", got.To, []string{Public})
	wantStrings(t, "cc", got.Cc, []string{"https://convene.example/@marie/followers"})
	if !got.Published.Equal(ev.Published) {
		t.Errorf("published %s", got.Published)
	}

	// Drafts, cancellations and external participation survive too.
	ev.Draft = true
	ev.SetStatus(StatusCancelled)
	ev.JoinMode, ev.ExternalParticipationURL = JoinModeExternal, "https://tickets.example/bal"
	ev.SetRepliesModeration(RepliesClosed)
	ev.EndTime = time.Time{}
	raw, _ = json.Marshal(ev)
	got = eventOf(t, raw)
	if !got.Draft || got.Status != StatusCancelled || got.ExternalParticipationURL != "https://tickets.example/bal" ||
		got.CommentsEnabled == nil || *got.CommentsEnabled || !got.EndTime.IsZero() || strings.Contains(string(raw), "endTime") {
		t.Errorf("second round trip: %+v", got)
	}
}

// Activities we send parse back with their object, and an embedded event
// loses its @context (only the top-level document has one).
func TestActivityRoundTrip(t *testing.T) {
	ev := NewEvent("https://convene.example/events/1", "https://convene.example/@marie", "Pique-nique",
		time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC), time.Time{}, time.UTC)
	marie := "https://convene.example/@marie"
	follow := NewFollow("https://remote.example/follows/1", "https://remote.example/@bob", marie)
	join := NewJoin("https://remote.example/joins/1", "https://remote.example/@bob", ev.ID, "Je viens avec ma sœur", []string{marie})
	tests := []struct {
		name       string
		activity   *Activity
		wantType   string
		wantObject string
		embedded   string // type of the embedded object, if any
	}{
		{"Create", NewCreate("https://convene.example/events/1/create", marie, ev, ev.To, ev.Cc), TypeCreate, ev.ID, TypeEvent},
		{"Update", NewUpdate("https://convene.example/events/1/update/2", marie, ev, ev.To, ev.Cc), TypeUpdate, ev.ID, TypeEvent},
		{"Delete", NewDelete("https://convene.example/events/1/delete", marie, ev.ID, TypeEvent, ev.To, ev.Cc), TypeDelete, ev.ID, TypeTombstone},
		{"Accept a Follow", NewAccept("https://convene.example/accepts/1", marie, follow, []string{follow.Actor}), TypeAccept, follow.ID, TypeFollow},
		{"Reject a Join", NewReject("https://convene.example/rejects/1", marie, join, []string{join.Actor}), TypeReject, join.ID, TypeJoin},
		{"Follow", follow, TypeFollow, marie, ""},
		{"Undo", NewUndo("https://remote.example/undo/1", follow.Actor, follow, []string{marie}), TypeUndo, follow.ID, TypeFollow},
		{"Join", join, TypeJoin, ev.ID, ""},
		{"Leave", NewLeave("https://remote.example/leaves/1", join.Actor, ev.ID, []string{marie}), TypeLeave, ev.ID, ""},
		{"Announce", NewAnnounce("https://convene.example/@comite/announces/1", "https://convene.example/@comite", ev.ID, []string{Public}, nil), TypeAnnounce, ev.ID, ""},
		{"Flag", NewFlag("https://convene.example/flags/1", "https://convene.example/actor", []string{"https://remote.example/@spam", "https://remote.example/notes/9"}, "spam", "https://remote.example/actor"), TypeFlag, "https://remote.example/@spam", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := json.Marshal(tt.activity)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(string(raw), `"@context"`) != 1 {
				t.Errorf("want exactly one @context: %s", raw)
			}
			a := activityOf(t, raw)
			wantStrings(t, "type", a.Types, []string{tt.wantType})
			wantString(t, "actor", a.Actor, tt.activity.Actor)
			wantString(t, "object", a.Object.ID, tt.wantObject)
			if tt.embedded == "" {
				if a.Object.Embedded() {
					t.Error("object embedded, want an id")
				}
				return
			}
			if !a.Object.Is(tt.embedded) {
				t.Errorf("embedded object types %v, want %s", a.Object.Types, tt.embedded)
			}
		})
	}
	// The embedded copy lost its @context; the caller's event did not.
	if ev.Context == nil {
		t.Error("NewCreate altered the caller's event")
	}
	a := activityOf(t, mustJSON(t, NewFlag("https://convene.example/flags/1", "https://convene.example/actor", []string{"https://r.example/@a", "https://r.example/n/1"}, "why", "https://r.example/actor")))
	if len(a.Objects) != 2 || a.Content != "why" {
		t.Errorf("flag objects %v content %q", a.Objects, a.Content)
	}
	j := activityOf(t, mustJSON(t, join))
	wantString(t, "participation message", j.ParticipationMessage, "Je viens avec ma sœur")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// An actor we publish reads back with everything a peer needs to follow it
// and verify its signatures.
func TestActorRoundTrip(t *testing.T) {
	key, _ := testKeys(t)
	pemKey, err := EncodePublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		typ string
	}{{TypePerson}, {TypeApplication}, {TypeGroup}}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			id := "https://convene.example/@comite"
			a := NewActor(tt.typ, id, "comite", pemKey, "https://convene.example/inbox")
			a.Name, a.Summary = "Comité des fêtes", "<p>On organise.</p>"
			a.Icon = NewImage("https://convene.example/media/c.png", "image/png")
			a.Discoverable, a.ManuallyApprovesFollowers = true, true
			if tt.typ == TypeGroup {
				a.Openness, a.MemberCount = OpennessInviteOnly, ptr(7)
			}
			got := actorOf(t, mustJSON(t, a))
			wantStrings(t, "type", got.Types, []string{tt.typ})
			for _, c := range [][3]string{
				{"preferredUsername", got.PreferredUsername, "comite"},
				{"name", got.Name, a.Name},
				{"summary", got.Summary, a.Summary},
				{"url", got.URL, id},
				{"icon", got.IconURL, a.Icon.URL},
				{"inbox", got.Inbox, id + "/inbox"},
				{"outbox", got.Outbox, id + "/outbox"},
				{"followers", got.Followers, id + "/followers"},
				{"following", got.Following, id + "/following"},
				{"sharedInbox", got.SharedInbox, "https://convene.example/inbox"},
				{"key id", got.PublicKey.ID, id + "#main-key"},
				{"key owner", got.PublicKey.Owner, id},
			} {
				wantString(t, c[0], c[1], c[2])
			}
			if !got.Discoverable || !got.ManuallyApprovesFollowers {
				t.Error("discoverable / manuallyApprovesFollowers lost")
			}
			back, err := ParsePublicKeyPEM(got.PublicKey.PublicKeyPEM)
			if err != nil || !back.Equal(&key.PublicKey) {
				t.Errorf("key did not survive: %v", err)
			}
			if tt.typ == TypeGroup {
				wantString(t, "openness", got.Openness, OpennessInviteOnly)
				wantInt(t, "memberCount", got.MemberCount, 7)
			}
		})
	}
}

func TestHost(t *testing.T) {
	tests := []struct {
		id, want string
	}{
		{"https://Events.Example/@a", "events.example"},
		{"https://events.example:443/@a", "events.example"},
		{"https://events.example:8443/@a", "events.example:8443"},
		{"https://bücher.example/@a", "xn--bcher-kva.example"},
		{"https://xn--bcher-kva.example/x", "xn--bcher-kva.example"},
		{"https://events.example./@a", "events.example"},
		{"http://127.0.0.1:8080/@a", "127.0.0.1:8080"},
		{"https://[::1]:8443/@a", "[::1]:8443"},
	}
	for _, tt := range tests {
		got, err := Host(tt.id)
		if err != nil || got != tt.want {
			t.Errorf("Host(%q) = %q, %v; want %q", tt.id, got, err, tt.want)
		}
	}
	if SameHost("https://a.example/x", "https://a.example.evil.example/x") || !SameHost("https://BÜCHER.example/a", "https://xn--bcher-kva.example/b") {
		t.Error("SameHost")
	}
	if _, err := Host("/relative"); err == nil {
		t.Error("relative id given a host")
	}
}

// Our @context must not redefine "location": JSON-LD readers (Fedify) then
// see an event's Place under ActivityStreams' own term.
func TestContextKeepsActivityStreamsLocation(t *testing.T) {
	terms := Context()[2].(map[string]any)
	if _, ok := terms["location"]; ok {
		t.Fatalf("the context redefines location as %v", terms["location"])
	}
}

// Mobilizon reads a group's collections from endpoints; a group that
// lists them only there is read the same.
func TestParseGroupCollectionsFromEndpoints(t *testing.T) {
	raw := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://g.example/@velo","type":"Group",
		"inbox":"https://g.example/@velo/inbox","resources":"https://g.example/@velo/resources",
		"endpoints":{"sharedInbox":"https://g.example/inbox","members":"https://g.example/@velo/members",
		"resources":"https://g.example/other","posts":"https://g.example/@velo/posts","events":"https://g.example/@velo/events"}}`)
	a, err := ParseActor(raw)
	if err != nil {
		t.Fatal(err)
	}
	wantString(t, "members", a.Members, "https://g.example/@velo/members")
	wantString(t, "resources (top level first)", a.Resources, "https://g.example/@velo/resources")
	wantString(t, "posts", a.Posts, "https://g.example/@velo/posts")
	wantString(t, "events", a.Events, "https://g.example/@velo/events")
}

// M2: every URL a peer sends is http(s) or dropped as it is read — the
// page (url), the online address from a VirtualLocation, a string location
// or a Link attachment, the registration link, the banner — and an object
// whose id is not a web URL is refused outright.
func TestHostileURLsAreDropped(t *testing.T) {
	raw := readFixture(t, "testdata/extra/event-hostile-urls.json")
	e := eventOf(t, raw)
	wantString(t, "url", e.URL, "")
	wantString(t, "online address", e.OnlineAddress(), "")
	if len(e.OnlineAddresses) != 0 {
		t.Errorf("online addresses kept: %q", e.OnlineAddresses)
	}
	wantString(t, "registration link", e.ExternalParticipationURL, "")
	wantString(t, "banner", e.BannerURL, "")
	for _, a := range e.Attachments {
		if a.URL != "" || a.Href != "" {
			t.Errorf("attachment %q kept a link: url %q href %q", a.Name, a.URL, a.Href)
		}
	}
	wantStrings(t, "to (as:Public is the public audience)", e.To, []string{Public})
	wantString(t, "the rest stays", e.Name, "Soirée piégée")

	for _, id := range []string{"javascript:alert(1)", "data:text/html,x", "/events/relative"} {
		doc := strings.Replace(string(raw), `"https://mobilizon.example/events/hostile"`, fmt.Sprintf("%q", id), 1)
		if _, err := ParseEvent([]byte(doc)); err == nil {
			t.Errorf("an event with id %q was read", id)
		}
	}
	actor, err := ParseActor([]byte(`{"type":"Person","id":"https://mobilizon.example/@piege","url":"javascript:alert(1)",
		"icon":{"type":"Image","url":"javascript:alert(2)"},"inbox":"javascript:alert(3)"}`))
	if err != nil {
		t.Fatal(err)
	}
	if actor.URL != "" || actor.IconURL != "" || actor.Inbox != "" {
		t.Errorf("actor kept hostile links: url %q icon %q inbox %q", actor.URL, actor.IconURL, actor.Inbox)
	}
	act, err := ParseActivity([]byte(`{"type":"Delete","id":"https://mobilizon.example/d/1","actor":"https://mobilizon.example/@piege","object":"javascript:alert(1)"}`))
	if err != nil {
		t.Fatal(err)
	}
	if act.Object.ID != "" {
		t.Errorf("activity object id %q kept", act.Object.ID)
	}
}
