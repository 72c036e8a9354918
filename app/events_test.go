package app

import (
	"bytes"
	"context"
	"html"
	"image"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// setClock moves a test clock to t.
func setClock(c *testClock, t time.Time) { c.Advance(t.Sub(c.Now())) }

// eventsInstance is an instance whose clock reads 1 March 2026 (Paris),
// with two accounts: alice (organiser) and bob.
type eventsInstance struct {
	*testInstance
	clock *testClock
	alice *http.Client
	bob   *http.Client
}

func newEventsInstance(t *testing.T, configure ...func(*Config)) *eventsInstance {
	t.Helper()
	clock := newTestClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	ti := newTestInstance(t, append([]func(*Config){func(c *Config) { c.Now = clock.Now }}, configure...)...)
	ti.createAccount(t, "alice@example.org", "alice", "alice-password", false)
	ti.createAccount(t, "bob@example.org", "bob", "bob-password-1", false)
	return &eventsInstance{
		testInstance: ti,
		clock:        clock,
		alice:        ti.login(t, "alice", "alice-password"),
		bob:          ti.login(t, "bob", "bob-password-1"),
	}
}

// fullEventForm is a form with every field filled.
func fullEventForm() url.Values {
	return url.Values{
		"title":                   {"Folk dance <ball> & “bal”"},
		"description":             {"Bring **good shoes**.\n\nProgramme: [here](https://example.org/prog)\n\n<script>alert('x')</script>"},
		"category":                {"music"},
		"tags":                    {"Folk, #Bal dance-night"},
		"starts_at":               {"2026-03-14T19:00"},
		"ends_at":                 {"2026-03-14T21:00"},
		"timezone":                {"Europe/Paris"},
		"venue":                   {"Salle des fêtes"},
		"street":                  {"3 rue de la Paix"},
		"postal_code":             {"69001"},
		"locality":                {"Lyon"},
		"region":                  {"Auvergne-Rhône-Alpes"},
		"country":                 {"France"},
		"latitude":                {"45,7676"},
		"longitude":               {"4.8345"},
		"online_url":              {"https://video.example.org/room/folk"},
		"visibility":              {"public"},
		"join_mode":               {"approval"},
		"external_url":            {""},
		"capacity":                {"25"},
		"participation_message":   {"Bring a snack to share."},
		"anonymous_participation": {"1"},
		"status":                  {"tentative"},
		"comment_moderation":      {"moderated"},
		"link_kind_0":             {"pad"},
		"link_title_0":            {"Who brings what"},
		"link_url_0":              {"https://pad.example.org/p/folk"},
		"link_kind_1":             {"tickets"},
		"link_title_1":            {""},
		"link_url_1":              {"https://tickets.example.org/folk"},
		"link_kind_2":             {"video"},
		"publish":                 {"now"},
	}
}

// postMultipart posts fields (in order of keys given) and optionally a
// banner, like a browser does.
func (ti *testInstance) postMultipart(t testing.TB, c *http.Client, path string, form url.Values, banner []byte, bannerFirst bool) (*http.Response, string) {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		writeBanner := func() {
			if banner != nil {
				fw, _ := mw.CreateFormFile("banner", "banner.jpg")
				fw.Write(banner)
			}
		}
		// Browsers send fields in the order of the form: title and
		// description come before the banner, the rest after.
		mw.WriteField("title", form.Get("title"))
		if bannerFirst {
			writeBanner()
		}
		for k, vs := range form {
			if k == "title" {
				continue
			}
			for _, v := range vs {
				mw.WriteField(k, v)
			}
		}
		if !bannerFirst {
			writeBanner()
		}
		pw.CloseWithError(mw.Close())
	}()
	req, _ := http.NewRequest(http.MethodPost, ti.URL+path, pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.Do(req)
	pr.CloseWithError(io.ErrClosedPipe)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func (ti *testInstance) countEvents(t testing.TB) int {
	t.Helper()
	events, err := ti.App.store.ListEvents(context.Background(), store.EventQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(events)
}

// createEvent posts a form and returns the new event's UUID.
func (ti *testInstance) createEvent(t testing.TB, c *http.Client, form url.Values) string {
	t.Helper()
	res, body := ti.postFormBody(t, c, "/events", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create event: status %d\n%s", res.StatusCode, fieldErrorsIn(body))
	}
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/events/") {
		t.Fatalf("create event redirected to %q", loc)
	}
	return strings.TrimPrefix(loc, "/events/")
}

var fieldErrorPattern = regexp.MustCompile(`<span class="field-error" id="e-([a-z_0-9]+)" role="alert">([^<]*)</span>`)

// fieldErrorsIn maps field names to the errors shown next to them.
func fieldErrorsIn(body string) map[string]string {
	out := map[string]string{}
	for _, m := range fieldErrorPattern.FindAllStringSubmatch(body, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// pageText is a page's visible text, tags removed and entities decoded, with
// white space collapsed.
func pageText(body string) string {
	body = regexp.MustCompile(`(?s)<head>.*</head>`).ReplaceAllString(body, "")
	body = regexp.MustCompile(`<[^>]*>`).ReplaceAllString(body, " ")
	return strings.Join(strings.Fields(html.UnescapeString(body)), " ")
}

func TestCreateEventWithEveryField(t *testing.T) {
	ti := newEventsInstance(t)
	jpg := withEXIF(encodeJPEG(t, photo(120, 80)), 1)
	res, body := ti.postMultipart(t, ti.alice, "/events", fullEventForm(), jpg, true)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, errors %v", res.StatusCode, fieldErrorsIn(body))
	}
	uuid := strings.TrimPrefix(res.Header.Get("Location"), "/events/")

	e, err := ti.App.store.EventByUUID(context.Background(), uuid)
	if err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	checks := []struct {
		what      string
		got, want any
	}{
		{"title", e.Title, "Folk dance <ball> & “bal”"},
		{"start", e.StartsAt, time.Date(2026, 3, 14, 19, 0, 0, 0, paris).UTC()},
		{"end", e.EndsAt, time.Date(2026, 3, 14, 21, 0, 0, 0, paris).UTC()},
		{"zone", e.Timezone, "Europe/Paris"},
		{"category", e.Category, "music"},
		{"tags", strings.Join(e.Tags, " "), "bal dance-night folk"},
		{"venue", e.Address.Venue, "Salle des fêtes"},
		{"street", e.Address.Street, "3 rue de la Paix"},
		{"postal code", e.Address.PostalCode, "69001"},
		{"locality", e.Address.Locality, "Lyon"},
		{"region", e.Address.Region, "Auvergne-Rhône-Alpes"},
		{"country", e.Address.Country, "France"},
		{"latitude", *e.Address.Latitude, 45.7676},
		{"longitude", *e.Address.Longitude, 4.8345},
		{"online", e.OnlineURL, "https://video.example.org/room/folk"},
		{"visibility", e.Visibility, "public"},
		{"join mode", e.JoinMode, "approval"},
		{"capacity", e.Capacity, 25},
		{"participation message", e.ParticipationMessage, "Bring a snack to share."},
		{"anonymous", e.AnonymousParticipation, true},
		{"status", e.Status, "tentative"},
		{"comments", e.CommentModeration, "moderated"},
		{"links", len(e.Links), 2},
		{"draft", e.Draft, false},
		{"published", e.PublishedAt != nil && e.PublishedAt.Equal(ti.clock.Now()), true},
		{"organiser", e.Organizer.Username, "alice"},
		{"banner", e.BannerUUID != "", true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}

	// What a visitor sees, logged out.
	res, page := ti.get(t, ti.client(), "/events/"+uuid)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("event page: %d", res.StatusCode)
	}
	visible := pageText(page)
	for _, want := range []string{
		"Folk dance <ball> & “bal”",
		"Saturday 14 March 2026, 19:00 – 21:00 (Europe/Paris)",
		"Tentative",
		"Salle des fêtes", "3 rue de la Paix", "69001 Lyon", "Auvergne-Rhône-Alpes", "France",
		"alice", "@alice",
		"The organisers approve each participant.", "25 places",
		"Tickets",
		"Bring good shoes",
		"#folk", "#bal", "#dance-night",
		"Music",
	} {
		if !strings.Contains(visible, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, want := range []string{
		`<strong>good shoes</strong>`,
		`href="https://example.org/prog" rel="nofollow noopener ugc"`,
		`href="geo:45.7676,4.8345"`,
		`href="https://www.openstreetmap.org/?mlat=45.7676&amp;mlon=4.8345`,
		`href="/@alice"`,
		`href="/tags/folk"`, `href="/tags/dance-night"`,
		`href="/categories/music"`,
		`href="https://tickets.example.org/folk"`,
		`src="/media/` + e.BannerUUID + `" alt="Banner of the event “Folk dance &lt;ball&gt; &amp; “bal””"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page HTML lacks %s", want)
		}
	}
	for _, bad := range []string{"<script>alert", "<ball>", "Edit</a>", "/delete"} {
		if strings.Contains(page, bad) {
			t.Errorf("page HTML contains %q", bad)
		}
	}
	// The banner was re-encoded: the GPS secret is gone.
	_, banner := ti.get(t, ti.client(), "/media/"+e.BannerUUID)
	if strings.Contains(banner, exifSecret) || strings.Contains(banner, "Exif") {
		t.Error("served banner still carries EXIF")
	}
	if cfg, _, err := image.DecodeConfig(strings.NewReader(banner)); err != nil || cfg.Width != 120 {
		t.Errorf("served banner: %v %v", cfg, err)
	}
	// An approval event keeps its online address and its tools for those
	// it accepts: a visitor does not see them, the organiser does.
	private := []string{"https://video.example.org/room/folk", "Who brings what", "Shared notes (pad)", `https://pad.example.org/p/folk`}
	for _, p := range private {
		if strings.Contains(page, p) {
			t.Errorf("a visitor sees %q of an approval event", p)
		}
	}
	// The organiser sees the actions.
	_, own := ti.get(t, ti.alice, "/events/"+uuid)
	for _, p := range private {
		if !strings.Contains(own, p) {
			t.Errorf("the organiser does not see %q", p)
		}
	}
	for _, want := range []string{`href="/events/` + uuid + `/edit"`, `action="/events/` + uuid + `/cancel"`, `href="/events/` + uuid + `/delete"`} {
		if !strings.Contains(own, want) {
			t.Errorf("organiser's page lacks %s", want)
		}
	}
	// The edit form shows every field back.
	res, edit := ti.get(t, ti.alice, "/events/"+uuid+"/edit")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("edit form: %d", res.StatusCode)
	}
	for _, want := range []string{
		`value="Folk dance &lt;ball&gt; &amp; “bal”"`, `value="2026-03-14T19:00"`, `value="2026-03-14T21:00"`,
		`value="Europe/Paris"`, `value="45.7676"`, `value="25"`, `value="https://pad.example.org/p/folk"`,
		`value="bal, dance-night, folk"`, "Bring a snack to share.",
	} {
		if !strings.Contains(edit, want) {
			t.Errorf("edit form lacks %s", want)
		}
	}
}

func TestEventFormDefaults(t *testing.T) {
	ti := newEventsInstance(t)
	res, _ := ti.get(t, ti.client(), "/events/new")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Fevents%2Fnew" {
		t.Fatalf("logged out: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, body := ti.get(t, ti.alice, "/events/new")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	// The clock reads 1 March 2026: tomorrow 19:00, "Ends" empty (two hours
	// later, says its hint), in the instance's zone, public, free,
	// confirmed, published at once; one empty link row (issue 12, item 6).
	if strings.Contains(body, `name="link_url_1"`) || !strings.Contains(body, `name="link_url_0"`) {
		t.Error("a new event's form should have exactly one link row")
	}
	for _, want := range []string{
		`name="starts_at" type="datetime-local" value="2026-03-02T19:00"`,
		`name="ends_at" type="datetime-local" value=""`,
		`name="timezone" type="text" value="Europe/Paris"`,
		`name="visibility" value="public" checked`,
		`name="join_mode" value="free" checked`,
		`<option value="confirmed" selected>`,
		`name="publish" value="now" checked`,
		`enctype="multipart/form-data"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("form lacks %s", want)
		}
	}
}

func TestEventFormBadInput(t *testing.T) {
	ti := newEventsInstance(t)
	many := make([]string, 21)
	for i := range many {
		many[i] = "tag" + string(rune('a'+i))
	}
	cases := []struct {
		name  string
		set   map[string]string
		field string
		msg   string
	}{
		{"missing title", map[string]string{"title": ""}, "title", "Give the event a title."},
		{"title too long", map[string]string{"title": strings.Repeat("é", 201)}, "title", "too long"},
		{"title invalid UTF-8", map[string]string{"title": "Bal \xff\xfe"}, "title", "invalid characters"},
		{"title control character", map[string]string{"title": "Bal\x00folk"}, "title", "invalid characters"},
		{"venue control character", map[string]string{"venue": "Hall\x1b[31m"}, "venue", "invalid characters"},
		{"description too long", map[string]string{"description": strings.Repeat("a", 20001)}, "description", "too long"},
		{"malformed start", map[string]string{"starts_at": "14/03/2026 7pm"}, "starts_at", "like 2026-03-14T19:00"},
		{"missing start", map[string]string{"starts_at": ""}, "starts_at", "Say when the event starts."},
		{"malformed end", map[string]string{"ends_at": "2026-02-30T10:00"}, "ends_at", "like 2026-03-14T19:00"},
		{"end before start", map[string]string{"ends_at": "2026-03-14T18:59"}, "ends_at", "The end is before the start."},
		{"unknown zone", map[string]string{"timezone": "Europe/Atlantis"}, "timezone", "not a time zone we know"},
		{"zone as a path", map[string]string{"timezone": "../../etc/passwd"}, "timezone", "not a time zone we know"},
		{"Local is no zone", map[string]string{"timezone": "Local"}, "timezone", "not a time zone we know"},
		{"unknown category", map[string]string{"category": "knitting-wars"}, "category", "Choose a category"},
		{"too many tags", map[string]string{"tags": strings.Join(many, ",")}, "tags", "At most 20 tags."},
		{"tag with bad characters", map[string]string{"tags": "folk, <b>bold</b>"}, "tags", "Tags use only letters"},
		{"javascript online URL", map[string]string{"online_url": "javascript:alert(1)"}, "online_url", "starting with https://"},
		{"relative online URL", map[string]string{"online_url": "/room"}, "online_url", "starting with https://"},
		{"online URL with spaces", map[string]string{"online_url": "https://a b.org"}, "online_url", "spaces"},
		{"ftp link", map[string]string{"link_url_0": "ftp://files.example.org/x"}, "link_url_0", "starting with https://"},
		{"link title without URL", map[string]string{"link_title_2": "Our poll", "link_url_2": ""}, "link_url_2", "Give the link's address."},
		{"unknown link kind", map[string]string{"link_kind_0": "bitcoin"}, "link_kind_0", "Choose a kind of link"},
		{"latitude out of range", map[string]string{"latitude": "91"}, "latitude", "between -90 and 90"},
		{"longitude out of range", map[string]string{"longitude": "-180.5"}, "longitude", "between -180 and 180"},
		{"latitude not a number", map[string]string{"latitude": "north"}, "latitude", "Write a number"},
		{"latitude NaN", map[string]string{"latitude": "NaN"}, "latitude", "Write a number"},
		{"latitude without longitude", map[string]string{"longitude": ""}, "longitude", "both the latitude and the longitude"},
		{"negative capacity", map[string]string{"capacity": "-1"}, "capacity", "whole number"},
		{"huge capacity", map[string]string{"capacity": "99999999999"}, "capacity", "whole number"},
		{"capacity not a number", map[string]string{"capacity": "lots"}, "capacity", "whole number"},
		{"unknown visibility", map[string]string{"visibility": "secret"}, "visibility", "Choose who can see"},
		{"unknown join mode", map[string]string{"join_mode": "bribe"}, "join_mode", "Choose how people join"},
		{"external join without URL", map[string]string{"join_mode": "external", "external_url": ""}, "external_url", "where people register"},
		{"unknown status", map[string]string{"status": "maybe"}, "status", "Choose a status"},
		{"unknown comment option", map[string]string{"comment_moderation": "anarchy"}, "comment_moderation", "Choose how comments work"},
		{"schedule without date", map[string]string{"publish": "schedule", "publish_at": ""}, "publish_at", "Say when to publish"},
		{"unknown publication", map[string]string{"publish": "yesterday"}, "publish", "Choose when to publish"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			form := fullEventForm()
			form.Set("venue", "Kept-venue-marker <i>")
			for k, v := range tc.set {
				form.Set(k, v)
			}
			res, body := ti.postFormBody(t, ti.alice, "/events", form)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.StatusCode)
			}
			errs := fieldErrorsIn(body)
			if !strings.Contains(errs[tc.field], tc.msg) {
				t.Fatalf("error next to %s is %q, want %q (all errors: %v)", tc.field, errs[tc.field], tc.msg, errs)
			}
			if len(errs) != 1 {
				t.Errorf("expected one error, got %v", errs)
			}
			if tc.field != "venue" && !strings.Contains(body, `value="Kept-venue-marker &lt;i&gt;"`) {
				t.Error("the typed venue was not kept")
			}
			if tc.field != "description" && !strings.Contains(body, "Bring **good shoes**.") {
				t.Error("the typed description was not kept")
			}
			if n := ti.countEvents(t); n != 0 {
				t.Fatalf("%d events written", n)
			}
		})
	}
}

func TestEventFormBadBanner(t *testing.T) {
	ti := newEventsInstance(t)
	form := fullEventForm()

	// A text file named .jpg.
	res, body := ti.postMultipart(t, ti.alice, "/events", form, []byte("just some words, no picture"), true)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorsIn(body)["banner"], "not a picture we can use") {
		t.Fatalf("text as banner: %d %v", res.StatusCode, fieldErrorsIn(body))
	}
	if !strings.Contains(body, `value="Salle des fêtes"`) {
		t.Error("typed values lost")
	}

	// A good picture with another error is kept as a pending upload:
	// see TestEventFormBannerSurvivesAnError.
	if n := ti.countEvents(t); n != 0 {
		t.Fatalf("%d events written", n)
	}
}

func TestEventForm50MBUpload(t *testing.T) {
	ti := newEventsInstance(t)
	form := fullEventForm()
	form.Set("title", "Kept title")
	huge := append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte{0x42}, 50<<20)...)
	res, body := ti.postMultipart(t, ti.alice, "/events", form, huge, true)
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", res.StatusCode)
	}
	if msg := fieldErrorsIn(body)["banner"]; !strings.Contains(msg, "too big") || !strings.Contains(msg, "10 MB") {
		t.Fatalf("banner error %q", msg)
	}
	if !strings.Contains(body, `value="Kept title"`) {
		t.Error("the title typed before the picture was lost")
	}
	if n := ti.countEvents(t); n != 0 {
		t.Fatalf("%d events written", n)
	}

	// 11 MB fits the body limit but not the picture limit: the fields sent
	// after the picture are kept too.
	res, body = ti.postMultipart(t, ti.alice, "/events", form, huge[:11<<20], true)
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(fieldErrorsIn(body)["banner"], "too big") {
		t.Fatalf("11 MB: %d %v", res.StatusCode, fieldErrorsIn(body))
	}
	if !strings.Contains(body, `value="Salle des fêtes"`) {
		t.Error("the venue typed after the picture was lost")
	}
}

func TestEventHTMLIsText(t *testing.T) {
	ti := newEventsInstance(t)
	form := fullEventForm()
	form.Set("title", `<script>alert("t")</script>`)
	form.Set("venue", `<img src=x onerror=alert(1)>`)
	form.Set("participation_message", `<b onclick="x()">hi</b>`)
	// The tickets link: the pad's is kept for accepted participants.
	form.Set("link_title_1", `"><script>alert(2)</script>`)
	uuid := ti.createEvent(t, ti.alice, form)
	_, page := ti.get(t, ti.client(), "/events/"+uuid)
	for _, bad := range []string{"<script>alert", "<img src=x", `"><script>`} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	visible := pageText(page)
	for _, want := range []string{`<script>alert("t")</script>`, `<img src=x onerror=alert(1)>`, `"><script>alert(2)</script>`} {
		if !strings.Contains(visible, want) {
			t.Errorf("page does not show %q as text", want)
		}
	}
}

func TestEventTimeZoneDisplay(t *testing.T) {
	ti := newEventsInstance(t) // instance zone: Europe/Paris (the default)

	// 19:00 in New York on 14 March 2026 (EDT, UTC−4) is 00:00 on the 15th
	// in Paris (still CET, UTC+1).
	form := fullEventForm()
	form.Set("timezone", "America/New_York")
	uuid := ti.createEvent(t, ti.alice, form)
	e, _ := ti.App.store.EventByUUID(context.Background(), uuid)
	if want := time.Date(2026, 3, 14, 23, 0, 0, 0, time.UTC); !e.StartsAt.Equal(want) {
		t.Fatalf("stored start %v, want %v", e.StartsAt, want)
	}
	_, page := ti.get(t, ti.client(), "/events/"+uuid)
	visible := pageText(page)
	for _, want := range []string{
		"Saturday 14 March 2026, 19:00 – 21:00 (America/New_York)",
		"That is Sunday 15 March 2026, 00:00 – 02:00 in Europe/Paris.",
	} {
		if !strings.Contains(visible, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if !strings.Contains(page, `datetime="2026-03-14T19:00:00-04:00"`) {
		t.Error("machine-readable start lacks the New York offset")
	}

	// Across the change to summer time in Paris (29 March 2026, 02:00 →
	// 03:00): an event from 01:30 to 04:00 lasts an hour and a half, and
	// one at 19:00 that day is at 17:00 UTC, not 18:00.
	form = fullEventForm()
	form.Set("starts_at", "2026-03-29T01:30")
	form.Set("ends_at", "2026-03-29T04:00")
	uuid = ti.createEvent(t, ti.alice, form)
	e, _ = ti.App.store.EventByUUID(context.Background(), uuid)
	if d := e.EndsAt.Sub(e.StartsAt); d != 90*time.Minute {
		t.Errorf("night of the change lasts %v, want 1h30", d)
	}
	_, page = ti.get(t, ti.client(), "/events/"+uuid)
	if visible := pageText(page); !strings.Contains(visible, "Sunday 29 March 2026, 01:30 – 04:00 (Europe/Paris)") || strings.Contains(visible, "That is") {
		t.Errorf("DST night shown wrong: %s", visible)
	}

	form.Set("starts_at", "2026-03-29T19:00")
	form.Set("ends_at", "2026-03-29T21:00")
	uuid = ti.createEvent(t, ti.alice, form)
	e, _ = ti.App.store.EventByUUID(context.Background(), uuid)
	if want := time.Date(2026, 3, 29, 17, 0, 0, 0, time.UTC); !e.StartsAt.Equal(want) {
		t.Errorf("after the change: stored %v, want %v", e.StartsAt, want)
	}
	req, _ := http.NewRequest(http.MethodGet, ti.URL+"/events/"+uuid, nil)
	req.Header.Set("Accept-Language", "fr-FR,fr;q=0.9")
	res, err := ti.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if visible := pageText(string(b)); !strings.Contains(visible, "dimanche 29 mars 2026, 19 h 00 – 21 h 00 (Europe/Paris)") {
		t.Errorf("French date line missing: %s", visible)
	}

	// On an instance set to New York, the Paris event shows New York time too.
	if err := ti.App.saveSettings(context.Background(), map[string]string{SettingTimezone: "America/New_York"}); err != nil {
		t.Fatal(err)
	}
	_, page = ti.get(t, ti.client(), "/events/"+uuid)
	if visible := pageText(page); !strings.Contains(visible, "That is Sunday 29 March 2026, 13:00 – 15:00 in America/New_York.") {
		t.Errorf("instance-zone line missing: %s", visible)
	}
}

func TestEventVisibility(t *testing.T) {
	ti := newEventsInstance(t)
	visitor := ti.client()
	create := func(set map[string]string) string {
		form := fullEventForm()
		for k, v := range set {
			form.Set(k, v)
		}
		return ti.createEvent(t, ti.alice, form)
	}
	private := create(map[string]string{"title": "Private party", "visibility": "private"})
	unlisted := create(map[string]string{"title": "Unlisted meeting", "visibility": "unlisted"})
	draft := create(map[string]string{"title": "Draft plan", "publish": "draft"})
	scheduled := create(map[string]string{"title": "Scheduled ball", "publish": "schedule", "publish_at": "2026-03-05T12:00"})
	public := create(map[string]string{"title": "Public picnic"})

	status := func(c *http.Client, uuid string) (int, string) {
		res, body := ti.get(t, c, "/events/"+uuid)
		return res.StatusCode, body
	}
	for _, tc := range []struct {
		name    string
		uuid    string
		visitor int
		bob     int
		noindex bool
		badge   string
		onHome  bool
	}{
		{"private", private, 404, 404, true, "Private", false},
		{"unlisted", unlisted, 200, 200, true, "Unlisted", false},
		{"draft", draft, 404, 404, true, "Draft", false},
		{"scheduled", scheduled, 404, 404, true, "Scheduled: published on Thursday 5 March 2026, 12:00", false},
		{"public", public, 200, 200, false, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := status(visitor, tc.uuid); got != tc.visitor {
				t.Errorf("logged-out visitor: %d, want %d", got, tc.visitor)
			}
			if got, _ := status(ti.bob, tc.uuid); got != tc.bob {
				t.Errorf("another account: %d, want %d", got, tc.bob)
			}
			got, page := status(ti.alice, tc.uuid)
			if got != 200 {
				t.Fatalf("organiser: %d", got)
			}
			if has := strings.Contains(page, `<meta name="robots" content="noindex">`); has != tc.noindex {
				t.Errorf("noindex: %v, want %v", has, tc.noindex)
			}
			if tc.badge != "" && !strings.Contains(pageText(page), tc.badge) {
				t.Errorf("organiser's page lacks the badge %q", tc.badge)
			}
			_, home := ti.get(t, visitor, "/")
			if on := strings.Contains(home, "/events/"+tc.uuid); on != tc.onHome {
				t.Errorf("on the home page: %v, want %v", on, tc.onHome)
			}
		})
	}

	// Once its time comes, the scheduled event is out for everyone.
	setClock(ti.clock, time.Date(2026, 3, 5, 11, 0, 1, 0, time.UTC))
	if got, _ := status(visitor, scheduled); got != 200 {
		t.Errorf("scheduled event after its time: %d", got)
	}
	if _, home := ti.get(t, visitor, "/"); !strings.Contains(home, "/events/"+scheduled) {
		t.Error("scheduled event not on the home page after its time")
	}
}

func TestOnlyTheOrganiserChangesAnEvent(t *testing.T) {
	ti := newEventsInstance(t)
	uuid := ti.createEvent(t, ti.alice, fullEventForm())
	before, _ := ti.App.store.EventByUUID(context.Background(), uuid)

	edit := fullEventForm()
	edit.Set("title", "Hijacked")
	for _, tc := range []struct {
		method, path string
	}{
		{"GET", "/events/" + uuid + "/edit"},
		{"POST", "/events/" + uuid + "/edit"},
		{"POST", "/events/" + uuid + "/publish"},
		{"POST", "/events/" + uuid + "/cancel"},
		{"GET", "/events/" + uuid + "/delete"},
		{"POST", "/events/" + uuid + "/delete"},
	} {
		var res *http.Response
		if tc.method == "GET" {
			res, _ = ti.get(t, ti.bob, tc.path)
		} else {
			res, _ = ti.postFormBody(t, ti.bob, tc.path, edit)
		}
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("bob %s %s: %d, want 403", tc.method, tc.path, res.StatusCode)
		}
		if tc.method == "GET" {
			res, _ = ti.get(t, ti.client(), tc.path)
		} else {
			res, _ = ti.postFormBody(t, ti.client(), tc.path, edit)
		}
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=%2Fevents%2F"+uuid) {
			t.Errorf("logged out %s %s: %d %q, want a redirect to log in", tc.method, tc.path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	after, err := ti.App.store.EventByUUID(context.Background(), uuid)
	if err != nil {
		t.Fatal("the event is gone")
	}
	if after.Title != before.Title || after.Status != before.Status || after.Sequence != before.Sequence {
		t.Errorf("the event changed: %q %q seq %d", after.Title, after.Status, after.Sequence)
	}

	// Another identity of the organiser's account may change it, and new
	// events are organised by the identity acting.
	second, err := ti.App.store.CreateIdentity(context.Background(), before.Organizer.AccountID, store.NewIdentity{Username: "alice_dance"})
	if err != nil {
		t.Fatal(err)
	}
	if res := ti.postForm(t, ti.alice, "/me/identity", url.Values{"identity": {itoa(second.ID)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch identity: %d", res.StatusCode)
	}
	if res, body := ti.postMultipart(t, ti.alice, "/events/"+uuid+"/edit", edit, nil, true); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("organiser's other identity cannot edit: %d %v", res.StatusCode, fieldErrorsIn(body))
	}
	other := ti.createEvent(t, ti.alice, fullEventForm())
	if e, _ := ti.App.store.EventByUUID(context.Background(), other); e.Organizer.Username != "alice_dance" {
		t.Errorf("organised by %q, want the acting identity alice_dance", e.Organizer.Username)
	}
	if _, page := ti.get(t, ti.client(), "/events/"+other); !strings.Contains(page, `href="/@alice_dance"`) || strings.Contains(page, `href="/@alice"`) {
		t.Error("the page names another identity than the one that acted")
	}
}

func TestEventLifecycle(t *testing.T) {
	ti := newEventsInstance(t)
	visitor := ti.client()
	form := fullEventForm()
	form.Set("publish", "draft")
	jpg := encodeJPEG(t, photo(50, 50))
	res, body := ti.postMultipart(t, ti.alice, "/events", form, jpg, true)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %v", res.StatusCode, fieldErrorsIn(body))
	}
	uuid := strings.TrimPrefix(res.Header.Get("Location"), "/events/")
	if r, _ := ti.get(t, visitor, "/events/"+uuid); r.StatusCode != 404 {
		t.Fatalf("draft visible: %d", r.StatusCode)
	}

	// Publish.
	res = ti.postForm(t, ti.alice, "/events/"+uuid+"/publish", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", res.StatusCode)
	}
	if _, home := ti.get(t, visitor, "/"); !strings.Contains(home, "/events/"+uuid) {
		t.Fatal("published event not on the home page")
	}
	_, page := ti.get(t, ti.alice, "/events/"+uuid)
	if !strings.Contains(page, "The event is published.") {
		t.Error("no flash after publishing")
	}

	// Edit: the title changes, the URL and the banner stay.
	e, _ := ti.App.store.EventByUUID(context.Background(), uuid)
	published := *e.PublishedAt
	setClock(ti.clock, ti.clock.Now().Add(time.Hour))
	form.Set("title", "Folk ball, new title")
	form.Set("publish", "now")
	res, body = ti.postMultipart(t, ti.alice, "/events/"+uuid+"/edit", form, nil, true)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/events/"+uuid {
		t.Fatalf("edit: %d %q %v", res.StatusCode, res.Header.Get("Location"), fieldErrorsIn(body))
	}
	e2, _ := ti.App.store.EventByUUID(context.Background(), uuid)
	if e2.Title != "Folk ball, new title" || e2.BannerUUID != e.BannerUUID || e2.BannerUUID == "" || !e2.PublishedAt.Equal(published) {
		t.Errorf("after edit: %q banner %q (was %q) published %v (was %v)", e2.Title, e2.BannerUUID, e.BannerUUID, e2.PublishedAt, published)
	}
	// An edit with an error changes nothing.
	form.Set("ends_at", "2026-03-14T10:00")
	res, body = ti.postMultipart(t, ti.alice, "/events/"+uuid+"/edit", form, nil, true)
	if res.StatusCode != http.StatusUnprocessableEntity || fieldErrorsIn(body)["ends_at"] == "" {
		t.Fatalf("bad edit: %d", res.StatusCode)
	}
	if e3, _ := ti.App.store.EventByUUID(context.Background(), uuid); e3.Sequence != e2.Sequence {
		t.Error("a refused edit changed the event")
	}
	// Remove the banner.
	form.Set("ends_at", "2026-03-14T21:00")
	form.Set("remove_banner", "1")
	ti.postMultipart(t, ti.alice, "/events/"+uuid+"/edit", form, nil, true)
	if e4, _ := ti.App.store.EventByUUID(context.Background(), uuid); e4.BannerUUID != "" {
		t.Error("banner not removed")
	}

	// Cancel: still visible, with a badge.
	res = ti.postForm(t, ti.alice, "/events/"+uuid+"/cancel", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", res.StatusCode)
	}
	res, page = ti.get(t, visitor, "/events/"+uuid)
	if res.StatusCode != 200 || !strings.Contains(page, `<span class="badge cancelled">Cancelled</span>`) {
		t.Fatalf("cancelled event page: %d", res.StatusCode)
	}

	// Delete, after a confirmation page.
	res, page = ti.get(t, ti.alice, "/events/"+uuid+"/delete")
	if res.StatusCode != 200 || !strings.Contains(page, `action="/events/`+uuid+`/delete"`) {
		t.Fatalf("confirmation page: %d", res.StatusCode)
	}
	res = ti.postForm(t, ti.alice, "/events/"+uuid+"/delete", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if r, _ := ti.get(t, ti.alice, "/events/"+uuid); r.StatusCode != 404 {
		t.Fatalf("deleted event: %d", r.StatusCode)
	}
	if n := ti.countEvents(t); n != 0 {
		t.Fatalf("%d events left", n)
	}
}

func TestEventPageNotFound(t *testing.T) {
	ti := newEventsInstance(t)
	for _, path := range []string{"/events/nope", "/events/00000000-0000-0000-0000-000000000000", "/events/x/edit"} {
		if res, _ := ti.get(t, ti.alice, path); res.StatusCode != 404 {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
	res, _ := ti.get(t, ti.alice, "/events/x/publish")
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET publish: %d, want 405", res.StatusCode)
	}
}
