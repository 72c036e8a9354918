package app

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"convene/app/i18n"
	"convene/app/store"
)

func TestParseTags(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"Folk, #Bal  dance-night,folk", "folk bal dance-night", ""},
		{"fête, Été_2026", "fête été_2026", ""},
		{"", "", ""},
		{" , ,, ", "", ""},
		{"a.b", "", "Tags use only letters"},
		{"<script>", "", "Tags use only letters"},
		{strings.Repeat("x", 41), "", "at most 40 characters"},
	} {
		tags, msg := parseTags(nil, tc.in)
		if got := strings.Join(tags, " "); got != tc.want || !strings.Contains(msg, tc.err) || (tc.err == "" && msg != "") {
			t.Errorf("parseTags(%q) = %q, %q; want %q, %q", tc.in, got, msg, tc.want, tc.err)
		}
	}
}

func TestFormatWhen(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	start := time.Date(2026, 3, 14, 19, 0, 0, 0, paris)
	for _, tc := range []struct {
		lang string
		end  time.Time
		want string
	}{
		{"en", start.Add(2 * time.Hour), "Saturday 14 March 2026, 19:00 – 21:00 (Europe/Paris)"},
		{"en", start.Add(7 * time.Hour), "Saturday 14 March 2026, 19:00 – Sunday 15 March 2026, 02:00 (Europe/Paris)"},
		{"en", start, "Saturday 14 March 2026, 19:00 (Europe/Paris)"},
		{"fr", start.Add(2 * time.Hour), "samedi 14 mars 2026, 19\u00a0h\u00a000 – 21\u00a0h\u00a000 (Europe/Paris)"},
	} {
		if got := formatWhen(i18n.For(tc.lang), start, tc.end, paris); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

// FuzzParseEventForm checks that the parser never panics and that every
// event it accepts keeps the invariants the rest of the code relies on.
func FuzzParseEventForm(f *testing.F) {
	f.Add("Bal folk", "**hi**", "2026-03-14T19:00", "2026-03-14T21:00", "Europe/Paris", "folk, bal", "48.85", "2.35", "25", "https://example.org", "public", "free", "now", "", "music")
	f.Add("", "", "", "", "", "", "", "", "", "", "", "", "", "", "")
	f.Add("x", "", "2026-03-29T02:30", "2026-03-29T02:10", "Europe/Paris", "", "", "", "", "", "unlisted", "external", "schedule", "2026-03-01T00:00", "other")
	f.Add("<script>", "<img src=x onerror=alert(1)>", "2026-01-01T00:00", "", "America/New_York", "#a #b", "-90", "180", "0", "javascript:alert(1)", "private", "approval", "draft", "", "arts")
	f.Add("\xff", "\x00", "9999-12-31T23:59", "0001-01-01T00:00", "../etc/passwd", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u", "NaN", "Inf", "-1", "http://", "x", "y", "z", "w", "v")
	f.Add("t", "d", "2026-03-14T19:00:00", "2026-03-14 21:00", "UTC", "é", "1e2", "0x10", "1000000", "https://a.b/c?d#e", "public", "invite", "now", "", "lgbtq")
	paris, _ := time.LoadLocation("Europe/Paris")
	f.Fuzz(func(t *testing.T, title, desc, start, end, zone, tags, lat, lon, capacity, link, visibility, join, publish, publishAt, category string) {
		form := url.Values{
			"title": {title}, "description": {desc}, "starts_at": {start}, "ends_at": {end}, "timezone": {zone},
			"tags": {tags}, "latitude": {lat}, "longitude": {lon}, "capacity": {capacity}, "online_url": {link},
			"external_url": {link}, "link_url_0": {link}, "link_title_0": {title}, "link_kind_0": {"pad"},
			"visibility": {visibility}, "join_mode": {join}, "publish": {publish}, "publish_at": {publishAt},
			"category": {category}, "venue": {title}, "participation_message": {desc},
		}
		e, f, errs := parseEventForm(i18n.For("en"), form, paris)
		if f.Title != strings.TrimSpace(title) {
			t.Fatalf("typed title not kept: %q", f.Title)
		}
		if len(errs) > 0 {
			if e.Title != "" || e.Timezone != "" {
				t.Fatal("an event came back with errors")
			}
			return
		}
		if e.EndsAt.Before(e.StartsAt) {
			t.Fatalf("end %v before start %v", e.EndsAt, e.StartsAt)
		}
		if loadZone(e.Timezone) == nil {
			t.Fatalf("unknown zone %q accepted", e.Timezone)
		}
		if !slices.Contains(store.Categories, e.Category) {
			t.Fatalf("unknown category %q accepted", e.Category)
		}
		for _, s := range []string{e.Title, e.DescriptionMD, e.Address.Venue, e.ParticipationMessage, e.OnlineURL, e.ExternalURL} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 accepted: %q", s)
			}
		}
		if e.Title == "" || utf8.RuneCountInString(e.Title) > maxTitle || strings.ContainsFunc(e.Title, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("bad title accepted: %q", e.Title)
		}
		if utf8.RuneCountInString(e.DescriptionMD) > maxDescription || utf8.RuneCountInString(e.ParticipationMessage) > maxPartMessage {
			t.Fatal("too long text accepted")
		}
		if len(e.Tags) > maxTags {
			t.Fatalf("%d tags accepted", len(e.Tags))
		}
		for _, tag := range e.Tags {
			if n, ok := normaliseTag(tag); !ok || n != tag || tag == "" || utf8.RuneCountInString(tag) > maxTagLength {
				t.Fatalf("bad tag accepted: %q", tag)
			}
		}
		if (e.Address.Latitude == nil) != (e.Address.Longitude == nil) {
			t.Fatal("half a coordinate accepted")
		}
		if e.Address.Latitude != nil && (*e.Address.Latitude < -90 || *e.Address.Latitude > 90 || *e.Address.Longitude < -180 || *e.Address.Longitude > 180) {
			t.Fatalf("coordinates out of range: %v %v", *e.Address.Latitude, *e.Address.Longitude)
		}
		if e.Capacity < 0 || e.Capacity > maxCapacity {
			t.Fatalf("capacity %d accepted", e.Capacity)
		}
		for _, u := range append([]string{e.OnlineURL, e.ExternalURL}, func() (out []string) {
			for _, l := range e.Links {
				out = append(out, l.URL)
			}
			return
		}()...) {
			if u == "" {
				continue
			}
			if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				t.Fatalf("bad URL accepted: %q", u)
			}
		}
		if e.JoinMode == store.JoinExternal && e.ExternalURL == "" {
			t.Fatal("external join mode without its URL")
		}
		if !slices.Contains([]string{"public", "unlisted", "private"}, e.Visibility) ||
			!slices.Contains([]string{"free", "approval", "invite", "external"}, e.JoinMode) ||
			!slices.Contains([]string{"tentative", "confirmed", "cancelled"}, e.Status) ||
			!slices.Contains([]string{"allow_all", "moderated", "closed"}, e.CommentModeration) {
			t.Fatalf("unknown option accepted: %q %q %q %q", e.Visibility, e.JoinMode, e.Status, e.CommentModeration)
		}
		if e.Draft && e.PublishedAt != nil {
			t.Fatal("a draft with a publication time")
		}
		checkSafeHTML(t, desc, e.DescriptionHTML)
	})
}
