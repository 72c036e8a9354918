package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// replyBurst is a peer's replies to one of our events, queued in our
// inbox (202) but not processed yet.
type replyBurst struct {
	us    *fedInstance
	peer  *fakePeer
	eve   string
	event *store.Event
}

func newReplyBurst(t *testing.T) *replyBurst {
	us := newFedInstance(t)
	_, bob := us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	e := publishEvent(t, us.App, bob, "Replies welcome", store.VisibilityPublic)
	peer := newFakePeer(t)
	return &replyBurst{us: us, peer: peer, eve: peer.actor("eve"), event: e}
}

// send queues activity (a Create or an Update of a Note numbered n, with
// content, answering inReplyTo).
func (rb *replyBurst) send(t *testing.T, update bool, n int, inReplyTo, content string) {
	t.Helper()
	id := fmt.Sprintf("%s/notes/%d", rb.peer.srv.URL, n)
	note := ap.NewNote(id, rb.eve, inReplyTo, content, time.Now(), []string{ap.Public}, nil)
	var act *ap.Activity
	if update {
		act = ap.NewUpdate(id+"/update", rb.eve, note, []string{ap.Public}, nil)
	} else {
		act = ap.NewCreate(id+"/activity", rb.eve, note, []string{ap.Public}, nil)
	}
	body, _ := json.Marshal(act)
	if code := rb.peer.post(t, rb.us.URL+"/inbox", "eve", nil, body, nil); code != http.StatusAccepted {
		t.Fatalf("note %d: %d, want 202", n, code)
	}
}

func (rb *replyBurst) noteURI(n int) string { return fmt.Sprintf("%s/notes/%d", rb.peer.srv.URL, n) }

// comments are the event's comments' texts by note id.
func (rb *replyBurst) comments(t *testing.T) map[string]string {
	t.Helper()
	rows, err := rb.us.App.store.DB().Query(`SELECT uri, content_html FROM comments WHERE event_id = ?`, rb.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var uri, html string
		if err := rows.Scan(&uri, &html); err != nil {
			t.Fatal(err)
		}
		if _, twice := out[uri]; twice {
			t.Fatalf("note %s stored twice", uri)
		}
		out[uri] = html
	}
	return out
}

// inboxLeft counts received activities not processed yet.
func (rb *replyBurst) inboxLeft(t *testing.T) int {
	t.Helper()
	var n int
	if err := rb.us.App.store.DB().QueryRow(`SELECT count(*) FROM inbox_activities WHERE processed_at IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Replies processed together in one transaction: one that fails in the
// middle (here a database trigger refuses it after its row is written)
// is dropped with its error, its row undone, and the others around it are
// stored; replies answering a comment written earlier in the same batch,
// and an edit of it, find it.
func TestInboxRunPoisonedReplyAlone(t *testing.T) {
	for _, tc := range []struct {
		name, raise string
	}{
		// FAIL keeps what the statement wrote: only the savepoint undoes it.
		{"statement fails after writing", "FAIL"},
		// ROLLBACK gives the whole transaction up: the run is then
		// processed one activity at a time.
		{"transaction given up", "ROLLBACK"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rb := newReplyBurst(t)
			event := rb.us.App.eventURI(rb.event)
			rb.send(t, false, 0, event, "<p>first</p>") // fetches eve's key once
			if n, err := rb.us.App.ProcessInbox(context.Background()); err != nil || n != 1 {
				t.Fatalf("first reply: processed %d, %v", n, err)
			}
			if _, err := rb.us.App.store.DB().Exec(`CREATE TRIGGER poison AFTER INSERT ON comments
				WHEN NEW.content_html LIKE '%poison%' BEGIN SELECT RAISE(` + tc.raise + `, 'poisoned reply'); END`); err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= 4; i++ {
				rb.send(t, false, i, event, fmt.Sprintf("<p>reply %d</p>", i))
			}
			rb.send(t, false, 5, event, "<p>poison</p>")
			rb.send(t, false, 6, rb.noteURI(4), "<p>answering reply 4</p>") // a reply to a reply of this batch
			rb.send(t, true, 4, event, "<p>reply 4, edited</p>")
			for i := 7; i <= 9; i++ {
				rb.send(t, false, i, event, fmt.Sprintf("<p>reply %d</p>", i))
			}
			n, err := rb.us.App.ProcessInbox(context.Background())
			if err != nil || n != 10 {
				t.Fatalf("processed %d, %v; want 10 and no error", n, err)
			}
			got := rb.comments(t)
			if len(got) != 9 {
				t.Fatalf("%d comments, want 9 (all but the poisoned one): %v", len(got), got)
			}
			if _, ok := got[rb.noteURI(5)]; ok {
				t.Fatalf("the poisoned reply was stored: %v", got)
			}
			if got[rb.noteURI(4)] != "<p>reply 4, edited</p>" || got[rb.noteURI(6)] == "" {
				t.Fatalf("reply 4 is %q and the reply to it %q", got[rb.noteURI(4)], got[rb.noteURI(6)])
			}
			var parent string
			if err := rb.us.App.store.DB().QueryRow(`SELECT p.uri FROM comments c JOIN comments p ON p.id = c.in_reply_to
				WHERE c.uri = ?`, rb.noteURI(6)).Scan(&parent); err != nil || parent != rb.noteURI(4) {
				t.Fatalf("reply 6 answers %q (%v), want reply 4", parent, err)
			}
			var lastError string
			if err := rb.us.App.store.DB().QueryRow(`SELECT last_error FROM inbox_activities WHERE uri = ? AND processed_at IS NOT NULL`,
				rb.noteURI(5)+"/activity").Scan(&lastError); err != nil || !strings.Contains(lastError, "poisoned reply") {
				t.Fatalf("the poisoned activity is kept with error %q (%v), want the trigger's", lastError, err)
			}
			if left := rb.inboxLeft(t); left != 0 {
				t.Fatalf("%d activities left unprocessed", left)
			}
		})
	}
}

// The instance stops in the middle of applying a batch of replies: none
// of the batch shows until it commits, and after a restart every reply is
// stored once, none lost and none twice.
func TestInboxRunRestartMidRun(t *testing.T) {
	const replies = 30
	rb := newReplyBurst(t)
	event := rb.us.App.eventURI(rb.event)
	rb.send(t, false, 0, event, "<p>first</p>")
	if n, err := rb.us.App.ProcessInbox(context.Background()); err != nil || n != 1 {
		t.Fatalf("first reply: processed %d, %v", n, err)
	}
	for i := 1; i < replies; i++ {
		rb.send(t, false, i, event, fmt.Sprintf("<p>reply %d</p>", i))
	}
	ctx, stop := context.WithCancel(context.Background())
	rb.us.App.fed.runHook = func(i int) error {
		if i == replies/2 {
			stop() // the worker is stopped as the instance shuts down
			return ctx.Err()
		}
		return nil
	}
	if _, err := rb.us.App.ProcessInbox(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("processing stopped with %v, want it canceled", err)
	}
	if got := rb.comments(t); len(got) != 1 {
		t.Fatalf("%d comments after stopping mid-batch, want only the first reply (the batch undone)", len(got))
	}
	rb.us.restart()
	rb.us.Clock.Advance(inboxLease + time.Second) // the stopped batch's lease runs out
	if _, err := rb.us.App.ProcessInbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := rb.comments(t)
	for i := range replies {
		if _, ok := got[rb.noteURI(i)]; !ok {
			t.Errorf("reply %d lost", i)
		}
	}
	if len(got) != replies {
		t.Fatalf("%d comments after the restart, want %d", len(got), replies)
	}
	if left := rb.inboxLeft(t); left != 0 {
		t.Fatalf("%d activities left unprocessed", left)
	}
}

// The actors of a batch are looked up once for all its activities, and
// forgotten after any activity handled alone: here eve deletes her
// account between two replies of the same batch (and comes back, as her
// server still serves her), and the second reply is stored under her
// actor as it is after the Delete, not under the one the batch began with.
func TestInboxBatchActorsForgottenAfterDelete(t *testing.T) {
	rb := newReplyBurst(t)
	event := rb.us.App.eventURI(rb.event)
	rb.send(t, false, 0, event, "<p>before</p>")
	del, _ := json.Marshal(ap.NewDelete(rb.eve+"#delete", rb.eve, rb.eve, "", []string{ap.Public}, nil))
	if code := rb.peer.post(t, rb.us.URL+"/inbox", "eve", nil, del, nil); code != http.StatusAccepted {
		t.Fatalf("delete: %d", code)
	}
	rb.send(t, false, 1, event, "<p>after</p>")
	if n, err := rb.us.App.ProcessInbox(context.Background()); err != nil || n != 3 {
		t.Fatalf("processed %d, %v; want 3", n, err)
	}
	got := rb.comments(t)
	if _, ok := got[rb.noteURI(0)]; ok {
		t.Errorf("the reply from before the Delete is still there")
	}
	if got[rb.noteURI(1)] != "<p>after</p>" {
		t.Fatalf("the reply sent after the Delete is %q, want it stored; comments: %v", got[rb.noteURI(1)], got)
	}
}

// A run reads the event its replies answer once, and only for itself:
// once the organiser closes comments, the next replies are refused.
func TestInboxRunEventReadAgainAfterOrganiserCloses(t *testing.T) {
	rb := newReplyBurst(t)
	event := rb.us.App.eventURI(rb.event)
	for i := range 3 {
		rb.send(t, false, i, event, fmt.Sprintf("<p>reply %d</p>", i))
	}
	if n, err := rb.us.App.ProcessInbox(context.Background()); err != nil || n != 3 {
		t.Fatalf("processed %d, %v; want 3", n, err)
	}
	ctx := context.Background()
	e, err := rb.us.App.store.EventByID(ctx, rb.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.CommentModeration = store.CommentsClosed
	if err := rb.us.App.store.UpdateEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	for i := 3; i < 6; i++ {
		rb.send(t, false, i, event, fmt.Sprintf("<p>reply %d</p>", i))
	}
	if n, err := rb.us.App.ProcessInbox(ctx); err != nil || n != 3 {
		t.Fatalf("processed %d, %v; want 3", n, err)
	}
	if got := rb.comments(t); len(got) != 3 {
		t.Fatalf("%d comments, want the 3 sent before comments were closed: %v", len(got), got)
	}
}

// Activities kept parsed between their receipt and their processing are
// bounded whatever peers send, and each is handed over once.
func TestInboxParsedHandOffBounded(t *testing.T) {
	var p parsedActivities
	for i := range maxReceivedParsed + 50 {
		p.put(fmt.Sprintf("https://peer.example/a/%d", i), &ap.RemoteActivity{ID: fmt.Sprintf("https://peer.example/a/%d", i)})
	}
	if len(p.m) != maxReceivedParsed {
		t.Fatalf("%d kept, want at most %d", len(p.m), maxReceivedParsed)
	}
	if act := p.take("https://peer.example/a/3"); act == nil || act.ID != "https://peer.example/a/3" {
		t.Fatalf("took %v", act)
	}
	if act := p.take("https://peer.example/a/3"); act != nil {
		t.Fatal("handed over twice")
	}
	if act := p.take(fmt.Sprintf("https://peer.example/a/%d", maxReceivedParsed+10)); act != nil {
		t.Fatal("kept one past the bound")
	}
}
