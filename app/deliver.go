package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// Delivery policy, after what Mastodon and GoToSocial do: retry what may
// work later (network errors, 5xx, 408, 429) with exponential backoff and
// jitter for about two days; drop what never will (other 4xx, forbidden
// addresses); give up early on names that do not resolve.
const (
	deliveryLease         = 2 * time.Minute // a claimed row comes back after this if we crash mid-send
	deliveryBatch         = 200
	deliveryFirstRetry    = 30 * time.Second
	deliveryMaxBackoff    = 8 * time.Hour
	deliveryGiveUpAfter   = 48 * time.Hour
	deliveryMaxRetryAfter = 6 * time.Hour
	deliveryNXDomainTries = 3
	deliveryPerHost       = ap.MaxConnsPerHost // concurrent requests to one server
	deliveryConcurrency   = 32                 // concurrent requests in all
	deliveryTimeout       = 20 * time.Second
)

// deliveryOutcome is what one attempt taught us.
type deliveryOutcome struct {
	done       bool
	giveUp     bool
	retryAfter time.Duration
	reason     string
}

// DeliverDue sends every delivery that is due now and returns how many
// were delivered. Tests call it to drain the queue without sleeping; the
// worker calls it whenever it wakes.
//
// Batches overlap: once the last delivery of a batch has started, the
// next batch is claimed and started while the first one's last requests
// finish, so that signing (the one CPU-bound step) does not wait for
// them, and one slow server holds up no one in the next batch.
// Deliveries still start in the order they were claimed, one server's
// in order on its slots.
func (a *App) DeliverDue(ctx context.Context) (int, error) {
	var (
		delivered int
		all       = make(chan struct{}, deliveryConcurrency) // shared by overlapping batches
		prev      *deliveryRun
	)
	// finish waits for a batch's last deliveries and forgets its
	// successes in one transaction. A crash before it sends them again
	// after the lease, as a crash between a POST and its own commit
	// always could.
	finish := func(r *deliveryRun) error {
		if r == nil {
			return nil
		}
		r.wg.Wait()
		if err := a.store.DeliveriesDone(context.WithoutCancel(ctx), r.done); err != nil {
			return err
		}
		delivered += len(r.done)
		return nil
	}
	for {
		batch, err := a.store.ClaimDueDeliveries(ctx, deliveryLease, deliveryBatch)
		if err != nil || len(batch) == 0 {
			err = errors.Join(err, finish(prev))
			return delivered, err
		}
		signers := map[string]*ap.Signer{}
		for _, d := range batch {
			if _, ok := signers[signerName(d)]; ok {
				continue
			}
			s, err := a.deliverySigner(ctx, d)
			if err != nil {
				err = errors.Join(err, finish(prev))
				return delivered, err
			}
			signers[signerName(d)] = s
		}
		run := &deliveryRun{}
		for _, d := range batch {
			run.wg.Add(1)
			all <- struct{}{}
			go func() {
				defer run.wg.Done()
				defer func() { <-all }()
				slot := a.fed.hostSlot(d.Host)
				slot <- struct{}{}
				out := a.deliver(ctx, signers[signerName(d)], d)
				<-slot
				if out.done {
					run.mu.Lock()
					run.done = append(run.done, d.ID)
					run.mu.Unlock()
					return
				}
				if err := a.recordDelivery(ctx, d, out); err != nil {
					a.log.Error("record delivery", "err", err)
				}
			}()
		}
		// This batch has started; the one before it has (nearly) ended.
		// Connections left idle are bounded by the fetcher's pool
		// (ap.MaxIdleConns, HTTP/1.1 only): a fan-out to thousands of
		// servers keeps the most recent few. Reaching a server again
		// resumes its TLS session, which costs less than a full handshake.
		if err := finish(prev); err != nil {
			err = errors.Join(err, finish(run))
			return delivered, err
		}
		prev = run
		if ctx.Err() != nil {
			err := errors.Join(ctx.Err(), finish(prev))
			return delivered, err
		}
	}
}

// deliveryRun is one batch of deliveries under way.
type deliveryRun struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	done []int64 // deliveries that succeeded
}

// signerName tells apart the keys a batch is signed with: an actor's, or
// the one kept with the activity of an actor deleted since.
func signerName(d store.Delivery) string {
	if d.Signer.PEM != "" {
		return "key " + d.Signer.KeyID
	}
	return "actor " + strconv.FormatInt(d.ActorID, 10)
}

// deliverySigner is what signs a delivery: its actor, or the key kept
// with it when the actor is gone.
func (a *App) deliverySigner(ctx context.Context, d store.Delivery) (*ap.Signer, error) {
	if d.Signer.PEM != "" {
		key, err := ap.ParsePrivateKeyPEM(d.Signer.PEM)
		if err != nil {
			return nil, fmt.Errorf("kept key of %s: %w", d.Signer.KeyID, err)
		}
		return &ap.Signer{KeyID: d.Signer.KeyID, Key: key}, nil
	}
	act, err := a.store.ActorByID(ctx, d.ActorID)
	if err != nil {
		return nil, err
	}
	return a.signer(ctx, act)
}

// hostSlot is the semaphore limiting concurrent requests to one host.
func (f *federation) hostSlot(host string) chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.hosts[host]
	if !ok {
		s = make(chan struct{}, deliveryPerHost)
		f.hosts[host] = s
	}
	return s
}

// deliver makes one signed POST.
func (a *App) deliver(ctx context.Context, signer *ap.Signer, d store.Delivery) deliveryOutcome {
	if !a.federationAllowed(d.InboxURL) {
		return deliveryOutcome{giveUp: true, reason: policyDropped}
	}
	ctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.InboxURL, bytes.NewReader(d.Body))
	if err != nil {
		return deliveryOutcome{giveUp: true, reason: "bad inbox URL"}
	}
	if req.URL.Scheme != "https" && !(req.URL.Scheme == "http" && a.fed.unsafe) {
		return deliveryOutcome{giveUp: true, reason: "inbox is not https"}
	}
	req.Header.Set("Content-Type", ap.ContentTypeActivityJSON)
	req.Header.Set("Accept", ap.AcceptActivity)
	req.Header.Set("User-Agent", "Convene/"+Version+" (+"+a.cfg.BaseURL+")")
	// Signing is all CPU: no more at once than there are cores, so that
	// requests already signed are not kept waiting for the network.
	a.fed.signSlots <- struct{}{}
	err = signer.Sign(req, d.Body)
	<-a.fed.signSlots
	if err != nil {
		return deliveryOutcome{reason: "sign: " + err.Error()}
	}
	resp, err := a.fed.fetcher.Client().Do(req)
	if err != nil {
		var dnsErr *net.DNSError
		switch {
		case errors.Is(err, ap.ErrForbiddenAddress), errors.Is(err, ap.ErrNotHTTPS):
			return deliveryOutcome{giveUp: true, reason: trimError(err)}
		case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
			return deliveryOutcome{giveUp: d.Attempts+1 >= deliveryNXDomainTries, reason: "domain does not resolve"}
		}
		return deliveryOutcome{reason: trimError(err)}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return deliveryOutcome{done: true}
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
		return deliveryOutcome{retryAfter: retryAfter(resp.Header.Get("Retry-After"), a.now()),
			reason: fmt.Sprintf("HTTP %d", code)}
	default:
		return deliveryOutcome{giveUp: true, reason: fmt.Sprintf("HTTP %d", code)}
	}
}

// retryAfter reads a Retry-After header (seconds or a date), capped.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(h); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), deliveryMaxRetryAfter)
}

// deliveryBackoff is the wait after the n-th failed attempt (n from 1):
// 30 s doubling up to 8 h, with ±20% jitter so that a server coming back
// is not hit by everyone at the same second.
func deliveryBackoff(n int) time.Duration {
	d := deliveryFirstRetry
	for i := 1; i < n && d < deliveryMaxBackoff; i++ {
		d *= 2
	}
	d = min(d, deliveryMaxBackoff)
	jitter := time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
	return d + jitter
}

func (a *App) recordDelivery(ctx context.Context, d store.Delivery, out deliveryOutcome) error {
	ctx = context.WithoutCancel(ctx)
	if out.done {
		return a.store.DeliveryDone(ctx, d.ID)
	}
	now := a.now()
	wait := max(deliveryBackoff(d.Attempts+1), out.retryAfter)
	next := now.Add(wait)
	giveUp := out.giveUp || next.Sub(d.CreatedAt) > deliveryGiveUpAfter
	if giveUp {
		a.log.Warn("delivery given up", "inbox", d.InboxURL, "activity", d.URI, "attempts", d.Attempts+1, "reason", out.reason)
	}
	return a.store.DeliveryFailed(ctx, d.ID, next, out.reason, giveUp)
}

// startFederationWorkers runs delivery and inbox processing until ctx ends.
func (a *App) startFederationWorkers(ctx context.Context) {
	a.goWorker(func() {
		a.runQueue(ctx, "delivery", a.fed.deliverPoke, func(ctx context.Context) error {
			_, err := a.DeliverDue(ctx)
			return err
		}, a.store.NextDeliveryDue)
	})
	a.goWorker(func() {
		a.runQueue(ctx, "inbox", a.fed.inboxPoke, func(ctx context.Context) error {
			_, err := a.ProcessInbox(ctx)
			return err
		}, a.store.NextInboxDue)
	})
	a.goWorker(func() {
		a.runQueue(ctx, "group sync", nil, func(ctx context.Context) error {
			_, err := a.SyncDueGroups(ctx)
			return err
		}, a.store.NextGroupSyncDue)
	})
	a.goWorker(func() {
		a.runQueue(ctx, "remote pictures", a.fed.picturePoke, func(ctx context.Context) error {
			_, err := a.CopyRemotePictures(ctx)
			return err
		}, a.store.NextRemotePictureDue)
	})
	a.goWorker(func() { a.runFederationHousekeeping(ctx) })
	// Both queues may hold work from before a restart.
	poke(a.fed.deliverPoke)
	poke(a.fed.inboxPoke)
}

// runQueue drains a queue whenever poked or when its next item is due,
// sleeping at most a minute (so a clock change or a missed poke costs
// little).
func (a *App) runQueue(ctx context.Context, name string, wake chan struct{}, drain func(context.Context) error, nextDue func(context.Context) (time.Time, error)) {
	for {
		if err := drain(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("queue", "queue", name, "err", err)
		}
		wait := time.Minute
		if next, err := nextDue(ctx); err == nil && !next.IsZero() {
			wait = min(max(next.Sub(a.now()), 100*time.Millisecond), time.Minute)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-wake:
			timer.Stop()
		case <-timer.C:
		}
	}
}
