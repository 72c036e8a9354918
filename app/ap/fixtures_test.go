package ap

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Real payloads from Mobilizon and Gancio (testdata/fixtures, copied
// unchanged with their provenance) must parse and keep what an event page
// needs: times with their offset, place, online address, join mode,
// organiser. The expected values are the ones written in the files.

func readFixture(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// sameInstantAndOffset is stricter than time.Equal: the offset the peer
// wrote must survive too, since it is the wall clock of the event's place.
func sameInstantAndOffset(t *testing.T, what string, got time.Time, want string) {
	t.Helper()
	w := mustTime(t, want)
	_, gotOff := got.Zone()
	_, wantOff := w.Zone()
	if !got.Equal(w) || gotOff != wantOff {
		t.Errorf("%s = %s, want %s", what, got.Format(time.RFC3339), want)
	}
}

func eventOf(t *testing.T, raw []byte) *RemoteEvent {
	t.Helper()
	e, err := ParseEvent(raw)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func activityOf(t *testing.T, raw []byte) *RemoteActivity {
	t.Helper()
	a, err := ParseActivity(raw)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func actorOf(t *testing.T, raw []byte) *RemoteActor {
	t.Helper()
	a, err := ParseActor(raw)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// embeddedEvent parses the event an activity carries.
func embeddedEvent(t *testing.T, a *RemoteActivity) *RemoteEvent {
	t.Helper()
	if !a.Object.Embedded() || !a.Object.Is(TypeEvent) {
		t.Fatalf("object %+v is not an embedded Event", a.Object.ID)
	}
	return eventOf(t, a.Object.Raw)
}

// locationEvent wraps a bare location fixture (the Gancio ones are the value
// of an event's "location") into an event, which is how we meet them.
func locationEvent(t *testing.T, raw []byte) *RemoteEvent {
	t.Helper()
	doc := `{"type":"Event","id":"https://gancio.example/federation/m/1","startTime":"2025-01-01T10:00:00+01:00","location":` + string(raw) + `}`
	return eventOf(t, []byte(doc))
}

func wantString(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func wantStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func wantPlaces(t *testing.T, e *RemoteEvent, want ...RemotePlace) {
	t.Helper()
	if len(e.Locations) != len(want) {
		t.Fatalf("%d places %+v, want %d", len(e.Locations), e.Locations, len(want))
	}
	for i, w := range want {
		g := e.Locations[i]
		wantString(t, "place id", g.ID, w.ID)
		wantString(t, "place name", g.Name, w.Name)
		wantString(t, "place address text", g.AddressText, w.AddressText)
		if (g.Address == nil) != (w.Address == nil) || (g.Address != nil && *g.Address != *w.Address) {
			t.Errorf("place %d address = %+v, want %+v", i, g.Address, w.Address)
		}
		if !sameFloat(g.Latitude, w.Latitude) || !sameFloat(g.Longitude, w.Longitude) {
			t.Errorf("place %d coordinates = %v,%v want %v,%v", i, fp(g.Latitude), fp(g.Longitude), fp(w.Latitude), fp(w.Longitude))
		}
	}
}

func sameFloat(a, b *float64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func fp(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func ptr[T any](v T) *T { return &v }

func wantInt(t *testing.T, what string, got *int, want int) {
	t.Helper()
	if got == nil || *got != want {
		t.Errorf("%s = %v, want %d", what, fp2(got), want)
	}
}

func fp2(i *int) any {
	if i == nil {
		return nil
	}
	return *i
}

var fixtureChecks = map[string]func(t *testing.T, raw []byte){
	"gancio-application-actor.json": func(t *testing.T, raw []byte) {
		a := actorOf(t, raw)
		wantStrings(t, "type", a.Types, []string{TypeApplication})
		wantString(t, "preferredUsername", a.PreferredUsername, "gancio")
		wantString(t, "inbox", a.Inbox, "https://demo.gancio.org/federation/u/gancio/inbox")
		wantString(t, "outbox", a.Outbox, "https://demo.gancio.org/federation/u/gancio/outbox")
		wantString(t, "icon", a.IconURL, "https://demo.gancio.org/logo.png")
		wantString(t, "key id", a.PublicKey.ID, "https://demo.gancio.org/federation/u/gancio#main-key")
		wantString(t, "key owner", a.PublicKey.Owner, a.ID)
		if !a.Discoverable {
			t.Error("discoverable lost")
		}
		if _, err := ParsePublicKeyPEM(a.PublicKey.PublicKeyPEM); err != nil {
			t.Errorf("PKIX key: %v", err)
		}
	},
	"gancio-create-event-activity.json": func(t *testing.T, raw []byte) {
		a := activityOf(t, raw)
		wantStrings(t, "type", a.Types, []string{TypeCreate})
		wantString(t, "actor", a.Actor, "https://demo.gancio.org/federation/u/gancio")
		if !a.Addressed(Public) {
			t.Error("not seen as public")
		}
		e := embeddedEvent(t, a)
		wantString(t, "name", e.Name, "Demo event")
		wantString(t, "url", e.URL, "https://demo.gancio.org/event/demo-event")
		sameInstantAndOffset(t, "start", e.StartTime, "2021-07-14T17:30:57+02:00")
		sameInstantAndOffset(t, "end", e.EndTime, "2021-07-14T18:30:57+02:00")
		if _, off := e.StartTime.In(e.Zone()).Zone(); off != 2*3600 {
			t.Errorf("zone without a timezone name has offset %d, want the start's +02:00", off)
		}
		wantPlaces(t, e, RemotePlace{Name: "Colosseo"})
		wantStrings(t, "tags", e.Tags, []string{"test"})
		wantString(t, "organiser", e.Organizer(), "https://demo.gancio.org/federation/u/gancio")
		wantString(t, "online", e.OnlineAddress(), "")
	},
	"gancio-event-v1.22-wp-bridge-fixture.json": func(t *testing.T, raw []byte) {
		e := eventOf(t, raw)
		wantString(t, "name", e.Name, "Picture Show")
		wantPlaces(t, e, RemotePlace{ID: "https://remote.gancio.org/federation/p/33", Name: "Fediverse TV", AddressText: "C/ Falsa 123"})
		wantString(t, "banner", e.BannerURL, "http://remote.example/media/36755574a6e48a1ccd3351d35e1a371f.jpg")
		wantStrings(t, "tags", e.Tags, []string{"Sport", "Cello"})
		wantString(t, "organiser", e.Organizer(), "https://remote.example/@organizer")
		wantString(t, "content", e.Content, "<strong> This is the the <i>content</i></strong>")
		if !e.StartTime.IsZero() {
			t.Errorf("start %s invented from nothing", e.StartTime)
		}
	},
	"gancio-test-location-bad-location-without-a-name.json": func(t *testing.T, raw []byte) {
		e := locationEvent(t, raw)
		wantPlaces(t, e)
		wantString(t, "online", e.OnlineAddress(), "")
	},
	"gancio-test-location-multiple-mixed-locations.json": func(t *testing.T, raw []byte) {
		e := locationEvent(t, raw)
		wantPlaces(t, e,
			RemotePlace{ID: "http://localhost:13120/federation/p/4", Name: "Location with a name"},
			RemotePlace{ID: "http://localhost:13120/federation/p/5", Name: "A second location with a name"})
		wantStrings(t, "online addresses", e.OnlineAddresses, []string{"https://virtual.location.org", "https://a.second.fallback.virtual.location.org"})
	},
	"gancio-test-location-physical-location-no-address.json": func(t *testing.T, raw []byte) {
		e := locationEvent(t, raw)
		wantPlaces(t, e, RemotePlace{ID: "http://localhost:13120/federation/p/1", Name: "Location with a name"})
	},
	"gancio-test-location-physical-location-with-postal-address.json": func(t *testing.T, raw []byte) {
		e := locationEvent(t, raw)
		wantPlaces(t, e, RemotePlace{
			ID: "http://localhost:13120/federation/p/2", Name: "Location with a postal address",
			Address: &PostalAddress{Type: TypePostalAddress, StreetAddress: "15 Fediverse Street", PostalCode: "8010",
				AddressLocality: "Fediverse Town", AddressRegion: "Steiermark", AddressCountry: "Austria"},
		})
	},
	"gancio-test-location-physical-location-with-simple-string-address.json": func(t *testing.T, raw []byte) {
		e := locationEvent(t, raw)
		wantPlaces(t, e, RemotePlace{ID: "http://localhost:13120/federation/p/3", Name: "Location with a simple string address", AddressText: "Simple string address"})
	},
	"gancio-test-location-physical-location-without-id.json": func(t *testing.T, raw []byte) {
		e := locationEvent(t, raw)
		wantPlaces(t, e, RemotePlace{Name: "Location without id"})
	},
	"gancio-test-location-virtual-location.json": func(t *testing.T, raw []byte) {
		e := locationEvent(t, raw)
		wantPlaces(t, e)
		wantString(t, "online", e.OnlineAddress(), "https://virtual.location.org")
	},
	"gancio-webfinger.json": func(t *testing.T, raw []byte) {
		j, err := ParseJRD(raw)
		if err != nil {
			t.Fatal(err)
		}
		wantString(t, "subject", j.Subject, "acct:gancio@demo.gancio.org")
		wantString(t, "actor", j.ActorURL(), "https://demo.gancio.org/federation/u/gancio")
	},
	"mobilizon-accept-join-activity-2022.json": func(t *testing.T, raw []byte) {
		a := activityOf(t, raw)
		wantStrings(t, "type", a.Types, []string{TypeAccept})
		wantString(t, "actor", a.Actor, "https://mobilizon.org/@tcit")
		wantString(t, "object id", a.Object.ID, "https://pleroma.mkljczk.pl/activities/7d1f3986-8b2c-48c2-b89e-d27ba8459777")
		if !a.Object.Is(TypeJoin) {
			t.Fatalf("accepted object types %v", a.Object.Types)
		}
		join := activityOf(t, a.Object.Raw)
		wantString(t, "joiner", join.Actor, "https://pleroma.mkljczk.pl/users/mkljczk")
		wantString(t, "joined event", join.Object.ID, "https://mobilizon.mkljczk.pl/events/d9d08e46-81af-4ee9-91e5-1298f49beea9")
		wantString(t, "participation message", join.ParticipationMessage, "")
	},
	"mobilizon-create-event-activity-fixture.json": func(t *testing.T, raw []byte) {
		a := activityOf(t, raw)
		wantString(t, "actor", a.Actor, "https://mobilizon.fr/@metacartes")
		e := embeddedEvent(t, a)
		wantString(t, "name", e.Name, "My first event")
		sameInstantAndOffset(t, "start", e.StartTime, "2018-02-12T14:08:20Z")
		wantPlaces(t, e, RemotePlace{
			ID: "https://event1.tcit.fr/address/eeecc11d-0030-43e8-a897-6422876372jd", Name: "Locaux de Framasoft",
			Address: &PostalAddress{Type: TypePostalAddress, StreetAddress: "10 Rue Jangot", PostalCode: "69007",
				AddressLocality: "Lyon", AddressRegion: "Auvergne Rhône Alpes", AddressCountry: "France"},
		})
		// The Link named "Website" is Mobilizon's online address, even when
		// another Link comes first.
		wantString(t, "online", e.OnlineAddress(), "https://google.com")
		wantString(t, "organiser", e.Organizer(), "https://mobilizon.fr/@metacartes")
		wantString(t, "category", e.Category, "TODO remove me")
		wantStrings(t, "tags (a Mention is not a tag)", e.Tags, nil)
		wantString(t, "inReplyTo null", e.InReplyTo, "")
	},
	"mobilizon-create-event-in-group-fixture.json": func(t *testing.T, raw []byte) {
		a := activityOf(t, raw)
		e := embeddedEvent(t, a)
		wantString(t, "organiser", e.Organizer(), "http://mobilizon1.com/@user")
		wantStrings(t, "attributedTo (the group)", e.AttributedTo, []string{"http://mobilizon1.com/@group"})
		wantStrings(t, "to", e.To, []string{"http://mobilizon1.com/@group"})
		if a.Addressed(Public) {
			t.Error("a group-only event read as public")
		}
	},
	"mobilizon-event-mobilizon.org-2019.json": func(t *testing.T, raw []byte) {
		e := eventOf(t, raw)
		wantString(t, "name", e.Name, "Mobilizon Launching Party")
		sameInstantAndOffset(t, "start", e.StartTime, "2019-12-18T13:00:00Z")
		sameInstantAndOffset(t, "end", e.EndTime, "2019-12-18T14:00:00Z")
		wantString(t, "join mode", e.JoinMode, JoinModeFree)
		wantString(t, "status from ical:status", e.Status, StatusConfirmed)
		wantString(t, "organiser", e.Organizer(), "https://mobilizon.org/@tcit")
		wantString(t, "category", e.Category, "meeting")
		wantString(t, "replies", e.RepliesModerationOption, RepliesAllowAll)
		wantInt(t, "capacity", e.MaximumAttendeeCapacity, 0)
		if e.CommentsEnabled == nil || !*e.CommentsEnabled {
			t.Error("commentsEnabled lost")
		}
		wantStrings(t, "tags", e.Tags, []string{"Mobilizon", "Federation", "ActivityPub", "Party"})
		// Coordinates as the file has them (its README notes they are
		// swapped); we keep what the peer said rather than guess.
		wantPlaces(t, e, RemotePlace{
			ID: "https://mobilizon.org/address/1368fdab-1e2c-4de6-bcff-a90c84abdee1", Name: "Cour du Château des Ducs de Bretagne",
			Address:  &PostalAddress{Type: TypePostalAddress, AddressLocality: "Nantes", AddressRegion: "Pays de la Loire", AddressCountry: "France"},
			Latitude: ptr(-1.54939699141711), Longitude: ptr(47.21617415),
		})
	},
	"mobilizon-group-actor-mobilizon.fr-framasoft-2024.json": func(t *testing.T, raw []byte) {
		a := actorOf(t, raw)
		wantStrings(t, "type", a.Types, []string{TypeGroup})
		wantString(t, "name", a.Name, "Framasoft")
		wantString(t, "openness", a.Openness, OpennessModerated)
		wantInt(t, "memberCount", a.MemberCount, 15)
		wantString(t, "members", a.Members, "https://mobilizon.fr/@framasoft/members")
		wantString(t, "resources", a.Resources, "https://mobilizon.fr/@framasoft/resources")
		wantString(t, "posts", a.Posts, "https://mobilizon.fr/@framasoft/posts")
		wantString(t, "events", a.Events, "https://mobilizon.fr/@framasoft/events")
		wantString(t, "shared inbox", a.SharedInbox, "https://mobilizon.fr/inbox")
		wantString(t, "followers", a.Followers, "https://mobilizon.fr/@framasoft/followers")
		if !a.Discoverable || a.ManuallyApprovesFollowers {
			t.Errorf("discoverable %v, manuallyApprovesFollowers %v", a.Discoverable, a.ManuallyApprovesFollowers)
		}
		if !strings.Contains(a.PublicKey.PublicKeyPEM, "BEGIN RSA PUBLIC KEY") {
			t.Fatal("expected Mobilizon's PKCS#1 key")
		}
		if _, err := ParsePublicKeyPEM(a.PublicKey.PublicKeyPEM); err != nil {
			t.Errorf("PKCS#1 key: %v", err)
		}
	},
	"mobilizon-group-members-collection-fixture.json": func(t *testing.T, raw []byte) {
		o, err := ParseObject(raw)
		if err != nil {
			t.Fatal(err)
		}
		wantStrings(t, "type", o.Types, []string{"OrderedCollection"})
		wantStrings(t, "attributedTo", o.AttributedTo, []string{"http://mobilizon.test/@demo"})
	},
	"mobilizon-invite-group-activity-fixture.json": func(t *testing.T, raw []byte) {
		a := activityOf(t, raw)
		wantStrings(t, "type", a.Types, []string{TypeInvite})
		wantString(t, "group", a.Object.ID, "http://mobilizon.test/@mygroup")
		wantString(t, "invitee", a.Target.ID, "http://mobilizon.test/@someuser")
	},
	"mobilizon-join-activity-2022.json": func(t *testing.T, raw []byte) {
		a := activityOf(t, raw)
		wantStrings(t, "type", a.Types, []string{TypeJoin})
		wantString(t, "actor", a.Actor, "https://mobilizon.org/@tcit")
		wantString(t, "event", a.Object.ID, "https://pleroma.mkljczk.pl/objects/b800bdb9-2cbb-40b6-9b29-196cfbd42398")
		if a.Object.Embedded() {
			t.Error("an id read as an embedded object")
		}
	},
	"mobilizon-join-activity-fixture.json": func(t *testing.T, raw []byte) {
		a := activityOf(t, raw)
		wantStrings(t, "type", a.Types, []string{TypeJoin})
		wantString(t, "actor", a.Actor, "http://mobilizon2.test/@admin")
		wantString(t, "event", a.Object.ID, "http://mobilizon.test/events/some-uuid")
	},
	"mobilizon-leave-activity-fixture.json": func(t *testing.T, raw []byte) {
		a := activityOf(t, raw)
		wantStrings(t, "type", a.Types, []string{TypeLeave})
		wantString(t, "event", a.Object.ID, "http://mobilizon.test/events/some-uuid")
	},
	"mobilizon-nodeinfo-2.1-mobilizon.fr.json": func(t *testing.T, raw []byte) {
		n, err := ParseNodeInfo(raw)
		if err != nil {
			t.Fatal(err)
		}
		wantString(t, "software", n.Software.Name+" "+n.Software.Version, "Mobilizon 5.1.0")
		wantStrings(t, "protocols", n.Protocols, []string{"activitypub"})
		if n.Usage.Users.Total != 9204 || !n.OpenRegistrations {
			t.Errorf("users %d, open %v", n.Usage.Users.Total, n.OpenRegistrations)
		}
	},
	"mobilizon-nodeinfo-wellknown-mobilizon.fr.json": func(t *testing.T, raw []byte) {
		j, err := ParseJRD(raw)
		if err != nil {
			t.Fatal(err)
		}
		wantString(t, "2.1", j.Href(RelNodeInfo21), "https://mobilizon.fr/.well-known/nodeinfo/2.1")
		wantString(t, "2.0", j.Href(RelNodeInfo20), "https://mobilizon.fr/.well-known/nodeinfo/2.0")
	},
	"mobilizon-person-mobilizon.org-2019.json": func(t *testing.T, raw []byte) {
		a := actorOf(t, raw)
		wantStrings(t, "type", a.Types, []string{TypePerson})
		wantString(t, "name", a.Name, "Thomas Citharel")
		wantString(t, "summary", a.Summary, "Main profile")
		wantString(t, "shared inbox", a.SharedInbox, "https://mobilizon.org/inbox")
		wantString(t, "icon", a.IconURL, "https://mobilizon.org/media/3a5f18c058a8193b1febfaf561f94ae8b91f85ac64c01ddf5ad7b251fb43baf5.jpg?name=profil.jpg")
		key, err := ParsePublicKeyPEM(a.PublicKey.PublicKeyPEM)
		if err != nil || key.N.BitLen() != 2048 {
			t.Errorf("PKCS#1 key: %v", err)
		}
	},
	"mobilizon-webfinger-mobilizon.fr-framasoft-2024.json": func(t *testing.T, raw []byte) {
		j, err := ParseJRD(raw)
		if err != nil {
			t.Fatal(err)
		}
		wantString(t, "actor", j.ActorURL(), "https://mobilizon.fr/@framasoft")
		wantString(t, "subject", j.Subject, "acct:framasoft@mobilizon.fr")
	},
}

func TestFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/fixtures/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			check, ok := fixtureChecks[name]
			if !ok {
				t.Fatalf("no check for fixture %s: add one", name)
			}
			if _, err := os.Stat(strings.TrimSuffix(path, ".json") + ".source.txt"); err != nil {
				t.Errorf("fixture without its provenance: %v", err)
			}
			check(t, readFixture(t, path))
		})
	}
	if len(files) != len(fixtureChecks) {
		t.Errorf("%d fixtures, %d checks: a check names a missing file", len(files), len(fixtureChecks))
	}
}
