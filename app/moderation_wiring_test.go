package app

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"convene/app/ap"
)

// A suspended local account cannot log in, and is told why; another
// account still can.
func TestLoginRefusesSuspendedAccount(t *testing.T) {
	ti := newTestInstance(t)
	acc, _ := ti.createAccount(t, "mallory@example.org", "mallory", "correct horse battery", false)
	ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	ctx := context.Background()
	if err := ti.App.store.Tx(ctx, func(tx *sql.Tx) error { return ti.App.store.SuspendAccountTx(ctx, tx, acc.ID) }); err != nil {
		t.Fatal(err)
	}
	c := ti.client()
	res, body := ti.postFormBody(t, c, "/login", url.Values{"login": {"mallory"}, "password": {"correct horse battery"}})
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "This account is suspended") {
		t.Fatalf("suspended login: %d, message shown: %v", res.StatusCode, strings.Contains(body, "suspended"))
	}
	if res, _ := ti.get(t, c, "/me/events"); res.StatusCode == http.StatusOK {
		t.Fatal("a suspended account got a session")
	}
	// A wrong password says nothing about the suspension.
	_, body = ti.postFormBody(t, ti.client(), "/login", url.Values{"login": {"mallory"}, "password": {"wrong password!!"}})
	if strings.Contains(body, "suspended") {
		t.Fatal("the login form tells a stranger the account is suspended")
	}
	ti.login(t, "alice", "correct horse battery")
}

// The workers started with the instance purge remote events that ended
// more than the retention ago, and keep the others.
func TestDailyWorkerPurgesPastRemoteEvents(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	mz := newMockPeer(t, "mobilizon")
	group := mz.actor(t, "/@climat", ap.TypeGroup, "climat", 1)
	followPeerAsSource(t, us, admin, mz, group)
	soon := mzEvent(mz, "soon", "Atelier vélo", group, time.Now().Add(24*time.Hour), []string{ap.Public}, nil)
	later := mzEvent(mz, "later", "Marche pour le climat", group, time.Now().Add(40*24*time.Hour), []string{ap.Public}, nil)
	for _, ev := range []map[string]any{soon, later} {
		mz.put(strings.TrimPrefix(ev["id"].(string), mz.URL), ev)
		if got := mz.send(t, us.URL+"/inbox", group, create(mz, group, ev)); got != http.StatusAccepted {
			t.Fatalf("create: %d", got)
		}
	}
	drain(t, us)
	remote := func() int { return count(t, us, `SELECT count(*) FROM remote_events`) }
	if remote() != 2 {
		t.Fatalf("%d remote events stored, want 2", remote())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	us.App.StartWorkers(ctx)
	// 29 days after the first event ended: kept.
	us.Clock.Advance(30 * 24 * time.Hour)
	us.App.dailyPoke <- struct{}{}
	time.Sleep(300 * time.Millisecond)
	if remote() != 2 {
		t.Fatalf("an event ended 29 days ago was purged (%d left)", remote())
	}
	us.Clock.Advance(2 * 24 * time.Hour)
	us.App.dailyPoke <- struct{}{}
	deadline := time.Now().Add(10 * time.Second)
	for remote() != 1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if remote() != 1 {
		t.Fatalf("%d remote events after the retention, want 1", remote())
	}
	if _, err := us.App.store.RemoteEventByURI(context.Background(), later["id"].(string)); err != nil {
		t.Fatalf("the upcoming event was purged: %v", err)
	}
}

// /about lists the instance rules in order, and the moderated servers
// only once the admin chose to show them.
func TestAboutShowsRulesAndModeratedServers(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	ctx := context.Background()
	for _, r := range []string{"Be kind", "No spam", "Events only"} {
		if _, err := us.App.store.AddRule(ctx, r, ""); err != nil {
			t.Fatal(err)
		}
	}
	block(t, us, admin, url.Values{"domain": {"spam.test"}, "public_comment": {"Floods of fake events"}})
	_, page := us.ti.get(t, us.ti.client(), "/about")
	i, j, k := strings.Index(page, "Be kind"), strings.Index(page, "No spam"), strings.Index(page, "Events only")
	if i < 0 || !(i < j && j < k) {
		t.Fatalf("rules missing or out of order on /about: %d %d %d", i, j, k)
	}
	if strings.Contains(page, "spam.test") || strings.Contains(page, "Moderated servers") {
		t.Fatal("/about shows the moderated servers while the option is off")
	}
	if res := us.ti.postForm(t, admin, "/admin/federation/mode", url.Values{"mode": {"blocklist"}, "show_moderated": {"all"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("show moderated: %d", res.StatusCode)
	}
	_, page = us.ti.get(t, us.ti.client(), "/about")
	if !strings.Contains(page, "Moderated servers") || !strings.Contains(page, "Floods of fake events") {
		t.Fatal("/about lacks the moderated servers after the admin turned them on")
	}
	if !strings.Contains(page, "Be kind") {
		t.Fatal("the rules went away")
	}
}

// Home and search show events from every server by default, and only
// this instance's when asked.
func TestHomeAndSearchOriginFilter(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	_, org := us.ti.createAccount(t, "org@example.org", "org", "correct horse battery", false)
	publishEvent(t, us.App, org, "Bal folk Montmartre", "public")
	mz := newMockPeer(t, "mobilizon")
	group := mz.actor(t, "/@climat", ap.TypeGroup, "climat", 1)
	followPeerAsSource(t, us, admin, mz, group)
	ev := mzEvent(mz, "e1", "Bal folk Croix-Rousse", group, time.Now().Add(72*time.Hour), []string{ap.Public}, nil)
	mz.send(t, us.URL+"/inbox", group, create(mz, group, ev))
	drain(t, us)
	visitor := us.ti.client()
	for _, c := range []struct {
		path          string
		local, remote bool
	}{
		{"/", true, true},
		{"/?origin=local", true, false},
		{"/search?q=folk", true, true},
		{"/search?q=folk&origin=local", true, false},
	} {
		res, page := us.ti.get(t, visitor, c.path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", c.path, res.StatusCode)
		}
		if strings.Contains(page, "Montmartre") != c.local || strings.Contains(page, "Croix-Rousse") != c.remote {
			t.Fatalf("%s: local shown %v (want %v), remote shown %v (want %v)", c.path,
				strings.Contains(page, "Montmartre"), c.local, strings.Contains(page, "Croix-Rousse"), c.remote)
		}
	}
	if res, page := us.ti.get(t, visitor, "/search?q=folk&origin=mars"); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Choose all servers or only this instance.") {
		t.Fatalf("unknown origin: %d", res.StatusCode)
	}
}
