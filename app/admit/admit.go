// Package admit lets a bounded number of requests be worked on at once and
// queues the others in the order they came.
//
// Without it every request a server accepts starts at once: 200 visitors
// make 200 page renders share two cores, each holding its memory until it
// finishes, and each one's database queries wait for a connection that
// database/sql hands to a waiter picked at random, so a few requests wait
// many times longer than the rest. Admitted in arrival order, a few at a
// time, each request finishes about as soon as its turn and its own work
// allow, and the memory of the work in progress stays bounded.
package admit

import (
	"context"
	"net/http"
	"sync"
)

// Limiter admits at most its size of requests at once.
type Limiter struct {
	slots chan struct{}
	// release is how many bytes an admitted request may write before its
	// slot goes to the next one: a large answer (an export, a feed) to a
	// slow reader must not hold a slot for as long as it takes to send.
	release int
}

// New returns a limiter of n slots (at least one) that frees a request's
// slot when it returns or once it has written release bytes.
func New(n, release int) *Limiter {
	return &Limiter{slots: make(chan struct{}, max(n, 1)), release: release}
}

// Wrap admits the requests for which only says so through l; the others
// go straight to next. A request whose client goes away while it waits is
// dropped without an answer.
func (l *Limiter) Wrap(next http.Handler, only func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !only(r) {
			next.ServeHTTP(w, r)
			return
		}
		// Go's channel queues blocked senders first come, first served,
		// and a freed slot goes to the first of them.
		select {
		case l.slots <- struct{}{}:
		case <-r.Context().Done():
			return
		}
		aw := &admitted{ResponseWriter: w, l: l, left: l.release}
		defer aw.done()
		next.ServeHTTP(aw, r.WithContext(context.WithValue(r.Context(), slotKey{}, aw)))
	})
}

// admitted is the writer of a request holding a slot.
type admitted struct {
	http.ResponseWriter
	l     *Limiter
	mu    sync.Mutex // Away may be called from the handler's goroutines
	left  int
	freed bool
}

func (a *admitted) done() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.freed {
		a.freed = true
		<-a.l.slots
	}
}

func (a *admitted) Write(p []byte) (int, error) {
	a.mu.Lock()
	if !a.freed {
		a.left -= len(p)
		if a.left < 0 {
			a.freed = true
			<-a.l.slots
		}
	}
	a.mu.Unlock()
	return a.ResponseWriter.Write(p)
}

type slotKey struct{}

// Away gives up the slot of the request ctx belongs to while it waits on
// something that takes no CPU of ours (another server, a geocoder): a slow
// peer must not hold up everyone's pages. The function it returns takes
// the request's turn again, at the back of the queue. Outside an admitted
// request (a worker, a form post) both do nothing.
func Away(ctx context.Context) (back func()) {
	a, _ := ctx.Value(slotKey{}).(*admitted)
	if a == nil {
		return func() {}
	}
	a.mu.Lock()
	held := !a.freed
	if held {
		a.freed = true
		<-a.l.slots
	}
	a.mu.Unlock()
	if !held {
		return func() {}
	}
	return func() {
		select {
		case a.l.slots <- struct{}{}:
			a.mu.Lock()
			a.freed = false
			a.mu.Unlock()
		case <-ctx.Done():
		}
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (a *admitted) Unwrap() http.ResponseWriter { return a.ResponseWriter }
