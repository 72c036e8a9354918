package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// block adds a domain rule through the admin form.
func block(t testing.TB, fi *fedInstance, admin *http.Client, form url.Values) {
	t.Helper()
	if form.Get("kind") == "" {
		form.Set("kind", "block")
	}
	if form.Get("severity") == "" {
		form.Set("severity", "suspend")
	}
	res, body := fi.ti.postFormBody(t, admin, "/admin/federation/policies", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("policy form: %d\n%s", res.StatusCode, body)
	}
}

// mzEvent is a Mobilizon-shaped Event on peer p.
func mzEvent(p *mockPeer, uuid, name, organizer string, start time.Time, to, cc []string) map[string]any {
	return map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "type": "Event",
		"id": p.URL + "/events/" + uuid, "url": p.URL + "/events/" + uuid, "name": name,
		"attributedTo": organizer, "startTime": start.Format(time.RFC3339), "endTime": start.Add(2 * time.Hour).Format(time.RFC3339),
		"content": "<p>Come along</p>", "to": to, "cc": cc, "joinMode": "free",
		"location": map[string]any{"type": "Place", "name": "Salle", "address": map[string]any{"type": "PostalAddress", "addressLocality": "Lyon"}},
		"updated":  time.Now().UTC().Format(time.RFC3339),
	}
}

func create(p *mockPeer, actor string, obj map[string]any) map[string]any {
	return map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "Create",
		"id": obj["id"].(string) + "/activity", "actor": actor, "object": obj, "to": obj["to"], "cc": obj["cc"]}
}

// Spec test 1: after blocking example.test, an inbox POST signed by a key
// on it or on a subdomain gets 403, nothing is stored, and no request
// reaches the blocked server (no key fetch).
func TestBlockedDomainGets403BeforeAnyKeyFetch(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	for _, name := range []string{"example", "a.example"} {
		peer := newMockPeer(t, name)
		actor := peer.actor(t, "/users/eve", ap.TypePerson, "eve", 0)
		block(t, us, admin, url.Values{"domain": {"example.test"}})
		follow := ap.NewFollow(actor+"#follow/1", actor, us.URL+"/actor")
		if got := peer.send(t, us.URL+"/inbox", actor, follow); got != http.StatusForbidden {
			t.Fatalf("%s: status %d, want 403", name, got)
		}
		drain(t, us)
		if n := peer.requestCount(); n != 0 {
			t.Fatalf("%s: the blocked server was asked %d times", name, n)
		}
		if n := count(t, us, `SELECT count(*) FROM inbox_activities`); n != 0 {
			t.Fatalf("%s: %d activities stored", name, n)
		}
	}
}

// Spec test 2: deliveries queued for a domain before its block end as
// dropped_policy; new events queue nothing for it.
func TestBlockDropsQueuedDeliveries(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	_, bob := us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	peer := newMockPeer(t, "example")
	actor := peer.actor(t, "/users/eve", ap.TypePerson, "eve", 0)
	if got := peer.send(t, us.URL+"/actors/bob/inbox", actor, ap.NewFollow(actor+"#f", actor, us.URL+"/@bob")); got != http.StatusAccepted {
		t.Fatalf("follow: %d", got)
	}
	us.App.ProcessInbox(context.Background()) // the Accept is queued, not sent
	publishEvent(t, us.App, bob, "Avant", store.VisibilityPublic)
	if n := count(t, us, `SELECT count(*) FROM deliveries WHERE failed_at IS NULL`); n != 2 {
		t.Fatalf("%d deliveries waiting before the block, want 2", n)
	}
	before := peer.requestCount()
	block(t, us, admin, url.Values{"domain": {"example.test"}})
	if n := count(t, us, `SELECT count(*) FROM deliveries WHERE last_error = 'dropped_policy'`); n != 2 {
		t.Fatalf("%d deliveries dropped by policy, want 2", n)
	}
	publishEvent(t, us.App, bob, "Après", store.VisibilityPublic)
	drain(t, us)
	if n := count(t, us, `SELECT count(*) FROM deliveries WHERE last_error != 'dropped_policy'`); n != 0 {
		t.Fatalf("%d new deliveries queued for a blocked domain", n)
	}
	if peer.requestCount() != before {
		t.Fatal("something was sent to the blocked domain")
	}
}

// Spec test 3: signed GETs from a blocked key get 403; resolving
// @x@blocked fails without any request.
func TestBlockedSignedGetsAndLookups(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	peer := newMockPeer(t, "example")
	actor := peer.actor(t, "/users/eve", ap.TypePerson, "eve", 0)
	block(t, us, admin, url.Values{"domain": {"example.test"}})
	for _, path := range []string{"/actor", "/@admin"} {
		req, _ := http.NewRequest(http.MethodGet, us.URL+path, nil)
		req.Header.Set("Accept", ap.ContentTypeActivityJSON)
		ap.SignRequest(req, nil, ap.KeyID(actor), testKeys(t)[0])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("signed GET %s from a blocked key: %d", path, res.StatusCode)
		}
	}
	before := peer.requestCount()
	res, body := us.ti.postFormBody(t, admin, "/admin/sources", url.Values{"address": {"@eve@" + peer.Host}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "blocks") {
		t.Fatalf("following on a blocked domain: %d", res.StatusCode)
	}
	if _, err := us.App.resolveHandle(context.Background(), "@eve@"+peer.Host); err == nil {
		t.Fatal("a blocked handle resolved")
	}
	if peer.requestCount() != before {
		t.Fatal("a lookup reached the blocked server")
	}
}

// Spec tests 5 and 6: allowlist and blocklist precedence.
func TestPolicyModes(t *testing.T) {
	us := newInstanceAt(t, "127.0.0.2")
	admin := adminOf(t, us)
	good := newMockPeer(t, "good.example")
	other := newMockPeer(t, "other")
	both := newMockPeer(t, "both")
	for _, p := range []*mockPeer{good, other, both} {
		p.actor(t, "/users/eve", ap.TypePerson, "eve", 0)
	}
	post := func(p *mockPeer) int {
		actor := p.URL + "/users/eve"
		note := map[string]any{"type": "Create", "id": actor + "#c/" + time.Now().Format("150405.000000"), "actor": actor,
			"object": map[string]any{"type": "Note", "id": actor + "/notes/1", "content": "hi", "attributedTo": actor}}
		return p.send(t, us.URL+"/inbox", actor, note)
	}
	// Blocklist (default): a block of example.test is overridden by an
	// allow of good.example.test.
	block(t, us, admin, url.Values{"domain": {"example.test"}})
	block(t, us, admin, url.Values{"domain": {"good.example.test"}, "kind": {"allow"}})
	if got := post(good); got != http.StatusAccepted {
		t.Fatalf("blocklist mode, allowed subdomain of a blocked domain: %d", got)
	}
	// Allowlist: unlisted → 403, allowed → 202, allowed and blocked → 403
	// (there a block overrides an allow, so the example.test block goes).
	us.ti.postForm(t, admin, "/admin/federation/policies/remove", url.Values{"domain": {"example.test"}, "kind": {"block"}})
	res := us.ti.postForm(t, admin, "/admin/federation/mode", url.Values{"mode": {"allowlist"}, "show_moderated": {"off"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("mode: %d", res.StatusCode)
	}
	block(t, us, admin, url.Values{"domain": {"both.test"}, "kind": {"allow"}})
	block(t, us, admin, url.Values{"domain": {"both.test"}})
	for p, want := range map[*mockPeer]int{other: 403, good: 202, both: 403} {
		if got := post(p); got != want {
			t.Fatalf("allowlist mode, %s: %d, want %d", p.Host, got, want)
		}
	}
}

// One decision, per call, with 2,000 and 20,000 block entries; the
// baseline is the same decisions with an empty policy (what is left is
// normalising the host), so the ratios show what the entries cost.
//
//	go test ./app -run '^$' -bench BenchmarkPolicyDecision -benchtime 200000x
func BenchmarkPolicyDecision(b *testing.B) {
	hosts := []string{"a.b.c.spam-0.example", "mobilizon.fr", "events.deep.sub.domain.example.org:8443"}
	for _, size := range []int{0, 2_000, 20_000} {
		name := itoa(int64(size)) + "-blocks"
		if size == 0 {
			name = "empty-policy-baseline"
		}
		b.Run(name, func(b *testing.B) {
			p := &policySnapshot{mode: ModeBlocklist, own: "convene.example", blocks: map[string]store.DomainPolicy{}, allows: map[string]bool{}}
			for i := range size {
				d := "spam" + strings.Repeat("x", i%7) + "-" + itoa(int64(i)) + ".example"
				p.blocks[d] = store.DomainPolicy{Domain: d, Kind: store.PolicyBlock, Severity: store.SeveritySuspend}
			}
			for i := 0; b.Loop(); i++ {
				p.decide(hosts[i%len(hosts)])
			}
		})
	}
}
