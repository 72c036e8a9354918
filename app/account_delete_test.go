package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// deleteForm is the "Delete my account" form as a person fills it.
func deleteForm(password, words string, events map[int64]string) url.Values {
	f := url.Values{"password": {password}, "words": {words}}
	for id, v := range events {
		f.Set("event_"+strconv.FormatInt(id, 10), v)
	}
	return f
}

// gone asks an instance for a path and wants 410 Gone.
func wantGone(t *testing.T, ti *testInstance, path, accept string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ti.URL+path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := ti.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusGone {
		t.Errorf("GET %s (%s): %d, want 410 Gone", path, accept, res.StatusCode)
	}
}

// Alice on A has a follower on B, and carol from B takes part in her
// event. Alice deletes her account: B takes in the Delete of the event
// and the Delete of her actor (signed with her key, kept in the queue
// after her row went) and forgets both; A answers 410 for her addresses.
func TestAccountDeletionReachesTheOtherInstance(t *testing.T) {
	a, b := newFedInstance(t), newFedInstance(t)
	ctx := context.Background()
	_, alice := a.ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	b.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	b.ti.createAccount(t, "carol@example.org", "carol", "correct horse battery", false)
	aliceC := a.ti.login(t, "alice@example.org", "correct horse battery")
	bobC := b.ti.login(t, "bob@example.org", "correct horse battery")
	carolC := b.ti.login(t, "carol@example.org", "correct horse battery")
	followAcross(t, b, bobC, a, "alice")

	e := publishEvent(t, a.App, alice, "Bal folk", store.VisibilityPublic)
	drain(t, a, b)
	eventURI := a.URL + "/events/" + e.UUID
	copyE := remoteCopy(t, b, eventURI)
	if res := b.ti.postForm(t, carolC, "/events/"+copyE.UUID+"/join-remote", url.Values{"message": {"count me in"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("carol joins: %d", res.StatusCode)
	}
	drain(t, a, b)
	carolOnA := remoteActorID(t, a, b.URL+"/@carol")
	if got := participationState(t, a, e.ID, carolOnA); got != store.ParticipationConfirmed {
		t.Fatalf("carol's participation on A: %q", got)
	}
	// Eve, on a server that follows nobody here, takes part too.
	peer := newFakePeer(t)
	join, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "Join",
		"id": peer.actor("eve") + "#join", "actor": peer.actor("eve"), "object": eventURI})
	if got := peer.post(t, a.URL+"/inbox", "eve", nil, join, nil); got != http.StatusAccepted {
		t.Fatalf("eve's Join: %d", got)
	}
	drain(t, a, b)
	if got := participationState(t, a, e.ID, remoteActorID(t, a, peer.actor("eve"))); got != store.ParticipationConfirmed {
		t.Fatalf("eve's participation on A: %q", got)
	}
	aliceURI := a.URL + "/@alice"
	if n := count(t, b, `SELECT count(*) FROM follows f JOIN actors x ON x.id = f.followed_id WHERE x.uri = ?`, aliceURI); n != 1 {
		t.Fatalf("bob's follow of alice on B: %d", n)
	}

	res, body := a.ti.postFormBody(t, aliceC, "/me/account/delete", deleteForm("correct horse battery", "keep", nil))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d\n%s", res.StatusCode, body)
	}
	// What A queued, before it is sent: a Delete of the event and one of
	// the actor, both by alice, now signed with the key kept in the row.
	var eventDelete, actorDelete string
	for _, act := range outgoing(t, a) {
		if !act.Is("Delete") || act.Actor != aliceURI {
			continue
		}
		switch act.Object.ID {
		case eventURI:
			eventDelete = act.ID
		case aliceURI:
			actorDelete = act.ID
		}
	}
	if eventDelete == "" || actorDelete == "" {
		t.Fatalf("A queued Delete of the event %q and of the actor %q", eventDelete, actorDelete)
	}
	if n := count(t, a, `SELECT count(*) FROM outgoing_activities WHERE signer_key_id = ? AND signer_key_pem != ''`, aliceURI+"#main-key"); n == 0 {
		t.Error("no queued activity keeps alice's key")
	}
	// Eve's server, a participant's, gets the Delete of the event too.
	if n := count(t, a, `SELECT count(*) FROM deliveries d JOIN outgoing_activities o ON o.id = d.activity_id
		WHERE d.inbox_url = ? AND o.body LIKE '%"Delete"%' AND o.body LIKE ?`, peer.srv.URL+"/inbox", "%"+eventURI+"%"); n != 1 {
		t.Errorf("%d Deletes of the event queued for the participant's server", n)
	}
	drain(t, a, b)
	for _, id := range []string{eventDelete, actorDelete} {
		if seen, processed, err := b.App.store.InboxActivitySeen(ctx, id); err != nil || !seen || !processed {
			t.Errorf("B took in %s: seen %v processed %v (%v)", id, seen, processed, err)
		}
	}
	if _, err := b.App.store.RemoteEventByURI(ctx, eventURI); err == nil {
		t.Error("B still has alice's event")
	}
	if n := count(t, b, `SELECT count(*) FROM actors WHERE uri = ?`, aliceURI); n != 0 {
		t.Error("B still knows alice's actor")
	}
	if n := count(t, b, `SELECT count(*) FROM follows`); n != 0 {
		t.Errorf("B still has %d follows", n)
	}
	if n := count(t, a, `SELECT count(*) FROM deliveries WHERE failed_at IS NULL`); n != 0 {
		t.Errorf("%d deliveries still waiting on A", n)
	}
	if n := count(t, a, `SELECT count(*) FROM outgoing_activities WHERE signer_key_pem != ''`); n != 0 {
		t.Error("alice's private key outlived the deliveries")
	}

	// A: her addresses are gone, for browsers, peers and webfinger.
	wantGone(t, a.ti, "/@alice", "")
	wantGone(t, a.ti, "/@alice", "application/activity+json")
	wantGone(t, a.ti, "/actors/alice/outbox", "application/activity+json")
	wantGone(t, a.ti, "/.well-known/webfinger?resource="+url.QueryEscape("acct:alice@"+a.Host), "")
	wantGone(t, a.ti, "/.well-known/webfinger?resource="+url.QueryEscape(aliceURI), "")
	if res, _ := a.ti.get(t, a.ti.client(), "/events/"+e.UUID); res.StatusCode != http.StatusNotFound {
		t.Errorf("the event page answers %d", res.StatusCode)
	}
	// Her session is over, and she cannot log in again.
	if res, _ := a.ti.get(t, aliceC, "/me/account"); res.StatusCode == http.StatusOK {
		t.Error("alice's session survived")
	}
	if res := a.ti.postForm(t, a.ti.client(), "/login", url.Values{"login": {"alice"}, "password": {"correct horse battery"}}); res.StatusCode == http.StatusSeeOther {
		t.Error("alice logs in after deleting her account")
	}
	// Her username is not given to someone else soon.
	res, _ = a.ti.postFormBody(t, a.ti.client(), "/register", url.Values{"email": {"other@example.org"}, "username": {"alice"},
		"password": {"another long password"}})
	if res.StatusCode == http.StatusSeeOther {
		t.Error("alice's username was given again at once")
	}
}

// refColumn is a column that may hold an account's or an actor's id.
type refColumn struct {
	table, column string
	account       bool // an account id; else an actor id
}

var actorColumnName = regexp.MustCompile(`^(actor|author|identity|organizer|creator|follower|followed|subject|invited_by|source_id|target_actor|attributed_to|moderator|reporter|handled_by|created_by)`)

// referenceColumns finds, in the live schema, every column that refers
// to an account or an actor: by its foreign key, or else by its name, so
// that a table added later is checked too.
func referenceColumns(t *testing.T, ti *testInstance) []refColumn {
	t.Helper()
	db := ti.App.store.DB()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'
		AND name NOT LIKE 'events_fts%' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var out []refColumn
	for _, table := range tables {
		fks := map[string]string{}
		fk, err := db.Query(fmt.Sprintf(`SELECT "from", "table" FROM pragma_foreign_key_list(%q)`, table))
		if err != nil {
			t.Fatal(err)
		}
		for fk.Next() {
			var from, to string
			fk.Scan(&from, &to)
			fks[from] = to
		}
		fk.Close()
		cols, err := db.Query(fmt.Sprintf(`SELECT name, type FROM pragma_table_info(%q)`, table))
		if err != nil {
			t.Fatal(err)
		}
		for cols.Next() {
			var name, typ string
			cols.Scan(&name, &typ)
			switch to := fks[name]; {
			case to == "accounts":
				out = append(out, refColumn{table, name, true})
			case to == "actors":
				out = append(out, refColumn{table, name, false})
			case to != "":
			case name == "account_id" || strings.HasSuffix(name, "_account_id") || name == "moderator_id" || name == "handled_by":
				out = append(out, refColumn{table, name, true})
			case strings.EqualFold(typ, "INTEGER") && actorColumnName.MatchString(name):
				out = append(out, refColumn{table, name, false})
			}
		}
		cols.Close()
	}
	return out
}

// After a deletion nothing in the database refers to the account or its
// identities, in any table that can: the comments and messages kept
// belong to the stand-in "deleted account". The moderation log is
// append-only and keeps what moderators did; reports keep what they were
// about.
func TestDeletedAccountLeavesNoRowBehind(t *testing.T) {
	for _, words := range []string{"keep", "remove"} {
		t.Run(words, func(t *testing.T) {
			ti := newTestInstance(t)
			ctx := context.Background()
			acc, alice := ti.createAccount(t, "alice@example.org", "alice", "alice-password", false)
			aliceC := ti.login(t, "alice", "alice-password")
			second, err := ti.App.store.CreateIdentity(ctx, acc.ID, store.NewIdentity{Username: "alice_bis"})
			if err != nil {
				t.Fatal(err)
			}
			bob := ti.newPerson(t, "bob")
			carol := ti.newPerson(t, "carol")
			// Groups: alice's own (bob a member), and bob's (alice a member).
			createGroupVia(t, ti, aliceC, "velo", "Vélo", "open")
			createGroupVia(t, ti, bob.Client, "chorale", "Chorale", "open")
			ti.postForm(t, bob.Client, "/groups/velo/join", nil)
			ti.postForm(t, aliceC, "/groups/chorale/join", nil)
			ti.postForm(t, carol.Client, "/groups/chorale/join", nil)
			res := ti.postForm(t, aliceC, "/groups/chorale/discussions", url.Values{"title": {"Répétition"}, "body": {"Jeudi ?"}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("discussion: %d", res.StatusCode)
			}
			thread := res.Header.Get("Location")
			ti.postForm(t, bob.Client, thread, url.Values{"body": {"Oui, jeudi."}})
			ti.postForm(t, aliceC, thread, url.Values{"body": {"Parfait, à jeudi."}})
			// Events: hers (public and private), and bob's, which she joins
			// and comments on.
			addJoinableEvent(t, ti, alice.ID, "Sortie vélo", 48*time.Hour)
			addJoinableEvent(t, ti, second.ID, "Brouillon", 72*time.Hour, func(e *store.Event) { e.Visibility = store.VisibilityPrivate })
			concert := addJoinableEvent(t, ti, bob.Identity.ID, "Concert", 24*time.Hour)
			if res := ti.postForm(t, aliceC, "/events/"+concert.UUID+"/join", nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("join: %d", res.StatusCode)
			}
			if res := ti.postForm(t, aliceC, "/events/"+concert.UUID+"/comments", url.Values{"comment": {"J'apporte des gâteaux."}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("comment: %d", res.StatusCode)
			}
			ti.postForm(t, aliceC, "/me/calendar", nil)
			ids := []int64{alice.ID, second.ID}

			cols := referenceColumns(t, ti)
			if len(cols) < 30 {
				t.Fatalf("only %d reference columns found: the discovery is broken", len(cols))
			}
			// Before: the data is really there (else the check proves nothing).
			if n := refCount(t, ti, cols, acc.ID, ids); n < 10 {
				t.Fatalf("only %d rows refer to alice before the deletion", n)
			}

			res, body := ti.postFormBody(t, aliceC, "/me/account/delete", deleteForm("alice-password", words, nil))
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("delete: %d\n%s", res.StatusCode, body)
			}
			for _, c := range cols {
				if c.table == "moderation_log" || (c.table == "reports" && strings.HasPrefix(c.column, "target_")) {
					continue
				}
				ref := ids
				if c.account {
					ref = []int64{acc.ID}
				}
				q := fmt.Sprintf(`SELECT count(*) FROM %q WHERE %q IN (%s)`, c.table, c.column, joinIDs(ref))
				var n int
				if err := ti.App.store.DB().QueryRow(q).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 0 {
					t.Errorf("%s.%s: %d rows still refer to alice", c.table, c.column, n)
				}
			}
			var kept int
			ti.App.store.DB().QueryRow(`SELECT (SELECT count(*) FROM comments c JOIN actors a ON a.id = c.author_id WHERE a.username = ?1)
				+ (SELECT count(*) FROM discussion_messages m JOIN actors a ON a.id = m.author_id WHERE a.username = ?1)`,
				store.DeletedAuthorUsername).Scan(&kept)
			_, page := ti.get(t, bob.Client, thread)
			_, eventPage := ti.get(t, bob.Client, "/events/"+concert.UUID)
			if words == "keep" {
				// Her comment and her message stay, signed "deleted account";
				// the discussion she started stays with bob's reply.
				if kept != 3 || !strings.Contains(page, "Parfait, à jeudi.") || !strings.Contains(page, "deleted account") ||
					!strings.Contains(eventPage, "gâteaux") || !strings.Contains(eventPage, "deleted account") {
					t.Errorf("kept %d anonymised rows; thread:\n%s", kept, page)
				}
			} else if kept != 0 || strings.Contains(page, "Parfait") || strings.Contains(eventPage, "gâteaux") || !strings.Contains(page, "Oui, jeudi.") {
				t.Errorf("removed words: %d rows kept, thread:\n%s", kept, page)
			}
			if strings.Contains(page, "@alice") || strings.Contains(eventPage, "@alice") {
				t.Error("a page still names alice")
			}
			// The stand-in has no page, and nobody can take its name.
			wantGone(t, ti, "/@"+store.DeletedAuthorUsername, "")
			wantGone(t, ti, "/@alice_bis", "")
		})
	}
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}

// refCount counts the rows referring to an account or its identities.
func refCount(t *testing.T, ti *testInstance, cols []refColumn, accountID int64, ids []int64) int {
	t.Helper()
	total := 0
	for _, c := range cols {
		ref := ids
		if c.account {
			ref = []int64{accountID}
		}
		var n int
		if err := ti.App.store.DB().QueryRow(fmt.Sprintf(`SELECT count(*) FROM %q WHERE %q IN (%s)`, c.table, c.column, joinIDs(ref))).Scan(&n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

// A public event can be handed to a group alice administers; her other
// event is deleted. Her group gets its moderator (not its older plain
// member) as administrator; a group only she was in is deleted, and the
// person invited to it is told by mail.
func TestDeletionHandsEventsAndGroupsOver(t *testing.T) {
	ri := newRecoveryInstance(t)
	ctx := context.Background()
	aliceAcc, _ := ri.App.store.AccountByEmail(ctx, "alice@example.org")
	aliceID, _ := ri.App.store.LocalActorByUsername(ctx, "alice")
	aliceC := ri.login(t, "alice", "alice-password")
	carol, bob := ri.newPerson(t, "carol"), ri.newPerson(t, "bob")
	_, _ = ri.createAccount(t, "dan@example.org", "dan", "dan-password-1", false)
	dan, _ := ri.App.store.LocalActorByUsername(ctx, "dan")

	createGroupVia(t, ri.testInstance, aliceC, "velo", "Vélo", "open")
	ri.postForm(t, carol.Client, "/groups/velo/join", nil) // the oldest member
	ri.postForm(t, bob.Client, "/groups/velo/join", nil)
	g := mustGroup(t, ri.testInstance, "velo")
	bobM, _ := ri.App.store.MembershipOf(ctx, g.ID, bob.Identity.ID)
	if res := ri.postForm(t, aliceC, "/groups/velo/members/"+itoa(bobM.ID)+"/role", url.Values{"role": {store.RoleModerator}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("make bob moderator: %d", res.StatusCode)
	}
	createGroupVia(t, ri.testInstance, aliceC, "solo", "Solo", "invite_only")
	if res := ri.postForm(t, aliceC, "/groups/solo/invite", url.Values{"handle": {"@dan"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite dan: %d", res.StatusCode)
	}
	if got := membershipRole(t, ri.testInstance, "solo", dan.ID); got != store.RoleInvited {
		t.Fatalf("dan is %q in solo", got)
	}
	kept := addJoinableEvent(t, ri.testInstance, aliceID.ID, "Sortie du dimanche", 48*time.Hour)
	dropped := addJoinableEvent(t, ri.testInstance, aliceID.ID, "Atelier réparation", 72*time.Hour)
	solo := mustGroup(t, ri.testInstance, "solo")

	// The page offers the export, then the groups she administers.
	_, page := ri.get(t, aliceC, "/me/account/delete")
	if !strings.Contains(page, `href="/me/export"`) || !strings.Contains(page, "Hand it to the group Vélo") || !strings.Contains(page, "Sortie du dimanche") {
		t.Fatalf("delete page:\n%s", page)
	}
	// A group she does not administer is refused, nothing changes.
	chorale := bob.Identity.ID
	res, _ := ri.postFormBody(t, aliceC, "/me/account/delete", deleteForm("alice-password", "keep", map[int64]string{kept.ID: itoa(chorale)}))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("hand-over to someone else's actor: %d", res.StatusCode)
	}
	if _, err := ri.App.store.AccountByID(ctx, aliceAcc.ID); err != nil {
		t.Fatal("the account went despite the refusal")
	}

	res, body := ri.postFormBody(t, aliceC, "/me/account/delete", deleteForm("alice-password", "keep",
		map[int64]string{kept.ID: itoa(g.ID), dropped.ID: "delete"}))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d\n%s", res.StatusCode, body)
	}
	e, err := ri.App.store.EventByUUID(ctx, kept.UUID)
	if err != nil || e.OrganizerID != g.ID || e.AttributedToID != g.ID {
		t.Fatalf("handed-over event: %+v, %v", e, err)
	}
	if _, err := ri.App.store.EventByUUID(ctx, dropped.UUID); err == nil {
		t.Error("the event she chose to delete is still there")
	}
	if got := membershipRole(t, ri.testInstance, "velo", bob.Identity.ID); got != store.RoleAdministrator {
		t.Errorf("bob, the moderator, is %q", got)
	}
	if got := membershipRole(t, ri.testInstance, "velo", carol.Identity.ID); got != store.RoleMember {
		t.Errorf("carol is %q", got)
	}
	if _, log := ri.get(t, bob.Client, "/groups/velo/log"); !strings.Contains(log, "@bob became administrator: the last one deleted their account.") {
		t.Errorf("the group's log does not say why bob is administrator:\n%s", log)
	}
	// Bob, now administrator, manages the handed-over event.
	if res, _ := ri.get(t, bob.Client, "/events/"+kept.UUID+"/edit"); res.StatusCode != http.StatusOK {
		t.Errorf("bob edits the group's event: %d", res.StatusCode)
	}
	if _, err := ri.App.store.GroupByID(ctx, solo.ID); err == nil {
		t.Error("the group nobody else was in still exists")
	}
	ri.deliver(t)
	if m := ri.mail.lastTo(t, "dan@example.org"); !strings.Contains(m.Subject, "Solo") {
		t.Errorf("dan's mail: %q", m.Subject)
	}
}

// A wrong password deletes nothing and keeps the choices; the last
// administrator account cannot be deleted.
func TestDeletionRefusals(t *testing.T) {
	ui := newUsersInstance(t)
	ctx := context.Background()
	alice := ui.login(t, "alice", "alice-password")
	aliceID, _ := ui.App.store.LocalActorByUsername(ctx, "alice")
	createGroupVia(t, ui.testInstance, alice, "velo", "Vélo", "open")
	g := mustGroup(t, ui.testInstance, "velo")
	e := addJoinableEvent(t, ui.testInstance, aliceID.ID, "Sortie", 48*time.Hour)

	res, body := ui.postFormBody(t, alice, "/me/account/delete", deleteForm("not my password", "remove", map[int64]string{e.ID: itoa(g.ID)}))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "This is not your password. Nothing was deleted.") {
		t.Fatalf("wrong password: %d\n%s", res.StatusCode, body)
	}
	if !strings.Contains(body, `value="`+itoa(g.ID)+`" selected`) || !regexp.MustCompile(`value="remove"\s+checked`).MatchString(body) {
		t.Errorf("the form lost the choices:\n%s", body)
	}
	if !ui.loggedIn(t, alice) {
		t.Error("alice was logged out")
	}
	if _, err := ui.App.store.EventByUUID(ctx, e.UUID); err != nil {
		t.Error("the event went")
	}

	// root is the only administrator.
	root := ui.admin
	_, page := ui.get(t, root, "/me/account/delete")
	if !strings.Contains(page, "last administrator account") || strings.Contains(page, `action="/me/account/delete"`) {
		t.Errorf("the last administrator is offered the deletion:\n%s", page)
	}
	res, body = ui.postFormBody(t, root, "/me/account/delete", deleteForm("root-password-1", "keep", nil))
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "last administrator account") {
		t.Fatalf("deleting the last administrator: %d", res.StatusCode)
	}
	if _, err := ui.App.store.AccountByEmail(ctx, "root@example.org"); err != nil {
		t.Fatal("the last administrator was deleted")
	}
	// In French too.
	aliceAcc, _ := ui.App.store.AccountByEmail(ctx, "alice@example.org")
	if err := ui.App.store.SetLocale(ctx, aliceAcc.ID, "fr"); err != nil {
		t.Fatal(err)
	}
	if _, page := ui.get(t, alice, "/me/account/delete"); !strings.Contains(page, "Supprimer mon compte définitivement") || !strings.Contains(page, "Le confier au groupe Vélo") {
		t.Errorf("the page is not in French:\n%s", page)
	}
}

// An administrator deletes an account after confirming with a reason,
// which the moderation log keeps.
func TestAdminDeletesAnAccountWithAReason(t *testing.T) {
	ui := newUsersInstance(t)
	ctx := context.Background()
	alice, _ := ui.App.store.AccountByEmail(ctx, "alice@example.org")
	aliceC := ui.login(t, "alice", "alice-password")
	path := "/admin/users/" + itoa(alice.ID) + "/delete"
	if _, page := ui.get(t, ui.admin, "/admin/users/"+itoa(alice.ID)); !strings.Contains(page, `href="`+path+`"`) {
		t.Fatal("no delete action on the account's page")
	}
	if res, page := ui.get(t, ui.admin, path); res.StatusCode != http.StatusOK || !strings.Contains(page, `name="reason"`) {
		t.Fatalf("confirmation page: %d", res.StatusCode)
	}
	res, body := ui.postFormBody(t, ui.admin, path, url.Values{"reason": {"  "}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Say why the account is deleted") {
		t.Fatalf("no reason: %d", res.StatusCode)
	}
	if _, err := ui.App.store.AccountByID(ctx, alice.ID); err != nil {
		t.Fatal("deleted without a reason")
	}
	root, _ := ui.App.store.AccountByEmail(ctx, "root@example.org")
	if res, _ := ui.postFormBody(t, ui.admin, "/admin/users/"+itoa(root.ID)+"/delete", url.Values{"reason": {"me"}}); res.StatusCode != http.StatusConflict {
		t.Errorf("an administrator deleting their own account from Users: %d", res.StatusCode)
	}
	res, _ = ui.postFormBody(t, ui.admin, path, url.Values{"reason": {"Spam, reported three times"}, "words": {"remove"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if _, err := ui.App.store.AccountByID(ctx, alice.ID); err == nil {
		t.Fatal("the account is still there")
	}
	if ui.loggedIn(t, aliceC) {
		t.Error("alice's session survived")
	}
	var snapshot string
	if err := ui.App.store.DB().QueryRow(`SELECT snapshot FROM moderation_log WHERE action = 'account.delete' AND target_id = ?`, itoa(alice.ID)).Scan(&snapshot); err != nil {
		t.Fatalf("no log row: %v", err)
	}
	var s map[string]any
	json.Unmarshal([]byte(snapshot), &s)
	if s["reason"] != "Spam, reported three times" || s["email"] != "alice@example.org" {
		t.Errorf("log snapshot: %s", snapshot)
	}
	if _, page := ui.get(t, ui.admin, "/admin/moderation-log"); !strings.Contains(page, "Spam, reported three times") {
		t.Error("the moderation log page does not show the reason")
	}
}

// The export has the account's participations, comments, group
// memberships and discussion messages.
func TestExportHasWordsAndGroups(t *testing.T) {
	ti := newTestInstance(t)
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "alice-password", false)
	aliceC := ti.login(t, "alice", "alice-password")
	bob := ti.newPerson(t, "bob")
	createGroupVia(t, ti, bob.Client, "velo", "Vélo", "open")
	ti.postForm(t, aliceC, "/groups/velo/join", nil)
	ti.postForm(t, aliceC, "/groups/velo/discussions", url.Values{"title": {"Samedi"}, "body": {"Qui vient **samedi** ?"}})
	concert := addJoinableEvent(t, ti, bob.Identity.ID, "Concert", 24*time.Hour)
	ti.postForm(t, aliceC, "/events/"+concert.UUID+"/join", nil)
	ti.postForm(t, aliceC, "/events/"+concert.UUID+"/comments", url.Values{"comment": {"J'apporte des gâteaux."}})
	_ = alice

	res, body := ti.get(t, aliceC, "/me/export")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("export: %d", res.StatusCode)
	}
	var x struct {
		Format         string           `json:"format"`
		Participations []map[string]any `json:"participations"`
		Comments       []map[string]any `json:"comments"`
		Groups         []map[string]any `json:"group_memberships"`
		Messages       []map[string]any `json:"discussion_messages"`
	}
	if err := json.Unmarshal([]byte(body), &x); err != nil {
		t.Fatal(err)
	}
	if x.Format != exportFormat || len(x.Participations) != 1 || x.Participations[0]["event_title"] != "Concert" {
		t.Errorf("participations: %v", x.Participations)
	}
	if len(x.Comments) != 1 || !strings.Contains(x.Comments[0]["content_html"].(string), "gâteaux") || x.Comments[0]["event_uuid"] != concert.UUID {
		t.Errorf("comments: %v", x.Comments)
	}
	if len(x.Groups) != 1 || x.Groups[0]["group"] != "@velo@"+ti.App.Host() || x.Groups[0]["role"] != store.RoleMember {
		t.Errorf("groups: %v", x.Groups)
	}
	if len(x.Messages) != 1 || x.Messages[0]["markdown"] != "Qui vient **samedi** ?" || x.Messages[0]["discussion"] != "Samedi" {
		t.Errorf("messages: %v", x.Messages)
	}
}
