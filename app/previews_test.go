package app

import (
	"bytes"
	"encoding/json"
	stdhtml "html"
	"math/rand/v2"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"convene/app/store"
	"convene/views"

	"golang.org/x/net/html"
)

// pageHead is what a browser or a link-preview bot reads from a page's
// <head>: meta properties and the JSON-LD blocks, parsed the HTML way.
type pageHead struct {
	meta   map[string]string
	jsonLD []string
}

func readHead(t *testing.T, doc string) pageHead {
	t.Helper()
	h := pageHead{meta: map[string]string{}}
	z := html.NewTokenizer(strings.NewReader(doc))
	inLD := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			return h
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			attrs := map[string]string{}
			for _, a := range tok.Attr {
				attrs[a.Key] = a.Val
			}
			switch tok.Data {
			case "meta":
				key := attrs["property"]
				if key == "" {
					key = attrs["name"]
				}
				h.meta[key] = attrs["content"]
			case "script":
				inLD = attrs["type"] == "application/ld+json"
				if !inLD {
					t.Errorf("a script element that is not ld+json: %v", attrs)
				}
			}
		case html.TextToken:
			if inLD {
				h.jsonLD = append(h.jsonLD, string(z.Text()))
			}
		case html.EndTagToken:
			inLD = false
		}
	}
}

func TestEventPreviewCannotBreakOutOfItsScript(t *testing.T) {
	ti := newTestInstance(t)
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	title := `Party </script><script>alert(1)</script> & "friends" <!--`
	e := storeEvent(t, ti, alice, func(e *store.Event) {
		e.Title = title
		e.OnlineURL = "https://video.example.org/party"
		e.Status = store.StatusCancelled
		e.DescriptionHTML = "<p>Music &amp; dance</p>"
	})
	e, _ = ti.App.store.EventByUUID(t.Context(), e.UUID)
	req := httptest.NewRequest("GET", "/events/"+e.UUID, nil)
	var buf bytes.Buffer
	if err := views.PreviewHead(ti.App.eventPreview(req, e)).Render(t.Context(), &buf); err != nil {
		t.Fatal(err)
	}
	h := readHead(t, "<html><head>"+buf.String()+"</head></html>")
	if h.meta["og:title"] != title || h.meta["twitter:title"] != title {
		t.Errorf("og:title %q", h.meta["og:title"])
	}
	if got := h.meta["event:start_time"]; got != e.StartsAt.In(e.Location()).Format(time.RFC3339) || !strings.Contains(got, "T19:00:00") {
		t.Errorf("event:start_time %q", h.meta["event:start_time"])
	}
	if len(h.jsonLD) != 1 {
		t.Fatalf("%d JSON-LD blocks, want 1 (did the title break out?): %s", len(h.jsonLD), buf.String())
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(h.jsonLD[0]), &d); err != nil {
		t.Fatalf("JSON-LD does not parse: %v\n%s", err, h.jsonLD[0])
	}
	if d["@type"] != "Event" || d["name"] != title {
		t.Errorf("JSON-LD type %v name %q", d["@type"], d["name"])
	}
	if d["eventStatus"] != "https://schema.org/EventCancelled" || d["eventAttendanceMode"] != "https://schema.org/MixedEventAttendanceMode" {
		t.Errorf("status %v, mode %v", d["eventStatus"], d["eventAttendanceMode"])
	}
	locs, _ := d["location"].([]any)
	if len(locs) != 2 {
		t.Fatalf("location %v, want a Place and a VirtualLocation", d["location"])
	}
	place := locs[0].(map[string]any)
	if place["@type"] != "Place" || place["address"].(map[string]any)["addressLocality"] != "Lyon" {
		t.Errorf("place %v", place)
	}
	if locs[1].(map[string]any)["@type"] != "VirtualLocation" {
		t.Errorf("virtual location %v", locs[1])
	}
	if d["startDate"] != e.StartsAt.In(e.Location()).Format("2006-01-02T15:04:05-07:00") {
		t.Errorf("startDate %v", d["startDate"])
	}
	if org := d["organizer"].(map[string]any); org["name"] != "alice" || !strings.HasSuffix(org["url"].(string), "/@alice") {
		t.Errorf("organizer %v", org)
	}
	if d["description"] != "Music & dance" {
		t.Errorf("description %q", d["description"])
	}
}

func TestIdentityPageHasProfilePreview(t *testing.T) {
	ti := newTestInstance(t)
	acc, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	if err := ti.App.store.UpdateIdentity(t.Context(), acc.ID, alice.ID, store.IdentityUpdate{
		DisplayName: "Alice </script> Liddell", Bio: "Folk dancer.",
	}); err != nil {
		t.Fatal(err)
	}
	_, body := ti.get(t, ti.client(), "/@alice")
	h := readHead(t, body)
	if h.meta["og:type"] != "profile" || h.meta["og:title"] != "Alice </script> Liddell (@alice)" || h.meta["og:description"] != "Folk dancer." {
		t.Errorf("profile preview: %v", h.meta)
	}
	if len(h.jsonLD) != 1 {
		t.Fatalf("%d JSON-LD blocks", len(h.jsonLD))
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(h.jsonLD[0]), &d); err != nil {
		t.Fatal(err)
	}
	person := d["mainEntity"].(map[string]any)
	if d["@type"] != "ProfilePage" || person["@type"] != "Person" || person["name"] != "Alice </script> Liddell" {
		t.Errorf("JSON-LD %v", d)
	}
}

// plainText is a hand-written scanner for speed; it must give what the
// regular expressions it replaced gave, on any input.
func TestPlainTextMatchesRegexp(t *testing.T) {
	tags, spaces := regexp.MustCompile(`<[^>]*>`), regexp.MustCompile(`\s+`)
	want := func(s string) string {
		s = tags.ReplaceAllString(s, " ")
		s = stdhtml.UnescapeString(s)
		return strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	}
	cases := []string{"", "<p>a</p>", "<p>Fish &amp; chips</p>\n<p>b</p>", "a < b", "a < b > c", "1 &lt; 2 <br> &#9;x",
		" \t\n\f\r\v x  y\u00a0 ", "<a href=\"x>y\">z</a>", "<<>>", "<p>\nline\r\n\r\nnext</p>", "é<em>è</em>\u2028",
		"&nbsp;a&nbsp;", "unclosed <a href", "&", "&amp", "<p>" + strings.Repeat("word ", 100) + "</p>"}
	rnd := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"<", ">", "&", "amp;", "lt;", "#32;", " ", "\t", "\n", "\v", "\u00a0", "p", "é", "/", "\xff"}
	for range 5000 {
		var b strings.Builder
		for range rnd.IntN(20) {
			b.WriteString(alphabet[rnd.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, c := range cases {
		if got, w := plainText(c), want(c); got != w {
			t.Fatalf("plainText(%q) = %q, want %q", c, got, w)
		}
	}
}
