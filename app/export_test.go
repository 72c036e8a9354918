package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

func TestExportDownload(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	_, mine := ti.createAccount(t, "mine@example.org", "mine", "a long enough password", false)
	_, theirs := ti.createAccount(t, "theirs@example.org", "theirs", "a long enough password", false)
	start := time.Date(2031, 6, 1, 16, 0, 0, 0, time.UTC)
	for _, ev := range []struct {
		org   int64
		title string
	}{{mine.ID, "My picnic"}, {theirs.ID, "Their concert"}} {
		e := &store.Event{OrganizerID: ev.org, Title: ev.title, StartsAt: start, EndsAt: start.Add(time.Hour),
			Timezone: "Europe/Paris", Category: "other", Status: "confirmed", Visibility: "private", Draft: true,
			JoinMode: "free", CommentModeration: "allow_all", Tags: []string{"park"},
			Address: store.Address{Venue: "Parc", Locality: "Lyon"}}
		if err := ti.App.store.CreateEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		if ev.org == theirs.ID { // I say I'm coming to their concert
			err := ti.App.store.Tx(ctx, func(tx *sql.Tx) error {
				return ti.App.store.InsertParticipationTx(ctx, tx, &store.Participation{EventID: e.ID, ActorID: mine.ID, State: "confirmed", Message: "See you"})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}

	res, _ := ti.get(t, ti.client(), "/me/export")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("export without login: %d", res.StatusCode)
	}
	c := ti.login(t, "mine@example.org", "a long enough password")
	res, body := ti.get(t, c, "/me/export")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %q", res.StatusCode, res.Header.Get("Content-Disposition"))
	}
	if strings.Contains(body, "argon") || strings.Contains(strings.ToLower(body), "password") {
		t.Fatal("the export carries the password hash")
	}
	var x AccountExport
	if err := json.Unmarshal([]byte(body), &x); err != nil {
		t.Fatal(err)
	}
	if x.Account.Email != "mine@example.org" || len(x.Identities) != 1 || x.Identities[0].Username != "mine" {
		t.Fatalf("account part: %+v", x)
	}
	if len(x.Events) != 1 || x.Events[0].Title != "My picnic" || x.Events[0].StartsAt != "2031-06-01T18:00:00+02:00" ||
		x.Events[0].Address == nil || x.Events[0].Address.Locality != "Lyon" || !x.Events[0].Draft {
		t.Fatalf("events part (own drafts in, others' out): %+v", x.Events)
	}
	if len(x.Participations) != 1 || x.Participations[0].EventTitle != "Their concert" || x.Participations[0].State != "confirmed" || x.Participations[0].Identity != "mine" {
		t.Fatalf("participations part: %+v", x.Participations)
	}
}
