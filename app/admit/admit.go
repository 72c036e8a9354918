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
	"net/http"
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
		next.ServeHTTP(aw, r)
	})
}

// admitted is the writer of a request holding a slot.
type admitted struct {
	http.ResponseWriter
	l     *Limiter
	left  int
	freed bool
}

func (a *admitted) done() {
	if !a.freed {
		a.freed = true
		<-a.l.slots
	}
}

func (a *admitted) Write(p []byte) (int, error) {
	if !a.freed {
		a.left -= len(p)
		if a.left < 0 {
			a.done()
		}
	}
	return a.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (a *admitted) Unwrap() http.ResponseWriter { return a.ResponseWriter }
