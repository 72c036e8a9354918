package ap

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// The golden files under testdata/golden hold what peers received before
// the documents were built on go-ap (captured with the hand-written
// encoding/json structs, commit "ap: golden capture"). Every document we
// serve or send must keep every field, with the same JSON value: a peer
// that read a field yesterday reads it today.

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/golden from the current output")

var (
	goldenPub  = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	goldenZone = mustZone("Europe/Paris")
)

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return z
}

// Representative instances, built as the handlers build them.

func goldenPerson() *Actor {
	a := NewActor(TypePerson, "https://convene.test/@alice", "alice", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n", "https://convene.test/inbox")
	a.Inbox, a.Outbox = "https://convene.test/actors/alice/inbox", "https://convene.test/actors/alice/outbox"
	a.Followers, a.Following = "https://convene.test/actors/alice/followers", "https://convene.test/actors/alice/following"
	a.Name = `Alice "Al" <Dupont> & co`
	a.Summary = "<p>Bio line one<br>l&#39;été</p>"
	a.Icon = NewImage("https://convene.test/media/avatar-uuid", "")
	a.Published = goldenPub
	a.Discoverable = true
	a.ManuallyApprovesFollowers = false
	return a
}

func goldenApplication() *Actor {
	a := NewActor(TypeApplication, "https://convene.test/actor", "convene.test", "PEM", "https://convene.test/inbox")
	a.URL = "https://convene.test/"
	a.Name = "Convene test"
	a.Summary = "An instance &amp; friends"
	a.ManuallyApprovesFollowers = true
	a.Published = goldenPub
	return a
}

func goldenGroup() *Actor {
	a := NewActor(TypeGroup, "https://convene.test/@walkers", "walkers", "PEM", "")
	a.Name = "Walkers"
	a.Summary = "<p>We walk.</p>"
	a.Icon = NewImage("https://convene.test/media/g-icon", "image/png")
	a.Image = NewImage("https://convene.test/media/g-banner", "image/jpeg")
	a.Openness = OpennessModerated
	n := 0
	a.MemberCount = &n
	a.Discoverable = true
	a.ManuallyApprovesFollowers = true
	a.Suspended = true
	a.Attachment = []Attachment{NewTypedLink(LinkPad, "Pad", "https://pad.example/p/1")}
	a.Published = time.Date(2026, 3, 1, 11, 0, 0, 250_000_000, goldenZone)
	return a
}

func goldenEventFull() *Event {
	start := time.Date(2026, 6, 21, 18, 30, 0, 0, time.UTC)
	e := NewEvent("https://convene.test/events/u1", "https://convene.test/@alice", `Fête "de la musique" <2026>`, start, start.Add(3*time.Hour), goldenZone)
	e.AttributedTo = "https://convene.test/@walkers"
	e.UUID = "u1"
	e.Content = "<p>Bring C:\\new and \\\"quotes\\\" &amp; tabs\there</p>\n<p>l’été</p>"
	e.ContentMap = map[string]string{"fr": e.Content}
	e.Summary = SummaryLine(e.StartTime, e.EndTime, goldenZone, "Parc, 1 rue X")
	e.Location = NewPlace("", "Parc", PostalAddress{StreetAddress: "1 rue X", PostalCode: "75001", AddressLocality: "Paris", AddressCountry: "FR"})
	e.Location.SetCoordinates(48.8566123, -2.3522219)
	e.Attachment = append(e.Attachment, NewBanner("https://convene.test/media/banner", "image/jpeg"))
	e.SetOnlineAddress("https://visio.example/room", false)
	e.Attachment = append(e.Attachment, NewTypedLink(LinkTickets, "Tickets", "https://tickets.example/t"))
	e.Attachment = append(e.Attachment, Attachment{Type: TypeLink, Name: "other", MediaType: "text/html", Href: "https://other.example/"})
	e.Category = "MUSIC"
	e.Tag = append(e.Tag, NewHashtag("music", "https://convene.test/tags/music"), NewHashtag("#été", "https://convene.test/tags/été"))
	e.JoinMode = JoinModeRestricted
	e.MaximumAttendeeCapacity = 50
	remaining := 38
	e.RemainingAttendeeCapacity = &remaining
	e.ParticipantCount = 12
	e.AnonymousParticipationEnabled = true
	e.SetRepliesModeration(RepliesModerated)
	e.SetStatus(StatusTentative)
	e.InLanguage = "fr"
	e.Published = goldenPub
	e.Updated = time.Date(2026, 3, 2, 11, 30, 0, 500_000_000, goldenZone)
	e.SetAudience("https://convene.test/actors/alice/followers", true)
	return e
}

func goldenEventMinimal() *Event {
	return NewEvent("https://convene.test/events/u2", "https://convene.test/@bob", "Minimal", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), time.Time{}, nil)
}

func goldenEventOnline() *Event {
	e := NewEvent("https://convene.test/events/u3", "https://convene.test/@bob", "Online talk", time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC), time.Time{}, mustZone("America/Montreal"))
	e.Location = NewOnlinePlace("Online", "https://visio.example/talk")
	e.SetOnlineAddress("https://visio.example/talk", true)
	e.JoinMode = JoinModeExternal
	e.ExternalParticipationURL = "https://tickets.example/x?a=1&b=2"
	e.SetRepliesModeration(RepliesClosed)
	e.SetStatus(StatusCancelled)
	e.Draft = true
	e.SetAudience("https://convene.test/actors/bob/followers", false)
	return e
}

func goldenNote() *Note {
	n := NewNote("https://convene.test/comments/c1", "https://convene.test/@alice", "https://convene.test/events/u1",
		"<p>@bob see you \"there\"</p>", time.Date(2026, 3, 1, 12, 0, 0, 999, goldenZone),
		[]string{Public}, []string{"https://convene.test/actors/alice/followers", "https://remote.example/users/bob"})
	n.Tag = []Tag{{Type: TypeMention, Href: "https://remote.example/users/bob", Name: "@bob@remote.example"}}
	n.Updated = goldenPub.Add(time.Hour)
	return n
}

// fixed makes an activity's own times reproducible.
func fixed(a *Activity) *Activity {
	a.Published = goldenPub
	if t, ok := a.Object.(*Tombstone); ok {
		t.Deleted = goldenPub
	}
	return a
}

// remoteRef is an activity of a peer we answer, embedded as the handlers
// embed it (a plain struct of the app package).
type remoteRef struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Actor  string `json:"actor"`
	Object string `json:"object"`
}

func goldenDocuments() map[string]any {
	follow := fixed(NewFollow("https://convene.test/activities/f1", "https://convene.test/@alice", "https://remote.example/users/bob"))
	followers := []string{"https://convene.test/actors/alice/followers"}
	return map[string]any{
		"actor_person":      goldenPerson(),
		"actor_application": goldenApplication(),
		"actor_group":       goldenGroup(),
		"event_full":        goldenEventFull(),
		"event_minimal":     goldenEventMinimal(),
		"event_online":      goldenEventOnline(),
		"note":              goldenNote(),
		"place_postal": func() *Place {
			p := NewPlace("https://convene.test/places/p1", "Hall", PostalAddress{AddressLocality: "Lyon"})
			p.SetCoordinates(0, 0)
			return p
		}(),
		"place_bare":            NewPlace("", "Somewhere", PostalAddress{}),
		"place_online":          NewOnlinePlace("Online", "https://visio.example/x"),
		"image":                 NewImage("https://convene.test/media/i", "image/webp"),
		"hashtag":               NewHashtag("walks", "https://convene.test/tags/walks"),
		"attachment_typed":      NewTypedLink(LinkVideoRoom, "Video", "https://visio.example/r"),
		"attachment_banner":     NewBanner("https://convene.test/media/b", "image/png"),
		"attachment_online":     NewOnlineAddress("https://visio.example/o"),
		"create_event":          fixed(NewCreate("https://convene.test/events/u1#create", "https://convene.test/@alice", goldenEventFull(), []string{Public}, followers)),
		"create_note":           fixed(NewCreate("https://convene.test/comments/c1#create", "https://convene.test/@alice", goldenNote(), []string{Public}, nil)),
		"update_event":          fixed(NewUpdate("https://convene.test/events/u3#update-1", "https://convene.test/@bob", goldenEventOnline(), []string{"https://convene.test/actors/bob/followers"}, []string{})),
		"update_actor":          fixed(NewUpdate("https://convene.test/activities/up1", "https://convene.test/@alice", goldenPerson(), []string{Public}, followers)),
		"delete":                fixed(NewDelete("https://convene.test/events/u1#delete", "https://convene.test/@alice", "https://convene.test/events/u1", TypeEvent, []string{Public}, followers)),
		"follow":                follow,
		"accept_follow":         fixed(NewAccept("https://convene.test/activities/a1", "https://convene.test/@bob", follow, []string{"https://convene.test/@alice"})),
		"accept_remote":         fixed(NewAccept("https://convene.test/activities/a2", "https://convene.test/@alice", remoteRef{ID: "https://remote.example/follows/9", Type: TypeFollow, Actor: "https://remote.example/users/bob", Object: "https://convene.test/@alice"}, []string{"https://remote.example/users/bob"})),
		"reject_join":           fixed(NewReject("https://convene.test/activities/r1", "https://convene.test/@alice", "https://remote.example/joins/3", []string{"https://remote.example/users/bob"})),
		"undo_follow":           fixed(NewUndo("https://convene.test/activities/u9", "https://convene.test/@alice", follow, []string{"https://remote.example/users/bob"})),
		"announce":              fixed(NewAnnounce("https://convene.test/activities/an1", "https://convene.test/@walkers", "https://remote.example/events/7", []string{Public}, []string{"https://convene.test/actors/walkers/followers"})),
		"join":                  fixed(NewJoin("https://convene.test/activities/j1", "https://convene.test/@alice", "https://remote.example/events/7", "I'll bring \"cake\"", []string{"https://remote.example/users/org"})),
		"join_no_message":       fixed(NewJoin("https://convene.test/activities/j2", "https://convene.test/@alice", "https://remote.example/events/7", "", []string{"https://remote.example/users/org"})),
		"leave":                 fixed(NewLeave("https://convene.test/activities/l1", "https://convene.test/@alice", "https://remote.example/events/7", []string{"https://remote.example/users/org"})),
		"flag":                  fixed(NewFlag("https://convene.test/activities/fl1", "https://convene.test/actor", []string{"https://remote.example/users/spam", "https://remote.example/notes/1"}, "Spam <b>links</b>", "https://remote.example/actor")),
		"collection":            goldenCollection(),
		"collection_page":       goldenCollectionPage(),
		"collection_page_empty": goldenCollectionPageEmpty(),
		"flag_one":              fixed(NewFlag("https://convene.test/activities/fl2", "https://convene.test/actor", []string{"https://remote.example/users/spam"}, "", "https://remote.example/actor")),
	}
}

func goldenPageItems() []any {
	return []any{
		fixed(NewCreate("https://convene.test/comments/c1#create", "https://convene.test/@alice", goldenNote(), []string{Public}, nil)),
		"https://remote.example/users/bob",
		map[string]any{"type": "Follow", "id": "https://remote.example/f/1"},
	}
}

func goldenCollection() any {
	return NewOrderedCollection("https://convene.test/actors/alice/followers", 42)
}

func goldenCollectionPage() any {
	return NewOrderedCollectionPage("https://convene.test/actors/alice/outbox", 2, 20, 42, goldenPageItems())
}

func goldenCollectionPageEmpty() any {
	return NewOrderedCollectionPage("https://convene.test/actors/alice/outbox", 1, 20, 0, []any{})
}

func goldenPath(name string) string { return filepath.Join("testdata", "golden", name+".json") }

// TestGoldenDocuments compares, field by field (order ignored, values as
// JSON values), every document type with what peers received before.
func TestGoldenDocuments(t *testing.T) {
	docs := goldenDocuments()
	names := make([]string, 0, len(docs))
	for n := range docs {
		names = append(names, n)
	}
	sort.Strings(names)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Join("testdata", "golden"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			got, err := json.Marshal(docs[name])
			if err != nil {
				t.Fatal(err)
			}
			if *updateGolden {
				var buf bytes.Buffer
				if err := json.Indent(&buf, got, "", "  "); err != nil {
					t.Fatal(err)
				}
				buf.WriteByte('\n')
				if err := os.WriteFile(goldenPath(name), buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(goldenPath(name))
			if err != nil {
				t.Fatal(err)
			}
			if diffs := jsonDiff(want, got); len(diffs) > 0 {
				t.Errorf("%s differs from what peers received before:\n%s\ngot: %s", name, strings.Join(diffs, "\n"), got)
			}
		})
	}
}

// jsonDiff lists the paths where two JSON documents differ as values.
func jsonDiff(want, got []byte) []string {
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		return []string{"golden: " + err.Error()}
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return []string{"output is not JSON: " + err.Error()}
	}
	var diffs []string
	walkDiff("$", w, g, &diffs)
	return diffs
}

func walkDiff(path string, w, g any, diffs *[]string) {
	switch wv := w.(type) {
	case map[string]any:
		gv, ok := g.(map[string]any)
		if !ok {
			*diffs = append(*diffs, fmt.Sprintf("%s: want object, got %s", path, show(g)))
			return
		}
		keys := make([]string, 0, len(wv)+len(gv))
		for k := range wv {
			keys = append(keys, k)
		}
		for k := range gv {
			if _, ok := wv[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			wk, inW := wv[k]
			gk, inG := gv[k]
			switch {
			case !inG:
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: missing (want %s)", path, k, show(wk)))
			case !inW:
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: unexpected %s", path, k, show(gk)))
			default:
				walkDiff(path+"."+k, wk, gk, diffs)
			}
		}
	case []any:
		gv, ok := g.([]any)
		if !ok || len(gv) != len(wv) {
			*diffs = append(*diffs, fmt.Sprintf("%s: want %s, got %s", path, show(w), show(g)))
			return
		}
		for i := range wv {
			walkDiff(fmt.Sprintf("%s[%d]", path, i), wv[i], gv[i], diffs)
		}
	default:
		if !reflect.DeepEqual(w, g) {
			*diffs = append(*diffs, fmt.Sprintf("%s: want %s, got %s", path, show(w), show(g)))
		}
	}
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The legacy structs write exactly the golden documents: the benchmark
// baseline serialises what peers received.
func TestLegacyBaselineMatchesGolden(t *testing.T) {
	for name, v := range map[string]any{
		"event_full":    toLegacyEvent(goldenEventFull()),
		"event_minimal": toLegacyEvent(goldenEventMinimal()),
		"event_online":  toLegacyEvent(goldenEventOnline()),
		"actor_person":  toLegacyActor(goldenPerson()),
		"actor_group":   toLegacyActor(goldenGroup()),
	} {
		got, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(goldenPath(name))
		if err != nil {
			t.Fatal(err)
		}
		if diffs := jsonDiff(want, got); len(diffs) > 0 {
			t.Errorf("legacy %s: %s", name, strings.Join(diffs, "\n"))
		}
	}
}

// A peer's id is written by go-ap between quotes as it is; ours escapes
// it first, so an id with a quote cannot add fields to what we send.
func TestPeerIDCannotInjectFields(t *testing.T) {
	evil := `https://evil.example/a","cc":["https://evil.example/x"],"z":"\`
	act := NewAccept("https://convene.test/activities/a9", "https://convene.test/@alice", evil, []string{evil})
	b, err := json.Marshal(act)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	if got["object"] != evil || got["cc"] != nil || got["z"] != nil {
		t.Errorf("the id changed the document: %s", b)
	}
	if to, _ := got["to"].([]any); len(to) != 1 || to[0] != evil {
		t.Errorf("to = %v, want [%q]", got["to"], evil)
	}
}

// Terms a caller adds to Context() (group documents add Mobilizon's
// collections) are written, not the cached term map.
func TestAddedContextTermsAreWritten(t *testing.T) {
	a := goldenPerson()
	c := Context()
	c[2].(map[string]any)["resources"] = map[string]any{"@id": "mz:resources", "@type": "@id"}
	a.Context = c
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"resources":{"@id":"mz:resources"`) {
		t.Errorf("added term missing: %.300s", b)
	}
}
