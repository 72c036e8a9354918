package doccache

import (
	"fmt"
	"testing"
)

func TestDocumentServedOnlyForItsVersion(t *testing.T) {
	c := New(10)
	v1 := c.Version(1)
	c.Put("alice", v1, "application/activity+json", []byte(`{"name":"Alice"}`))
	if d := c.Get("alice", v1); d == nil || string(d.Body) != `{"name":"Alice"}` || d.ETag == "" {
		t.Fatalf("same version: %+v", d)
	}
	if d := c.Get("alice", c.Version(2)); d != nil {
		t.Fatalf("after a write: %s served", d.Body)
	}
}

// A rendering begun before Forget (settings changed meanwhile) is never
// kept: it may hold the old settings.
func TestRenderingBegunBeforeForgetIsNotKept(t *testing.T) {
	c := New(10)
	before := c.Version(1)
	c.Forget()
	if d := c.Put("instance", before, "application/activity+json", []byte(`{"name":"Old"}`)); string(d.Body) != `{"name":"Old"}` {
		t.Fatalf("Put returned %s", d.Body)
	}
	if c.Len() != 0 {
		t.Fatalf("kept a rendering begun before Forget (%d documents)", c.Len())
	}
	if d := c.Get("instance", c.Version(1)); d != nil {
		t.Fatalf("served a rendering begun before Forget: %s", d.Body)
	}
}

func TestCacheStaysBounded(t *testing.T) {
	c := New(3)
	v := c.Version(1)
	for i := range 10 {
		c.Put(fmt.Sprint(i), v, "application/json", []byte("{}"))
		if c.Len() > 3 {
			t.Fatalf("%d documents held, bound is 3", c.Len())
		}
	}
}
