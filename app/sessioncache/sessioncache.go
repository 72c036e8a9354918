// Package sessioncache keeps, for each logged-in session, what the
// requests of that session read about who is asking (the session, its
// account and identities, the header's count of what waits for them), so
// that a page does not read it again on every request.
//
// An entry serves only the session it was read for (never another
// visitor) and only as long as nothing was written to the store since it
// was read: it is stored with the store's write generation read before
// reading, and is gone as soon as the generation moves (a logout, a
// password, role or identity change, a suspension, a deletion: every
// write through the store). It also ends at the session's expiry and
// after a short time to live, and the whole cache is bounded.
package sessioncache

import (
	"sync"
	"time"
)

// Cache maps a session key to what was read for it.
type Cache[V any] struct {
	mu      sync.Mutex
	entries map[string]entry[V]
	max     int
	ttl     time.Duration
}

type entry[V any] struct {
	v          V
	generation uint64
	until      time.Time
}

// New returns a cache of at most max sessions, each kept at most ttl.
func New[V any](max int, ttl time.Duration) *Cache[V] {
	return &Cache[V]{entries: map[string]entry[V]{}, max: max, ttl: ttl}
}

// Get returns what was stored for key, if it was read at generation (the
// store's current one) and is still within its time at now.
func (c *Cache[V]) Get(key string, generation uint64, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || e.generation != generation || !now.Before(e.until) {
		if ok {
			delete(c.entries, key)
		}
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put stores v for key, read at generation (read before reading v), kept
// until the earlier of expires and now plus the time to live.
func (c *Cache[V]) Put(key string, v V, generation uint64, now, expires time.Time) {
	until := now.Add(c.ttl)
	if expires.Before(until) {
		until = expires
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.max {
		// Full: what is there is mostly stale after a write anyway.
		clear(c.entries)
	}
	c.entries[key] = entry[V]{v: v, generation: generation, until: until}
}

// Update changes the entry of key with f, only if it was read at
// generation (so what f adds was read at the same one).
func (c *Cache[V]) Update(key string, generation uint64, f func(*V)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok && e.generation == generation {
		f(&e.v)
		c.entries[key] = e
	}
}

// Len is how many sessions are kept.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
