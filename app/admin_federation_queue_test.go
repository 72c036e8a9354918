package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// The queue page shows waiting, failing and given-up deliveries with
// their servers and errors, to administrators only; the housekeeping
// forgets given-up deliveries and processed inbox ids after the
// retention, and nothing that still waits.
func TestFederationQueuePageAndPurge(t *testing.T) {
	us := newFedInstance(t)
	us.ti.createAccount(t, "root@example.org", "root", "correct horse battery", true)
	_, bob := us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	ctx := context.Background()

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	defer gone.Close()
	downHost, goneHost := strings.TrimPrefix(down.URL, "http://"), strings.TrimPrefix(gone.URL, "http://")
	enqueueTo(t, us.App, bob, store.Inbox{URL: down.URL + "/inbox", Host: downHost})
	enqueueTo(t, us.App, bob, store.Inbox{URL: down.URL + "/inbox", Host: downHost})
	enqueueTo(t, us.App, bob, store.Inbox{URL: gone.URL + "/inbox", Host: goneHost})
	if _, err := us.App.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	// One processed inbox activity, to be purged later.
	peer := newFakePeer(t)
	sendToInbox(t, us, peer, "eve", reactionActivity("QuestionOfTheDay", peer.actor("eve")+"/q/1", peer.actor("eve"), "x"))

	if res, _ := us.ti.get(t, us.ti.login(t, "bob@example.org", "correct horse battery"), "/admin/federation/queue"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a non-admin reads the queue: %d", res.StatusCode)
	}
	root := us.ti.login(t, "root@example.org", "correct horse battery")
	res, page := us.ti.get(t, root, "/admin/federation/queue")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("queue page: %d", res.StatusCode)
	}
	for _, want := range []string{
		`data-testid="pending">2<`, `data-testid="failing">2<`, `data-testid="given-up">1<`, `data-testid="inbox-depth">0<`,
		`data-host="` + downHost + `"`, "HTTP 503", "HTTP 404", gone.URL + "/inbox",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the queue page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Fatal(page)
	}
	if _, hub := us.ti.get(t, root, "/admin"); !strings.Contains(hub, `href="/admin/federation/queue"`) {
		t.Fatal("the admin hub does not link to the queue")
	}

	// Within the retention nothing is purged.
	if err := us.App.PurgeFederationQueues(ctx); err != nil {
		t.Fatal(err)
	}
	q, _ := us.App.store.FederationQueueOverview(ctx, 10)
	if q.GivenUp != 1 || q.InboxKept != 1 || q.Pending != 2 {
		t.Fatalf("purged too early: %+v", q)
	}
	us.Clock.Advance(federationRetention + time.Hour)
	if err := us.App.PurgeFederationQueues(ctx); err != nil {
		t.Fatal(err)
	}
	q, _ = us.App.store.FederationQueueOverview(ctx, 10)
	if q.GivenUp != 0 || q.InboxKept != 0 || q.Pending != 2 {
		t.Fatalf("after the retention: %+v, want given-up and processed ids gone, the 2 waiting kept", q)
	}
}
