package app

import (
	"context"
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

// followPeerAsSource makes the instance follow actor on a mock peer and
// the peer accept at once.
func followPeerAsSource(t testing.TB, us *fedInstance, admin *http.Client, peer *mockPeer, actor string) {
	t.Helper()
	res, body := us.ti.postFormBody(t, admin, "/admin/sources", url.Values{"address": {actor}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("follow source: %d\n%s", res.StatusCode, body)
	}
	drain(t, us)
	var follow map[string]any
	for _, p := range peer.received() {
		json.Unmarshal(p.Body, &follow)
	}
	inst := us.URL + "/actor"
	accept := map[string]any{"type": "Accept", "id": actor + "#accept/" + time.Now().Format("150405.000000"), "actor": actor, "object": follow, "to": []string{inst}}
	if got := peer.send(t, us.URL+"/actor/inbox", actor, accept); got != http.StatusAccepted {
		t.Fatalf("accept: %d", got)
	}
	drain(t, us)
}

// Spec test 17: a report on a remote event with forwarding on sends one
// Flag from the instance actor, organiser first, comment as content, no
// reporter; with forwarding off nothing is sent.
func TestReportForwardsAnonymousFlag(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	mz := newMockPeer(t, "mobilizon")
	group := mz.actor(t, "/@climat", ap.TypeGroup, "climat", 1)
	followPeerAsSource(t, us, admin, mz, group)
	ev := mzEvent(mz, "e1", "Marche pour le climat", group, time.Now().Add(72*time.Hour), []string{ap.Public}, nil)
	if got := mz.send(t, us.URL+"/inbox", group, create(mz, group, ev)); got != http.StatusAccepted {
		t.Fatalf("create: %d", got)
	}
	drain(t, us)
	remote, err := us.App.store.RemoteEventByURI(context.Background(), ev["id"].(string))
	if err != nil {
		t.Fatal("the source's event was not stored:", err)
	}
	us.ti.createAccount(t, "rita@example.org", "rita", "correct horse battery", false)
	rita := us.ti.login(t, "rita@example.org", "correct horse battery")
	before := len(mz.received())
	for _, forward := range []string{"", "1"} {
		res, body := us.ti.postFormBody(t, rita, "/report", url.Values{"event": {remote.UUID}, "category": {"spam"},
			"comment": {"Ceci est une publicité"}, "forward": {forward}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("report: %d\n%s", res.StatusCode, body)
		}
		drain(t, us)
		sent := mz.received()[before:]
		if forward == "" && len(sent) != 0 {
			t.Fatalf("forwarding off, yet %d activities were sent", len(sent))
		}
		if forward == "1" {
			if len(sent) != 1 {
				t.Fatalf("forwarding on: %d activities sent, want one Flag", len(sent))
			}
			var flag struct {
				Type    string   `json:"type"`
				Actor   string   `json:"actor"`
				Object  []string `json:"object"`
				Content string   `json:"content"`
			}
			json.Unmarshal(sent[0].Body, &flag)
			if flag.Type != "Flag" || flag.Actor != us.URL+"/actor" || len(flag.Object) < 2 || flag.Object[0] != group ||
				flag.Content != "Ceci est une publicité" {
				t.Fatalf("Flag: %s", sent[0].Body)
			}
			if strings.Contains(string(sent[0].Body), "rita") {
				t.Fatal("the Flag names the reporter")
			}
		}
	}
}

// Spec test 18: a Flag on a local event makes one open report and one
// email per admin; a second Flag on it while open sends no email; a Flag
// from a reject_reports domain is dropped.
func TestIncomingFlags(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	us.ti.createAccount(t, "admin2@example.org", "admin2", "correct horse battery", true)
	_, bob := us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	e := publishEvent(t, us.App, bob, "Vide-grenier", store.VisibilityPublic)
	masto := newMockPeer(t, "mastodon")
	inst := masto.actor(t, "/actor", ap.TypeApplication, "mastodon.test", 0)
	flag := func(n int) map[string]any {
		return map[string]any{"type": "Flag", "id": masto.URL + "/flags/" + itoa(int64(n)), "actor": inst,
			"content": "spam!", "object": []string{us.URL + "/@bob", us.URL + "/events/" + e.UUID}, "to": us.URL + "/@bob"}
	}
	mails := func() int { return count(t, us, `SELECT count(*) FROM mail_queue WHERE subject LIKE '%Vide-grenier%'`) }
	masto.send(t, us.URL+"/inbox", inst, flag(1))
	drain(t, us)
	if n := count(t, us, `SELECT count(*) FROM reports WHERE status = 'open' AND target_event_id = ?`, e.ID); n != 1 {
		t.Fatalf("%d open reports, want 1", n)
	}
	if n := mails(); n != 2 {
		t.Fatalf("%d emails for the first report, want one per admin (2)", n)
	}
	masto.send(t, us.URL+"/inbox", inst, flag(2))
	drain(t, us)
	if n := count(t, us, `SELECT count(*) FROM reports`); n != 2 || mails() != 2 {
		t.Fatalf("second Flag: %d reports, %d emails; want 2 and still 2", n, mails())
	}
	block(t, us, admin, url.Values{"domain": {"mastodon.test"}, "severity": {"silence"}, "reject_reports": {"1"}})
	masto.send(t, us.URL+"/inbox", inst, flag(3))
	drain(t, us)
	if n := count(t, us, `SELECT count(*) FROM reports`); n != 2 {
		t.Fatalf("a Flag from a reject_reports domain was kept (%d reports)", n)
	}
}

// Spec test 19: hiding an event, suspending an actor and blocking a
// domain each append exactly one log row; the log refuses changes.
func TestModerationLogOneRowPerAction(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	mz := newMockPeer(t, "mobilizon")
	group := mz.actor(t, "/@climat", ap.TypeGroup, "climat", 1)
	followPeerAsSource(t, us, admin, mz, group)
	ev := mzEvent(mz, "e1", "Atelier vélo", group, time.Now().Add(72*time.Hour), []string{ap.Public}, nil)
	mz.send(t, us.URL+"/inbox", group, create(mz, group, ev))
	drain(t, us)
	remote, err := us.App.store.RemoteEventByURI(context.Background(), ev["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	res, _ := us.ti.postFormBody(t, us.ti.client(), "/report", url.Values{"event": {remote.UUID}, "category": {"other"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("anonymous report: %d", res.StatusCode)
	}
	reportID := count(t, us, `SELECT max(id) FROM reports`)
	logged := func() int { return count(t, us, `SELECT count(*) FROM moderation_log`) }
	act := func(action string) {
		t.Helper()
		before := logged()
		// "confirmed": what the confirmation page of a destructive action sends.
		res := us.ti.postForm(t, admin, "/admin/reports/"+itoa(int64(reportID))+"/"+action, url.Values{"confirmed": {"1"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d", action, res.StatusCode)
		}
		if logged() != before+1 {
			t.Fatalf("%s appended %d log rows", action, logged()-before)
		}
	}
	act("hide")
	if _, home := us.ti.get(t, us.ti.client(), "/"); strings.Contains(home, "Atelier vélo") {
		t.Fatal("a hidden event is still on the home page")
	}
	act("suspend-domain")
	act("resolve")
	before := logged()
	block(t, us, admin, url.Values{"domain": {"other.test"}})
	if logged() != before+1 {
		t.Fatal("blocking a domain did not append exactly one row")
	}
	if _, err := us.App.store.DB().Exec(`DELETE FROM moderation_log`); err == nil {
		t.Fatal("the moderation log accepted a DELETE")
	}
	_, page := us.ti.get(t, admin, "/admin/moderation-log")
	for _, want := range []string{"event.hide", "domain.suspend", "report.resolve"} {
		if !strings.Contains(page, want) {
			t.Fatalf("the log page lacks %s", want)
		}
	}
}

// Spec test 20: Mastodon CSV imports only the chosen rows and skips
// existing rules; export then import round-trips; rules are served in
// Mastodon's shape, in order.
func TestImportExportAndRules(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	block(t, us, admin, url.Values{"domain": {"existing.example"}, "severity": {"silence"}})
	csv := "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n" +
		"spam.example,suspend,true,true,Spam,false\nexisting.example,suspend,false,false,,false\nnice.example,silence,false,false,,false\n"
	for _, list := range []string{csv, strings.SplitN(csv, "\n", 2)[1]} { // with and without the header
		res, page := us.ti.postFormBody(t, admin, "/admin/federation/import", url.Values{"list": {list}})
		if res.StatusCode != 200 || !strings.Contains(page, "Already has a rule") {
			t.Fatalf("preview: %d\n%s", res.StatusCode, page)
		}
	}
	res := us.ti.postForm(t, admin, "/admin/federation/import/confirm", url.Values{"list": {csv}, "domain": {"spam.example", "existing.example"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d", res.StatusCode)
	}
	rules, _ := us.App.store.DomainPolicies(context.Background())
	got := map[string]string{}
	for _, r := range rules {
		got[r.Domain] = r.Severity
	}
	if len(got) != 2 || got["spam.example"] != "suspend" || got["existing.example"] != "silence" {
		t.Fatalf("after import: %v (nice.example was not chosen, existing.example kept)", got)
	}
	export := func(fi *fedInstance, c *http.Client) string {
		res, body := fi.ti.get(t, c, "/admin/federation/blocks.csv")
		if res.StatusCode != 200 {
			t.Fatalf("export: %d", res.StatusCode)
		}
		return body
	}
	first := export(us, admin)
	other := newInstanceAt(t, "127.0.0.3")
	otherAdmin := adminOf(t, other)
	other.ti.postForm(t, otherAdmin, "/admin/federation/import/confirm", url.Values{"list": {first}, "domain": {"spam.example", "existing.example"}})
	if again := export(other, otherAdmin); again != first {
		t.Fatalf("round trip differs:\n%s\n---\n%s", first, again)
	}

	for _, text := range []string{"Be kind", "No spam", "Events only"} {
		us.ti.postForm(t, admin, "/admin/rules", url.Values{"text": {text}})
	}
	firstRule := count(t, us, `SELECT min(id) FROM instance_rules`)
	us.ti.postForm(t, admin, "/admin/rules/"+itoa(int64(firstRule))+"/down", url.Values{})
	r, err := http.Get(us.URL + "/api/v1/instance/rules")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	var api []struct{ ID, Text, Hint string }
	if err := json.Unmarshal(body, &api); err != nil || len(api) != 3 || api[0].Text != "No spam" || api[1].Text != "Be kind" || api[0].ID == "" {
		t.Fatalf("rules API: %s", body)
	}
	if !strings.Contains(string(body), `"hint":""`) {
		t.Fatalf("rules API without Mastodon's hint field: %s", body)
	}
}
