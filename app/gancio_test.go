package app

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// gancioOrigin is the host the Gancio 1.21 captures were served from.
const gancioOrigin = "http://127.0.0.1:13120"

// gancioPeer is a Gancio 1.21 instance as captured live: its relay
// Application actor (key id …/relay#main-key), events at
// /federation/m/<number> announced by Creates named <event>#create.
type gancioPeer struct {
	*mockPeer
	relay string
}

func newGancioPeer(t *testing.T) *gancioPeer {
	t.Helper()
	g := &gancioPeer{mockPeer: newMockPeer(t, "gancio")}
	g.relay = g.URL + "/federation/u/relay"
	key := testKeys(t)[1]
	doc := gancioFixture(t, g, "gancio-1.21-relay-actor-live.json")
	pem, _ := ap.EncodePublicKeyPEM(&key.PublicKey)
	doc["publicKey"].(map[string]any)["publicKeyPem"] = pem
	g.put("/federation/u/relay", doc)
	g.mu.Lock()
	g.keys[g.relay] = key
	g.mu.Unlock()
	return g
}

// gancioFixture reads a Gancio capture with its host replaced by the
// peer's.
func gancioFixture(t *testing.T, g *gancioPeer, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/ap/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(b), gancioOrigin, g.URL)), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// event is the captured event (a place name with a one-line address, a
// UTC offset and no zone, no end) with the given changes.
func (g *gancioPeer) event(t *testing.T, changes map[string]any) map[string]any {
	ev := gancioFixture(t, g, "gancio-1.21-event-no-end-live.json")
	for k, v := range changes {
		ev[k] = v
	}
	return ev
}

// create wraps an event as Gancio sends it: id <event>#create, from the
// relay, to Public, cc its followers.
func (g *gancioPeer) create(ev map[string]any) map[string]any {
	return map[string]any{"@context": ev["@context"], "id": ev["id"].(string) + "#create", "type": "Create",
		"to": []string{ap.Public}, "cc": []string{g.relay + "/followers"}, "actor": g.relay, "object": ev}
}

func (g *gancioPeer) deliver(t *testing.T, us *fedInstance, activity map[string]any) {
	t.Helper()
	if got := g.send(t, us.URL+"/inbox", g.relay, activity); got != http.StatusAccepted {
		t.Fatalf("%s from Gancio: status %d", activity["type"], got)
	}
	drain(t, us)
}

// followedGancio is an instance following a Gancio as a source.
func followedGancio(t *testing.T) (*fedInstance, *gancioPeer) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	g := newGancioPeer(t)
	followPeerAsSource(t, us, admin, g.mockPeer, g.relay)
	return us, g
}

func remoteEventOf(t *testing.T, us *fedInstance, uri string) *store.Event {
	t.Helper()
	ctx := context.Background()
	re, err := us.App.store.RemoteEventByURI(ctx, uri)
	if err != nil {
		return nil
	}
	e, err := us.App.store.EventByID(ctx, re.EventID)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Gancio follows again after an Undo with the same Follow id (and undoes
// it with the same Undo id): each is a new follow, each Undo ends it,
// and a replay of the second Follow is still a replay.
func TestGancioFollowIDReusedAfterUndo(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	g := newGancioPeer(t)
	bob := us.URL + "/@bob"
	follow := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": g.relay + "/follow/bob", "type": "Follow",
		"actor": g.relay, "object": bob}
	undo := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": g.relay + "/follow/bob#undo", "type": "Undo",
		"actor": g.relay, "object": follow}
	follows := func() int { return count(t, us, `SELECT count(*) FROM follows WHERE state = 'accepted'`) }
	accepts := func() int { // the Accepts Gancio received
		n := 0
		for _, p := range g.received() {
			if strings.Contains(string(p.Body), `"Accept"`) {
				n++
			}
		}
		return n
	}
	for round := 1; round <= 2; round++ {
		g.deliver(t, us, follow)
		if follows() != 1 || accepts() != round {
			t.Fatalf("Follow #%d: %d follows, %d Accepts; want 1 and %d", round, follows(), accepts(), round)
		}
		g.deliver(t, us, follow) // the same Follow again: a replay
		if accepts() != round {
			t.Fatalf("a replay of Follow #%d was answered again (%d Accepts)", round, accepts())
		}
		g.deliver(t, us, undo)
		if follows() != 0 {
			t.Fatalf("Undo #%d left %d follows", round, follows())
		}
	}
}

// Gancio on SQLite gives the id of its newest event, once deleted, to the
// next event it creates (and names that event's Create and Delete as it
// did the first's). The deleted event coming back stays deleted; the new
// event, published after the deleted one, is taken in; its Delete works.
func TestGancioEventIDReusedAfterDelete(t *testing.T) {
	us, g := followedGancio(t)
	first := g.event(t, map[string]any{"name": "Concerto", "published": "2026-12-07T17:47:37.041Z"})
	uri := first["id"].(string)
	del := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": uri + "#delete", "type": "Delete",
		"actor": g.relay, "object": uri, "to": []string{ap.Public}}

	g.deliver(t, us, g.create(first))
	if remoteEventOf(t, us, uri) == nil {
		t.Fatal("Gancio's event was not taken in")
	}
	g.deliver(t, us, del)
	if remoteEventOf(t, us, uri) != nil {
		t.Fatal("Gancio's Delete did not remove the event")
	}
	// The deleted event again, even in other bytes (a relay's copy).
	again := g.event(t, map[string]any{"name": "Concerto", "published": "2026-12-07T17:47:37.041Z", "summary": "resent"})
	g.deliver(t, us, g.create(again))
	if remoteEventOf(t, us, uri) != nil {
		t.Fatal("the deleted event came back")
	}
	// A new event with the same id, published later.
	second := g.event(t, map[string]any{"name": "Mostra fotografica", "published": "2026-12-07T18:02:11.512Z"})
	g.deliver(t, us, g.create(second))
	e := remoteEventOf(t, us, uri)
	if e == nil || e.Title != "Mostra fotografica" {
		t.Fatalf("the new event reusing a deleted id was dropped: %+v", e)
	}
	g.deliver(t, us, del)
	if remoteEventOf(t, us, uri) != nil {
		t.Fatal("the second Delete (same id as the first) did not remove the new event")
	}
}

// publishZone makes the Gancio serve NodeInfo naming its server's zone,
// under metadata.nodeTimezone.
func (g *gancioPeer) publishZone(zone string) {
	g.putRaw("/.well-known/nodeinfo", "application/json", []byte(`{"links":[{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.1","href":"`+g.URL+`/.well-known/nodeinfo/2.1"}]}`))
	g.putRaw("/.well-known/nodeinfo/2.1", "application/json", []byte(`{"version":"2.1","software":{"name":"gancio","version":"1.21.0"},"protocols":["activitypub"],"openRegistrations":false,"usage":{"users":{}},"metadata":{"nodeName":"Gancio","nodeTimezone":"`+zone+`"}}`))
}

// A Gancio event as captured: a place name plus a one-line address, a
// start at 21:00 with a UTC offset and no zone name, and no end. The page,
// the feeds and the .ics show the place whole, 21:00 in the zone it was
// sent in (never "(UTC)"), and no invented end.
func TestGancioPlaceTimeAndMissingEnd(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	for _, c := range []struct {
		name, zone, label string
	}{
		{name: "zone published in NodeInfo", zone: "Europe/Rome", label: "(Europe/Rome)"},
		{name: "offset only", label: "(UTC+01:00)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := newGancioPeer(t)
			if c.zone != "" {
				g.publishZone(c.zone)
			}
			followPeerAsSource(t, us, admin, g.mockPeer, g.relay)
			ev := g.event(t, map[string]any{"startTime": "2027-02-11T21:00:00.000+01:00"})
			g.deliver(t, us, g.create(ev))
			e := remoteEventOf(t, us, ev["id"].(string))
			if e == nil {
				t.Fatal("Gancio's event was not taken in")
			}
			_, page := us.ti.get(t, us.ti.client(), "/events/"+e.UUID)
			for _, want := range []string{"Sala Borsa", "Piazza Nettuno 3, 40124 Bologna", "21:00", c.label} {
				if !strings.Contains(page, want) {
					t.Errorf("event page lacks %q", want)
				}
			}
			for _, wrong := range []string{"20:00", "(UTC)", "21:00 –", "23:00"} {
				if strings.Contains(page, wrong) {
					t.Errorf("event page shows %q", wrong)
				}
			}
			_, ics := us.ti.get(t, us.ti.client(), "/events/"+e.UUID+"/calendar.ics")
			if !strings.Contains(ics, "DTSTART") || strings.Contains(ics, "DTEND") {
				t.Errorf(".ics of an event without an end: want DTSTART and no DTEND:\n%s", ics)
			}
			if !strings.Contains(ics, "20270211T200000Z") && !strings.Contains(ics, "DTSTART;TZID=Europe/Rome:20270211T210000") {
				t.Errorf(".ics start is not 21:00 at +01:00:\n%s", ics)
			}
			for _, feed := range []string{"/feed.rss", "/feed.atom"} {
				_, body := us.ti.get(t, us.ti.client(), feed)
				if !strings.Contains(body, "21:00 "+c.label) || strings.Contains(body, "21:00 –") {
					t.Errorf("%s does not show 21:00 %s alone:\n%s", feed, c.label, body)
				}
			}
		})
	}
}

// jpegOf is a small real JPEG picture.
func jpegOf(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := 0; x < 40; x++ {
		img.Set(x, x%30, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A Gancio event's picture (attachment[0], a Document) is shown from our
// re-encoded copy: no page, feed or calendar names the origin's picture;
// a file that is not a picture is not kept; the copy goes with the event.
func TestGancioPictureServedFromOurCopy(t *testing.T) {
	us, g := followedGancio(t)
	g.putRaw("/media/36755574a6e48a1ccd3351d35e1a371f.jpg", "image/jpeg", jpegOf(t))
	g.putRaw("/media/not-a-picture.jpg", "image/jpeg", []byte("<html><script>alert(1)</script></html>"))
	picture := g.URL + "/media/36755574a6e48a1ccd3351d35e1a371f.jpg"
	withPicture := func(name, id, pictureURL string) map[string]any {
		return g.event(t, map[string]any{"id": g.URL + "/federation/m/" + id, "name": name,
			"content": `<p>Talk with <i>stream</i>.</p><p><img src="` + g.URL + `/media/inline.jpg" alt="poster"></p>`,
			"attachment": []any{
				map[string]any{"type": "Document", "mediaType": "image/jpeg", "url": pictureURL, "name": "Picture Show alt", "focalPoint": []int{0, 0}},
				map[string]any{"type": "Link", "mediaType": "text/html", "name": "https://stream.example.org/g3", "href": "https://stream.example.org/g3"},
			}})
	}
	ev := withPicture("Mostra", "13500", picture)
	bad := withPicture("Concerto", "13501", g.URL+"/media/not-a-picture.jpg")
	g.deliver(t, us, g.create(ev))
	g.deliver(t, us, g.create(bad))
	if _, err := us.App.CopyRemotePictures(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := remoteEventOf(t, us, ev["id"].(string))
	if e == nil || e.BannerUUID == "" {
		t.Fatalf("the event's picture was not copied: %+v", e)
	}
	if b := remoteEventOf(t, us, bad["id"].(string)); b == nil || b.BannerUUID != "" {
		t.Fatalf("a file that is not a picture became a banner: %+v", b)
	}
	c := us.ti.client()
	res, body := us.ti.get(t, c, "/media/"+e.BannerUUID)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(http.DetectContentType([]byte(body)), "image/") {
		t.Fatalf("our copy: status %d, %d bytes", res.StatusCode, len(body))
	}
	for _, path := range []string{"/events/" + e.UUID, "/", "/feed.rss", "/feed.atom", "/calendar.ics", "/events/" + e.UUID + "/calendar.ics"} {
		_, page := us.ti.get(t, c, path)
		if strings.Contains(page, "/media/36755574a6e48a1ccd3351d35e1a371f.jpg") || strings.Contains(page, "/media/inline.jpg") {
			t.Errorf("%s names a picture on the origin", path)
		}
		if path == "/events/"+e.UUID && !strings.Contains(page, `src="/media/`+e.BannerUUID+`"`) {
			t.Errorf("the event page does not show our copy")
		}
	}
	// The same picture in an Update keeps the copy; the event's Delete
	// takes it away.
	g.deliver(t, us, map[string]any{"@context": ev["@context"], "id": ev["id"].(string) + "#update", "type": "Update",
		"actor": g.relay, "object": ev, "to": []string{ap.Public}})
	if n := count(t, us, `SELECT count(*) FROM remote_pictures WHERE due_at IS NOT NULL`); n != 0 {
		t.Fatalf("an Update with the same picture made %d fetches due", n)
	}
	if again := remoteEventOf(t, us, ev["id"].(string)); again.BannerUUID != e.BannerUUID {
		t.Fatalf("an Update with the same picture lost the copy (%q, was %q)", again.BannerUUID, e.BannerUUID)
	}
	g.deliver(t, us, map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": ev["id"].(string) + "#delete",
		"type": "Delete", "actor": g.relay, "object": ev["id"], "to": []string{ap.Public}})
	if n := count(t, us, `SELECT count(*) FROM media WHERE uuid = ?`, e.BannerUUID); n != 0 {
		t.Fatal("our copy of the picture outlived the deleted event")
	}
}

// Mobilizon names its event's picture by an attachment Document called
// "Banner" (after the event's other attachments, which are links): the
// banner is our copy too.
func TestMobilizonPictureServedFromOurCopy(t *testing.T) {
	f := newSourceFixture(t)
	f.mz.putRaw("/media/5f1c0a.jpg", "image/jpeg", jpegOf(t))
	ev := mzEvent(f.mz, "p1", "Marche", f.group, time.Now().Add(72*time.Hour), []string{ap.Public}, nil)
	ev["attachment"] = []any{
		map[string]any{"type": "Link", "name": "Website", "mediaType": "text/html", "href": "https://live.example/marche"},
		map[string]any{"type": "Document", "name": "Banner", "mediaType": "image/jpeg", "url": f.mz.URL + "/media/5f1c0a.jpg"},
	}
	f.deliver(t, f.mz, f.group, create(f.mz, f.group, ev))
	if _, err := f.us.App.CopyRemotePictures(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := remoteEventOf(t, f.us, ev["id"].(string))
	if e == nil || e.BannerUUID == "" {
		t.Fatalf("Mobilizon's banner was not copied: %+v", e)
	}
	_, page := f.us.ti.get(t, f.us.ti.client(), "/events/"+e.UUID)
	if !strings.Contains(page, `src="/media/`+e.BannerUUID+`"`) || strings.Contains(page, "/media/5f1c0a.jpg") {
		t.Fatal("the event page does not show our copy alone")
	}
}

// A picture on a server the federation policy refuses is never fetched
// (the pictures' fetcher asks the policy like every other fetch).
func TestRemotePictureOnRefusedHostIsNotFetched(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	g := newGancioPeer(t)
	followPeerAsSource(t, us, admin, g.mockPeer, g.relay)
	tracker := newMockPeer(t, "tracker")
	tracker.putRaw("/pixel.jpg", "image/jpeg", jpegOf(t))
	block(t, us, admin, url.Values{"domain": {"tracker.test"}})
	ev := g.event(t, map[string]any{"attachment": []any{
		map[string]any{"type": "Document", "mediaType": "image/jpeg", "url": tracker.URL + "/pixel.jpg", "name": "", "focalPoint": []int{0, 0}}}})
	g.deliver(t, us, g.create(ev))
	if _, err := us.App.CopyRemotePictures(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := tracker.requestCount(); n != 0 {
		t.Fatalf("a refused host was asked for a picture %d times", n)
	}
	if e := remoteEventOf(t, us, ev["id"].(string)); e == nil || e.BannerUUID != "" {
		t.Fatalf("want the event without a banner: %+v", e)
	}
}
