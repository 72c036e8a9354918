package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// redirectVariants are "next" targets that browsers send to another host
// (or that are not plain paths), with the ones that must stay.
var redirectVariants = []struct {
	next string
	safe bool
}{
	{"/events/abc", true},
	{"/events/abc?page=2&origin=local", true},
	{"/groups/folk#posts", true},
	{"/%2Fevil.example", true}, // an encoded slash is no slash: still a path here
	{"", false},
	{"https://evil.example/", false},
	{"//evil.example", false},
	{"/\\evil.example", false},
	{"\\\\evil.example", false},
	{"/\t/evil.example", false}, // the review's finding: browsers drop the tab
	{"/\n/evil.example", false},
	{"/\r/evil.example", false},
	{" /evil", false},
	{"/ /evil.example", false},
	{"/\x00/evil.example", false},
	{"/\x7f/evil.example", false},
	{"/events//evil", false},
	{"/../evil", false},
	{"/./x", false},
	{"/%2e%2e/x", false},
	{"/a/.%2E/b", false},
	{"javascript:alert(1)", false},
	{"/\u3000/evil.example", false},
	{"/é", false},
	{"evil.example", false},
	{"?next=//evil", false},
}

func TestSafeNext(t *testing.T) {
	for _, tc := range redirectVariants {
		got := safeNext(tc.next)
		if tc.safe && got != tc.next {
			t.Errorf("safeNext(%q) = %q, want it kept", tc.next, got)
		}
		if !tc.safe && got != "/" {
			t.Errorf("safeNext(%q) = %q, want home", tc.next, got)
		}
	}
}

// browserResolve reads a Location the lenient way browsers do (WHATWG
// URL): surrounding controls and spaces trimmed, tabs and line breaks
// dropped anywhere, backslashes read as slashes; then resolved against
// the page it came from.
func browserResolve(base *url.URL, location string) (*url.URL, error) {
	location = strings.TrimFunc(location, func(r rune) bool { return r <= ' ' })
	location = strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(location)
	ref, err := url.Parse(location)
	if err != nil {
		return nil, err
	}
	return base.ResolveReference(ref), nil
}

// Whatever "next" says, what safeNext keeps stays on this site once a
// browser has read it, and is kept as given.
func FuzzSafeNext(f *testing.F) {
	for _, tc := range redirectVariants {
		f.Add(tc.next)
	}
	base, _ := url.Parse("https://convene.example/login")
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got == "/" {
			return
		}
		if got != next {
			t.Fatalf("safeNext(%q) = %q: kept targets are kept as given", next, got)
		}
		u, err := browserResolve(base, got)
		if err != nil {
			t.Fatalf("safeNext kept %q, which does not parse: %v", got, err)
		}
		if u.Scheme != "https" || u.Host != "convene.example" {
			t.Fatalf("safeNext kept %q, which a browser takes to %s", got, u)
		}
	})
}

// The login form sends people where they came from, and nowhere else:
// after logging in (a few variants, within the login rate limit), and
// when a logged-in person opens the login page (all variants).
func TestLoginRedirectStaysOnSite(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "ana@example.org", "ana", "a long enough password", false)
	for _, next := range []string{"/\t/evil.example", "/events/abc?page=2&origin=local", "//evil.example"} {
		want := safeNextWant(next)
		res := ti.postForm(t, ti.client(), "/login", url.Values{"login": {"ana"}, "password": {"a long enough password"}, "next": {next}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
			t.Errorf("next=%q: %d to %q, want 303 to %q", next, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
	c := ti.login(t, "ana", "a long enough password")
	for _, tc := range redirectVariants {
		res, _ := ti.get(t, c, "/login?next="+url.QueryEscape(tc.next))
		if want := safeNextWant(tc.next); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
			t.Errorf("logged in, GET /login?next=%q: %d to %q, want 303 to %q", tc.next, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
}

// safeNextWant is where a variant must lead: itself when safe, else home.
func safeNextWant(next string) string {
	for _, tc := range redirectVariants {
		if tc.next == next && tc.safe {
			return next
		}
	}
	return "/"
}
