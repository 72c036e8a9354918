package app

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters hold per-key token buckets (per IP, per account, per event),
// forgetting keys that have been quiet for a while.
type limiters struct {
	now     func() time.Time // the app's clock, which tests may hold still
	mu      sync.Mutex
	buckets map[string]*bucket
	last    time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiters(now func() time.Time) *limiters {
	return &limiters{now: now, buckets: map[string]*bucket{}}
}

// allow takes one token from the bucket named key, which refills at
// `every` and holds at most burst tokens.
func (l *limiters) allow(key string, every time.Duration, burst int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.last) > 10*time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > time.Hour {
				delete(l.buckets, k)
			}
		}
		l.last = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Every(every), burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}
