package app

import (
	"bytes"
	"net/http"
	"sync"
	"time"
)

// Public pages read by anonymous visitors (an event page shared on social
// media, the home page) are the same bytes for everyone who speaks the
// same language. pageCache keeps them rendered for a few seconds, and
// forgets them as soon as anything is written to the store, so that
// a visitor never sees a page older than the last change. Rendering an
// event page costs a handful of queries and a template; serving it from
// here costs about as much as writing its bytes.
type pageCache struct {
	mu      sync.Mutex
	entries map[string]*cachedPage
	size    int // bytes held
}

type cachedPage struct {
	header     http.Header
	body       []byte
	generation uint64
	storedAt   time.Time
}

const (
	// pageCacheTTL bounds how long a page that depends on the clock (an
	// event that starts, ends, or whose publication time comes) can lag.
	pageCacheTTL = 10 * time.Second
	// The cache stays small: a few megabytes of the most-read pages.
	pageCacheMaxBytes = 4 << 20
	pageCacheMaxPage  = 256 << 10
)

func newPageCache() *pageCache { return &pageCache{entries: map[string]*cachedPage{}} }

// cachedForVisitors serves h from the page cache to visitors without any
// cookie (no session, no flash, nothing personal), keyed by language and
// address. Everyone else gets h itself.
func (a *App) cachedForVisitors(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if a.pages == nil || r.Method != http.MethodGet || len(r.Cookies()) > 0 {
			return h(w, r)
		}
		key := a.printer(r).Lang + " " + r.URL.RequestURI()
		now := a.now()
		generation := a.store.Generation()
		if p := a.pages.get(key, generation, now); p != nil {
			for k, v := range p.header {
				// A copy: later middleware may append to a header.
				w.Header()[k] = append([]string(nil), v...)
			}
			w.WriteHeader(http.StatusOK)
			_, err := w.Write(p.body)
			return err
		}
		rec := &recordingWriter{ResponseWriter: w}
		if err := h(rec, r); err != nil {
			return err
		}
		if rec.status == http.StatusOK && rec.header != nil && rec.header.Get("Set-Cookie") == "" && !rec.tooBig {
			a.pages.put(key, &cachedPage{header: rec.header, body: rec.body.Bytes(), generation: generation, storedAt: now})
		}
		return nil
	}
}

func (c *pageCache) get(key string, generation uint64, now time.Time) *cachedPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.entries[key]
	if p == nil {
		return nil
	}
	if p.generation != generation || now.Sub(p.storedAt) >= pageCacheTTL || now.Before(p.storedAt) {
		c.size -= len(p.body)
		delete(c.entries, key)
		return nil
	}
	return p
}

func (c *pageCache) put(key string, p *cachedPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.entries[key]; old != nil {
		c.size -= len(old.body)
	}
	// Make room by dropping whatever comes first: stale pages are dropped
	// on their next read anyway, and a full cache is rare.
	for k, old := range c.entries {
		if c.size+len(p.body) <= pageCacheMaxBytes {
			break
		}
		c.size -= len(old.body)
		delete(c.entries, k)
	}
	c.entries[key] = p
	c.size += len(p.body)
}

// recordingWriter passes a response through while keeping a copy.
type recordingWriter struct {
	http.ResponseWriter
	status int
	header http.Header // as sent, taken at WriteHeader
	body   bytes.Buffer
	tooBig bool
}

func (w *recordingWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
		w.header = w.ResponseWriter.Header().Clone()
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.tooBig {
		if w.body.Len()+len(b) > pageCacheMaxPage {
			w.tooBig = true
			w.body = bytes.Buffer{}
		} else {
			w.body.Write(b)
		}
	}
	return w.ResponseWriter.Write(b)
}
