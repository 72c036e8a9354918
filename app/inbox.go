package app

// The inbox trusts nothing it cannot verify: a request is accepted (202)
// only when its HTTP signature verifies with its signer's key, its Date is
// within an hour, its Digest is the body's, it was signed for our host,
// and the key's owner is the activity's actor. Everything else is 401 and
// changes nothing, except a signature we could not check yet because its
// key could not be fetched: 503 (or 429 when that host has made us fetch
// too much), so that the peer retries rather than losing the activity.
// Accepted activities are processed after the reply, from a durable queue.
//
// To handle a new kind of activity, add one entry to inboxHandlers.

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"sync"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// maxInboxBytes caps an incoming activity; real ones are a few kilobytes.
const maxInboxBytes = 1 << 20

const (
	inboxLease      = 2 * time.Minute
	inboxBatch      = 100
	inboxMaxRetries = 5
)

// incoming is a verified activity being processed.
type incoming struct {
	Activity *ap.RemoteActivity
	// Actor is the activity's actor, the one whose key signed it.
	Actor *store.RemoteActorInfo
	// Object is the activity's object as its origin vouches for it: the
	// embedded one when it lives on the actor's host, else refetched from
	// its own host. Set for Create and Update only.
	Object *originObject
	// Raw is the activity as received, for fields the parser leaves out
	// (a Remove's origin).
	Raw []byte
	// run is the run of activities applied together this one is part
	// of (see processInboxBatch); nil when it is processed alone.
	run *inboxRun
}

// originObject is an object whose content we trust to be its origin's.
type originObject struct {
	ID    string
	Types []string
	Raw   []byte

	parsed *ap.RemoteObject // Raw parsed, when it was already
}

// object is the object parsed, once for all the handlers it is offered to
// (which must not change it).
func (o *originObject) object() (*ap.RemoteObject, error) {
	if o.parsed != nil {
		return o.parsed, nil
	}
	obj, err := ap.ParseObject(o.Raw)
	if err != nil {
		return nil, err
	}
	o.parsed = obj
	return obj, nil
}

// inboxHandler handles one kind of activity. Returning an error marked
// temporary (errRetry) makes the activity be tried again later; any other
// error is logged and the activity dropped.
type inboxHandler func(a *App, ctx context.Context, in *incoming) error

// inboxHandlers maps "Type" or "Type ObjectType" (tried first) to a
// handler. An activity nobody handles is acknowledged and ignored.
var inboxHandlers = map[string]inboxHandler{
	"Follow":           (*App).receiveFollow,
	"Accept":           (*App).receiveAccept,
	"Reject":           (*App).receiveReject,
	"Undo":             (*App).receiveUndoFollow, // an Undo whose object is given by id only
	"Undo Follow":      (*App).receiveUndoFollow,
	"Create Event":     (*App).receiveRemoteEvent,
	"Update Event":     (*App).receiveRemoteEvent,
	"Update Tombstone": (*App).receiveRemoteDelete,
	"Announce":         (*App).receiveAnnounceOrGroupRelay,
	"Undo Announce":    (*App).receiveUndoAnnounce,
	"Flag":             (*App).receiveFlag,
	"Create Note":      (*App).receiveNote,
	"Update Note":      (*App).receiveNote,
	"Delete":           (*App).receiveRemoteDelete,
	"Update Person":    (*App).receiveActorUpdate,
	"Update Group":     (*App).receiveActorUpdate,
	// Groups (app/group_federation.go).
	"Join":           (*App).receiveGroupJoin,
	"Leave":          (*App).receiveGroupLeave,
	"Remove":         (*App).receiveGroupRemove,
	"Invite":         (*App).receiveGroupInvite,
	"Update Member":  (*App).receiveMemberUpdate,
	"Update Article": (*App).receivePostUpdate,
}

// replayKey names a received activity so that a replay is recognised.
// Mobilizon names a Create and every later Update of an object alike
// (<object id>/activity), so an Update is told apart by its content: the
// same bytes again are a replay, a new version is not.
func replayKey(act *ap.RemoteActivity, body []byte) string {
	if !act.Is(ap.TypeUpdate) {
		return act.ID
	}
	sum := sha256.Sum256(body)
	return act.ID + "#update-" + hex.EncodeToString(sum[:12])
}

// maxIDReuses bounds how many times one activity id is taken as new.
const maxIDReuses = 20

// inboxKey is the name an activity is recorded under, so that a replay
// (the same activity again) is dropped. Some peers give a new activity an
// id they used before, and it must not be taken for a replay:
//
//   - Gancio follows again after an Undo with the same Follow id, and
//     undoes that with the same Undo id. A Follow (an Undo) whose id was
//     seen is new when what the earlier one did has been undone since: no
//     follow stands under that Follow id (the follow the Undo ended stands
//     again). Each such generation gets its own key, so a replay of the
//     second Follow is still one.
//   - Gancio on SQLite reuses the number, hence the ids, of its newest
//     event after it is deleted: a Create for an object we hold a
//     tombstone for is recorded by content, and ingestEvent decides from
//     the tombstone whether the event is new (tombstoneAllows).
func (a *App) inboxKey(ctx context.Context, act *ap.RemoteActivity, body []byte) (string, error) {
	key := replayKey(act, body)
	switch {
	case act.Is(ap.TypeCreate) && act.Object.ID != "":
		gone, err := a.store.IsTombstoned(ctx, act.Object.ID)
		if err != nil || !gone {
			return key, err
		}
		sum := sha256.Sum256(body)
		return act.ID + "#after-delete-" + hex.EncodeToString(sum[:12]), nil
	case !act.Is(ap.TypeFollow) && !act.Is(ap.TypeUndo) && !act.Is(ap.TypeDelete):
		return key, nil
	}
	for n := 1; n <= maxIDReuses; n++ {
		k := key
		if n > 1 {
			k = fmt.Sprintf("%s#again-%d", key, n)
		}
		seen, processed, err := a.store.InboxActivitySeen(ctx, k)
		if err != nil || !seen || !processed {
			return k, err
		}
		undone, err := a.undoneSince(ctx, act)
		if err != nil || !undone {
			return k, err // a replay: recorded under k already
		}
	}
	return key, nil
}

// undoneSince tells whether what an earlier Follow, Undo or Delete with
// this activity's id did has been undone since: the follow is gone
// (Follow), or stands again (Undo); the deleted event is back, its id
// given to a new event (Delete: Gancio names it <event>#delete).
func (a *App) undoneSince(ctx context.Context, act *ap.RemoteActivity) (bool, error) {
	if act.Is(ap.TypeDelete) {
		_, err := a.store.RemoteEventByURI(ctx, act.Object.ID)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	followID := act.ID
	if act.Is(ap.TypeUndo) {
		followID = act.Object.ID
	}
	if followID == "" {
		return false, nil
	}
	_, err := a.store.FollowByActivity(ctx, followID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return act.Is(ap.TypeFollow), nil
	case err != nil:
		return false, err
	}
	return act.Is(ap.TypeUndo), nil
}

// errRetry marks a failure worth trying again (a peer we could not reach).
type errRetry struct{ err error }

func (e errRetry) Error() string { return e.err.Error() }
func (e errRetry) Unwrap() error { return e.err }

// postInbox receives an activity, at the shared inbox or an actor's.
func (a *App) postInbox(w http.ResponseWriter, r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/activity+json" && mt != "application/ld+json" && mt != "application/json") {
		return jsonError(w, http.StatusUnsupportedMediaType, "send application/activity+json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInboxBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return jsonError(w, http.StatusRequestEntityTooLarge, "activity too large")
		}
		return jsonError(w, http.StatusBadRequest, "could not read the body")
	}
	act, err := ap.ParseActivity(body)
	if err == nil && act.ID == "" && (act.Is(ap.TypeLeave) || act.Is(ap.TypeRemove)) {
		// Mobilizon sends Leave and Remove without an id: name them by
		// their content on their actor's host, so a replay is still one.
		act.ID = idlessActivityID(act.Actor, body)
	}
	if err != nil || act.ID == "" {
		return jsonError(w, http.StatusBadRequest, "not an activity")
	}
	// An activity is named on its actor's host: otherwise a peer could
	// spend another server's activity ids and have the real ones ignored
	// as replays.
	if !ap.SameHost(act.ID, act.Actor) {
		return jsonError(w, http.StatusBadRequest, "activity id not on its actor's host")
	}
	if status := a.inboxGate(r, act); status != 0 {
		w.WriteHeader(status) // refused or dropped by policy: nothing is fetched or stored
		return nil
	}
	if !a.fed.skipVerify {
		// Checked before anything is fetched: a request signed for another
		// server (replayed here) or by a key of another host than its
		// actor's cannot be one we take, and must not make us fetch the
		// URLs it names.
		if !a.isOurHost(r.Host) {
			return jsonError(w, http.StatusUnauthorized, "signed for another host")
		}
		if keyID := signatureKeyID(r); keyID != "" && !ap.SameHost(keyID, act.Actor) {
			return jsonError(w, http.StatusUnauthorized, "key not on the actor's host")
		}
		owner, err := a.verifyInboxRequest(r, body)
		switch {
		case errors.Is(err, errKeyFetchBusy):
			// GoToSocial and Mastodon retry a 429 (and a 5xx), never a 401.
			w.Header().Set("Retry-After", "60")
			return jsonError(w, http.StatusTooManyRequests, "too many key fetches from your host; try again later")
		case err != nil && keyLookupRetryable(err):
			a.log.Info("inbox: key not fetched yet", "actor", act.Actor, "err", err)
			w.Header().Set("Retry-After", "300")
			return jsonError(w, http.StatusServiceUnavailable, "your key could not be fetched; try again later")
		case err != nil:
			a.log.Info("inbox: signature refused", "actor", act.Actor, "err", err)
			return jsonError(w, http.StatusUnauthorized, "signature refused")
		}
		if !ap.SameURL(owner, act.Actor) {
			a.log.Info("inbox: signed by someone else", "actor", act.Actor, "signer", owner)
			return jsonError(w, http.StatusUnauthorized, "signed by another actor than the activity's")
		}
	}
	key, err := a.inboxKey(r.Context(), act, body)
	if err != nil {
		return err
	}
	fresh, err := a.store.SaveInboxActivity(r.Context(), key, act.Actor, body)
	if err != nil {
		return err
	}
	if fresh {
		a.fed.received.put(key, act)
	}
	poke(a.fed.inboxPoke)
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// verifyInboxRequest checks the signature with the cached key, and once
// more with a freshly fetched one if that fails (the peer rotated it).
func (a *App) verifyInboxRequest(r *http.Request, body []byte) (string, error) {
	cached := false
	fetch := a.lookupKey(true)
	_, owner, err := ap.VerifyRequest(r, body, a.now(), func(ctx context.Context, keyID string) (*rsa.PublicKey, string, error) {
		info, err := a.store.RemoteActorByKeyID(ctx, keyID)
		if err != nil {
			return fetch(ctx, keyID)
		}
		cached = true
		if info.PublicKeyPEM == "" {
			return fetch(ctx, keyID)
		}
		key, err := a.fed.publicKey(info.PublicKeyPEM)
		return key, info.URI, err
	})
	if errors.Is(err, ap.ErrBadSignature) && cached {
		_, owner, err = ap.VerifyRequest(r, body, a.now(), a.lookupKey(true))
	}
	return owner, err
}

// ProcessInbox handles every received activity that is due and returns how
// many were processed. Tests call it; the worker calls it when woken.
func (a *App) ProcessInbox(ctx context.Context) (int, error) {
	done := 0
	for {
		batch, err := a.store.ClaimDueInbox(ctx, inboxLease, inboxBatch)
		if err != nil || len(batch) == 0 {
			return done, err
		}
		n, err := a.processInboxBatch(ctx, batch)
		done += n
		if err != nil {
			return done, err
		}
	}
}

// processInboxBatch processes claimed activities in order and returns how
// many are done with (processed or dropped).
//
// Consecutive activities whose handling is nothing but database writes
// (replies to our events: inboxRun.takes) are applied together in one
// transaction, each in its own savepoint, with their marks as processed:
// a crash before its commit leaves all of them to be processed again
// after the lease, none half-done and none marked without its effect; an
// activity that fails undoes only its own writes and is marked with its
// error (dropped, as alone). Every other activity is processed alone, as
// before, its handler free to fetch, mail and deliver; what is done is
// then marked in one transaction per batch. A crash between such an
// activity's effect and its mark processes it again after the lease:
// those handlers are idempotent.
func (a *App) processInboxBatch(ctx context.Context, batch []store.InboxActivity) (int, error) {
	var ids []int64
	var errs []string
	done := 0
	mark := func() error {
		err := a.store.InboxProcessedMany(context.WithoutCancel(ctx), ids, errs)
		if err == nil {
			done += len(ids)
		}
		ids, errs = nil, nil
		return err
	}
	// The actors of the batch's activities, looked up once each: a
	// handler run alone may change one (a profile Update, a Delete), so
	// they are forgotten after each.
	actors := map[string]*store.RemoteActorInfo{}
	run := &inboxRun{}
	flush := func() error {
		n, err := a.applyInboxRun(ctx, run)
		done += n
		run.reset()
		return err
	}
	for _, item := range batch {
		in, err := a.prepareActivity(ctx, item, actors)
		if err == nil && in != nil && run.takes(a, in) {
			run.add(item, in)
			continue
		}
		if ferr := flush(); ferr != nil {
			return done, errors.Join(ferr, mark())
		}
		if err == nil && in != nil {
			err = a.dispatchActivity(ctx, in)
			clear(actors)
		}
		var retry errRetry
		switch {
		case err == nil:
			ids, errs = append(ids, item.ID), append(errs, "")
		case errors.As(err, &retry) && item.Attempts+1 < inboxMaxRetries:
			err = a.store.InboxRetry(ctx, item.ID, a.now().Add(deliveryBackoff(item.Attempts+1)), trimError(err))
		default:
			a.log.Info("inbox: activity dropped", "id", item.URI, "err", err)
			ids, errs = append(ids, item.ID), append(errs, trimError(err))
			err = nil
		}
		if err != nil {
			return done, errors.Join(err, mark())
		}
	}
	if err := flush(); err != nil {
		return done, errors.Join(err, mark())
	}
	return done, mark()
}

// inboxRun is a run of consecutive activities applied in one transaction.
type inboxRun struct {
	items []store.InboxActivity
	ins   []*incoming
	// events caches the local events replies of this run answer, by the
	// reply's inReplyTo: the run's transaction holds the store's write
	// turn, so nothing changes them meanwhile, and what the run applies
	// (comments) does not change them.
	events map[string]*store.Event
}

func (r *inboxRun) reset() {
	r.items, r.ins, r.events = r.items[:0], r.ins[:0], nil
}

func (r *inboxRun) add(item store.InboxActivity, in *incoming) {
	in.run = r
	r.items, r.ins = append(r.items, item), append(r.ins, in)
}

// takes tells whether in can be applied in a run: a Create or Update of a
// Note by its own author (so the group discussion handler leaves it and
// no other author is fetched), which the comment and reply handlers turn
// into database writes and nothing else.
func (r *inboxRun) takes(a *App, in *incoming) bool {
	if a.fed.noRuns || in.Object == nil || len(in.Activity.Types) != 1 ||
		(in.Activity.Types[0] != ap.TypeCreate && in.Activity.Types[0] != ap.TypeUpdate) ||
		!slices.Equal(in.Object.Types, []string{ap.TypeNote}) {
		return false
	}
	note, err := in.Object.object()
	if err != nil {
		return false
	}
	return len(note.AttributedTo) == 0 || (len(note.AttributedTo) == 1 && ap.SameURL(note.AttributedTo[0], in.Actor.URI))
}

// applyInboxRun applies a run and marks its activities, in one
// transaction; it returns how many are done with. Should the transaction
// itself fail (SQLite gave it up, the commit failed), nothing of it
// stands and the run's activities are processed alone instead, so that
// one that breaks a shared transaction cannot hold up the others.
func (a *App) applyInboxRun(ctx context.Context, run *inboxRun) (int, error) {
	if len(run.items) == 0 {
		return 0, nil
	}
	marked := 0
	err := a.store.Batch(ctx, func(ctx context.Context) error {
		ids, errs := make([]int64, 0, len(run.items)), make([]string, 0, len(run.items))
		for i, in := range run.ins {
			item := run.items[i]
			err := a.store.Savepoint(ctx, func(ctx context.Context) error { return a.dispatchActivity(ctx, in) })
			var retry errRetry
			switch {
			case errors.Is(err, store.ErrBatchBroken):
				return err
			case err == nil:
				ids, errs = append(ids, item.ID), append(errs, "")
			case errors.As(err, &retry) && item.Attempts+1 < inboxMaxRetries:
				if err := a.store.InboxRetry(ctx, item.ID, a.now().Add(deliveryBackoff(item.Attempts+1)), trimError(err)); err != nil {
					return err
				}
			default:
				a.log.Info("inbox: activity dropped", "id", item.URI, "err", err)
				ids, errs = append(ids, item.ID), append(errs, trimError(err))
			}
			if a.fed.runHook != nil {
				if err := a.fed.runHook(i); err != nil {
					return err
				}
			}
		}
		marked = len(ids)
		return a.store.InboxProcessedMany(ctx, ids, errs)
	})
	if err == nil || ctx.Err() != nil {
		if err != nil {
			return 0, err // stopping: the run is processed after the lease
		}
		return marked, nil
	}
	a.log.Warn("inbox: a run of activities failed together; processing them one by one", "activities", len(run.items), "err", err)
	done := 0
	for i, item := range run.items {
		in := run.ins[i]
		in.run = nil
		err := a.dispatchActivity(ctx, in)
		var retry errRetry
		switch {
		case err == nil:
			err = a.store.InboxProcessed(context.WithoutCancel(ctx), item.ID, "")
		case errors.As(err, &retry) && item.Attempts+1 < inboxMaxRetries:
			if err := a.store.InboxRetry(ctx, item.ID, a.now().Add(deliveryBackoff(item.Attempts+1)), trimError(err)); err != nil {
				return done, err
			}
			continue
		default:
			a.log.Info("inbox: activity dropped", "id", item.URI, "err", err)
			err = a.store.InboxProcessed(context.WithoutCancel(ctx), item.ID, trimError(err))
		}
		if err != nil {
			return done, err
		}
		done++
	}
	return done, nil
}

// processActivity processes one activity alone.
func (a *App) processActivity(ctx context.Context, item store.InboxActivity) error {
	in, err := a.prepareActivity(ctx, item, nil)
	if err != nil || in == nil {
		return err
	}
	return a.dispatchActivity(ctx, in)
}

// prepareActivity reads a queued activity, its actor and its object as
// their origin has them (fetching what is not known yet): nil when there
// is nothing left to do. actors, when not nil, keeps the actors found for
// the next activities.
func (a *App) prepareActivity(ctx context.Context, item store.InboxActivity, actors map[string]*store.RemoteActorInfo) (*incoming, error) {
	act := a.fed.received.take(item.URI)
	if act == nil || item.Attempts > 0 {
		var err error
		if act, err = ap.ParseActivity(item.Body); err != nil {
			return nil, err
		}
	}
	actor, known := actors[act.Actor]
	var err error
	if !known {
		actor, err = a.remoteActor(ctx, act.Actor, false)
		if err == nil && actors != nil {
			actors[act.Actor] = actor
		}
	}
	var status *ap.StatusError
	if err != nil && act.Is(ap.TypeDelete) && errors.As(err, &status) && (status.Code == http.StatusGone || status.Code == http.StatusNotFound) {
		// The actor went (with what it had here) after sending this:
		// nothing is left to delete, and asking again will not help.
		return nil, nil
	}
	if err != nil {
		return nil, errRetry{err}
	}
	if act.ID == "" {
		act.ID = item.URI // an activity sent without id, named on receipt
	}
	in := &incoming{Activity: act, Actor: actor, Raw: item.Body}
	// A Member (a role change) names a membership, not a document its
	// origin serves: its handler checks who may change it.
	if (act.Is(ap.TypeCreate) || act.Is(ap.TypeUpdate)) && !act.Object.Is("Member") {
		if in.Object, err = a.originObjectOf(ctx, act); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// dispatchActivity hands a prepared activity to its handler.
func (a *App) dispatchActivity(ctx context.Context, in *incoming) error {
	act := in.Activity
	objectTypes := act.Object.Types
	if in.Object != nil {
		objectTypes = in.Object.Types
	}
	for _, typ := range act.Types {
		for _, ot := range objectTypes {
			if h, ok := inboxHandlers[typ+" "+ot]; ok {
				return h(a, ctx, in)
			}
		}
		if h, ok := inboxHandlers[typ]; ok {
			return h(a, ctx, in)
		}
	}
	return nil
}

// maxReceivedParsed bounds the activities kept parsed between their
// receipt and their processing; past it, they are parsed again.
const maxReceivedParsed = 4 * inboxBatch

// parsedActivities are activities queued by the inbox, as parsed then,
// by their queue name. The queue's row stays the truth (after a restart,
// or for an activity past the bound, its body is parsed again).
type parsedActivities struct {
	mu sync.Mutex
	m  map[string]*ap.RemoteActivity
}

func (r *parsedActivities) put(key string, act *ap.RemoteActivity) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]*ap.RemoteActivity{}
	}
	if len(r.m) < maxReceivedParsed {
		r.m[key] = act
	}
}

// take returns the activity queued under key, parsed, once; nil when it
// is not kept.
func (r *parsedActivities) take(key string) *ap.RemoteActivity {
	r.mu.Lock()
	defer r.mu.Unlock()
	act := r.m[key]
	delete(r.m, key)
	return act
}

// originObjectOf returns the object of a Create or Update as its origin
// has it: embedded, when it lives on the actor's host and is attributed
// there; else fetched from its own host (an object forwarded by someone
// else is never taken from the payload).
func (a *App) originObjectOf(ctx context.Context, act *ap.RemoteActivity) (*originObject, error) {
	ref := act.Object
	if ref.ID == "" {
		return nil, errors.New("object without id")
	}
	if ref.Embedded() && ap.SameHost(ref.ID, act.Actor) {
		obj, err := ap.ParseObject(ref.Raw)
		if err != nil {
			return nil, err
		}
		if len(obj.AttributedTo) > 0 && !ap.SameHost(obj.AttributedTo[0], act.Actor) && !a.isLocalGroup(ctx, obj.AttributedTo[0]) {
			return nil, fmt.Errorf("object %s attributed to another host", ref.ID)
		}
		return &originObject{ID: ref.ID, Types: obj.Types, Raw: ref.Raw, parsed: obj}, nil
	}
	if ref.Embedded() && act.Is(ap.TypeUpdate) {
		// A member elsewhere renames a thread of one of our groups. The
		// name is the thread's, so ours: we are its origin, whoever's
		// server the opening Note lives on. The text stays its author's
		// and is dropped here; the group's handler checks membership.
		if obj, err := ap.ParseObject(ref.Raw); err == nil && obj.Is(ap.TypeNote) &&
			len(obj.AttributedTo) > 0 && a.isLocalGroup(ctx, obj.AttributedTo[0]) {
			raw, err := json.Marshal(ap.NewNoteName(obj.ID, obj.Name, obj.AttributedTo, obj.To))
			if err != nil {
				return nil, err
			}
			return &originObject{ID: ref.ID, Types: obj.Types, Raw: raw}, nil
		}
	}
	if ap.SameHost(ref.ID, a.cfg.BaseURL) {
		return nil, fmt.Errorf("object %s claims to be ours", ref.ID)
	}
	raw, err := a.fetchObject(ctx, ref.ID)
	if err != nil {
		return nil, fmt.Errorf("refetching %s from its origin: %w", ref.ID, err)
	}
	obj, err := ap.ParseObject(raw)
	if err != nil {
		return nil, err
	}
	return &originObject{ID: obj.ID, Types: obj.Types, Raw: raw, parsed: obj}, nil
}

// objectAuthor is the remote actor an origin object is attributed to
// (the activity's actor when it is theirs).
func (a *App) objectAuthor(ctx context.Context, in *incoming, attributedTo []string) (*store.RemoteActorInfo, error) {
	if len(attributedTo) == 0 || ap.SameURL(attributedTo[0], in.Actor.URI) {
		return in.Actor, nil
	}
	if !ap.SameHost(attributedTo[0], in.Object.ID) {
		return nil, fmt.Errorf("object %s attributed to another host", in.Object.ID)
	}
	return a.remoteActor(ctx, attributedTo[0], false)
}

// receiveEvent keeps events published by actors someone here follows.
func (a *App) receiveEvent(ctx context.Context, in *incoming) error {
	ev, err := ap.ParseEvent(in.Object.Raw)
	if err != nil {
		return err
	}
	by := ev.AttributedTo
	if ev.Actor != "" {
		by = []string{ev.Actor} // a group's event: its organiser is the actor
	}
	author, err := a.objectAuthor(ctx, in, by)
	if err != nil {
		return err
	}
	followed, err := a.store.IsFollowedLocally(ctx, author.ID)
	if err != nil || !followed {
		return err
	}
	return a.store.SaveRemoteObject(ctx, store.RemoteObject{URI: ev.ID, Type: ap.TypeEvent, ActorID: author.ID, Body: in.Object.Raw})
}

// receiveNote keeps replies to our own objects (comments are built from
// them by the comments feature); other notes are none of our business.
func (a *App) receiveNote(ctx context.Context, in *incoming) error {
	note, err := in.Object.object()
	if err != nil {
		return err
	}
	if note.InReplyTo == "" || !ap.SameHost(note.InReplyTo, a.cfg.BaseURL) {
		return nil
	}
	author, err := a.objectAuthor(ctx, in, note.AttributedTo)
	if err != nil {
		return err
	}
	return a.store.SaveRemoteObject(ctx, store.RemoteObject{URI: note.ID, Type: ap.TypeNote, ActorID: author.ID,
		InReplyTo: note.InReplyTo, Body: in.Object.Raw})
}

// receiveDelete removes what the actor deleted: one of its objects, or
// itself.
func (a *App) receiveDelete(ctx context.Context, in *incoming) error {
	id := in.Activity.Object.ID
	if !ap.SameHost(id, in.Actor.URI) {
		return fmt.Errorf("delete of %s from another host", id)
	}
	if ap.SameURL(id, in.Actor.URI) {
		return a.store.DeleteRemoteActor(ctx, in.Actor.ID)
	}
	return a.store.DeleteRemoteObject(ctx, id, in.Actor.ID)
}

// receiveActorUpdate refreshes a remote actor's profile and key from its
// own server (not from the payload).
func (a *App) receiveActorUpdate(ctx context.Context, in *incoming) error {
	uri := in.Object.ID
	group := slices.Contains(in.Object.Types, ap.TypeGroup)
	// Mobilizon sends a group's profile Update as the administrator who
	// made it: anyone of the group's own server may ask for a refresh,
	// since what is kept is what the group's address serves.
	if !ap.SameURL(uri, in.Actor.URI) && !(group && ap.SameHost(uri, in.Actor.URI)) {
		return nil
	}
	if _, err := a.remoteActor(ctx, uri, true); err != nil {
		return err
	}
	if g, err := a.store.GroupByURI(ctx, uri); err == nil && !g.IsLocal() {
		_, err := a.rememberRemoteGroup(ctx, uri) // openness, members collection, visibility
		return err
	}
	return nil
}
