package app

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// What peers receive of our events, read the way each peer reads it:
// Mastodon and GoToSocial (Mastodon-API servers), Gancio, Mobilizon,
// another Convene.

// peerFollows makes actor (on peer) follow target (an actor id on us),
// the way Mastodon, GoToSocial and Gancio send a Follow, and runs our
// queues (an instance follow then waits for an admin).
func peerFollows(t *testing.T, us *fedInstance, peer *mockPeer, actor, followID, target string) {
	t.Helper()
	follow := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
		"id": followID, "actor": actor, "object": target}
	if got := peer.send(t, us.URL+"/inbox", actor, follow); got != http.StatusAccepted {
		t.Fatalf("Follow of %s answered %d", target, got)
	}
	drain(t, us)
}

// receivedActivities is what a peer received of a type, decoded.
func receivedActivities(t *testing.T, p *mockPeer, typ string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, post := range p.received() {
		var a map[string]any
		if err := json.Unmarshal(post.Body, &a); err != nil {
			t.Fatalf("a delivery is not JSON: %v\n%s", err, post.Body)
		}
		if a["type"] == typ {
			out = append(out, a)
		}
	}
	return out
}

// servedEvent is the event as a peer fetching its URL reads it, without
// the @context (which embedded objects do not carry).
func servedEvent(t *testing.T, eventURL string) map[string]any {
	t.Helper()
	res, body := getAS(t, eventURL, ap.ContentTypeActivityJSON)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", eventURL, res.StatusCode)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "@context")
	return doc
}

// mastodonText is what Mastodon shows of an Event: an Event is one of its
// "converted" types, shown as the name as a heading, the summary and a
// link to the url, with no content warning and no content
// (ActivityPub::Parser::StatusParser#processed_text, mastodon 4.x).
func mastodonText(obj map[string]any) (text, contentWarning string) {
	var parts []string
	if name, _ := obj["name"].(string); name != "" {
		parts = append(parts, "<h2>"+name+"</h2>")
	}
	if summary, _ := obj["summary"].(string); summary != "" {
		parts = append(parts, summary)
	}
	link, _ := obj["url"].(string)
	if link == "" {
		link, _ = obj["id"].(string)
	}
	parts = append(parts, `<a href="`+link+`">`+link+`</a>`)
	return html.UnescapeString(strings.Join(parts, "\n\n")), ""
}

// gotosocialText is what GoToSocial shows of an Event: the summary, else
// the name, as the content warning (shown), over the content (folded)
// (typeutils.ASStatusToStatus, gotosocial 0.19).
func gotosocialText(obj map[string]any) (contentWarning, folded string) {
	contentWarning, _ = obj["summary"].(string)
	if contentWarning == "" {
		contentWarning, _ = obj["name"].(string)
	}
	folded, _ = obj["content"].(string)
	return html.UnescapeString(contentWarning), folded
}

// A GoToSocial account follows bob; bob publishes an event with a
// picture, edits it, cancels it. What Mastodon-API servers show carries
// the title, the date and the place (and on Mastodon the link); the
// delivered object is the one served at the event's URL, picture first;
// updated appears only after the edit; the cancellation is in the text.
func TestMastodonAPIServersShowTheEvent(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	bob := us.ti.login(t, "bob@example.org", "correct horse battery")
	gts := newMockPeer(t, "gts")
	mia := gts.actor(t, "/users/mia", ap.TypePerson, "mia", 1)
	peerFollows(t, us, gts, mia, gts.URL+"/users/mia/follow/01J", us.URL+"/@bob")
	if n := len(receivedActivities(t, gts, "Accept")); n != 1 {
		t.Fatalf("GoToSocial received %d Accepts of its follow", n)
	}

	form := fullEventForm()
	form.Set("starts_at", "2031-03-14T19:00")
	form.Set("ends_at", "2031-03-14T21:00")
	form.Set("status", "confirmed")
	res, body := us.ti.postMultipart(t, bob, "/events", form, testPNG(t, 64, 48), false)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create with a banner: %d\n%s", res.StatusCode, fieldErrorsIn(body))
	}
	eventURL := us.URL + res.Header.Get("Location")
	drain(t, us)
	creates := receivedActivities(t, gts, "Create")
	if len(creates) != 1 {
		t.Fatalf("GoToSocial received %d Creates", len(creates))
	}
	obj := creates[0]["object"].(map[string]any)

	// The delivered event is the one served at its URL, picture first.
	if served := servedEvent(t, eventURL); !reflect.DeepEqual(obj, served) {
		a, _ := json.Marshal(obj)
		b, _ := json.Marshal(served)
		t.Fatalf("the delivered event differs from the served one:\ndelivered %s\nserved    %s", a, b)
	}
	atts, _ := obj["attachment"].([]any)
	if len(atts) == 0 {
		t.Fatalf("the delivered event has no attachment: %v", obj)
	}
	picture := atts[0].(map[string]any)
	if picture["type"] != ap.TypeDocument || !strings.HasPrefix(picture["mediaType"].(string), "image/") || !strings.HasPrefix(picture["url"].(string), us.URL+"/media/") {
		t.Fatalf("the first attachment is not the picture: %v", atts)
	}
	if res, _ := getAS(t, picture["url"].(string), "image/*"); res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "image/") {
		t.Fatalf("the picture's URL answers %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// Not "edited" on arrival; the language is where Mastodon reads it.
	if _, ok := obj["updated"]; ok {
		t.Fatalf("a new event carries updated %v", obj["updated"])
	}
	if cm, _ := obj["contentMap"].(map[string]any); len(cm) != 1 || cm["en"] != obj["content"] {
		t.Fatalf("contentMap %v", obj["contentMap"])
	}

	title := form.Get("title")
	shows := func(what, text string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s does not show %q:\n%s", what, w, text)
			}
		}
	}
	text, cw := mastodonText(obj)
	if cw != "" {
		t.Errorf("Mastodon folds the event under %q", cw)
	}
	shows("Mastodon", text, title, "14 March 2031", "19:00", "Salle des fêtes", eventURL)
	gtsCW, _ := gotosocialText(obj)
	shows("GoToSocial's visible line", gtsCW, title, "14 March 2031", "19:00", "Salle des fêtes")
	if !strings.HasPrefix(gtsCW, title) {
		t.Errorf("GoToSocial's visible line does not start with the title: %q", gtsCW)
	}

	// An edit a minute later: now it is "edited", picture still first.
	us.Clock.Advance(time.Minute)
	form.Set("title", "Bal folk (nouvelle salle)")
	if res, body := us.ti.postFormBody(t, bob, res.Header.Get("Location")+"/edit", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", res.StatusCode, fieldErrorsIn(body))
	}
	drain(t, us)
	updates := receivedActivities(t, gts, "Update")
	if len(updates) != 1 {
		t.Fatalf("GoToSocial received %d Updates after the edit", len(updates))
	}
	obj = updates[0]["object"].(map[string]any)
	if obj["updated"] == nil || obj["name"] != "Bal folk (nouvelle salle)" {
		t.Fatalf("the edit arrived without updated or the new name: %v %v", obj["updated"], obj["name"])
	}
	if atts, _ := obj["attachment"].([]any); len(atts) == 0 || atts[0].(map[string]any)["type"] != ap.TypeDocument {
		t.Fatalf("the Update's first attachment is not the picture: %v", obj["attachment"])
	}
	if served := servedEvent(t, eventURL); !reflect.DeepEqual(obj, served) {
		t.Fatalf("the updated event differs from the served one:\ndelivered %v\nserved    %v", obj, served)
	}

	// Cancelled: Mastodon-API servers ignore ical:status, the text says it;
	// Mobilizon still reads CANCELLED.
	us.ti.postForm(t, bob, res.Header.Get("Location")+"/cancel", url.Values{})
	drain(t, us)
	updates = receivedActivities(t, gts, "Update")
	obj = updates[len(updates)-1]["object"].(map[string]any)
	if obj["status"] != ap.StatusCancelled || obj["ical:status"] != ap.StatusCancelled {
		t.Fatalf("cancelled event's status %v / %v", obj["status"], obj["ical:status"])
	}
	text, _ = mastodonText(obj)
	shows("Mastodon, cancelled", text, "Cancelled", "Bal folk (nouvelle salle)")
	gtsCW, content := gotosocialText(obj)
	if !strings.HasPrefix(gtsCW, "Cancelled") {
		t.Errorf("GoToSocial's visible line does not say the event is cancelled: %q", gtsCW)
	}
	shows("the content Gancio shows", content, "This event is cancelled.")
}

// An online-only event is placed at a VirtualLocation, in the shape
// Gancio reads and sends (a Place whose address is a VirtualLocation with
// a url), and another Convene still reads its online address.
func TestOnlineEventHasAVirtualLocation(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	a.ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	b.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	followAcross(t, a, a.ti.login(t, "alice@example.org", "correct horse battery"), b, "bob")
	bob := b.ti.login(t, "bob@example.org", "correct horse battery")
	form := fullEventForm()
	form.Set("starts_at", "2031-03-14T19:00")
	form.Set("ends_at", "2031-03-14T21:00")
	// Free to join: an approval event keeps its address for those it
	// accepts (its location is then its own page, below).
	form.Set("join_mode", "free")
	for _, k := range []string{"venue", "street", "postal_code", "locality", "region", "country", "latitude", "longitude"} {
		form.Set(k, "")
	}
	uuid := b.ti.createEvent(t, bob, form)
	eventURL := b.URL + "/events/" + uuid
	drain(t, a, b)

	var gancio map[string]any
	raw, _ := os.ReadFile("testdata/ap/gancio-test-location-virtual-location.json")
	if err := json.Unmarshal(raw, &gancio); err != nil {
		t.Fatal(err)
	}
	loc, _ := servedEvent(t, eventURL)["location"].(map[string]any)
	address, _ := loc["address"].(map[string]any)
	if loc == nil || loc["type"] != gancio["type"] || loc["name"] == "" || address["type"] != gancio["address"].(map[string]any)["type"] ||
		address["url"] != "https://video.example.org/room/folk" {
		t.Fatalf("online event's location %v, want the shape of Gancio's %v", loc, gancio)
	}
	form.Set("join_mode", "approval")
	private := b.URL + "/events/" + b.ti.createEvent(t, bob, form)
	loc, _ = servedEvent(t, private)["location"].(map[string]any)
	address, _ = loc["address"].(map[string]any)
	if address["type"] != "VirtualLocation" || address["url"] != private {
		t.Fatalf("an approval event's online location %v, want a VirtualLocation naming its own page", loc)
	}
	// Gancio finds the picture with attachment.find(a =>
	// a.mediaType.includes("image") && a.url): every attachment needs a
	// mediaType, or it fails on the event.
	atts, _ := servedEvent(t, eventURL)["attachment"].([]any)
	for _, att := range atts {
		if mt, _ := att.(map[string]any)["mediaType"].(string); mt == "" {
			t.Errorf("Gancio fails on an attachment without mediaType: %v", att)
		}
	}
	o, err := a.App.store.RemoteObjectByURI(context.Background(), eventURL)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := ap.ParseEvent(o.Body)
	if err != nil || ev.OnlineAddress() != "https://video.example.org/room/folk" {
		t.Fatalf("another Convene reads the online address as %q (%v)", ev.OnlineAddress(), err)
	}
}

// gancioInstancePeer is a Gancio instance: its Application actor in the shape of
// Gancio's own (fixture), with a key we hold.
func gancioInstancePeer(t *testing.T) (*mockPeer, string) {
	t.Helper()
	p := newMockPeer(t, "gancio")
	doc := fixtureOn(t, "gancio-application-actor.json", p, "https://demo.gancio.org")
	key := testKeys(t)[2]
	pem, _ := ap.EncodePublicKeyPEM(&key.PublicKey)
	doc["publicKey"].(map[string]any)["publicKeyPem"] = pem
	p.put("/federation/u/gancio", doc)
	id := doc["id"].(string)
	p.mu.Lock()
	p.keys[id] = key
	p.mu.Unlock()
	return p, id
}

// gancioAccepts is Gancio's rule for an incoming event (federation/
// inbox.js, helpers.js verifySignature): the request must be signed by
// the activity's actor, whose key it fetches from the actor, and that
// actor must be one Gancio follows. It returns why not, or "".
func gancioAccepts(t *testing.T, post mockPost, inboxURL string, followed ...string) string {
	t.Helper()
	var act struct {
		Actor string `json:"actor"`
	}
	json.Unmarshal(post.Body, &act)
	req := httptest.NewRequest(http.MethodPost, inboxURL, bytes.NewReader(post.Body))
	req.Header = post.Header.Clone()
	req.Host = req.URL.Host
	lookup := func(ctx context.Context, keyID string) (*rsa.PublicKey, string, error) {
		res, body := getAS(t, act.Actor, ap.ContentTypeActivityJSON)
		if res.StatusCode != http.StatusOK {
			return nil, "", fmt.Errorf("actor %s: %d", act.Actor, res.StatusCode)
		}
		actor, err := ap.ParseActor(body)
		if err != nil {
			return nil, "", err
		}
		k, err := ap.ParsePublicKeyPEM(actor.PublicKey.PublicKeyPEM)
		return k, actor.ID, err
	}
	if _, _, err := ap.VerifyRequest(req, post.Body, time.Now(), lookup); err != nil {
		return "signature: " + err.Error()
	}
	for _, f := range followed {
		if act.Actor == f {
			return ""
		}
	}
	return "404 not followed nor trusted: " + act.Actor
}

// A Gancio follows the instance (not bob): each public event reaches it
// from the instance actor, signed with the instance key, its organiser
// in attributedTo; edits and deletions too. When Gancio also follows bob,
// an unlisted event of bob's does not reach it (Gancio lists everything
// it receives), while a person following bob still gets it.
func TestGancioFollowingTheInstanceGetsEvents(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	_, bobActor := us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	gancio, gancioActor := gancioInstancePeer(t)
	inbox := gancio.URL + "/federation/u/gancio/inbox"
	// Gancio's Follow id: <its base>/federation/m/<followed actor>#follow.
	peerFollows(t, us, gancio, gancioActor, gancio.URL+"/federation/m/"+us.URL+"/actor#follow", us.URL+"/actor")
	var followID int64
	us.App.store.DB().QueryRow(`SELECT f.id FROM follows f JOIN actors a ON a.id = f.follower_id WHERE a.uri = ?`, gancioActor).Scan(&followID)
	if res := us.ti.postForm(t, admin, "/admin/followers/"+itoa(followID)+"/accept", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: %d", res.StatusCode)
	}
	drain(t, us)

	e := publishEvent(t, us.App, bobActor, "Bal folk", store.VisibilityPublic)
	drain(t, us)
	var events []mockPost
	for _, p := range gancio.received() {
		if !bytes.Contains(p.Body, []byte(`"Accept"`)) {
			events = append(events, p)
		}
	}
	if len(events) != 1 {
		t.Fatalf("Gancio received %d event activities, want 1", len(events))
	}
	if why := gancioAccepts(t, events[0], inbox, us.URL+"/actor"); why != "" {
		t.Fatalf("Gancio refuses the event: %s\n%s", why, events[0].Body)
	}
	var create struct {
		Type   string         `json:"type"`
		Object map[string]any `json:"object"`
	}
	json.Unmarshal(events[0].Body, &create)
	if create.Type != "Create" || create.Object["attributedTo"] != us.URL+"/@bob" || create.Object["id"] != us.URL+"/events/"+e.UUID {
		t.Fatalf("Gancio received %s of %v by %v", create.Type, create.Object["id"], create.Object["attributedTo"])
	}
	if !strings.Contains(events[0].Header.Get("Signature"), `keyId="`+us.URL+`/actor#main-key"`) {
		t.Fatalf("not signed with the instance key: %s", events[0].Header.Get("Signature"))
	}

	e.Title = "Bal folk (nouvelle salle)"
	updateEvent(t, us, e)
	if err := us.App.deleteEventAndAnnounce(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	drain(t, us)
	posts := gancio.received()
	for _, want := range []string{"Update", "Delete"} {
		var found bool
		for _, p := range posts {
			if bytes.Contains(p.Body, []byte(`"type":"`+want+`"`)) {
				found = true
				if why := gancioAccepts(t, p, inbox, us.URL+"/actor"); why != "" {
					t.Errorf("Gancio refuses the %s: %s", want, why)
				}
			}
		}
		if !found {
			t.Errorf("Gancio received no %s", want)
		}
	}

	// Gancio now follows bob too, and so does a Mastodon account.
	peerFollows(t, us, gancio, gancioActor, gancio.URL+"/federation/m/"+us.URL+"/@bob#follow", us.URL+"/@bob")
	masto := newMockPeer(t, "masto")
	ann := masto.actor(t, "/users/ann", ap.TypePerson, "ann", 1)
	peerFollows(t, us, masto, ann, masto.URL+"/users/ann#follows/1", us.URL+"/@bob")
	before := len(gancio.received())
	publishEvent(t, us.App, bobActor, "Répétition (unlisted)", store.VisibilityUnlisted)
	drain(t, us)
	for _, p := range gancio.received()[before:] {
		if bytes.Contains(p.Body, []byte("Répétition")) {
			t.Fatalf("an unlisted event reached Gancio, which would list it: %s", p.Body)
		}
	}
	var toAnn bool
	for _, a := range receivedActivities(t, masto, "Create") {
		toAnn = toAnn || a["object"].(map[string]any)["name"] == "Répétition (unlisted)"
	}
	if !toAnn {
		t.Fatal("the unlisted event did not reach bob's follower on Mastodon")
	}
	// A public event made unlisted is taken back from Gancio (instance
	// and bob followers alike), not from people.
	pub := publishEvent(t, us.App, bobActor, "Stage de danse", store.VisibilityPublic)
	drain(t, us)
	before = len(gancio.received())
	old := *pub
	pub.Visibility = store.VisibilityUnlisted
	if err := us.App.updateEventAndAnnounce(context.Background(), &old, pub); err != nil {
		t.Fatal(err)
	}
	drain(t, us)
	var withdrawn bool
	for _, p := range gancio.received()[before:] {
		if bytes.Contains(p.Body, []byte(`"type":"Delete"`)) && bytes.Contains(p.Body, []byte(pub.UUID)) {
			withdrawn = true
		}
		if bytes.Contains(p.Body, []byte(`"type":"Update"`)) {
			t.Errorf("Gancio received the Update of an event made unlisted: %s", p.Body)
		}
	}
	if !withdrawn {
		t.Error("an event made unlisted was not taken back from Gancio")
	}
	// The form says who sees an unlisted event.
	_, page := us.ti.get(t, us.ti.login(t, "bob@example.org", "correct horse battery"), "/events/new")
	if !strings.Contains(page, "servers that follow you as a whole (Gancio, relays) do not receive it") {
		t.Fatal("the event form does not say who sees an unlisted event")
	}
}

// A reply to a fediverse comment mentions its author (a Mention tag, the
// author in cc) and goes to their inbox, as Mastodon's replies do: their
// server notifies them for the mention.
func TestReplyToAFediverseCommentMentionsItsAuthor(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	_, bobActor := us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	bob := us.ti.login(t, "bob@example.org", "correct horse battery")
	masto := newMockPeer(t, "masto")
	eve := masto.actor(t, "/users/eve", ap.TypePerson, "eve", 1)
	e := publishEvent(t, us.App, bobActor, "Bal folk", store.VisibilityPublic)
	noteID := eve + "/statuses/1"
	note := ap.NewNote(noteID, eve, us.URL+"/events/"+e.UUID, "<p>Can I bring a fiddle?</p>", time.Now().Add(-time.Minute), []string{ap.Public}, []string{eve + "/followers"})
	if got := masto.send(t, us.URL+"/inbox", eve, ap.NewCreate(noteID+"/activity", eve, note, note.To, note.Cc)); got != http.StatusAccepted {
		t.Fatalf("Create Note: %d", got)
	}
	drain(t, us)
	var commentUUID string
	us.App.store.DB().QueryRow(`SELECT uuid FROM comments WHERE uri = ?`, noteID).Scan(&commentUUID)
	if commentUUID == "" {
		t.Fatal("eve's comment was not stored")
	}
	res := us.ti.postForm(t, bob, "/events/"+e.UUID+"/comments", url.Values{"comment": {"Of course!"}, "reply_to": {commentUUID}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply: %d", res.StatusCode)
	}
	drain(t, us)
	creates := receivedActivities(t, masto, "Create")
	if len(creates) != 1 {
		t.Fatalf("eve's server received %d Creates, want the reply", len(creates))
	}
	reply := creates[0]["object"].(map[string]any)
	var mentioned bool
	tags, _ := reply["tag"].([]any)
	for _, tag := range tags {
		m := tag.(map[string]any)
		mentioned = mentioned || (m["type"] == "Mention" && m["href"] == eve && m["name"] == "@eve@"+masto.Host)
	}
	cc, _ := json.Marshal(reply["cc"])
	if !mentioned || !strings.Contains(string(cc), `"`+eve+`"`) || reply["inReplyTo"] != noteID {
		t.Fatalf("the reply does not mention eve (tag %v, cc %s, inReplyTo %v)", reply["tag"], cc, reply["inReplyTo"])
	}
	if !strings.Contains(reply["content"].(string), `href="`+eve+`"`) {
		t.Errorf("the reply's text does not start with the mention: %v", reply["content"])
	}
	// The Note served at its id says the same.
	_, served := getAS(t, reply["id"].(string), ap.ContentTypeActivityJSON)
	if !bytes.Contains(served, []byte(`"type":"Mention"`)) {
		t.Errorf("the served reply has no Mention: %s", served)
	}
}

// Every occurrence of a series reaches followers as an event of its own,
// and so does every public event of a calendar import.
func TestSeriesAndImportsReachFollowers(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	a.ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	b.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	followAcross(t, a, a.ti.login(t, "alice@example.org", "correct horse battery"), b, "bob")
	bob := b.ti.login(t, "bob@example.org", "correct horse battery")
	remoteEvents := func() int {
		return count(t, a, `SELECT count(*) FROM remote_objects WHERE uri LIKE ?`, b.URL+"/events/%")
	}

	start := time.Now().Add(48 * time.Hour).In(mustZone(t, "Europe/Paris"))
	form := fullEventForm()
	form.Set("status", "confirmed")
	form.Set("starts_at", start.Format("2006-01-02")+"T19:00")
	form.Set("ends_at", start.Format("2006-01-02")+"T21:00")
	form.Set("repeat", "weekly")
	form.Set("repeat_interval", "1")
	form.Set("repeat_ends", "count")
	form.Set("repeat_count", "3")
	b.ti.createEvent(t, bob, form)
	drain(t, a, b)
	if n := remoteEvents(); n != 3 {
		t.Fatalf("a weekly series of 3 reached the follower as %d events", n)
	}

	var ics strings.Builder
	ics.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Club//EN\r\n")
	for i := range 5 {
		day := start.AddDate(0, 1, i).Format("20060102")
		fmt.Fprintf(&ics, "BEGIN:VEVENT\r\nUID:club-%d@example.org\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:%sT180000Z\r\nDTEND:%sT200000Z\r\nSUMMARY:Répétition %d\r\nEND:VEVENT\r\n", i, day, day, i)
	}
	ics.WriteString("END:VCALENDAR\r\n")
	res, page := postCalendarFile(t, b.ti, bob, "club.ics", []byte(ics.String()))
	m := importTokenPattern.FindStringSubmatch(page)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("import preview: %d\n%s", res.StatusCode, pageText(page))
	}
	if res := b.ti.postForm(t, bob, "/import/confirm", url.Values{"token": {m[1]}, "publish": {"published"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("import confirm: %d", res.StatusCode)
	}
	drain(t, a, b)
	if n := remoteEvents(); n != 3+5 {
		t.Fatalf("an import of 5 public events reached the follower as %d events", n-3)
	}
}
