package sessioncache

import (
	"fmt"
	"testing"
	"time"
)

// An entry serves its key only, at the generation it was read at, before
// its session's expiry and its time to live; the cache stays bounded.
func TestEntriesEndWithTheirGenerationExpiryAndTime(t *testing.T) {
	c := New[string](3, 10*time.Second)
	now := time.Unix(1_000_000, 0)
	c.Put("a", "ana", 7, now, now.Add(time.Hour))
	if v, ok := c.Get("a", 7, now.Add(time.Second)); !ok || v != "ana" {
		t.Fatalf("fresh entry: %q %v", v, ok)
	}
	if _, ok := c.Get("b", 7, now); ok {
		t.Error("another key got an entry")
	}
	if _, ok := c.Get("a", 8, now); ok {
		t.Error("served after a write (generation moved)")
	}
	c.Put("a", "ana", 8, now, now.Add(time.Hour))
	if _, ok := c.Get("a", 8, now.Add(10*time.Second)); ok {
		t.Error("served past its time to live")
	}
	c.Put("a", "ana", 8, now, now.Add(time.Second))
	if _, ok := c.Get("a", 8, now.Add(time.Second)); ok {
		t.Error("served past the session's expiry")
	}
	c.Put("a", "ana", 8, now, now.Add(time.Hour))
	c.Update("a", 7, func(v *string) { *v = "stale" })
	if v, _ := c.Get("a", 8, now); v != "ana" {
		t.Errorf("an update read at another generation was kept: %q", v)
	}
	for i := range 10 {
		c.Put(fmt.Sprint(i), "x", 8, now, now.Add(time.Hour))
	}
	if c.Len() > 3 {
		t.Errorf("%d entries, bound 3", c.Len())
	}
}
