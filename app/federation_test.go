package app

import (
	"context"
	"database/sql"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// fedClock is a clock a test moves forward.
type fedClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *fedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *fedClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// fedInstance is a Convene instance that federates over loopback and can
// be stopped and started again on the same address and database.
type fedInstance struct {
	t     testing.TB
	App   *App
	Srv   *httptest.Server
	URL   string
	Host  string
	path  string
	addr  string
	Clock *fedClock
	ti    *testInstance // for the form helpers
}

func newFedInstance(t testing.TB) *fedInstance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fi := &fedInstance{t: t, path: filepath.Join(t.TempDir(), "convene.db"), addr: ln.Addr().String(), Clock: &fedClock{}}
	fi.URL = "http://" + fi.addr
	fi.Host = fi.addr
	fi.start(ln)
	t.Cleanup(fi.stop)
	return fi
}

func (fi *fedInstance) start(ln net.Listener) {
	fi.t.Helper()
	if ln == nil {
		var err error
		for i := 0; i < 50; i++ {
			if ln, err = net.Listen("tcp", fi.addr); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			fi.t.Fatal(err)
		}
	}
	a, err := New(context.Background(), Config{DataPath: fi.path, BaseURL: fi.URL, Schema: testSchema,
		Now: fi.Clock.Now, UnsafeAllowPrivateFederation: true})
	if err != nil {
		fi.t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	fi.App, fi.Srv = a, srv
	fi.ti = &testInstance{App: a, Srv: srv, URL: fi.URL}
}

// stop kills the instance: the server closes its connections and the
// database is closed, with no draining of any queue.
func (fi *fedInstance) stop() {
	if fi.Srv != nil {
		fi.Srv.CloseClientConnections()
		fi.Srv.Close()
		fi.App.Close()
		fi.Srv = nil
	}
}

// stopServer takes the instance off the network but keeps its App.
func (fi *fedInstance) stopServer() {
	fi.Srv.CloseClientConnections()
	fi.Srv.Close()
}

// startServer puts the App back on its address.
func (fi *fedInstance) startServer() {
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", fi.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		fi.t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(fi.App.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	fi.Srv = srv
}

func (fi *fedInstance) restart() {
	fi.stop()
	fi.start(nil)
}

// drain runs both queues of every instance until none has work.
func drain(t testing.TB, instances ...*fedInstance) {
	t.Helper()
	ctx := context.Background()
	for round := 0; round < 10; round++ {
		work := 0
		for _, fi := range instances {
			n, err := fi.App.DeliverDue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			m, err := fi.App.ProcessInbox(ctx)
			if err != nil {
				t.Fatal(err)
			}
			work += n + m
		}
		if work == 0 {
			return
		}
	}
}

// publishEvent stores a published event by organizer and announces it, the
// way the event form does.
func publishEvent(t testing.TB, app *App, organizer *store.Actor, title, visibility string) *store.Event {
	t.Helper()
	ctx := context.Background()
	now := app.now().Truncate(time.Second)
	lat, lon := 48.8566, 2.3522
	e := &store.Event{
		OrganizerID: organizer.ID, Organizer: organizer, Title: title,
		DescriptionMD: "Bring a friend.", DescriptionHTML: "<p>Bring a friend.</p>",
		StartsAt: time.Date(2031, 6, 21, 18, 0, 0, 0, time.UTC), EndsAt: time.Date(2031, 6, 21, 22, 0, 0, 0, time.UTC),
		Timezone: "Europe/Paris", Address: store.Address{Venue: "Salle des fêtes", Street: "1 rue de la Paix",
			PostalCode: "75002", Locality: "Paris", Country: "France", Latitude: &lat, Longitude: &lon},
		Category: "music", Status: store.StatusConfirmed, Visibility: visibility, JoinMode: store.JoinFree,
		CommentModeration: store.CommentsAllowAll, AnonymousParticipation: true, Language: "fr",
		PublishedAt: &now, Tags: []string{"bal", "folk"},
	}
	err := app.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := app.store.CreateEventTx(ctx, tx, e); err != nil {
			return err
		}
		return app.enqueueEventActivity(ctx, tx, e, VerbCreate)
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func updateEvent(t testing.TB, fi *fedInstance, e *store.Event) {
	t.Helper()
	ctx := context.Background()
	err := fi.App.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := fi.App.store.UpdateEventTx(ctx, tx, e); err != nil {
			return err
		}
		return fi.App.enqueueEventActivity(ctx, tx, e, VerbUpdate)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// followAcross makes follower (on from) follow @username on to through
// the form, and runs the queues until the Accept came back.
func followAcross(t testing.TB, from *fedInstance, client *http.Client, to *fedInstance, username string) {
	t.Helper()
	res, body := from.ti.postFormBody(t, client, "/me/following", url.Values{"handle": {"@" + username + "@" + to.Host}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("follow form: status %d\n%s", res.StatusCode, body)
	}
	drain(t, from, to)
}

func remoteEventName(t testing.TB, fi *fedInstance, uri string) string {
	t.Helper()
	o, err := fi.App.store.RemoteObjectByURI(context.Background(), uri)
	if err != nil {
		t.Fatalf("remote event %s on %s: %v", uri, fi.Host, err)
	}
	ev, err := ap.ParseEvent(o.Body)
	if err != nil {
		t.Fatal(err)
	}
	return ev.Name
}

// countInbox counts the activities an instance received (each id once).
func countInbox(t testing.TB, fi *fedInstance) int {
	t.Helper()
	n, err := fi.App.store.CountInboxActivities(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFollowAcrossInstancesThenEventsArrive(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	a.ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	_, bob := b.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	alice := a.ti.login(t, "alice@example.org", "correct horse battery")

	followAcross(t, a, alice, b, "bob")

	// B has a follower, A's follow is accepted, both pages say so.
	_, page := b.ti.get(t, b.ti.login(t, "bob@example.org", "correct horse battery"), "/me/followers")
	if !strings.Contains(page, "@alice@"+a.Host) {
		t.Fatalf("bob's followers page does not show alice:\n%s", page)
	}
	_, page = a.ti.get(t, alice, "/me/following")
	if !strings.Contains(page, "@bob@"+b.Host) || strings.Contains(page, "Waiting for their answer") {
		t.Fatalf("alice's following page should show bob, accepted:\n%s", page)
	}

	e := publishEvent(t, b.App, bob, "Bal folk", store.VisibilityPublic)
	drain(t, a, b)
	uri := b.URL + "/events/" + e.UUID
	if got := remoteEventName(t, a, uri); got != "Bal folk" {
		t.Fatalf("A stored event named %q", got)
	}

	// A goes down while B publishes an update: the delivery fails and is
	// retried once A is back, and arrives exactly once.
	a.stopServer()
	e.Title = "Bal folk (nouvelle salle)"
	updateEvent(t, b, e)
	if n, err := b.App.DeliverDue(context.Background()); err != nil || n != 0 {
		t.Fatalf("delivering to a server that is down: %d delivered, %v", n, err)
	}
	st, _ := b.App.store.DeliveryQueueStats(context.Background())
	if st.Waiting != 1 {
		t.Fatalf("after a failed attempt, %d deliveries wait, want 1", st.Waiting)
	}
	a.startServer()
	b.Clock.Advance(time.Minute) // past the first backoff (30 s ± 20%)
	drain(t, a, b)
	if got := remoteEventName(t, a, uri); got != "Bal folk (nouvelle salle)" {
		t.Fatalf("after B's retry, A has %q", got)
	}
	if n := countInbox(t, a); n != 3 { // Accept, Create, Update
		t.Fatalf("A received %d activities, want 3 (Accept, Create, Update once each)", n)
	}
	b.Clock.Advance(time.Hour)
	if n, _ := b.App.DeliverDue(context.Background()); n != 0 {
		t.Fatalf("B delivered %d more after the update arrived", n)
	}
}

// Deliveries pending when an instance dies are sent after it restarts.
func TestDeliveriesSurviveACrash(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	a.ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	_, bob := b.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	followAcross(t, a, a.ti.login(t, "alice@example.org", "correct horse battery"), b, "bob")

	e := publishEvent(t, b.App, bob, "Répétition", store.VisibilityPublic)
	b.restart() // killed before the worker ran: the delivery is only in the database
	drain(t, a, b)
	if got := remoteEventName(t, a, b.URL+"/events/"+e.UUID); got != "Répétition" {
		t.Fatalf("after B restarted, A has %q", got)
	}
}

// Three instances: one event goes to each follower's server once; an
// unlisted event goes to followers without Public; a private one nowhere.
func TestAudienceAcrossThreeInstances(t *testing.T) {
	a, b, c := newFedInstance(t), newFedInstance(t), newFedInstance(t)
	_, bob := b.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	for i, fi := range []*fedInstance{a, c} {
		for _, name := range []string{"ann", "amy"} {
			email := name + string(rune('0'+i)) + "@example.org"
			fi.ti.createAccount(t, email, name, "correct horse battery", false)
			followAcross(t, fi, fi.ti.login(t, email, "correct horse battery"), b, "bob")
		}
	}
	var requests int
	var mu sync.Mutex
	for _, fi := range []*fedInstance{a, c} {
		h := fi.Srv.Config.Handler
		fi.Srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				mu.Lock()
				requests++
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		})
	}
	pub := publishEvent(t, b.App, bob, "Public", store.VisibilityPublic)
	drain(t, a, b, c)
	if requests != 2 {
		t.Fatalf("a public event to 4 followers on 2 servers took %d requests, want 2", requests)
	}
	unlisted := publishEvent(t, b.App, bob, "Unlisted", store.VisibilityUnlisted)
	private := publishEvent(t, b.App, bob, "Private", store.VisibilityPrivate)
	drain(t, a, b, c)
	for _, fi := range []*fedInstance{a, c} {
		remoteEventName(t, fi, b.URL+"/events/"+pub.UUID)
		o, err := fi.App.store.RemoteObjectByURI(context.Background(), b.URL+"/events/"+unlisted.UUID)
		if err != nil {
			t.Fatalf("unlisted event did not reach %s: %v", fi.Host, err)
		}
		if strings.Contains(string(o.Body), ap.Public) {
			t.Fatalf("unlisted event addressed to Public: %s", o.Body)
		}
		if _, err := fi.App.store.RemoteObjectByURI(context.Background(), b.URL+"/events/"+private.UUID); err == nil {
			t.Fatal("a private event was federated")
		}
	}
	if requests != 4 {
		t.Fatalf("%d requests after the unlisted and private events, want 4", requests)
	}
}
