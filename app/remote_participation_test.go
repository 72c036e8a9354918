package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// remoteCopy is the events row an instance keeps for an event published
// elsewhere.
func remoteCopy(t *testing.T, fi *fedInstance, uri string) *store.Event {
	t.Helper()
	ctx := context.Background()
	r, err := fi.App.store.RemoteEventByURI(ctx, uri)
	if err != nil {
		t.Fatalf("%s has no copy of %s: %v", fi.Host, uri, err)
	}
	e, err := fi.App.store.EventByID(ctx, r.EventID)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func participationState(t *testing.T, fi *fedInstance, eventID, actorID int64) string {
	t.Helper()
	p, err := fi.App.store.ParticipationOf(context.Background(), eventID, actorID)
	if err != nil {
		return "none"
	}
	return p.State
}

func remoteActorID(t *testing.T, fi *fedInstance, uri string) int64 {
	t.Helper()
	info, err := fi.App.store.RemoteActorByURI(context.Background(), uri)
	if err != nil {
		t.Fatalf("%s does not know %s: %v", fi.Host, uri, err)
	}
	return info.ID
}

// eventJSON reads an event as peers do.
func eventJSON(t *testing.T, fi *fedInstance, e *store.Event) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fi.URL+"/events/"+e.UUID, nil)
	req.Header.Set("Accept", ap.ContentTypeActivityJSON)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// Three instances: alice (A) and carol (C) follow bob (B); bob publishes
// an event taking participants on approval; alice replies, and her
// comment shows on B's page; alice and carol ask to join from their own
// servers; bob accepts alice and declines carol; each sees the answer.
func TestRepliesAndJoinsAcrossThreeInstances(t *testing.T) {
	a, b, c := newFedInstance(t), newFedInstance(t), newFedInstance(t)
	ctx := context.Background()
	_, alice := a.ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	_, bob := b.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	_, carol := c.ti.createAccount(t, "carol@example.org", "carol", "correct horse battery", false)
	aliceC := a.ti.login(t, "alice@example.org", "correct horse battery")
	carolC := c.ti.login(t, "carol@example.org", "correct horse battery")
	bobC := b.ti.login(t, "bob@example.org", "correct horse battery")
	followAcross(t, a, aliceC, b, "bob")
	followAcross(t, c, carolC, b, "bob")

	e := publishEvent(t, b.App, bob, "Bal folk", store.VisibilityPublic)
	e.JoinMode, e.Capacity = store.JoinApproval, 10
	updateEvent(t, b, e)
	drain(t, a, b, c)
	eventURI := b.URL + "/events/" + e.UUID

	// Alice replies from A: a Create Note signed by her, delivered by A's
	// queue to B's inbox.
	noteID := a.URL + "/notes/" + strconv.FormatInt(time.Now().UnixNano(), 10)
	err := a.App.store.Tx(ctx, func(tx *sql.Tx) error {
		note := ap.NewNote(noteID, a.URL+"/@alice", eventURI, "<p>Is there a <em>beginners</em> class?</p>", time.Now(), []string{ap.Public}, nil)
		id := a.App.newActivityURI()
		create := ap.NewCreate(id, a.URL+"/@alice", note, []string{ap.Public}, nil)
		bobActor, err := a.App.store.RemoteActorByURI(ctx, b.URL+"/@bob")
		if err != nil {
			return err
		}
		return a.App.enqueueActivity(ctx, tx, alice, id, create, inboxOf(&bobActor.Actor), time.Time{})
	})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, a, b, c)
	page := commentsOf(eventPage(t, b, e))
	if !strings.Contains(page, "Is there a <em>beginners</em> class?") || !strings.Contains(page, `href="`+a.URL+`/@alice"`) {
		t.Fatalf("alice's reply is not on B's event page, linked to her profile:\n%s", page)
	}

	// Alice and carol ask to join from their servers' copies.
	for _, who := range []struct {
		fi     *fedInstance
		client *http.Client
		handle string
	}{{a, aliceC, "@alice"}, {c, carolC, "@carol"}} {
		copyE := remoteCopy(t, who.fi, eventURI)
		_, page := who.fi.ti.get(t, who.client, "/events/"+copyE.UUID)
		if !strings.Contains(page, "Ask to join as "+who.handle) {
			t.Fatalf("%s's server offers no join from here:\n%s", who.handle, page)
		}
		res := who.fi.ti.postForm(t, who.client, "/events/"+copyE.UUID+"/join-remote", url.Values{"message": {"I play the fiddle " + who.handle}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("join from %s: %d", who.fi.Host, res.StatusCode)
		}
	}
	aCopy, cCopy := remoteCopy(t, a, eventURI), remoteCopy(t, c, eventURI)
	if got := participationState(t, a, aCopy.ID, alice.ID); got != store.ParticipationPending {
		t.Fatalf("alice's participation on A is %q before B answers", got)
	}
	drain(t, a, b, c)

	// On B: two pending remote participants, with their messages, linked
	// to their profiles; nobody counted yet.
	aliceOnB, carolOnB := remoteActorID(t, b, a.URL+"/@alice"), remoteActorID(t, b, c.URL+"/@carol")
	for _, id := range []int64{aliceOnB, carolOnB} {
		if got := participationState(t, b, e.ID, id); got != store.ParticipationPending {
			t.Fatalf("a remote Join of an approval event is %q on B, want pending", got)
		}
	}
	_, list := b.ti.get(t, bobC, "/events/"+e.UUID+"/participants")
	if !strings.Contains(list, `href="`+a.URL+`/@alice"`) || !strings.Contains(list, "I play the fiddle @alice") {
		t.Fatalf("the participants page does not show alice with her profile and message:\n%s", list)
	}
	if got := eventJSON(t, b, e)["participantCount"]; got != float64(0) {
		t.Fatalf("participantCount %v before any decision", got)
	}
	if got := participationState(t, a, aCopy.ID, alice.ID); got != store.ParticipationPending {
		t.Fatalf("A shows %q before B decided", got)
	}

	// Bob accepts alice and declines carol.
	pa, _ := b.App.store.ParticipationOf(ctx, e.ID, aliceOnB)
	pc, _ := b.App.store.ParticipationOf(ctx, e.ID, carolOnB)
	for _, d := range []struct {
		id       int64
		decision string
	}{{pa.ID, "accept"}, {pc.ID, "reject"}} {
		res := b.ti.postForm(t, bobC, "/events/"+e.UUID+"/participants/"+strconv.FormatInt(d.id, 10)+"/"+d.decision, nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d", d.decision, res.StatusCode)
		}
	}
	drain(t, a, b, c)
	if got := participationState(t, a, aCopy.ID, alice.ID); got != store.ParticipationConfirmed {
		t.Fatalf("after bob accepted, alice's participation on A is %q", got)
	}
	if got := participationState(t, c, cCopy.ID, carol.ID); got != store.ParticipationRejected {
		t.Fatalf("after bob declined, carol's participation on C is %q", got)
	}
	if _, page := a.ti.get(t, aliceC, "/events/"+aCopy.UUID); !strings.Contains(page, "Going") {
		t.Fatalf("alice's page on A does not say she is going:\n%s", page)
	}
	if _, mine := a.ti.get(t, aliceC, "/me/events"); !strings.Contains(mine, "Bal folk") {
		t.Fatalf("alice's events on A do not list the event:\n%s", mine)
	}
	doc := eventJSON(t, b, e)
	if doc["participantCount"] != float64(1) || doc["remainingAttendeeCapacity"] != float64(9) {
		t.Fatalf("B's event says participantCount %v, remainingAttendeeCapacity %v", doc["participantCount"], doc["remainingAttendeeCapacity"])
	}

	// Alice leaves from A: B cancels her participation.
	res := a.ti.postForm(t, aliceC, "/events/"+aCopy.UUID+"/leave-remote", url.Values{"identity": {strconv.FormatInt(alice.ID, 10)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("leave: %d", res.StatusCode)
	}
	drain(t, a, b, c)
	if got := participationState(t, b, e.ID, aliceOnB); got != store.ParticipationCancelled {
		t.Fatalf("after alice left, B has %q", got)
	}
	if got := eventJSON(t, b, e)["participantCount"]; got != float64(0) {
		t.Fatalf("participantCount %v after alice left", got)
	}
}

// outgoing lists what an instance queued, newest last.
func outgoing(t *testing.T, fi *fedInstance) []*ap.RemoteActivity {
	t.Helper()
	rows, err := fi.App.store.DB().Query(`SELECT body FROM outgoing_activities ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []*ap.RemoteActivity
	for rows.Next() {
		var body string
		rows.Scan(&body)
		act, err := ap.ParseActivity([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, act)
	}
	return out
}

// Joins in Mobilizon's shape from a peer: Accept for a free event, an
// explicit Reject when full, cancelled or past; Leave cancels; someone
// else's Leave changes nothing.
func TestRemoteJoinAnswers(t *testing.T) {
	us := newFedInstance(t)
	_, bob := us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	peer := newFakePeer(t)
	ctx := context.Background()
	eve, mal := peer.actor("eve"), peer.actor("mal")
	join := func(id, actor, event string, message any) []byte {
		b, _ := json.Marshal(map[string]any{"@context": ap.Context(), "type": "Join", "id": id, "actor": actor,
			"object": event, "participationMessage": message})
		return b
	}
	free := publishEvent(t, us.App, bob, "Free", store.VisibilityPublic)
	free.Capacity = 1
	updateEvent(t, us, free)
	freeURI := us.URL + "/events/" + free.UUID

	sendOnly := func(signAs string, body []byte) {
		t.Helper()
		if got := peer.post(t, us.URL+"/inbox", signAs, nil, body, nil); got != http.StatusAccepted {
			t.Fatalf("inbox answered %d", got)
		}
		if _, err := us.App.ProcessInbox(ctx); err != nil {
			t.Fatal(err)
		}
	}
	before := len(outgoing(t, us))
	sendOnly("eve", join(eve+"/join/event/1", eve, freeURI, "Hello from Mobilizon"))
	out := outgoing(t, us)
	if len(out) != before+1 || !out[len(out)-1].Is(ap.TypeAccept) || out[len(out)-1].Object.ID != eve+"/join/event/1" {
		t.Fatalf("a Join of a free event was not answered by an Accept naming it: %+v", out[len(out)-1])
	}
	eveID := remoteActorID(t, us, eve)
	p, _ := us.App.store.ParticipationOf(ctx, free.ID, eveID)
	if p == nil || p.State != store.ParticipationConfirmed || p.Message != "Hello from Mobilizon" {
		t.Fatalf("eve's participation: %+v", p)
	}

	// Full now: mal is refused with a Reject, and nothing is stored.
	sendOnly("mal", join(mal+"/join/event/1", mal, freeURI, nil))
	out = outgoing(t, us)
	if last := out[len(out)-1]; !last.Is(ap.TypeReject) || last.Object.ID != mal+"/join/event/1" {
		t.Fatalf("a Join of a full event: %v", last.Types)
	}
	if got := participationState(t, us, free.ID, remoteActorID(t, us, mal)); got != "none" {
		t.Fatalf("a refused Join left a participation: %s", got)
	}

	// mal's Leave of the event does not touch eve's participation.
	leave := func(id, actor, object string) []byte {
		b, _ := json.Marshal(map[string]any{"@context": ap.Context(), "type": "Leave", "id": id, "actor": actor, "object": object})
		return b
	}
	sendOnly("mal", leave(mal+"/leave/1", mal, eve+"/join/event/1"))
	if got := participationState(t, us, free.ID, eveID); got != store.ParticipationConfirmed {
		t.Fatalf("someone else's Leave changed eve's participation to %s", got)
	}
	sendOnly("eve", leave(eve+"/leave/1", eve, freeURI))
	if got := participationState(t, us, free.ID, eveID); got != store.ParticipationCancelled {
		t.Fatalf("after eve's Leave: %s", got)
	}

	// Cancelled and past events: Reject.
	cancelled := publishEvent(t, us.App, bob, "Cancelled", store.VisibilityPublic)
	cancelled.Status = store.StatusCancelled
	updateEvent(t, us, cancelled)
	past := publishEvent(t, us.App, bob, "Past", store.VisibilityPublic)
	past.StartsAt, past.EndsAt = time.Now().Add(-48*time.Hour), time.Now().Add(-47*time.Hour)
	updateEvent(t, us, past)
	for i, ev := range []*store.Event{cancelled, past} {
		id := eve + "/join/other/" + strconv.Itoa(i)
		sendOnly("eve", join(id, eve, us.URL+"/events/"+ev.UUID, nil))
		out = outgoing(t, us)
		if last := out[len(out)-1]; !last.Is(ap.TypeReject) || last.Object.ID != id {
			t.Fatalf("a Join of the %s event was answered %v", ev.Title, last.Types)
		}
		if got := participationState(t, us, ev.ID, eveID); got != "none" {
			t.Fatalf("a refused Join left a participation: %s", got)
		}
	}
}
