package app

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"convene/app/ap"
	"convene/app/store"
)

func TestDiscoveryAndActors(t *testing.T) {
	fi := newFedInstance(t)
	fi.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	fi.App.saveSettings(t.Context(), map[string]string{SettingRegistrations: "open", SettingName: "Bal folk de Lyon"})
	_, bob := fi.ti.createAccount(t, "ann@example.org", "ann", "correct horse battery", false)
	publishEvent(t, fi.App, bob, "Bal", store.VisibilityPublic)
	actor := fi.URL + "/@bob"

	for _, resource := range []string{"acct:bob@" + fi.Host, actor, fi.URL + "/actors/bob"} {
		res, body := getAS(t, fi.URL+"/.well-known/webfinger?resource="+url.QueryEscape(resource), "application/jrd+json")
		jrd, err := ap.ParseJRD(body)
		if res.StatusCode != 200 || err != nil || jrd.ActorURL() != actor || jrd.Subject != "acct:bob@"+fi.Host ||
			jrd.Href(ap.RelProfilePage) != actor || !strings.Contains(string(body), ap.RelSubscribe) {
			t.Fatalf("webfinger %s: %d %s", resource, res.StatusCode, body)
		}
	}
	if res, _ := getAS(t, fi.URL+"/.well-known/webfinger?resource=acct:nobody@"+fi.Host, ""); res.StatusCode != 404 {
		t.Fatalf("unknown account: %d", res.StatusCode)
	}
	if res, body := getAS(t, fi.URL+"/.well-known/host-meta", ""); res.StatusCode != 200 || !strings.Contains(string(body), `template="`+fi.URL+`/.well-known/webfinger?resource={uri}"`) {
		t.Fatalf("host-meta: %d %s", res.StatusCode, body)
	}
	_, body := getAS(t, fi.URL+"/.well-known/nodeinfo", "")
	links, _ := ap.ParseJRD(body)
	for _, rel := range []string{ap.RelNodeInfo20, ap.RelNodeInfo21} {
		_, body := getAS(t, links.Href(rel), "")
		ni, err := ap.ParseNodeInfo(body)
		if err != nil || ni.Software.Name != "convene" || ni.Software.Version != Version || ni.Protocols[0] != "activitypub" ||
			!ni.OpenRegistrations || ni.Usage.Users.Total != 2 || ni.Usage.LocalPosts != 1 || ni.Metadata["nodeName"] != "Bal folk de Lyon" {
			t.Fatalf("nodeinfo %s: %s", rel, body)
		}
	}

	// The actor: same URL as the profile page, JSON for peers.
	res, body := getAS(t, actor, ap.ContentTypeActivityJSON)
	doc, err := ap.ParseActor(body)
	if res.StatusCode != 200 || err != nil || !doc.Is(ap.TypePerson) || doc.PreferredUsername != "bob" || doc.Inbox != fi.URL+"/actors/bob/inbox" ||
		doc.SharedInbox != fi.URL+"/inbox" || doc.Followers != fi.URL+"/actors/bob/followers" || doc.PublicKey.ID != actor+"#main-key" ||
		!doc.Discoverable || !strings.Contains(res.Header.Get("Vary"), "Accept") {
		t.Fatalf("actor: %d %s", res.StatusCode, body)
	}
	if _, err := ap.ParsePublicKeyPEM(doc.PublicKey.PublicKeyPEM); err != nil {
		t.Fatal(err)
	}
	if res, page := getAS(t, actor, "text/html,application/xhtml+xml"); res.StatusCode != 200 || !strings.Contains(string(page), "<html") {
		t.Fatalf("profile page for browsers: %d", res.StatusCode)
	}
	// The instance actor: an Application with a \w+ username.
	_, body = getAS(t, fi.URL+"/actor", ap.ContentTypeActivityJSON)
	inst, err := ap.ParseActor(body)
	if err != nil || !inst.Is(ap.TypeApplication) || inst.PreferredUsername != "convene" {
		t.Fatalf("instance actor: %s", body)
	}
	// Outbox: ann's public Create Event, paged.
	_, body = getAS(t, fi.URL+"/actors/ann/outbox", ap.ContentTypeActivityJSON)
	var coll map[string]any
	json.Unmarshal(body, &coll)
	if coll["type"] != "OrderedCollection" || coll["totalItems"] != 1.0 {
		t.Fatalf("outbox: %s", body)
	}
	_, body = getAS(t, coll["first"].(string), ap.ContentTypeActivityJSON)
	if !strings.Contains(string(body), `"type":"Create"`) || !strings.Contains(string(body), `"name":"Bal"`) {
		t.Fatalf("outbox page: %s", body)
	}
}
