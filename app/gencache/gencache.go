// Package gencache keeps values read from the store (a page of the public
// event list, say) for as long as nothing was written to the store since
// they were read, and never longer than a TTL, for what changes with the
// clock alone (an event that ends leaves the list of upcoming events).
//
// A value is kept with the store's write generation taken before it was
// read; a Get with any other generation misses and drops it. So a reader
// never gets a value older than the last write, whichever write it was.
//
// Only what is the same for every reader belongs here: the cache is
// shared by everyone who asks.
package gencache

import (
	"sync"
	"time"
)

type entry[V any] struct {
	value      V
	generation uint64
	storedAt   time.Time
}

// Cache holds at most maxEntries values of type V.
type Cache[V any] struct {
	mu         sync.Mutex
	entries    map[string]entry[V]
	ttl        time.Duration
	maxEntries int
}

// New makes a cache of at most maxEntries values, each kept at most ttl.
func New[V any](ttl time.Duration, maxEntries int) *Cache[V] {
	return &Cache[V]{entries: map[string]entry[V]{}, ttl: ttl, maxEntries: maxEntries}
}

// Get returns the value kept under key if it was read at generation and
// less than the TTL before now.
func (c *Cache[V]) Get(key string, generation uint64, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		var zero V
		return zero, false
	}
	if e.generation != generation || now.Sub(e.storedAt) >= c.ttl || now.Before(e.storedAt) {
		delete(c.entries, key)
		var zero V
		return zero, false
	}
	return e.value, true
}

// Put keeps v under key, read at generation (taken before reading it).
// A full cache drops everything first: values are cheap to read again,
// and a bound matters more than the hit rate.
func (c *Cache[V]) Put(key string, generation uint64, now time.Time, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.maxEntries {
		clear(c.entries)
	}
	c.entries[key] = entry[V]{value: v, generation: generation, storedAt: now}
}

// Len is how many values are held.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
