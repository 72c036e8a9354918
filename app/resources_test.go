package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"convene/app/store"
)

// resourceNamed finds a group's resource by its title, wherever it is.
func resourceNamed(t testing.TB, ti *testInstance, g *store.Group, title string) *store.Resource {
	t.Helper()
	all, _, err := ti.App.store.AllResources(context.Background(), g.ID, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if r.Title == title {
			return r
		}
	}
	t.Fatalf("no resource %q among %d", title, len(all))
	return nil
}

// Members rename and move resources through plain forms; a non-member
// cannot; bad input and a folder put into itself change nothing.
func TestResourceRenameAndMove(t *testing.T) {
	ti := newTestInstance(t)
	_, bob, carol, _ := groupWithMembers(t, ti)
	g := mustGroup(t, ti, "velo")
	ti.postForm(t, bob.Client, "/groups/velo/resources", url.Values{"kind": {"folder"}, "title": {"Maps"}})
	maps := resourceNamed(t, ti, g, "Maps")
	ti.postForm(t, bob.Client, "/groups/velo/resources", url.Values{"kind": {"folder"}, "title": {"North"}, "folder": {maps.UUID}})
	north := resourceNamed(t, ti, g, "North")
	ti.postForm(t, bob.Client, "/groups/velo/resources", url.Values{"kind": {"link"}, "tool": {"pad"}, "url": {"https://pad.example.org/p/velo"}, "title": {"Ride pad"}})
	pad := resourceNamed(t, ti, g, "Ride pad")
	base := "/groups/velo/resources/"

	// The list links to the form; the form offers every other folder by its path.
	if _, page := ti.get(t, bob.Client, "/groups/velo/resources"); !strings.Contains(page, base+pad.UUID+"/edit") {
		t.Fatalf("no way to rename from the list:\n%s", page)
	}
	res, page := ti.get(t, bob.Client, base+pad.UUID+"/edit")
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `for="f-title"`) || !strings.Contains(page, `for="f-folder"`) ||
		!strings.Contains(page, "Maps / North") || !strings.Contains(page, `value="https://pad.example.org/p/velo"`) {
		t.Fatalf("edit page: %d\n%s", res.StatusCode, page)
	}
	// A folder cannot be offered itself or what it holds.
	if _, page := ti.get(t, bob.Client, base+maps.UUID+"/edit"); strings.Contains(page, `value="`+north.UUID+`"`) || strings.Contains(page, `<option value="`+maps.UUID+`"`) {
		t.Errorf("a folder is offered to go into itself:\n%s", page)
	}

	// Carol is not a member.
	if res, _ := ti.get(t, carol.Client, base+pad.UUID+"/edit"); res.StatusCode != http.StatusForbidden {
		t.Errorf("non-member opens the form: %d", res.StatusCode)
	}
	if res := ti.postForm(t, carol.Client, base+pad.UUID+"/edit", url.Values{"title": {"Spam"}, "tool": {"pad"}, "url": {"https://spam.example"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("non-member renames: %d", res.StatusCode)
	}
	if res := ti.postForm(t, carol.Client, base+pad.UUID+"/move", url.Values{"folder": {maps.UUID}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("non-member moves: %d", res.StatusCode)
	}

	// Bad input: told next to the field, what was typed kept, nothing changed.
	res, page = ti.postFormBody(t, bob.Client, base+pad.UUID+"/edit", url.Values{"title": {"Ride plans"}, "tool": {"pad"}, "url": {"javascript:alert(1)"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="e-url"`) || !strings.Contains(page, `value="Ride plans"`) {
		t.Fatalf("bad address: %d\n%s", res.StatusCode, page)
	}
	res, page = ti.postFormBody(t, bob.Client, base+maps.UUID+"/edit", url.Values{"title": {"  "}, "description": {"Where we ride"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Give the folder a name.") || !strings.Contains(page, "Where we ride") {
		t.Fatalf("folder without a name: %d", res.StatusCode)
	}
	res, page = ti.postFormBody(t, bob.Client, base+pad.UUID+"/move", url.Values{"folder": {"no-such-folder"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "This folder no longer exists.") {
		t.Fatalf("move into an unknown folder: %d", res.StatusCode)
	}
	for _, into := range []*store.Resource{maps, north} {
		res, page = ti.postFormBody(t, bob.Client, base+maps.UUID+"/move", url.Values{"folder": {into.UUID}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "A folder cannot go into itself or into one of its own folders.") {
			t.Fatalf("folder into %s: %d\n%s", into.Title, res.StatusCode, page)
		}
	}
	if got := resourceNamed(t, ti, g, "Ride pad"); got.URL != pad.URL || got.ParentID != 0 {
		t.Fatalf("bad input changed the pad: %+v", got)
	}
	if got := resourceNamed(t, ti, g, "Maps"); got.ParentID != 0 || got.Description != "" {
		t.Fatalf("bad input changed the folder: %+v", got)
	}

	// A member renames, re-addresses and moves.
	res = ti.postForm(t, bob.Client, base+pad.UUID+"/edit", url.Values{"title": {"Ride plans"}, "description": {"Who brings what"},
		"tool": {"pad"}, "url": {"https://pad.example.org/p/velo-2026"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("rename: %d", res.StatusCode)
	}
	if got := resourceNamed(t, ti, g, "Ride plans"); got.Description != "Who brings what" || got.URL != "https://pad.example.org/p/velo-2026" {
		t.Fatalf("renamed pad: %+v", got)
	}
	if res := ti.postForm(t, bob.Client, base+pad.UUID+"/move", url.Values{"folder": {north.UUID}}); res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), north.UUID) {
		t.Fatalf("move into a folder: %d", res.StatusCode)
	}
	if _, page := ti.get(t, bob.Client, "/groups/velo/resources?folder="+north.UUID); !strings.Contains(page, "Ride plans") {
		t.Fatalf("the pad is not in North:\n%s", page)
	}
	if _, page := ti.get(t, bob.Client, "/groups/velo/resources"); strings.Contains(page, "Ride plans") {
		t.Fatalf("the pad is still at the root")
	}
	// North, inside Maps, goes back to the root.
	if res := ti.postForm(t, bob.Client, base+north.UUID+"/move", url.Values{"folder": {""}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("move to the root: %d", res.StatusCode)
	}
	if got := resourceNamed(t, ti, g, "North"); got.ParentID != 0 {
		t.Fatalf("North is still in a folder: %+v", got)
	}
	// Now Maps may go into North.
	if res := ti.postForm(t, bob.Client, base+maps.UUID+"/move", url.Values{"folder": {north.UUID}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("Maps into North: %d", res.StatusCode)
	}
	if got := resourceNamed(t, ti, g, "Maps"); got.ParentID != north.ID {
		t.Fatalf("Maps not in North: %+v", got)
	}
}
