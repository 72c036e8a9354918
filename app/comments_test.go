package app

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// noteActivity builds a Create (or Update) of a Note by author, replying
// to inReplyTo; id names the Note. The activity's actor is the author,
// unless the activity id names another actor (actor/...).
func noteActivity(verb, activityID, id, author, inReplyTo, content string) []byte {
	note := ap.NewNote(id, author, inReplyTo, content, time.Now().Add(-time.Minute), []string{ap.Public}, nil)
	actor := activityID[:strings.LastIndex(activityID[:strings.LastIndex(activityID, "/")], "/")]
	var act *ap.Activity
	if verb == ap.TypeUpdate {
		act = ap.NewUpdate(activityID, actor, note, []string{ap.Public}, nil)
	} else {
		act = ap.NewCreate(activityID, actor, note, []string{ap.Public}, nil)
	}
	b, _ := json.Marshal(act)
	return b
}

func deleteActivity(activityID, actor, objectID string) []byte {
	b, _ := json.Marshal(ap.NewDelete(activityID, actor, objectID, ap.TypeNote, []string{ap.Public}, nil))
	return b
}

// sendToInbox posts a signed activity and processes the inbox.
func sendToInbox(t *testing.T, us *fedInstance, peer *fakePeer, signAs string, body []byte) {
	t.Helper()
	if got := peer.post(t, us.URL+"/inbox", signAs, nil, body, nil); got != http.StatusAccepted {
		t.Fatalf("inbox answered %d", got)
	}
	drain(t, us)
}

// commentRows is every comment an instance holds, with its state.
func commentRows(t *testing.T, fi *fedInstance) map[string]string {
	t.Helper()
	rows, err := fi.App.store.DB().Query(`SELECT coalesce(uri, uuid), state || ':' || content_html FROM comments`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		rows.Scan(&k, &v)
		out[k] = v
	}
	return out
}

// commentsOf is the comments section of an event page.
func commentsOf(page string) string {
	start := strings.Index(page, `id="comments"`)
	if start < 0 {
		return ""
	}
	end := strings.Index(page[start:], "</section>")
	return page[start : start+end]
}

func eventPage(t *testing.T, fi *fedInstance, e *store.Event) string {
	t.Helper()
	_, page := fi.ti.get(t, fi.ti.client(), "/events/"+e.UUID)
	return page
}

func TestRemoteCommentsOnAnEvent(t *testing.T) {
	us := newFedInstance(t)
	_, bob := us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	peer := newFakePeer(t)
	e := publishEvent(t, us.App, bob, "Bal folk", store.VisibilityPublic)
	eventURI := us.URL + "/events/" + e.UUID
	eve, mal := peer.actor("eve"), peer.actor("mal")
	noteID := eve + "/notes/1"

	hostile := `<p>See you there <script>alert(1)</script><a href="javascript:alert(2)" onclick="steal()">here</a>` +
		`<img src="x" onerror="alert(3)"><style>body{display:none}</style><b onmouseover="x()">really</b>` +
		`<a href="https://example.org/map">the map</a></p><iframe src="https://evil.example"></iframe>`
	sendToInbox(t, us, peer, "eve", noteActivity(ap.TypeCreate, eve+"/create/1", noteID, eve, eventURI, hostile))

	page := commentsOf(eventPage(t, us, e))
	if !strings.Contains(page, "See you there") || !strings.Contains(page, "<b>really</b>") {
		t.Fatalf("the reply is not on the event page:\n%s", page)
	}
	for _, bad := range []string{"<script", "alert(", "onclick", "onerror", "onmouseover", "javascript:", "<style", "display:none", "<iframe", "evil.example", "<img"} {
		if strings.Contains(page, bad) {
			t.Errorf("the event page carries %q from a hostile note", bad)
		}
	}
	if !strings.Contains(page, `href="https://example.org/map" rel="nofollow noreferrer"`) && !strings.Contains(page, `href="https://example.org/map"`) {
		t.Errorf("a harmless link was lost")
	}
	if !strings.Contains(page, `href="`+eve+`"`) || !strings.Contains(page, "@eve@"+peer.srv.Listener.Addr().String()) {
		t.Errorf("the author is not linked to their profile:\n%s", page)
	}
	before := commentRows(t, us)
	if len(before) != 1 {
		t.Fatalf("%d comments stored, want 1", len(before))
	}

	// Someone else cannot change or delete eve's comment: not by an Update
	// naming eve as the author, not by one naming themselves, not by a
	// Delete.
	sendToInbox(t, us, peer, "mal", noteActivity(ap.TypeUpdate, mal+"/update/1", noteID, eve, eventURI, "<p>hacked</p>"))
	sendToInbox(t, us, peer, "mal", noteActivity(ap.TypeUpdate, mal+"/update/2", noteID, mal, eventURI, "<p>hacked</p>"))
	sendToInbox(t, us, peer, "mal", deleteActivity(mal+"/delete/1", mal, noteID))
	if after := commentRows(t, us); after[noteID] != before[noteID] || len(after) != 1 {
		t.Fatalf("someone else's Update/Delete changed the comment: %v", after)
	}
	if page := eventPage(t, us, e); strings.Contains(page, "hacked") || !strings.Contains(page, "See you there") {
		t.Fatal("someone else's Update reached the page")
	}

	// A Note claiming another host's id is refetched from there, which
	// does not have it: nothing is stored.
	other := newFedInstance(t)
	sendToInbox(t, us, peer, "eve", noteActivity(ap.TypeCreate, eve+"/create/2", other.URL+"/notes/forged", eve, eventURI, "<p>forged</p>"))
	if after := commentRows(t, us); len(after) != 1 {
		t.Fatalf("a note claiming another host's id was stored: %v", after)
	}

	// Over the length cap: refused whole.
	long := "<p>" + strings.Repeat("blah ", 5000) + "</p>"
	sendToInbox(t, us, peer, "eve", noteActivity(ap.TypeCreate, eve+"/create/3", eve+"/notes/long", eve, eventURI, long))
	if after := commentRows(t, us); len(after) != 1 {
		t.Fatalf("an oversized note was stored: %d comments", len(after))
	}

	// A reply to eve's comment is a comment on the same event.
	sendToInbox(t, us, peer, "mal", noteActivity(ap.TypeCreate, mal+"/create/1", mal+"/notes/1", mal, noteID, "<p>Me too</p>"))
	if page := eventPage(t, us, e); !strings.Contains(page, "Me too") {
		t.Fatal("a reply to a comment is not on the event page")
	}

	// The author edits, then deletes.
	sendToInbox(t, us, peer, "eve", noteActivity(ap.TypeUpdate, eve+"/update/1", noteID, eve, eventURI, "<p>See you at 8</p>"))
	if page := eventPage(t, us, e); !strings.Contains(page, "See you at 8") || strings.Contains(page, "See you there") {
		t.Fatal("the author's Update did not change the comment")
	}
	sendToInbox(t, us, peer, "eve", deleteActivity(eve+"/delete/1", eve, noteID))
	if page := eventPage(t, us, e); strings.Contains(page, "See you at 8") || !strings.Contains(page, "Me too") {
		t.Fatal("the author's Delete did not remove (only) the comment")
	}
}

func TestCommentModerationOptions(t *testing.T) {
	us := newFedInstance(t)
	_, bob := us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	peer := newFakePeer(t)
	eve := peer.actor("eve")
	moderated := publishEvent(t, us.App, bob, "Moderated", store.VisibilityPublic)
	closed := publishEvent(t, us.App, bob, "Closed", store.VisibilityPublic)
	ctx := context.Background()
	for _, ev := range []struct {
		e    *store.Event
		mode string
	}{{moderated, store.CommentsModerated}, {closed, store.CommentsClosed}} {
		ev.e.CommentModeration = ev.mode
		if err := us.App.store.Tx(ctx, func(tx *sql.Tx) error { return us.App.store.UpdateEventTx(ctx, tx, ev.e) }); err != nil {
			t.Fatal(err)
		}
	}

	// Closed: refused, nothing stored.
	sendToInbox(t, us, peer, "eve", noteActivity(ap.TypeCreate, eve+"/c/1", eve+"/n/1", eve, us.URL+"/events/"+closed.UUID, "<p>Closed?</p>"))
	if rows := commentRows(t, us); len(rows) != 0 {
		t.Fatalf("a comment on a closed event was stored: %v", rows)
	}

	// Moderated: held, not on the page, listed for the organiser.
	sendToInbox(t, us, peer, "eve", noteActivity(ap.TypeCreate, eve+"/c/2", eve+"/n/2", eve, us.URL+"/events/"+moderated.UUID, "<p>Good one</p>"))
	sendToInbox(t, us, peer, "eve", noteActivity(ap.TypeCreate, eve+"/c/3", eve+"/n/3", eve, us.URL+"/events/"+moderated.UUID, "<p>Spam spam</p>"))
	if page := eventPage(t, us, moderated); strings.Contains(page, "Good one") || strings.Contains(page, "Spam spam") {
		t.Fatal("a held comment is shown to visitors")
	}
	bobC := us.ti.login(t, "bob@example.org", "correct horse battery")
	_, page := us.ti.get(t, bobC, "/events/"+moderated.UUID)
	if !strings.Contains(page, "2 comments wait for your approval") {
		t.Fatalf("the organiser is not told of held comments:\n%s", page)
	}
	// Nobody else sees the held list.
	us.ti.createAccount(t, "carol@example.org", "carol", "correct horse battery", false)
	if res, _ := us.ti.get(t, us.ti.login(t, "carol@example.org", "correct horse battery"), "/events/"+moderated.UUID+"/comments"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("another account reads the held comments: %d", res.StatusCode)
	}
	_, held := us.ti.get(t, bobC, "/events/"+moderated.UUID+"/comments")
	good, _ := us.App.store.CommentByURI(ctx, eve+"/n/2")
	spam, _ := us.App.store.CommentByURI(ctx, eve+"/n/3")
	if good == nil || spam == nil || !strings.Contains(held, "Good one") || !strings.Contains(held, "Spam spam") {
		t.Fatalf("held comments page:\n%s", held)
	}
	// Someone else cannot decide.
	carol := us.ti.login(t, "carol@example.org", "correct horse battery")
	if res := us.ti.postForm(t, carol, "/events/"+moderated.UUID+"/comments/"+good.UUID+"/approve", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("another account approved a comment: %d", res.StatusCode)
	}
	if res := us.ti.postForm(t, bobC, "/events/"+moderated.UUID+"/comments/"+good.UUID+"/approve", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", res.StatusCode)
	}
	if res := us.ti.postForm(t, bobC, "/events/"+moderated.UUID+"/comments/"+spam.UUID+"/reject", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: %d", res.StatusCode)
	}
	page = eventPage(t, us, moderated)
	if !strings.Contains(page, "Good one") || strings.Contains(page, "Spam spam") {
		t.Fatalf("after the decisions the page shows the wrong comments:\n%s", page)
	}
	// The rejected note's author editing it does not bring it back.
	sendToInbox(t, us, peer, "eve", noteActivity(ap.TypeUpdate, eve+"/u/3", eve+"/n/3", eve, us.URL+"/events/"+moderated.UUID, "<p>Spam again</p>"))
	if page := eventPage(t, us, moderated); strings.Contains(page, "Spam") {
		t.Fatal("an Update brought back a rejected comment")
	}
}

func TestLocalCommentsAreFederated(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	a.ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	_, bob := b.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	b.ti.createAccount(t, "carol@example.org", "carol", "correct horse battery", false)
	followAcross(t, a, a.ti.login(t, "alice@example.org", "correct horse battery"), b, "bob")
	e := publishEvent(t, b.App, bob, "Bal folk", store.VisibilityPublic)
	drain(t, a, b)
	received := countInbox(t, a)

	carol := b.ti.login(t, "carol@example.org", "correct horse battery")
	// Bad input: a message next to the field, the text kept, nothing stored.
	res, body := b.ti.postFormBody(t, carol, "/events/"+e.UUID+"/comments", url.Values{"comment": {"   "}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Write something first.") {
		t.Fatalf("empty comment: %d\n%s", res.StatusCode, body)
	}
	tooLong := strings.Repeat("é", maxCommentRunes+1)
	res, body = b.ti.postFormBody(t, carol, "/events/"+e.UUID+"/comments", url.Values{"comment": {tooLong}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tooLong) {
		t.Fatalf("too long comment: %d", res.StatusCode)
	}
	if rows := commentRows(t, b); len(rows) != 0 {
		t.Fatalf("refused comments were stored: %v", rows)
	}

	sent := recordPosts(a)
	res = b.ti.postForm(t, carol, "/events/"+e.UUID+"/comments", url.Values{"comment": {"Can I bring <my> fiddle?\nOr two?"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment form: %d", res.StatusCode)
	}
	page := eventPage(t, b, e)
	if !strings.Contains(page, "Can I bring &lt;my&gt; fiddle?<br>\nOr two?") || !strings.Contains(page, `href="/@carol"`) {
		t.Fatalf("the local comment is not on the page:\n%s", page)
	}
	// It went to bob's follower on A, as a Create Note in reply to the event.
	drain(t, a, b)
	if n := countInbox(t, a); n != received+1 {
		t.Fatalf("A received %d activities after the comment, want %d", n, received+1)
	}
	act, err := ap.ParseActivity([]byte(<-sent))
	if err != nil || !act.Is(ap.TypeCreate) || !act.Object.Is(ap.TypeNote) {
		t.Fatalf("the comment went out as %v", act)
	}
	note, _ := ap.ParseObject(act.Object.Raw)
	if note.InReplyTo != b.URL+"/events/"+e.UUID || note.AttributedTo[0] != b.URL+"/@carol" {
		t.Fatalf("the Note replies to %q as %v", note.InReplyTo, note.AttributedTo)
	}
	// The Note is served at its id.
	req, _ := http.NewRequest(http.MethodGet, note.ID, nil)
	req.Header.Set("Accept", ap.ContentTypeActivityJSON)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %v %v", note.ID, resp, err)
	}
	resp.Body.Close()

	// Closed comments: no form, and a post is refused.
	e.CommentModeration = store.CommentsClosed
	ctx := context.Background()
	b.App.store.Tx(ctx, func(tx *sql.Tx) error { return b.App.store.UpdateEventTx(ctx, tx, e) })
	if _, page := b.ti.get(t, carol, "/events/"+e.UUID); strings.Contains(page, `name="comment"`) {
		t.Fatal("the comment form is offered on a closed event")
	}
	if res := b.ti.postForm(t, carol, "/events/"+e.UUID+"/comments", url.Values{"comment": {"Still?"}}); res.StatusCode != http.StatusConflict {
		t.Fatalf("a comment on a closed event: %d", res.StatusCode)
	}
	if rows := commentRows(t, b); len(rows) != 1 {
		t.Fatalf("%d comments, want 1", len(rows))
	}
}

// recordPosts hands over the body of every POST fi receives from now on.
func recordPosts(fi *fedInstance) chan string {
	c := make(chan string, 100)
	h := fi.Srv.Config.Handler
	fi.Srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			c <- string(body)
		}
		h.ServeHTTP(w, r)
	})
	return c
}
