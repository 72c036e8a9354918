package app

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"convene/app/ap"
)

// getAS fetches a URL asking for ActivityStreams, as a peer does.
func getAS(t testing.TB, rawURL, accept string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, rawURL, nil)
	req.Header.Set("Accept", accept)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// The event form's create, cancel and delete reach followers on another
// instance, and the event URL serves the Mobilizon-dialect Event.
func TestEventFormAnnouncesToFollowers(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	a.ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	b.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	followAcross(t, a, a.ti.login(t, "alice@example.org", "correct horse battery"), b, "bob")
	bob := b.ti.login(t, "bob@example.org", "correct horse battery")

	form := fullEventForm()
	form.Set("starts_at", "2031-03-14T19:00")
	form.Set("ends_at", "2031-03-14T21:00")
	uuid := b.ti.createEvent(t, bob, form)
	eventURL := b.URL + "/events/" + uuid

	// Same URL: HTML for browsers, the Event for peers, Vary: Accept. The
	// event takes participants on approval: its video room is not in the
	// public object.
	res, body := getAS(t, eventURL, ap.ContentTypeLDJSON)
	if res.StatusCode != 200 || !ap.IsActivityContentType(res.Header.Get("Content-Type")) || !strings.Contains(res.Header.Get("Vary"), "Accept") {
		t.Fatalf("event as JSON-LD: %d %q vary %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Vary"))
	}
	ev, err := ap.ParseEvent(body)
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != eventURL || ev.Timezone != "Europe/Paris" || ev.StartTime.Format("2006-01-02T15:04:05-07:00") != "2031-03-14T19:00:00+01:00" ||
		len(ev.Locations) != 1 || ev.Locations[0].Address == nil || ev.Locations[0].Address.AddressLocality != "Lyon" ||
		ev.JoinMode != ap.JoinModeRestricted || ev.Status != ap.StatusTentative || ev.RepliesModerationOption != "moderated" ||
		ev.OnlineAddress() != "" || len(ev.Tags) != 3 || ev.Organizer() != b.URL+"/@bob" ||
		!strings.HasPrefix(html.UnescapeString(ev.Summary), form.Get("title")+" · ") || !strings.Contains(ev.Summary, "19:00 – 21:00 (Europe/Paris) · Salle des fêtes") {
		t.Fatalf("event document misses fields: %+v\n%s", ev, body)
	}
	if res, page := getAS(t, eventURL, "text/html"); res.StatusCode != 200 || !strings.Contains(string(page), "<html") {
		t.Fatalf("event page for a browser: %d", res.StatusCode)
	}

	drain(t, a, b)
	if got := remoteEventName(t, a, eventURL); got != form.Get("title") {
		t.Fatalf("A has %q", got)
	}
	b.ti.postForm(t, bob, "/events/"+uuid+"/cancel", url.Values{})
	drain(t, a, b)
	o, err := a.App.store.RemoteObjectByURI(context.Background(), eventURL)
	if err != nil {
		t.Fatal(err)
	}
	if ev, _ := ap.ParseEvent(o.Body); ev.Status != ap.StatusCancelled {
		t.Fatalf("after cancelling, A's copy has status %q", ev.Status)
	}
	b.ti.postForm(t, bob, "/events/"+uuid+"/delete", url.Values{})
	drain(t, a, b)
	if _, err := a.App.store.RemoteObjectByURI(context.Background(), eventURL); err == nil {
		t.Fatal("A still has the deleted event")
	}
}

// Private events and drafts are never served as ActivityStreams; unlisted
// ones are, without Public.
func TestEventJSONVisibility(t *testing.T) {
	b := newFedInstance(t)
	b.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	bob := b.ti.login(t, "bob@example.org", "correct horse battery")
	make := func(visibility, publish string) string {
		form := fullEventForm()
		form.Set("starts_at", "2031-03-14T19:00")
		form.Set("ends_at", "2031-03-14T21:00")
		form.Set("visibility", visibility)
		form.Set("publish", publish)
		return b.URL + "/events/" + b.ti.createEvent(t, bob, form)
	}
	for _, u := range []string{make("private", "now"), make("public", "draft")} {
		if res, body := getAS(t, u, ap.ContentTypeActivityJSON); res.StatusCode != http.StatusNotFound || strings.Contains(string(body), "Folk") {
			t.Fatalf("private or draft event served as JSON: %d %s", res.StatusCode, body)
		}
	}
	res, body := getAS(t, make("unlisted", "now"), ap.ContentTypeActivityJSON)
	var doc map[string]any
	json.Unmarshal(body, &doc)
	if res.StatusCode != 200 || strings.Contains(string(body), ap.Public) {
		t.Fatalf("unlisted event: %d, addressed %v %v", res.StatusCode, doc["to"], doc["cc"])
	}
}
