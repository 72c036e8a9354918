package app

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"convene/app/ap"
	"convene/app/store"
)

// acceptInstanceFollowers has an instance's admin approve every pending
// follow of its instance actor.
func acceptInstanceFollowers(t testing.TB, fi *fedInstance) {
	t.Helper()
	ctx := context.Background()
	inst, err := fi.App.instanceActor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	follows, err := fi.App.store.Followers(ctx, inst.ID, store.FollowPending, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range follows {
		err := fi.App.store.Tx(ctx, func(tx *sql.Tx) error {
			if err := fi.App.store.AcceptFollowTx(ctx, tx, f.ID); err != nil {
				return err
			}
			return fi.App.answerFollowTx(ctx, tx, &f, ap.TypeAccept)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Three instances: A follows B's instance actor, B accepts, B publishes,
// A shows B's event with its origin; A blocks B: B's next POST gets 403,
// B's events are gone from A, A sends B nothing more; unblocking restores
// nothing.
func TestThreeInstancesFollowThenBlock(t *testing.T) {
	a, b, c := newInstanceAt(t, "127.0.0.2"), newInstanceAt(t, "127.0.0.3"), newInstanceAt(t, "127.0.0.4")
	adminA := adminOf(t, a)
	_, bob := b.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	_, carol := c.ti.createAccount(t, "carol@example.org", "carol", "correct horse battery", false)

	for _, peer := range []*fedInstance{b, c} {
		res, body := a.ti.postFormBody(t, adminA, "/admin/sources", url.Values{"address": {peer.Host}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("follow %s: %d\n%s", peer.Host, res.StatusCode, body)
		}
	}
	drain(t, a, b, c)
	_, page := a.ti.get(t, adminA, "/admin/sources")
	if strings.Count(page, "Waiting for their answer") != 2 {
		t.Fatalf("both sources should be pending until accepted:\n%s", page)
	}
	acceptInstanceFollowers(t, b)
	acceptInstanceFollowers(t, c)
	drain(t, a, b, c)

	eb := publishEvent(t, b.App, bob, "Bal folk à B", store.VisibilityPublic)
	publishEvent(t, c.App, carol, "Concert à C", store.VisibilityPublic)
	drain(t, a, b, c)
	visitor := a.ti.client()
	_, home := a.ti.get(t, visitor, "/")
	for _, want := range []string{"Bal folk à B", "Concert à C", "127.0.0.3", "View on 127.0.0.3"} {
		if !strings.Contains(home, want) {
			t.Fatalf("A's home page lacks %q:\n%s", want, home)
		}
	}
	_, found := a.ti.get(t, visitor, "/search?q=folk")
	if !strings.Contains(found, "View on 127.0.0.3") {
		t.Fatal("B's event is not found by A's search")
	}

	block(t, a, adminA, url.Values{"domain": {"127.0.0.3"}})
	// B's next POST: an update of its event.
	eb.Title = "Bal folk (changé)"
	updateEvent(t, b, eb)
	if n, err := b.App.DeliverDue(context.Background()); err != nil || n != 0 {
		t.Fatalf("B delivered %d to A after the block (%v)", n, err)
	}
	var lastErr string
	b.App.store.DB().QueryRow(`SELECT last_error FROM deliveries ORDER BY id DESC LIMIT 1`).Scan(&lastErr)
	if lastErr != "HTTP 403" {
		t.Fatalf("B's delivery to A ended with %q, want HTTP 403", lastErr)
	}
	_, home = a.ti.get(t, a.ti.client(), "/")
	if strings.Contains(home, "Bal folk") || !strings.Contains(home, "Concert à C") {
		t.Fatalf("after the block, A's home page:\n%s", home)
	}
	if n := count(t, a, `SELECT count(*) FROM actors WHERE domain = ?`, b.Host); n != 0 {
		t.Fatalf("%d actors of B still cached on A", n)
	}
	// A publishes: nothing is queued for B.
	_, ann := a.ti.createAccount(t, "ann@example.org", "ann", "correct horse battery", false)
	publishEvent(t, a.App, ann, "Chez A", store.VisibilityPublic)
	drain(t, a)
	if n := count(t, a, `SELECT count(*) FROM deliveries WHERE host = ? AND coalesce(last_error, '') != 'dropped_policy'`, b.Host); n != 0 {
		t.Fatalf("A queued %d deliveries for B after blocking it", n)
	}
	// Unblocking restores nothing.
	a.ti.postForm(t, adminA, "/admin/federation/policies/remove", url.Values{"domain": {"127.0.0.3"}, "kind": {"block"}})
	_, home = a.ti.get(t, a.ti.client(), "/")
	if strings.Contains(home, "Bal folk") {
		t.Fatal("unblocking brought B's event back")
	}
	if n := count(t, a, `SELECT count(*) FROM follow_sources`); n != 1 {
		t.Fatalf("%d sources after unblocking, want only C's", n)
	}
}

// A server that follows a Convene instance by its host backfills from the
// instance actor's outbox: it lists every public event of the instance,
// not an unlisted one nor one held for review.
func TestInstanceOutboxListsPublicEvents(t *testing.T) {
	fi := newFedInstance(t)
	_, ann := fi.ti.createAccount(t, "ann@example.org", "ann", "correct horse battery", false)
	_, bob := fi.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	publishEvent(t, fi.App, ann, "Bal public", store.VisibilityPublic)
	publishEvent(t, fi.App, bob, "Réunion non listée", store.VisibilityUnlisted)
	held := publishEvent(t, fi.App, bob, "Concert en attente", store.VisibilityPublic)
	if err := fi.App.store.HoldEvent(context.Background(), held.ID); err != nil {
		t.Fatal(err)
	}
	_, body := getAS(t, fi.URL+"/actor/outbox?page=1", ap.ContentTypeActivityJSON)
	page := string(body)
	if !strings.Contains(page, "Bal public") || strings.Contains(page, "non listée") || strings.Contains(page, "en attente") {
		t.Fatalf("the instance outbox should list only the public event:\n%s", page)
	}
	if !strings.Contains(page, `"totalItems":1`) {
		t.Fatalf("the instance outbox counts other events than the public one:\n%s", page)
	}
}
