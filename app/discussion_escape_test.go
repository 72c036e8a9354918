package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"convene/app/store"
)

// A discussion's messages are drawn by hand-written Go, not by the
// template (views/discussion_messages.go): what a member chose as a name
// must still reach the page as text, never as markup, in the author
// line, the initials and the report link.
func TestDiscussionMessageAuthorIsEscaped(t *testing.T) {
	ti := newTestInstance(t)
	alice, bob, _, _ := groupWithMembers(t, ti)
	hostile := `<img src=x onerror="alert(1)">&'Bob`
	if err := ti.App.store.UpdateIdentity(context.Background(), bob.Account.ID, bob.Identity.ID,
		store.IdentityUpdate{DisplayName: hostile}); err != nil {
		t.Fatal(err)
	}
	res := ti.postForm(t, bob.Client, "/groups/velo/discussions", url.Values{"title": {"Ride"}, "body": {"hello"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("start discussion: %d", res.StatusCode)
	}
	_, body := ti.get(t, alice.Client, res.Header.Get("Location"))
	if strings.Contains(body, `<img src=x`) || strings.Contains(body, `onerror="alert`) {
		t.Fatal("the author's name reached the page as markup")
	}
	want := `<strong class="author">&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&amp;&#39;Bob</strong>`
	if !strings.Contains(body, want) {
		i := strings.Index(body, `class="author"`)
		t.Fatalf("author line not escaped as text; want %s near:\n%s", want, body[max(0, i-200):min(len(body), i+300)])
	}
}
