package app

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"convene/app/ap"
)

// fakePeer is a remote server with actors whose keys the test holds, so it
// can sign (or forge) what it sends.
type fakePeer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	keys map[string]*rsa.PrivateKey // username -> key published in its actor
}

var (
	peerKeysOnce sync.Once
	peerKeys     []*rsa.PrivateKey
)

// testKeys are RSA keys made once for all tests (making one takes a while).
func testKeys(t testing.TB) []*rsa.PrivateKey {
	peerKeysOnce.Do(func() {
		for i := 0; i < 3; i++ {
			k, err := ap.GenerateKey()
			if err != nil {
				panic(err)
			}
			peerKeys = append(peerKeys, k)
		}
	})
	return peerKeys
}

func newFakePeer(t testing.TB) *fakePeer {
	keys := testKeys(t)
	p := &fakePeer{keys: map[string]*rsa.PrivateKey{"eve": keys[0], "mal": keys[1]}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, "/users/")
		p.mu.Lock()
		key := p.keys[name]
		p.mu.Unlock()
		if !ok || key == nil || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		pem, _ := ap.EncodePublicKeyPEM(&key.PublicKey)
		doc := ap.NewActor(ap.TypePerson, p.actor(name), name, pem, p.srv.URL+"/inbox")
		w.Header().Set("Content-Type", ap.ContentTypeActivityJSON)
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *fakePeer) actor(name string) string { return p.srv.URL + "/users/" + name }

// post sends body to url signed by signAs (with its current key, or key
// when given); mutate may alter the request after signing.
func (p *fakePeer) post(t testing.TB, url, signAs string, key *rsa.PrivateKey, body []byte, mutate func(*http.Request)) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", ap.ContentTypeActivityJSON)
	if signAs != "" {
		if key == nil {
			p.mu.Lock()
			key = p.keys[signAs]
			p.mu.Unlock()
		}
		if err := ap.SignRequest(req, body, ap.KeyID(p.actor(signAs)), key); err != nil {
			t.Fatal(err)
		}
	}
	if mutate != nil {
		mutate(req)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func (p *fakePeer) follow(id, actor, object string) []byte {
	b, _ := json.Marshal(ap.NewFollow(id, actor, object))
	return b
}

// inboxState is what an inbox request could change.
func inboxState(t testing.TB, fi *fedInstance) (received, followers, objects int) {
	t.Helper()
	ctx := context.Background()
	received, _ = fi.App.store.CountInboxActivities(ctx)
	fi.App.store.DB().QueryRow(`SELECT count(*) FROM follows`).Scan(&followers)
	objects, _ = fi.App.store.CountRemoteObjects(ctx, "")
	return
}

func TestInboxRefusesWhatItCannotVerify(t *testing.T) {
	us := newFedInstance(t)
	us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	peer := newFakePeer(t)
	inbox := us.URL + "/inbox"
	bobURI := us.URL + "/@bob"
	follow := peer.follow(peer.actor("eve")+"#follows/1", peer.actor("eve"), bobURI)
	forger := testKeys(t)[2]

	cases := []struct {
		name   string
		signAs string
		key    *rsa.PrivateKey
		body   []byte
		mutate func(*http.Request)
		clock  time.Duration
		want   int
	}{
		{name: "no signature", body: follow, want: http.StatusUnauthorized},
		{name: "forged signature", signAs: "eve", key: forger, body: follow, want: http.StatusUnauthorized},
		{name: "signed by another actor than actor", signAs: "mal", body: follow, want: http.StatusUnauthorized},
		{name: "Date two hours old", signAs: "eve", body: follow, clock: 2 * time.Hour, want: http.StatusUnauthorized},
		{name: "wrong Digest", signAs: "eve", body: follow, want: http.StatusUnauthorized, mutate: func(r *http.Request) {
			r.Header.Set("Digest", digestFor([]byte(`{"other":"body"}`)))
		}},
		{name: "body changed after signing", signAs: "eve", body: follow, want: http.StatusUnauthorized, mutate: func(r *http.Request) {
			changed := bytes.Replace(follow, []byte("follows/1"), []byte("follows/2"), 1)
			r.Body = readCloser(changed)
			r.ContentLength = int64(len(changed))
		}},
		{name: "oversized body", signAs: "eve", body: append(follow[:len(follow)-1], []byte(`,"pad":"`+strings.Repeat("x", maxInboxBytes)+`"}`)...), want: http.StatusRequestEntityTooLarge},
		{name: "not ActivityStreams", signAs: "eve", body: follow, want: http.StatusUnsupportedMediaType, mutate: func(r *http.Request) {
			r.Header.Set("Content-Type", "text/plain")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			us.Clock.Advance(c.clock)
			defer us.Clock.Advance(-c.clock)
			if got := peer.post(t, inbox, c.signAs, c.key, c.body, c.mutate); got != c.want {
				t.Fatalf("status %d, want %d", got, c.want)
			}
			drain(t, us)
			if r, f, o := inboxState(t, us); r+f+o != 0 {
				t.Fatalf("refused request changed something: %d received, %d follows, %d objects", r, f, o)
			}
		})
	}

	// The same Follow, properly signed, is taken; sent twice (a replay), it
	// is processed once: one follower, one Accept.
	for i := 0; i < 2; i++ {
		if got := peer.post(t, us.URL+"/actors/bob/inbox", "eve", nil, follow, nil); got != http.StatusAccepted {
			t.Fatalf("valid Follow (try %d): status %d", i+1, got)
		}
		drain(t, us)
	}
	if r, f, _ := inboxState(t, us); r != 1 || f != 1 {
		t.Fatalf("a replayed Follow: %d received, %d follows; want 1 and 1", r, f)
	}
	var accepts int
	us.App.store.DB().QueryRow(`SELECT count(*) FROM outgoing_activities WHERE body LIKE '%"Accept"%'`).Scan(&accepts)
	if accepts != 1 {
		t.Fatalf("%d Accepts queued for one Follow sent twice", accepts)
	}
}

func digestFor(b []byte) string {
	req, _ := http.NewRequest(http.MethodPost, "http://x/", nil)
	key := testKeys(nil)[0]
	ap.SignRequest(req, b, "k", key)
	return req.Header.Get("Digest")
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func readCloser(b []byte) nopCloser { return nopCloser{bytes.NewReader(b)} }

// An object claiming another host's id is not taken from the payload: it
// is refetched from its origin, which does not have it, so nothing is kept.
func TestInboxRefusesObjectsFromAnotherHost(t *testing.T) {
	us := newFedInstance(t)
	_, bob := us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	peer := newFakePeer(t)
	// bob follows eve, so her events would be kept.
	eve, err := us.App.remoteActor(context.Background(), peer.actor("eve"), false)
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := us.App.store.DB().Begin()
	us.App.store.SaveFollowTx(context.Background(), tx, bob.ID, eve.ID, "https://x/follow", "accepted")
	tx.Commit()

	other := newFedInstance(t) // a real server that never published this event
	create := func(objectID string) []byte {
		ev := ap.NewEvent(objectID, peer.actor("eve"), "Fake", time.Now().Add(time.Hour), time.Time{}, time.UTC)
		b, _ := json.Marshal(ap.NewCreate(peer.actor("eve")+"#create/"+objectID[len(objectID)-1:], peer.actor("eve"), ev, []string{ap.Public}, nil))
		return b
	}
	if got := peer.post(t, us.URL+"/inbox", "eve", nil, create(other.URL+"/events/a"), nil); got != http.StatusAccepted {
		t.Fatalf("status %d", got)
	}
	drain(t, us)
	if _, _, o := inboxState(t, us); o != 0 {
		t.Fatal("an object claiming another host's id was stored")
	}
	// The control: the same event under eve's own host is kept.
	if got := peer.post(t, us.URL+"/inbox", "eve", nil, create(peer.srv.URL+"/events/b"), nil); got != http.StatusAccepted {
		t.Fatalf("status %d", got)
	}
	drain(t, us)
	if _, _, o := inboxState(t, us); o != 1 {
		t.Fatal("an event from its own host was not stored")
	}
}

// A peer that rotated its key is verified after one refetch.
func TestInboxRefetchesARotatedKey(t *testing.T) {
	us := newFedInstance(t)
	us.ti.createAccount(t, "bob@example.org", "bob", "correct horse battery", false)
	peer := newFakePeer(t)
	first := peer.follow(peer.actor("eve")+"#follows/1", peer.actor("eve"), us.URL+"/@bob")
	if got := peer.post(t, us.URL+"/inbox", "eve", nil, first, nil); got != http.StatusAccepted {
		t.Fatalf("status %d", got)
	}
	peer.mu.Lock()
	peer.keys["eve"] = testKeys(t)[2]
	peer.mu.Unlock()
	undo, _ := json.Marshal(ap.NewUndo(peer.actor("eve")+"#undo/1", peer.actor("eve"), json.RawMessage(first), nil))
	if got := peer.post(t, us.URL+"/inbox", "eve", nil, undo, nil); got != http.StatusAccepted {
		t.Fatalf("after a key rotation: status %d", got)
	}
	drain(t, us)
	if _, f, _ := inboxState(t, us); f != 0 {
		t.Fatalf("the Undo was not processed: %d follows", f)
	}
}

// Unknown activity types are acknowledged and ignored.
func TestInboxIgnoresUnknownTypes(t *testing.T) {
	us := newFedInstance(t)
	peer := newFakePeer(t)
	body := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + peer.actor("eve") + `#q/1","type":"QuestionOfTheDay","actor":"` + peer.actor("eve") + `","object":"x"}`)
	if got := peer.post(t, us.URL+"/inbox", "eve", nil, body, nil); got != http.StatusAccepted {
		t.Fatalf("status %d", got)
	}
	if n, err := us.App.ProcessInbox(context.Background()); n != 1 || err != nil {
		t.Fatalf("processed %d, %v", n, err)
	}
}
