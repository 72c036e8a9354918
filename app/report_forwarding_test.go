package app

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"convene/app/ap"
)

// flagsSent are the Flags a mock peer received.
func flagsSent(p *mockPeer) []map[string]any {
	var out []map[string]any
	for _, post := range p.received() {
		var act map[string]any
		if json.Unmarshal(post.Body, &act) == nil && act["type"] == "Flag" {
			out = append(out, act)
		}
	}
	return out
}

// M4: a visitor without an account cannot make this instance send a
// signed Flag: their report, forwarding asked, waits. A moderator sees
// the wish on the report's page and forwards it with one button; the
// Flag then leaves, once, without the reporter. A report that was not
// asked to be forwarded can be forwarded by the moderator too.
func TestAnonymousReportWaitsForAModerator(t *testing.T) {
	f := newSourceFixture(t)
	ev := mzEvent(f.mz, "e1", "Marche pour le climat", f.group, time.Now().Add(72*time.Hour), []string{ap.Public}, nil)
	f.deliver(t, f.mz, f.group, create(f.mz, f.group, ev))
	remote, err := f.us.App.store.RemoteEventByURI(context.Background(), ev["id"].(string))
	if err != nil {
		t.Fatal("the source's event was not stored:", err)
	}
	visitor := f.us.ti.client()
	res, body := f.us.ti.postFormBody(t, visitor, "/report", url.Values{"event": {remote.UUID}, "category": {"spam"},
		"comment": {"Texte d'un inconnu"}, "forward": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("anonymous report: %d\n%s", res.StatusCode, body)
	}
	drain(t, f.us)
	if n := len(flagsSent(f.mz)); n != 0 {
		t.Fatalf("an anonymous report sent %d Flags at once", n)
	}
	if n := count(t, f.us, `SELECT count(*) FROM outgoing_activities WHERE body LIKE '%"Flag"%'`); n != 0 {
		t.Fatalf("an anonymous report queued %d Flags", n)
	}
	if _, form := f.us.ti.get(t, visitor, "/report?event="+remote.UUID); !strings.Contains(html.UnescapeString(form), "Ask the moderators to send it to mobilizon.test too") {
		t.Errorf("the visitor's form does not say forwarding waits for a moderator")
	}
	reportID := count(t, f.us, `SELECT id FROM reports ORDER BY id DESC LIMIT 1`)
	page := "/admin/reports/" + itoa(int64(reportID))
	_, body = f.us.ti.get(t, f.admin, page)
	body = html.UnescapeString(body)
	if !strings.Contains(body, "The reporter asks that it be sent to mobilizon.test too.") || !strings.Contains(body, page+"/forward") {
		t.Fatalf("the report's page offers no forwarding:\n%s", body)
	}
	if res := f.us.ti.postForm(t, f.admin, page+"/forward", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("forward: %d", res.StatusCode)
	}
	drain(t, f.us)
	flags := flagsSent(f.mz)
	if len(flags) != 1 || flags[0]["actor"] != f.us.URL+"/actor" || flags[0]["content"] != "Texte d'un inconnu" {
		t.Fatalf("after the moderator's forward: %v", flags)
	}
	_, body = f.us.ti.get(t, f.admin, page)
	if strings.Contains(body, page+"/forward") || !strings.Contains(body, "Forwarded to") {
		t.Fatal("a forwarded report still offers forwarding")
	}
	if res, _ := f.us.ti.postFormBody(t, f.admin, page+"/forward", nil); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("forwarding twice: %d", res.StatusCode)
	}
	drain(t, f.us)
	if n := len(flagsSent(f.mz)); n != 1 {
		t.Fatalf("%d Flags after a second forward", n)
	}
	if n := count(t, f.us, `SELECT count(*) FROM moderation_log WHERE action = 'report.forward'`); n != 1 {
		t.Fatalf("%d forwards in the moderation log", n)
	}
}

// M4: reports are rate-limited, a visitor's by network address and an
// account's by account; the one refused changes nothing.
func TestReportsAreRateLimited(t *testing.T) {
	f := newSourceFixture(t)
	ev := mzEvent(f.mz, "e1", "Marche pour le climat", f.group, time.Now().Add(72*time.Hour), []string{ap.Public}, nil)
	f.deliver(t, f.mz, f.group, create(f.mz, f.group, ev))
	remote, err := f.us.App.store.RemoteEventByURI(context.Background(), ev["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	f.us.ti.createAccount(t, "rita@example.org", "rita", "correct horse battery", false)
	rita := f.us.ti.login(t, "rita@example.org", "correct horse battery")
	for _, c := range []struct {
		who    string
		client *http.Client
		refuse string
	}{{"a visitor", f.us.ti.client(), "Too many reports were sent from your network."}, {"rita", rita, "You sent too many reports in a short time."}} {
		before := count(t, f.us, `SELECT count(*) FROM reports`)
		var res *http.Response
		var body string
		for i := range reportPerIPBurst + 1 {
			res, body = f.us.ti.postFormBody(t, c.client, "/report", url.Values{"event": {remote.UUID}, "category": {"spam"},
				"comment": {"report " + itoa(int64(i))}})
		}
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), c.refuse) {
			t.Fatalf("%s's report %d: %d", c.who, reportPerIPBurst+1, res.StatusCode)
		}
		if n := count(t, f.us, `SELECT count(*) FROM reports`) - before; n != reportPerIPBurst {
			t.Fatalf("%s: %d reports stored, want %d", c.who, n, reportPerIPBurst)
		}
	}
}
