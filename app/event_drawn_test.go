package app

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// The event page keeps what every reader of a public event sees alike
// drawn (a.drawnEvents), and for visitors without an account their
// participation block and comments too. Each change shows on the next
// request: an edit of the event, a comment, a participant, the instance's
// name, the event ending; each language gets its own drawing; and no
// reader ever sees another's bits (the organiser's actions, a member's own
// participation, a visitor's "log in" box or another page's way back).
// Events with details kept for participants are never drawn for all.
func TestDrawnEventPageFollowsEveryChange(t *testing.T) {
	setClock, move := clockAt(findClock)
	ti := newTestInstance(t, setClock)
	ti.App.pages = nil // the page cache is for visitors; the drawn parts are under test
	ctx := context.Background()
	st := ti.App.Store()
	_, org := ti.createAccount(t, "org@example.org", "org", "correct horse battery", false)
	_, bobID := ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	owner := ti.login(t, "org", "correct horse battery")
	bob := ti.login(t, "bob", "correct horse battery")
	visitor := ti.client()
	e := addEvent(t, ti, org.ID, "Bal folk", 24*time.Hour, func(e *store.Event) {
		e.DescriptionMD, e.DescriptionHTML = "Bring shoes", "<p>Bring shoes</p>"
	})
	path := "/events/" + e.UUID
	get := func(c *http.Client, lang string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, ti.URL+path, nil)
		if lang != "" {
			req.Header.Set("Accept-Language", lang)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, res.StatusCode)
		}
		return string(b)
	}
	// Each reader twice: the second page is drawn from what the first kept.
	both := func(c *http.Client, lang string) string {
		t.Helper()
		first, second := get(c, lang), get(c, lang)
		if first != second {
			t.Errorf("the kept page differs from the page drawn")
		}
		return second
	}
	if body := both(visitor, ""); !strings.Contains(body, "Bring shoes") || !strings.Contains(body, "Log in to join") {
		t.Fatal("the event page misses its description or the visitor's join box")
	}
	if ti.App.drawnEvents.Len() == 0 {
		t.Fatal("nothing drawn kept: the test tests nothing")
	}

	// Readers with other rights, after the visitor: none sees another's bits.
	if body := both(bob, ""); strings.Contains(body, "Log in to join") || !strings.Contains(body, "as @bob</button>") ||
		strings.Contains(body, "/edit") || !strings.Contains(body, "Report this event") {
		t.Error("a member sees the visitor's or the organiser's part of the page, or misses their own")
	}
	if body := both(owner, ""); !strings.Contains(body, path+"/edit") || strings.Contains(body, "Report this event") ||
		strings.Contains(body, "Log in to join") {
		t.Error("the organiser misses their actions, or sees a visitor's parts")
	}
	err := st.Tx(ctx, func(tx *sql.Tx) error {
		return st.InsertParticipationTx(ctx, tx, &store.Participation{EventID: e.ID, ActorID: bobID.ID, State: store.ParticipationConfirmed})
	})
	if err != nil {
		t.Fatal(err)
	}
	if body := both(bob, ""); !strings.Contains(body, path+"/leave") || !strings.Contains(body, "1 person going") {
		t.Error("a member who joined does not see their participation or the new count")
	}
	if body := both(visitor, ""); strings.Contains(body, path+"/leave") || strings.Contains(body, "Leave") ||
		!strings.Contains(body, "1 person going") || !strings.Contains(body, "Log in to join") {
		t.Error("a visitor sees a member's participation, or not the new count")
	}
	if body := both(owner, ""); strings.Contains(body, path+"/leave") || !strings.Contains(body, "Participants and requests") {
		t.Error("the organiser sees a member's participation as theirs, or misses the participants' link")
	}

	// A visitor's header sends "Log in" back to the page they asked for.
	for _, q := range []string{"?from=feed", ""} {
		res, body := ti.get(t, visitor, path+q)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `href="/login?next=`+url.QueryEscape(path+q)+`"`) {
			t.Errorf("GET %s: the visitor's Log in link does not come back to it", path+q)
		}
	}

	// An edit of the event.
	e.DescriptionMD, e.DescriptionHTML = "Bring **good** shoes", "<p>Bring <strong>good</strong> shoes</p>"
	e.Title = "Bal folk et crêpes"
	if err := st.UpdateEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*http.Client{visitor, bob} {
		body := both(c, "")
		if !strings.Contains(body, "Bring <strong>good</strong> shoes") || !strings.Contains(body, "<h1>Bal folk et crêpes</h1>") ||
			!strings.Contains(body, "<title>Bal folk et crêpes") || !strings.Contains(body, `"description":"Bring good shoes"`) {
			t.Error("the event page shows the event as it was before an edit")
		}
	}

	// A comment.
	if err := st.Tx(ctx, func(tx *sql.Tx) error {
		return st.InsertCommentTx(ctx, tx, &store.Comment{EventID: e.ID, AuthorID: bobID.ID, ContentHTML: "<p>See you there</p>", State: store.CommentVisible})
	}); err != nil {
		t.Fatal(err)
	}
	if body := both(visitor, ""); !strings.Contains(body, "See you there") {
		t.Error("a visitor does not see a new comment")
	}

	// Another participant, without an account.
	if err := st.Tx(ctx, func(tx *sql.Tx) error {
		return st.InsertParticipationTx(ctx, tx, &store.Participation{EventID: e.ID, Name: "Ann", Email: "ann@example.org", State: store.ParticipationConfirmed})
	}); err != nil {
		t.Fatal(err)
	}
	if body := both(visitor, ""); !strings.Contains(body, "2 people going") {
		t.Error("a visitor does not see the new count of participants")
	}

	// Languages: a French visitor after English ones, then English again.
	if body := both(visitor, "fr"); !strings.Contains(body, "Participer") || !strings.Contains(body, "Signaler cet événement") ||
		!strings.Contains(body, "2 participants") || strings.Contains(body, "Taking part") {
		t.Error("a French visitor gets a page drawn in another language")
	}
	if body := both(visitor, "en"); !strings.Contains(body, "Taking part") || strings.Contains(body, "Participer") {
		t.Error("an English visitor gets a page drawn in French")
	}

	// The instance's name, held in memory beside the store.
	if err := ti.App.saveSettings(ctx, map[string]string{SettingName: "Quartier en fête"}); err != nil {
		t.Fatal(err)
	}
	if body := both(visitor, ""); !strings.Contains(body, "Quartier en fête") {
		t.Error("the event page keeps the instance's old name")
	}

	// Time alone: once the event is over (within the kept time) nobody
	// is offered to join.
	soon := addEvent(t, ti, org.ID, "Short talk", -time.Hour, func(e *store.Event) { e.EndsAt = ti.App.now().Add(3 * time.Second) })
	if body := getOK(t, ti, visitor, "/events/"+soon.UUID); !strings.Contains(body, "Log in to join") {
		t.Fatal("an event under way does not offer to join")
	}
	getOK(t, ti, visitor, "/events/"+soon.UUID)
	move(5 * time.Second)
	if body := getOK(t, ti, visitor, "/events/"+soon.UUID); strings.Contains(body, "Log in to join") ||
		!strings.Contains(body, "This event is over") {
		t.Error("an event that ended still offers to join")
	}

	// Events whose details are for participants, or private: never drawn for all.
	approval := addEvent(t, ti, org.ID, "Closed workshop", 48*time.Hour, func(e *store.Event) { e.JoinMode = store.JoinApproval })
	invite := addEvent(t, ti, org.ID, "Invited dinner", 48*time.Hour, func(e *store.Event) { e.JoinMode = store.JoinInvite })
	private := addEvent(t, ti, org.ID, "Secret meeting", 48*time.Hour, func(e *store.Event) { e.Visibility = store.VisibilityPrivate })
	kept := ti.App.drawnEvents.Len()
	for _, ev := range []*store.Event{approval, invite} {
		getOK(t, ti, bob, "/events/"+ev.UUID)
		getOK(t, ti, visitor, "/events/"+ev.UUID)
	}
	getOK(t, ti, owner, "/events/"+private.UUID)
	if n := ti.App.drawnEvents.Len(); n != kept {
		t.Errorf("%d pages drawn for all after reading approval-only, invitation and private events, want %d", n, kept)
	}
}

// The home page is kept drawn for every reader in a language: an
// administrator's welcome, a member's menu and a visitor's "Log in" stay
// each with their reader, and a new event, the introduction and a
// language show on the next request.
func TestDrawnHomePageKeepsReadersApart(t *testing.T) {
	setClock, _ := clockAt(findClock)
	ti := newTestInstance(t, setClock)
	ti.App.pages = nil
	ctx := context.Background()
	ti.createAccount(t, "admin@example.org", "admin", "correct horse battery", true)
	_, org := ti.createAccount(t, "org@example.org", "org", "correct horse battery", false)
	admin := ti.login(t, "admin", "correct horse battery")
	member := ti.login(t, "org", "correct horse battery")
	visitor := ti.client()
	twice := func(c *http.Client, path string) string {
		t.Helper()
		first, second := getOK(t, ti, c, path), getOK(t, ti, c, path)
		if first != second {
			t.Errorf("GET %s: the kept page differs from the page drawn", path)
		}
		return second
	}
	if body := twice(visitor, "/"); strings.Contains(body, "Your instance is ready") || !strings.Contains(body, `href="/login?next=%2F"`) {
		t.Error("a visitor sees the administrator's welcome, or no way to log in")
	}
	if ti.App.drawnHomes.Len() == 0 {
		t.Fatal("nothing drawn kept: the test tests nothing")
	}
	if body := twice(admin, "/"); !strings.Contains(body, "Your instance is ready") || strings.Contains(body, "/login?next=") ||
		!strings.Contains(body, `href="/admin"`) {
		t.Error("the administrator misses their welcome or menu, or gets a visitor's header")
	}
	if body := twice(member, "/"); strings.Contains(body, "Your instance is ready") || strings.Contains(body, `href="/admin"`) ||
		!strings.Contains(body, "Log out") {
		t.Error("a member gets the administrator's welcome or menu, or misses their own")
	}
	if body := twice(visitor, "/?origin=local"); !strings.Contains(body, `href="/login?next=%2F%3Forigin%3Dlocal"`) {
		t.Error("a visitor's Log in link does not come back to the page they asked for")
	}

	addEvent(t, ti, org.ID, "Bal folk", 24*time.Hour)
	for _, c := range []*http.Client{visitor, member, admin} {
		if body := twice(c, "/"); !strings.Contains(body, "Bal folk") || strings.Contains(body, "Your instance is ready") {
			t.Error("the home page does not show a new event at once")
		}
	}
	if err := ti.App.saveSettings(ctx, map[string]string{settingHomeIntroHTML: "<p>Le quartier se retrouve ici.</p>"}); err != nil {
		t.Fatal(err)
	}
	if body := twice(visitor, "/"); !strings.Contains(body, "Le quartier se retrouve ici.") {
		t.Error("the home page keeps the old introduction")
	}
	req, _ := http.NewRequest(http.MethodGet, ti.URL+"/", nil)
	req.Header.Set("Accept-Language", "fr")
	res, err := visitor.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	fr, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(fr), "Upcoming events") {
		t.Error("a French visitor gets the home page drawn in English")
	}
	if body := twice(visitor, "/"); !strings.Contains(body, "Upcoming events") {
		t.Error("an English visitor gets the home page drawn in French")
	}
}
