package app

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"convene/app/ap"
)

// keyPeer is a remote server that publishes its actors' keys in one of
// the shapes real servers use, and signs with that key id.
type keyPeer struct {
	srv *httptest.Server
	URL string

	mu       sync.Mutex
	docs     map[string]string // path -> ActivityStreams JSON
	down     map[string]int    // path -> status to answer, once per entry left
	gets     []string
	inboxed  [][]byte
	attempts int
}

func newKeyPeer(t testing.TB) *keyPeer {
	p := &keyPeer{docs: map[string]string{}, down: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if r.Method == http.MethodPost {
			b, _ := io.ReadAll(r.Body)
			p.inboxed = append(p.inboxed, b)
			w.WriteHeader(http.StatusAccepted)
			return
		}
		p.gets = append(p.gets, r.URL.Path)
		if code := p.down[r.URL.Path]; code != 0 {
			delete(p.down, r.URL.Path)
			w.WriteHeader(code)
			return
		}
		doc, ok := p.docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ap.ContentTypeActivityJSON)
		io.WriteString(w, doc)
	}))
	t.Cleanup(p.srv.Close)
	p.URL = p.srv.URL
	return p
}

func (p *keyPeer) put(path, doc string) {
	p.mu.Lock()
	p.docs[path] = strings.ReplaceAll(doc, "{{URL}}", p.URL)
	p.mu.Unlock()
}

func (p *keyPeer) fetched(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, g := range p.gets {
		if g == path {
			n++
		}
	}
	return n
}

func pemOf(t testing.TB, k *rsa.PrivateKey) string {
	s, err := ap.EncodePublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// signedPost sends body to url signed with keyID; host, when set, is the
// Host the request is signed for and sent with.
func signedPost(t testing.TB, url, keyID string, key *rsa.PrivateKey, body []byte, host string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", ap.ContentTypeActivityJSON)
	if host != "" {
		req.Host = host
	}
	if err := ap.SignRequest(req, body, keyID, key); err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// sendLikeGoToSocial delivers as GoToSocial 0.19 does: a 5xx or a 429 is
// tried again (after a backoff we skip here), any other answer is final.
func (p *keyPeer) sendLikeGoToSocial(t testing.TB, url, keyID string, key *rsa.PrivateKey, body []byte) (status, tries int) {
	t.Helper()
	for tries = 1; tries <= 5; tries++ {
		status = signedPost(t, url, keyID, key, body, "")
		if status < 500 && status != http.StatusTooManyRequests {
			return status, tries
		}
	}
	return status, tries - 1
}

// gtsActor is a GoToSocial 0.19 Person with its key at …/main-key, and
// gtsKeyStub the document GoToSocial serves at that key id: a short copy
// of the actor whose id is the actor's URL (as documented in GoToSocial's
// docs/federation/federating_with_gotosocial/http_signatures.md).
const gtsActor = `{"@context":["https://w3id.org/security/v1","https://www.w3.org/ns/activitystreams"],
 "id":"{{URL}}/users/bob","type":"Person","preferredUsername":"bob","name":"Bob",
 "inbox":"{{URL}}/users/bob/inbox","outbox":"{{URL}}/users/bob/outbox",
 "followers":"{{URL}}/users/bob/followers","following":"{{URL}}/users/bob/following",
 "manuallyApprovesFollowers":false,"discoverable":true,"url":"{{URL}}/@bob",
 "publicKey":{"id":"{{URL}}/users/bob/main-key","owner":"{{URL}}/users/bob","publicKeyPem":{{PEM}}}}`

const gtsKeyStub = `{"@context":["https://w3id.org/security/v1","https://www.w3.org/ns/activitystreams"],
 "id":"{{URL}}/users/bob","preferredUsername":"bob",
 "publicKey":{"id":"{{URL}}/users/bob/main-key","owner":"{{URL}}/users/bob","publicKeyPem":{{PEM}}},
 "type":"Person"}`

// A GoToSocial account this instance has never seen follows one of its
// identities. Its key id is a path serving a stub of the actor; the first
// try meets GoToSocial busy (503 on the actor), which must make us answer
// a code GoToSocial retries; the retry is taken and the follow accepted.
func TestGoToSocialKeyAtPathFollowIsAccepted(t *testing.T) {
	us := newFedInstance(t)
	us.ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	gts := newKeyPeer(t)
	key := testKeys(t)[0]
	pem := pemOf(t, key)
	gts.put("/users/bob", strings.ReplaceAll(gtsActor, "{{PEM}}", pem))
	gts.put("/users/bob/main-key", strings.ReplaceAll(gtsKeyStub, "{{PEM}}", pem))
	gts.mu.Lock()
	gts.down["/users/bob"] = http.StatusServiceUnavailable
	gts.mu.Unlock()

	bob := gts.URL + "/users/bob"
	follow := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + gts.URL + `/users/bob/follow/01JABCDEF","type":"Follow","actor":"` + bob + `","object":"` + us.URL + `/@alice"}`)
	status, tries := gts.sendLikeGoToSocial(t, us.URL+"/actors/alice/inbox", bob+"/main-key", key, follow)
	if status != http.StatusAccepted || tries != 2 {
		t.Fatalf("GoToSocial's Follow: final status %d after %d tries, want 202 after 2 (a 503 first)", status, tries)
	}
	drain(t, us)
	var state string
	us.App.store.DB().QueryRow(`SELECT f.state FROM follows f JOIN actors a ON a.id = f.follower_id WHERE a.uri = ?`, bob).Scan(&state)
	if state != "accepted" {
		t.Fatalf("follow state %q, want accepted", state)
	}
	gts.mu.Lock()
	defer gts.mu.Unlock()
	accepted := false
	for _, b := range gts.inboxed {
		if bytes.Contains(b, []byte(`"Accept"`)) && bytes.Contains(b, []byte("follow/01JABCDEF")) {
			accepted = true
		}
	}
	if !accepted {
		t.Fatalf("GoToSocial received no Accept of its Follow (%d posts)", len(gts.inboxed))
	}
}

// Every key id shape a real server signs with is looked up, and the key
// is taken only from its owner's own actor document.
func TestInboxKeyIDShapes(t *testing.T) {
	key := testKeys(t)[0]
	other := testKeys(t)[1]
	cases := []struct {
		name   string
		actor  string // path of the actor
		keyID  string // path (and fragment) of the key id
		docs   map[string]string
		signBy *rsa.PrivateKey
		want   int
	}{
		{name: "Mastodon main-key fragment", actor: "/users/eve", keyID: "/users/eve#main-key", docs: map[string]string{
			"/users/eve": `{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],"id":"{{URL}}/users/eve","type":"Person","preferredUsername":"eve","inbox":"{{URL}}/users/eve/inbox","publicKey":{"id":"{{URL}}/users/eve#main-key","owner":"{{URL}}/users/eve","publicKeyPem":{{PEM}}}}`,
		}, want: http.StatusAccepted},
		// Mobilizon: actor at /@name, key {actor}#main-key (fixture
		// mobilizon-person-mobilizon.org-2019.json).
		{name: "Mobilizon at-name main-key fragment", actor: "/@tcit", keyID: "/@tcit#main-key", docs: map[string]string{
			"/@tcit": `{"@context":["https://www.w3.org/ns/activitystreams","https://litepub.social/litepub/context.jsonld"],"endpoints":{"sharedInbox":"{{URL}}/inbox"},"followers":"{{URL}}/@tcit/followers","following":"{{URL}}/@tcit/following","id":"{{URL}}/@tcit","inbox":"{{URL}}/@tcit/inbox","manuallyApprovesFollowers":false,"name":"Thomas Citharel","outbox":"{{URL}}/@tcit/outbox","preferredUsername":"tcit","publicKey":{"id":"{{URL}}/@tcit#main-key","owner":"{{URL}}/@tcit","publicKeyPem":{{PEM}}},"summary":"Main profile","type":"Person","url":"{{URL}}/@tcit"}`,
		}, want: http.StatusAccepted},
		{name: "GoToSocial /main-key stub", actor: "/users/bob", keyID: "/users/bob/main-key", docs: map[string]string{
			"/users/bob":          gtsActor,
			"/users/bob/main-key": gtsKeyStub,
		}, want: http.StatusAccepted},
		{name: "key document at /publickey", actor: "/users/kim", keyID: "/users/kim/publickey", docs: map[string]string{
			"/users/kim":           `{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],"id":"{{URL}}/users/kim","type":"Person","preferredUsername":"kim","inbox":"{{URL}}/users/kim/inbox","publicKey":{"id":"{{URL}}/users/kim/publickey","owner":"{{URL}}/users/kim","publicKeyPem":{{PEM}}}}`,
			"/users/kim/publickey": `{"@context":"https://w3id.org/security/v1","id":"{{URL}}/users/kim/publickey","type":"Key","owner":"{{URL}}/users/kim","publicKeyPem":{{PEM}}}`,
		}, want: http.StatusAccepted},
		// The stub is only a pointer: an actor that does not list the key
		// (here it lists another one) does not vouch for it.
		{name: "stub whose actor lists another key", actor: "/users/bob", keyID: "/users/bob/main-key", docs: map[string]string{
			"/users/bob":          strings.ReplaceAll(gtsActor, "/users/bob/main-key", "/users/bob#other-key"),
			"/users/bob/main-key": gtsKeyStub,
		}, want: http.StatusUnauthorized},
		{name: "GoToSocial stub, signed by another key", actor: "/users/bob", keyID: "/users/bob/main-key", docs: map[string]string{
			"/users/bob":          gtsActor,
			"/users/bob/main-key": gtsKeyStub,
		}, signBy: other, want: http.StatusUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			us := newFedInstance(t)
			us.ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
			peer := newKeyPeer(t)
			for path, doc := range c.docs {
				peer.put(path, strings.ReplaceAll(doc, "{{PEM}}", pemOf(t, key)))
			}
			signBy := key
			if c.signBy != nil {
				signBy = c.signBy
			}
			actor := peer.URL + c.actor
			follow := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + actor + `/follows/1","type":"Follow","actor":"` + actor + `","object":"` + us.URL + `/@alice"}`)
			if got := signedPost(t, us.URL+"/inbox", peer.URL+c.keyID, signBy, follow, ""); got != c.want {
				t.Fatalf("status %d, want %d", got, c.want)
			}
			drain(t, us)
			if _, f, _ := inboxState(t, us); (f == 1) != (c.want == http.StatusAccepted) {
				t.Fatalf("%d follows after status %d", f, c.want)
			}
		})
	}
}

// What a stranger's POST may make us fetch: nothing when the key it names
// is on another host than its actor, nothing when it was signed for
// another server; and a stub naming an owner elsewhere is refused.
func TestInboxFetchesOnlyWhatTheSignatureMayName(t *testing.T) {
	us := newFedInstance(t)
	us.ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	key := testKeys(t)[0]
	victim := newKeyPeer(t) // a server whose URLs a forger names
	victim.put("/users/bob", strings.ReplaceAll(gtsActor, "{{PEM}}", pemOf(t, key)))
	victim.put("/users/bob/main-key", strings.ReplaceAll(gtsKeyStub, "{{PEM}}", pemOf(t, key)))
	forger := newKeyPeer(t)
	mallory := forger.URL + "/users/mallory"
	follow := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + mallory + `/follows/1","type":"Follow","actor":"` + mallory + `","object":"` + us.URL + `/@alice"}`)

	if got := signedPost(t, us.URL+"/inbox", victim.URL+"/users/bob/main-key", key, follow, ""); got != http.StatusUnauthorized {
		t.Fatalf("key on another host than the actor: status %d, want 401", got)
	}
	if n := victim.fetched("/users/bob/main-key") + victim.fetched("/users/bob"); n != 0 {
		t.Fatalf("a key on another host than the actor was fetched %d times", n)
	}

	// A GoToSocial-shaped stub on the forger's host naming the victim's
	// actor as its owner: the owner is not on the key's host.
	forger.put("/users/mallory", strings.ReplaceAll(strings.ReplaceAll(gtsActor, "{{URL}}/users/bob", "{{URL}}/users/mallory"), "{{PEM}}", pemOf(t, key)))
	forger.put("/users/mallory/main-key", `{"id":"`+victim.URL+`/users/bob","type":"Person","publicKey":{"id":"{{URL}}/users/mallory/main-key","owner":"`+victim.URL+`/users/bob","publicKeyPem":`+pemOf(t, key)+`}}`)
	if got := signedPost(t, us.URL+"/inbox", mallory+"/main-key", key, follow, ""); got != http.StatusUnauthorized {
		t.Fatalf("stub naming an owner on another host: status %d, want 401", got)
	}
	if n := victim.fetched("/users/bob"); n != 0 {
		t.Fatalf("the owner a stub named on another host was fetched %d times", n)
	}

	// Signed for another server, replayed here.
	eve := newFakePeer(t)
	evFollow := eve.follow(eve.actor("eve")+"#follows/1", eve.actor("eve"), us.URL+"/@alice")
	if got := signedPost(t, us.URL+"/inbox", ap.KeyID(eve.actor("eve")), testKeys(t)[0], evFollow, "other.example"); got != http.StatusUnauthorized {
		t.Fatalf("signed for another host: status %d, want 401", got)
	}
	if got := signedPost(t, us.URL+"/inbox", ap.KeyID(eve.actor("eve")), testKeys(t)[0], evFollow, ""); got != http.StatusAccepted {
		t.Fatalf("the same Follow signed for us: status %d, want 202", got)
	}
	drain(t, us)
	if _, f, _ := inboxState(t, us); f != 1 {
		t.Fatalf("%d follows, want only eve's", f)
	}
}

// A host whose requests make us fetch keys too often is asked to wait
// (429 with Retry-After), not refused: its deliveries come back later.
func TestInboxCapsKeyFetchesPerHost(t *testing.T) {
	us := newFedInstance(t)
	us.ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	peer := newKeyPeer(t)
	key := testKeys(t)[0]
	// The bucket refills one fetch a second: a slow machine needs a few
	// more requests than the burst to see the cap.
	var last, sent int
	for i := 0; i < 2*keyFetchBurst && last != http.StatusTooManyRequests; i++ {
		sent++
		// Each request names a different key that does not exist: every
		// one would be a fetch.
		actor := peer.URL + "/users/u" + strings.Repeat("x", i)
		follow := []byte(`{"id":"` + actor + `/f","type":"Follow","actor":"` + actor + `","object":"` + us.URL + `/@alice"}`)
		req, _ := http.NewRequest(http.MethodPost, us.URL+"/inbox", bytes.NewReader(follow))
		req.Header.Set("Content-Type", ap.ContentTypeActivityJSON)
		ap.SignRequest(req, follow, actor+"#main-key", key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		last = res.StatusCode
		if last == http.StatusTooManyRequests && res.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("%d requests naming unknown keys: last status %d, want 429", sent, last)
	}
	peer.mu.Lock()
	n := len(peer.gets)
	peer.mu.Unlock()
	if n >= sent {
		t.Fatalf("%d fetches for %d requests: the capped one fetched too", n, sent)
	}
}
