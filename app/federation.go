package app

// Federation: how our actors and events are named on the wire, their keys,
// and what we know of remote actors.
//
// URLs. An identity's actor id is its profile URL, /@username, served as
// HTML to browsers and as ActivityStreams JSON to peers (content
// negotiation in routes.go). One URL means a link someone pastes into
// Mastodon's search box is the actor itself, and it is the shape Mobilizon
// uses, so its users see familiar addresses. The actor's collections live
// under /actors/{username}/...: Go's ServeMux cannot route /{handle}/inbox
// beside /events/{uuid} (the patterns would overlap with neither more
// specific). The instance speaks as an Application actor at /actor.

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"convene/app/ap"
	"convene/app/store"

	"github.com/google/uuid"
)

// remoteActorMaxAge is how long a fetched actor is trusted before it is
// fetched again (a key that fails to verify is refetched at once).
const remoteActorMaxAge = 24 * time.Hour

// federation is the federation state of one App.
type federation struct {
	fetcher *ap.Fetcher
	unsafe  bool

	mu   sync.Mutex
	keys map[int64]*rsa.PrivateKey // parsed private keys of local actors
	// publicKeys are peers' parsed public keys, by PEM text.
	publicKeys map[string]*rsa.PublicKey
	instance   *store.Actor
	hosts      map[string]chan struct{} // per-host slots for deliveries
	// signSlots bounds concurrent signing to the number of cores.
	signSlots chan struct{}
	// keyFetches are per-host slots for the fetches signature checks make.
	keyFetches map[string]chan struct{}
	// pictures fetches remote events' pictures: larger bodies than
	// documents, same address policy (remote_pictures.go).
	pictures *ap.Fetcher
	// zones are the time zones remote hosts publish (remote_zones.go).
	zones map[string]originZone

	deliverPoke chan struct{}
	picturePoke chan struct{}
	inboxPoke   chan struct{}
	// skipVerify turns signature checks off: only the inbox benchmark's
	// baseline sets it, to measure what verification costs.
	skipVerify bool
	// noRuns processes every received activity alone, in its own
	// transactions (the inbox before runs): for the inbox benchmark.
	noRuns bool
	// received hands the activities just queued, parsed, to the inbox
	// worker, which would otherwise parse them again from the queue.
	received parsedActivities
	// runHook, set by tests only, is called after each activity of a run
	// is applied, inside the run's transaction: an error gives the run up
	// as a crash before its commit would.
	runHook func(i int) error
}

func newFederation(cfg Config) *federation {
	return &federation{
		fetcher: ap.NewFetcher(ap.FetchOptions{
			UnsafeAllowPrivate: cfg.UnsafeAllowPrivateFederation,
			UserAgent:          "Convene/" + Version + " (+" + cfg.BaseURL + ")",
			Resolve:            cfg.FederationResolve,
			RootCAs:            cfg.FederationRootCAs,
		}),
		pictures: ap.NewFetcher(ap.FetchOptions{
			UnsafeAllowPrivate: cfg.UnsafeAllowPrivateFederation,
			UserAgent:          "Convene/" + Version + " (+" + cfg.BaseURL + ")",
			Resolve:            cfg.FederationResolve,
			MaxBodyBytes:       maxUploadBytes,
		}),
		unsafe:      cfg.UnsafeAllowPrivateFederation,
		keys:        map[int64]*rsa.PrivateKey{},
		publicKeys:  map[string]*rsa.PublicKey{},
		hosts:       map[string]chan struct{}{},
		signSlots:   make(chan struct{}, runtime.NumCPU()),
		keyFetches:  map[string]chan struct{}{},
		zones:       map[string]originZone{},
		deliverPoke: make(chan struct{}, 1),
		picturePoke: make(chan struct{}, 1),
		inboxPoke:   make(chan struct{}, 1),
	}
}

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// actorURI is an actor's ActivityStreams id.
func (a *App) actorURI(act *store.Actor) string {
	switch {
	case !act.IsLocal():
		return act.URI
	case act.Kind == store.KindApplication:
		return a.URL("/actor")
	default:
		return a.URL("/@" + act.Username)
	}
}

// actorPath is the prefix of a local actor's collections.
func (a *App) actorPath(act *store.Actor) string {
	if act.Kind == store.KindApplication {
		return "/actor"
	}
	return "/actors/" + act.Username
}

func (a *App) followersURI(act *store.Actor) string { return a.URL(a.actorPath(act) + "/followers") }

// eventURI is an event's ActivityStreams id.
func (a *App) eventURI(e *store.Event) string {
	if e.URI != "" {
		return e.URI
	}
	return a.URL("/events/" + e.UUID)
}

// newActivityURI names an activity we send. Activities are not served on
// their own (peers know them from the deliveries), but each id is unique
// and on our host.
func (a *App) newActivityURI() string { return a.URL("/activities/" + uuid.NewString()) }

// localActorByURI finds the local actor an id names, ErrNotFound if none.
func (a *App) localActorByURI(ctx context.Context, uri string) (*store.Actor, error) {
	u, err := url.Parse(uri)
	if err != nil || !ap.SameHost(uri, a.cfg.BaseURL) {
		return nil, store.ErrNotFound
	}
	switch p := strings.TrimSuffix(u.Path, "/"); {
	case p == "/actor":
		return a.instanceActor(ctx)
	case strings.HasPrefix(p, "/@"):
		act, err := a.store.LocalActorByUsername(ctx, strings.ToLower(p[2:]))
		if err != nil || act.Kind == store.KindApplication {
			return nil, store.ErrNotFound
		}
		return act, nil
	}
	return nil, store.ErrNotFound
}

// instanceActor returns (making it on first need) the Application actor.
// Its username must match \w+ for Mastodon's WebFinger; usernames are one
// namespace with identities, hence the fallbacks.
func (a *App) instanceActor(ctx context.Context) (*store.Actor, error) {
	a.fed.mu.Lock()
	if act := a.fed.instance; act != nil {
		a.fed.mu.Unlock()
		return act, nil
	}
	a.fed.mu.Unlock()
	act, err := a.store.CreateInstanceActor(ctx, []string{"convene", "convene_instance", "instance_actor"})
	if err != nil {
		return nil, err
	}
	a.fed.mu.Lock()
	a.fed.instance = act
	a.fed.mu.Unlock()
	return act, nil
}

// actorKeys returns a local actor's public key (PEM) and private key,
// making and storing them on first need.
func (a *App) actorKeys(ctx context.Context, actorID int64) (string, *rsa.PrivateKey, error) {
	pubPEM, privPEM, err := a.store.ActorKeys(ctx, actorID)
	if err != nil {
		return "", nil, err
	}
	if privPEM == "" {
		key, err := ap.GenerateKey()
		if err != nil {
			return "", nil, err
		}
		pub, err := ap.EncodePublicKeyPEM(&key.PublicKey)
		if err != nil {
			return "", nil, err
		}
		priv, err := ap.EncodePrivateKeyPEM(key)
		if err != nil {
			return "", nil, err
		}
		if err := a.store.SetActorKeysIfNone(ctx, actorID, pub, priv); err != nil {
			return "", nil, err
		}
		if pubPEM, privPEM, err = a.store.ActorKeys(ctx, actorID); err != nil {
			return "", nil, err
		}
	}
	a.fed.mu.Lock()
	key := a.fed.keys[actorID]
	a.fed.mu.Unlock()
	if key == nil {
		if key, err = ap.ParsePrivateKeyPEM(privPEM); err != nil {
			return "", nil, err
		}
		a.fed.mu.Lock()
		a.fed.keys[actorID] = key
		a.fed.mu.Unlock()
	}
	return pubPEM, key, nil
}

// signer signs requests as a local actor.
func (a *App) signer(ctx context.Context, act *store.Actor) (*ap.Signer, error) {
	_, key, err := a.actorKeys(ctx, act.ID)
	if err != nil {
		return nil, err
	}
	return &ap.Signer{KeyID: ap.KeyID(a.actorURI(act)), Key: key}, nil
}

// instanceSigner signs our GETs, for servers that refuse unsigned ones.
func (a *App) instanceSigner(ctx context.Context) *ap.Signer {
	act, err := a.instanceActor(ctx)
	if err != nil {
		a.log.Warn("instance actor", "err", err)
		return nil
	}
	s, err := a.signer(ctx, act)
	if err != nil {
		a.log.Warn("instance actor key", "err", err)
		return nil
	}
	return s
}

// fetchObject GETs a remote ActivityStreams document, signed as the
// instance, under the fetcher's address policy.
func (a *App) fetchObject(ctx context.Context, uri string) ([]byte, error) {
	return a.fed.fetcher.FetchObject(ctx, uri, a.instanceSigner(ctx))
}

// remoteActor returns a remote actor from the cache, fetching it when
// unknown, stale, or when refresh is set (a key rotated).
func (a *App) remoteActor(ctx context.Context, uri string, refresh bool) (*store.RemoteActorInfo, error) {
	if ap.SameHost(uri, a.cfg.BaseURL) {
		return nil, fmt.Errorf("%s is on this instance", uri)
	}
	if !refresh {
		info, err := a.store.RemoteActorByURI(ctx, uri)
		if err == nil && a.now().Sub(info.FetchedAt) < remoteActorMaxAge {
			return info, nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	raw, err := a.fetchObject(ctx, uri)
	if err != nil {
		return nil, err
	}
	doc, err := ap.ParseActor(raw)
	if err != nil {
		return nil, err
	}
	if !ap.SameURL(doc.ID, uri) {
		return nil, fmt.Errorf("actor %s answers with id %s", uri, doc.ID)
	}
	return a.saveRemoteActor(ctx, doc, doc.PublicKey)
}

func (a *App) saveRemoteActor(ctx context.Context, doc *ap.RemoteActor, key ap.PublicKey) (*store.RemoteActorInfo, error) {
	host, err := ap.Host(doc.ID)
	if err != nil {
		return nil, err
	}
	if doc.Inbox != "" && !ap.SameHost(doc.Inbox, doc.ID) {
		return nil, fmt.Errorf("actor %s has its inbox on another host", doc.ID)
	}
	kind := store.KindPerson
	switch {
	case doc.Is(ap.TypeGroup):
		kind = store.KindGroup
	case doc.Is(ap.TypeApplication), doc.Is(ap.TypeService):
		kind = store.KindApplication
	}
	username := doc.PreferredUsername
	if username == "" {
		username = strings.TrimPrefix(doc.ID, "https://")
	}
	shared := doc.SharedInbox
	if shared != "" && !ap.SameHost(shared, doc.ID) {
		shared = ""
	}
	if _, err := a.store.SaveRemoteActor(ctx, store.RemoteActor{
		URI: doc.ID, Kind: kind, Username: clipRunes(username, 100), Domain: host,
		DisplayName: clipRunes(doc.Name, 200), Bio: clipRunes(doc.Summary, 2000),
		InboxURL: doc.Inbox, SharedInboxURL: shared, ManuallyApproves: doc.ManuallyApprovesFollowers,
		KeyID: key.ID, PublicKeyPEM: key.PublicKeyPEM, URL: doc.URL, FollowersURL: doc.Followers,
	}); err != nil {
		return nil, err
	}
	return a.store.RemoteActorByURI(ctx, doc.ID)
}

// lookupKey finds the key of a signature: from the cache, or (fresh, or
// when the cached one failed) from its owner's server. Whatever the key id
// points at, the key is taken only from its owner's actor document, fetched
// from the actor's own id, and only if that actor lists the key and lives
// on the key's host. The shapes real servers publish:
//
//   - Mastodon, Mobilizon, Gancio, Fedify: …/actor#main-key, the actor
//     document itself (the fragment is never sent);
//   - GoToSocial: …/users/bob/main-key, a stub of the actor whose id is
//     the actor's URL, not the URL fetched;
//   - a key document of its own ({id, owner, publicKeyPem}) at a path
//     such as …/publickey.
//
// A stub or a key document only says who the owner is; the owner's own
// document is what vouches for the key.
func (a *App) lookupKey(fresh bool) ap.KeyLookup {
	return func(ctx context.Context, keyID string) (*rsa.PublicKey, string, error) {
		if !fresh {
			if info, err := a.store.RemoteActorByKeyID(ctx, keyID); err == nil && info.PublicKeyPEM != "" {
				key, err := a.fed.publicKey(info.PublicKeyPEM)
				return key, info.URI, err
			}
		}
		docURL, _, _ := strings.Cut(keyID, "#")
		raw, id, finalURL, err := a.fetchForKey(ctx, docURL, false)
		if err != nil {
			return nil, "", err
		}
		var actor *ap.RemoteActor
		if doc, err := ap.ParseActor(raw); err == nil && ap.SameURL(id, finalURL) {
			actor = doc // the actor document itself
		} else {
			owner := keyOwnerNamed(raw, id, finalURL)
			if owner == "" || !ap.SameHost(owner, keyID) || ap.SameURL(owner, finalURL) {
				return nil, "", fmt.Errorf("%w: key %s: names no owner on its host", errKeyRefused, keyID)
			}
			ownerRaw, _, _, err := a.fetchForKey(ctx, owner, true)
			if err != nil {
				return nil, "", err
			}
			if actor, err = ap.ParseActor(ownerRaw); err != nil {
				return nil, "", fmt.Errorf("%w: owner of %s: %w", errKeyRefused, keyID, err)
			}
		}
		key, ok := actor.Key(keyID)
		if !ok {
			return nil, "", fmt.Errorf("%w: actor %s does not list key %s", errKeyRefused, actor.ID, keyID)
		}
		if !ap.SameHost(actor.ID, keyID) {
			return nil, "", fmt.Errorf("%w: key %s is not on its owner's host", errKeyRefused, keyID)
		}
		if _, err := a.saveRemoteActor(ctx, actor, key); err != nil {
			return nil, "", err
		}
		pub, err := a.fed.publicKey(key.PublicKeyPEM)
		return pub, actor.ID, err
	}
}

// maxParsedKeys bounds the parsed public keys kept (about 1 KB each).
const maxParsedKeys = 4096

// publicKey parses a peer's public key, once: the parsed key is kept
// under its PEM text, so a rotated key (new text) is parsed afresh and
// the old one is simply never asked for again.
func (f *federation) publicKey(pem string) (*rsa.PublicKey, error) {
	f.mu.Lock()
	key, ok := f.publicKeys[pem]
	f.mu.Unlock()
	if ok {
		return key, nil
	}
	key, err := ap.ParsePublicKeyPEM(pem)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if len(f.publicKeys) >= maxParsedKeys {
		clear(f.publicKeys)
	}
	f.publicKeys[pem] = key
	f.mu.Unlock()
	return key, nil
}

// keyOwnerNamed reads who a document found at a key id says owns the key:
// a key document's owner, else the owner of the key a stub lists, else
// the stub's own id (GoToSocial's stub carries its actor's id).
func keyOwnerNamed(raw []byte, id, finalURL string) string {
	var doc struct {
		Owner     string          `json:"owner"`
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return ""
	}
	if doc.Owner != "" {
		return doc.Owner
	}
	var key struct {
		Owner string `json:"owner"`
	}
	if json.Unmarshal(doc.PublicKey, &key) == nil && key.Owner != "" {
		return key.Owner
	}
	if !ap.SameURL(id, finalURL) {
		return id
	}
	return ""
}

// Why a key could not be had. errKeyRefused: the peer answered, and what
// it answered does not prove the key (401, the signature is wrong for
// good). errKeyFetchBusy: we fetch no more from that host for now (429).
// Anything else is a fetch that failed and may work later (503).
var (
	errKeyRefused   = errors.New("key refused")
	errKeyFetchBusy = errors.New("too many key fetches from this host")
)

// Per-host bounds on the fetches an unauthenticated inbox request can
// cause: at most keyFetchesPerHost at once, and a token bucket.
const (
	keyFetchesPerHost = 2
	keyFetchEvery     = time.Second
	keyFetchBurst     = 30
	keyFetchWait      = 5 * time.Second
)

// fetchForKey GETs a document while looking up a signature's key, under
// the per-host bounds (a stranger's POSTs must not turn us into a crawler
// of the URLs they name). strict requires the document's id to be the URL
// that answered.
func (a *App) fetchForKey(ctx context.Context, uri string, strict bool) (raw []byte, id, finalURL string, err error) {
	host, err := ap.Host(uri)
	if err != nil {
		return nil, "", "", fmt.Errorf("%w: %w", errKeyRefused, err)
	}
	if !a.federationAllowed(uri) {
		return nil, "", "", fmt.Errorf("%w: %s refused by policy", errKeyRefused, host)
	}
	if !a.limits.allow("key-fetch:"+host, keyFetchEvery, keyFetchBurst) {
		return nil, "", "", errKeyFetchBusy
	}
	release, ok := a.fed.hostFetchSlot(ctx, host, keyFetchWait)
	if !ok {
		return nil, "", "", errKeyFetchBusy
	}
	defer release()
	if strict {
		raw, err = a.fetchObject(ctx, uri)
		return raw, uri, uri, err
	}
	return a.fed.fetcher.FetchDocument(ctx, uri, a.instanceSigner(ctx))
}

// hostFetchSlot takes one of a host's key-fetch slots, waiting at most
// wait; release gives it back.
func (f *federation) hostFetchSlot(ctx context.Context, host string, wait time.Duration) (release func(), ok bool) {
	f.mu.Lock()
	slots := f.keyFetches[host]
	if slots == nil {
		slots = make(chan struct{}, keyFetchesPerHost)
		f.keyFetches[host] = slots
	}
	f.mu.Unlock()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, true
	case <-timer.C:
	case <-ctx.Done():
	}
	return nil, false
}

// keyLookupRetryable tells whether a signature could not be checked only
// because fetching its key failed in a way that may pass (the peer down,
// slow, overloaded): the sender should try again, not give up.
func keyLookupRetryable(err error) bool {
	if !errors.Is(err, ap.ErrKeyLookup) || errors.Is(err, errKeyRefused) {
		return false
	}
	return fetchRetryable(err)
}

// fetchRetryable tells whether a failed fetch may work later: the peer
// down, slow or overloaded, not a refusal or a document we cannot take.
func fetchRetryable(err error) bool {
	var status *ap.StatusError
	if errors.As(err, &status) {
		return status.Code >= 500 || status.Code == http.StatusTooManyRequests || status.Code == http.StatusRequestTimeout
	}
	for _, permanent := range []error{ap.ErrForbiddenAddress, ap.ErrNotHTTPS, ap.ErrHostRefused, ap.ErrIDMismatch,
		ap.ErrNotActivityJSON, ap.ErrBodyTooLarge, ap.ErrTooManyRedirects, ap.ErrUnexpectedType} {
		if errors.Is(err, permanent) {
			return false
		}
	}
	return true
}

// wantsActivityJSON tells whether a request asks for ActivityStreams
// rather than a page: an Accept naming activity+json, or ld+json with the
// ActivityStreams profile, ahead of (or without) text/html.
func wantsActivityJSON(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return false
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		switch mt {
		case "text/html", "application/xhtml+xml":
			return false
		case "application/activity+json":
			return true
		case "application/ld+json":
			if params == "" || strings.Contains(params, "https://www.w3.org/ns/activitystreams") {
				return true
			}
		}
	}
	return false
}

// negotiate serves ActivityStreams JSON or the HTML page from one URL.
func negotiate(jsonHandler, htmlHandler http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept")
		if wantsActivityJSON(r) {
			jsonHandler.ServeHTTP(w, r)
			return
		}
		htmlHandler.ServeHTTP(w, r)
	})
}

// clipRunes keeps at most n runes of what a peer sent.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// isOurHost tells whether a request's Host (what a signature signs as
// "host") names this instance, a default port implied.
func (a *App) isOurHost(host string) bool {
	withPort := func(h, scheme string) string {
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		if _, _, err := net.SplitHostPort(h); err == nil {
			return h
		}
		if scheme == "https" {
			return h + ":443"
		}
		return h + ":80"
	}
	return host != "" && withPort(host, a.baseURL.Scheme) == withPort(a.baseURL.Host, a.baseURL.Scheme)
}
