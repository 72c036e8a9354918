package app

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"convene/app/ap"
)

// scriptLink finds a link or form address a browser would run as script
// (or open as data), quoted or not, whatever its case.
var scriptLink = regexp.MustCompile(`(?i)(href|src|action)\s*=\s*["']?\s*(javascript|data|vbscript):`)

// hostileEvent is a Mobilizon-shaped event whose every link is script:
// the page (url), the online address (a VirtualLocation and a "Website"
// Link attachment), the registration link, a typed link.
func hostileEvent(p *mockPeer, uuid, organizer string) map[string]any {
	ev := mzEvent(p, uuid, "Soirée piégée "+uuid, organizer, time.Now().Add(72*time.Hour), []string{ap.Public}, nil)
	ev["url"] = "javascript:alert(document.cookie)"
	ev["joinMode"] = "external"
	ev["externalParticipationUrl"] = "JavaScript:alert('register')"
	ev["location"] = []any{map[string]any{"type": "VirtualLocation", "url": "javascript:alert('online')"}, ev["location"]}
	ev["attachment"] = []any{
		map[string]any{"type": "Link", "name": "Website", "href": "java\tscript:alert('website')"},
		map[string]any{"type": "Link", "name": "Pad", "href": "data:text/html,<script>alert(1)</script>"},
	}
	return ev
}

// M2: an event whose links are all script, sent to our inbox or fetched
// from its origin (an Announce of its id), is stored without any of them,
// and its page links nowhere but http(s); an event whose id is script is
// not stored at all.
func TestHostileRemoteLinksAreDropped(t *testing.T) {
	f := newSourceFixture(t)
	ctx := context.Background()
	pushed := hostileEvent(f.mz, "pushed", f.group)
	f.deliver(t, f.mz, f.group, create(f.mz, f.group, pushed))
	fetched := hostileEvent(f.mz, "fetched", f.group)
	f.mz.put("/events/fetched", fetched)
	f.deliver(t, f.mz, f.group, map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "Announce",
		"id": f.group + "/announces/fetched", "actor": f.group, "object": fetched["id"], "to": []string{ap.Public}})

	for _, ev := range []map[string]any{pushed, fetched} {
		uri := ev["id"].(string)
		remote, err := f.us.App.store.RemoteEventByURI(ctx, uri)
		if err != nil {
			t.Fatalf("%s not stored: %v", uri, err)
		}
		e, err := f.us.App.store.EventByID(ctx, remote.EventID)
		if err != nil {
			t.Fatal(err)
		}
		for what, got := range map[string]string{"page url": remote.URL, "online address": e.OnlineURL, "registration link": e.ExternalURL} {
			if got != "" && !strings.HasPrefix(got, f.mz.URL) {
				t.Errorf("%s: %s stored as %q", uri, what, got)
			}
		}
		res, page := f.us.ti.get(t, f.us.ti.client(), "/events/"+e.UUID)
		if res.StatusCode != http.StatusOK || !strings.Contains(page, "Soirée piégée") {
			t.Fatalf("%s: event page %d", uri, res.StatusCode)
		}
		if m := scriptLink.FindString(page); m != "" {
			t.Errorf("%s: the event page links to script: %s", uri, m)
		}
	}

	for i, id := range []string{"javascript:alert(1)", "data:text/html,x"} {
		ev := hostileEvent(f.mz, "bad"+itoa(int64(i)), f.group)
		ev["id"] = id
		act := create(f.mz, f.group, ev)
		act["id"] = f.group + "/activities/bad" + itoa(int64(i))
		f.mz.send(t, f.us.URL+"/inbox", f.group, act)
		drain(t, f.us)
		if n := count(t, f.us, `SELECT count(*) FROM events WHERE uri = ?`, id); n != 0 {
			t.Errorf("an event with id %q was stored", id)
		}
	}
}

// M2, second line: whatever reached the database by another road (an
// older version, a restore, a hand edit), the pages themselves let only
// http(s) links through: a remote event's origin, online address and
// registration link, and a group's resource.
func TestPagesCheckLinksAgain(t *testing.T) {
	f := newSourceFixture(t)
	ev := mzEvent(f.mz, "clean", "Atelier propre", f.group, time.Now().Add(72*time.Hour), []string{ap.Public}, nil)
	f.deliver(t, f.mz, f.group, create(f.mz, f.group, ev))
	db := f.us.App.store.DB()
	const script = "javascript:alert(document.cookie)"
	if _, err := db.Exec(`UPDATE events SET online_url = ?, external_url = ?, uri = ? WHERE uri = ?`,
		script, " JavaScript:alert(2)", "javascript:alert(3)", ev["id"]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE remote_events SET url = ?, remote_join = 'external'`, "java\tscript:alert(4)"); err != nil {
		t.Fatal(err)
	}
	var uuid string
	if err := db.QueryRow(`SELECT uuid FROM events WHERE title = 'Atelier propre'`).Scan(&uuid); err != nil {
		t.Fatal(err)
	}
	_, page := f.us.ti.get(t, f.us.ti.client(), "/events/"+uuid)
	if !strings.Contains(page, "Atelier propre") {
		t.Fatalf("event page:\n%s", page)
	}
	if m := scriptLink.FindString(page); m != "" {
		t.Errorf("the remote event page links to script: %s", m)
	}

	ti := f.us.ti
	_, bob, _, _ := groupWithMembers(t, ti)
	ti.postForm(t, bob.Client, "/groups/velo/resources", url.Values{"kind": {"link"}, "tool": {"pad"}, "url": {"https://pad.example.org/p/velo"}, "title": {"Ride pad"}})
	if _, err := db.Exec(`UPDATE group_resources SET url = ? WHERE title = 'Ride pad'`, script); err != nil {
		t.Fatal(err)
	}
	_, page = ti.get(t, bob.Client, "/groups/velo/resources")
	if !strings.Contains(page, "Ride pad") {
		t.Fatalf("resources page:\n%s", page)
	}
	if m := scriptLink.FindString(page); m != "" {
		t.Errorf("the resources page links to script: %s", m)
	}
}
