// Package doccache keeps rendered public documents (WebFinger answers,
// actor documents) with their ETag, valid for one version of what they
// were rendered from. A version is the store's write generation, which
// changes after every write, together with the cache's own epoch, which
// Forget moves on for changes the store does not see (settings held in
// memory). A document rendered against an older version is never served
// and never stored, so a reader sees nothing older than the last write.
//
// Only documents that are the same for every reader belong here: the
// cache is shared by everyone who asks.
package doccache

import (
	"crypto/sha256"
	"encoding/base64"
	"sync"
)

// Doc is a rendered document.
type Doc struct {
	ContentType string
	Body        []byte
	ETag        string // a strong validator, quoted
}

// Version is what a document is rendered against. Take it before reading
// anything that goes into the document.
type Version struct{ generation, epoch uint64 }

type entry struct {
	doc     *Doc
	version Version
}

// Cache holds at most maxEntries documents.
type Cache struct {
	mu         sync.Mutex
	entries    map[string]entry
	epoch      uint64
	maxEntries int
}

// New makes a cache of at most maxEntries documents.
func New(maxEntries int) *Cache {
	return &Cache{entries: map[string]entry{}, maxEntries: maxEntries}
}

// Version is the version a document rendered now is rendered against,
// given the store's write generation.
func (c *Cache) Version(generation uint64) Version {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Version{generation: generation, epoch: c.epoch}
}

// Get returns the document stored under key for version v, or nil.
func (c *Cache) Get(key string, v Version) *Doc {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil
	}
	if e.version != v {
		delete(c.entries, key)
		return nil
	}
	return e.doc
}

// Put makes a Doc of body and keeps it under key unless the cache moved
// past v meanwhile (then the Doc is returned all the same, for this one
// answer). A full cache drops everything first: documents are cheap to
// render again, and a bound matters more than the hit rate.
func (c *Cache) Put(key string, v Version, contentType string, body []byte) *Doc {
	sum := sha256.Sum256(body)
	d := &Doc{ContentType: contentType, Body: body, ETag: `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v.epoch != c.epoch {
		return d
	}
	if len(c.entries) >= c.maxEntries {
		clear(c.entries)
	}
	c.entries[key] = entry{doc: d, version: v}
	return d
}

// Forget drops every document and every version handed out so far.
func (c *Cache) Forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	clear(c.entries)
}

// Len is how many documents are held.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
