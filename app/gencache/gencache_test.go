package gencache

import (
	"fmt"
	"testing"
	"time"
)

func TestValueServedOnlyForItsGeneration(t *testing.T) {
	c := New[string](10*time.Second, 10)
	now := time.Unix(1_800_000_000, 0)
	c.Put("home", 1, now, "list")
	if v, ok := c.Get("home", 1, now.Add(time.Second)); !ok || v != "list" {
		t.Fatalf("same generation: %q %v", v, ok)
	}
	if v, ok := c.Get("home", 2, now.Add(time.Second)); ok {
		t.Fatalf("after a write: %q served", v)
	}
	if c.Len() != 0 {
		t.Fatalf("a stale value is kept (%d)", c.Len())
	}
}

func TestValueExpiresWithTheClock(t *testing.T) {
	c := New[string](10*time.Second, 10)
	now := time.Unix(1_800_000_000, 0)
	c.Put("home", 1, now, "list")
	if _, ok := c.Get("home", 1, now.Add(10*time.Second)); ok {
		t.Fatal("served after its TTL")
	}
	c.Put("home", 1, now, "list")
	if _, ok := c.Get("home", 1, now.Add(-time.Second)); ok {
		t.Fatal("served when the clock went back")
	}
}

func TestBounded(t *testing.T) {
	c := New[int](time.Minute, 5)
	now := time.Unix(1_800_000_000, 0)
	for i := range 100 {
		c.Put(fmt.Sprint(i), 1, now, i)
		if c.Len() > 5 {
			t.Fatalf("%d values held, bound 5", c.Len())
		}
	}
	if v, ok := c.Get("99", 1, now); !ok || v != 99 {
		t.Fatalf("the last value: %d %v", v, ok)
	}
}
