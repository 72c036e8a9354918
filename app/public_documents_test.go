package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"convene/app/store"
)

// What a peer reads at an actor's address or from WebFinger changes as
// soon as the write that changes it is made: the kept rendering is never
// served after it.

// getPublicDocument GETs path as a peer would and decodes the JSON answer.
func getPublicDocument(t *testing.T, ti *testInstance, path, accept string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ti.URL+path, nil)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	doc := map[string]any{}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
	return resp.StatusCode, doc, resp.Header
}

func getActor(t *testing.T, ti *testInstance, path string) (int, map[string]any) {
	t.Helper()
	status, doc, _ := getPublicDocument(t, ti, path, "application/activity+json")
	return status, doc
}

// readTwice reads path twice, so that the second answer comes from what
// was kept, and checks that it was kept.
func readTwice(t *testing.T, ti *testInstance, path string) map[string]any {
	t.Helper()
	getActor(t, ti, path)
	status, doc := getActor(t, ti, path)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d", path, status)
	}
	if ti.App.docs.Len() == 0 {
		t.Fatalf("GET %s: nothing kept", path)
	}
	return doc
}

func TestActorDocumentShowsProfileEditAtOnce(t *testing.T) {
	ti := benchFederationInstance(t)
	ctx := context.Background()
	alice, err := ti.App.Store().LocalActorByUsername(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if doc := readTwice(t, ti, "/@alice"); doc["name"] != "Alice Martin" {
		t.Fatalf("name = %v", doc["name"])
	}
	if err := ti.App.Store().UpdateIdentity(ctx, alice.AccountID, alice.ID,
		store.IdentityUpdate{DisplayName: "Alice M.", Bio: "Only folk dance now"}); err != nil {
		t.Fatal(err)
	}
	_, doc := getActor(t, ti, "/@alice")
	if doc["name"] != "Alice M." || !strings.Contains(doc["summary"].(string), "Only folk dance now") {
		t.Errorf("after the edit: name %v, summary %v", doc["name"], doc["summary"])
	}

	// A new avatar.
	pic, err := ti.App.Store().CreateMedia(ctx, "image/png", 1, 1, []byte("png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ti.App.Store().UpdateIdentity(ctx, alice.AccountID, alice.ID,
		store.IdentityUpdate{DisplayName: "Alice M.", AvatarID: pic.ID}); err != nil {
		t.Fatal(err)
	}
	_, doc = getActor(t, ti, "/@alice")
	icon, _ := doc["icon"].(map[string]any)
	if icon == nil || !strings.HasSuffix(icon["url"].(string), "/media/"+pic.UUID) {
		t.Errorf("after the new avatar: icon %v", doc["icon"])
	}
}

func TestGroupActorDocumentShowsChangesAtOnce(t *testing.T) {
	ti := benchFederationInstance(t)
	ctx := context.Background()
	st := ti.App.Store()
	g, err := st.LocalGroupByUsername(ctx, "dancers")
	if err != nil {
		t.Fatal(err)
	}
	doc := readTwice(t, ti, "/@dancers")
	if doc["name"] != "Folk dancers of Lyon" || doc["memberCount"] != float64(1) {
		t.Fatalf("before: name %v, members %v", doc["name"], doc["memberCount"])
	}
	if err := st.UpdateGroup(ctx, g.ID, store.NewGroup{DisplayName: "Lyon folk dancers", Bio: "We dance.",
		Visibility: store.GroupPublic, Openness: store.OpennessModerated}); err != nil {
		t.Fatal(err)
	}
	_, doc = getActor(t, ti, "/@dancers")
	if doc["name"] != "Lyon folk dancers" || doc["openness"] != store.OpennessModerated {
		t.Errorf("after the edit: name %v, openness %v", doc["name"], doc["openness"])
	}

	// A new member counts at once.
	readTwice(t, ti, "/@dancers")
	_, bob, err := st.CreateAccountWithIdentity(ctx, "bob@example.org", "", false, store.NewIdentity{Username: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Tx(ctx, func(tx *sql.Tx) error {
		_, err := st.AddMemberTx(ctx, tx, store.Membership{GroupID: g.ID, ActorID: bob.ID, Role: store.RoleMember,
			URI: ti.URL + "/members/bob-in-dancers"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, doc = getActor(t, ti, "/@dancers"); doc["memberCount"] != float64(2) {
		t.Errorf("after a member joined: memberCount %v", doc["memberCount"])
	}

	// A deleted group is gone from its address and from WebFinger.
	wf := "/.well-known/webfinger?resource=" + url.QueryEscape("acct:dancers@"+ti.App.Host())
	if status, _, _ := getPublicDocument(t, ti, wf, "application/jrd+json"); status != http.StatusOK {
		t.Fatalf("webfinger before deletion: %d", status)
	}
	readTwice(t, ti, "/@dancers")
	if err := st.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if status, _ := getActor(t, ti, "/@dancers"); status != http.StatusNotFound {
		t.Errorf("deleted group's document: %d, want 404", status)
	}
	if status, _, _ := getPublicDocument(t, ti, wf, "application/jrd+json"); status != http.StatusNotFound {
		t.Fatalf("deleted group's webfinger: %d, want 404", status)
	}
}

func TestInstanceActorShowsNewInstanceNameAtOnce(t *testing.T) {
	ti := benchFederationInstance(t)
	readTwice(t, ti, "/actor")
	if err := ti.App.saveSettings(context.Background(), map[string]string{SettingName: "Lyon Events"}); err != nil {
		t.Fatal(err)
	}
	if _, doc := getActor(t, ti, "/actor"); doc["name"] != "Lyon Events" {
		t.Errorf("instance actor name %v after renaming the instance", doc["name"])
	}
}

func TestPublicDocumentETagAnswersNotModified(t *testing.T) {
	ti := benchFederationInstance(t)
	_, _, h := getPublicDocument(t, ti, "/@alice", "application/activity+json")
	etag := h.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on the actor document")
	}
	ask := func() int {
		req, _ := http.NewRequest(http.MethodGet, ti.URL+"/@alice", nil)
		req.Header.Set("Accept", "application/activity+json")
		req.Header.Set("If-None-Match", etag)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := ask(); got != http.StatusNotModified {
		t.Fatalf("same ETag: %d, want 304", got)
	}
	alice, _ := ti.App.Store().LocalActorByUsername(context.Background(), "alice")
	if err := ti.App.Store().UpdateIdentity(context.Background(), alice.AccountID, alice.ID,
		store.IdentityUpdate{DisplayName: "Alice M."}); err != nil {
		t.Fatal(err)
	}
	if got := ask(); got != http.StatusOK {
		t.Fatalf("old ETag after a profile edit: %d, want 200", got)
	}
}
