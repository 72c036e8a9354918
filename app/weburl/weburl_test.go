package weburl

import (
	"net/url"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	kept := []string{
		"https://mobilizon.fr/events/5a1c",
		"http://127.0.0.1:8080/e?x=1#top",
		"HTTPS://Example.org/Path",
		"https://visio.example.org/room/a%20b",
		"https://user@meet.example.org/",
	}
	for _, s := range kept {
		if got := Check(s); got != s {
			t.Errorf("Check(%q) = %q, want it kept", s, got)
		}
	}
	dropped := []string{
		"", "javascript:alert(1)", "JavaScript:alert(document.cookie)", " javascript:alert(1)",
		"java\tscript:alert(1)", "java\nscript:alert(1)", "\x01javascript:alert(1)",
		"data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "file:///etc/passwd",
		"mailto:a@example.org", "ftp://example.org/x", "//evil.example/x", "/relative/path",
		"https:evil.example", "https:/evil.example", "https://", "http://exa mple.org/",
		"https:\\\\evil.example", "https://good.example\\@evil.example/", "https://example.org/\x7f",
		"https://example.org/\xff", "javascript://example.org/%0aalert(1)", "https://[::1/",
	}
	for _, s := range dropped {
		if got := Check(s); got != "" {
			t.Errorf("Check(%q) = %q, want it dropped", s, got)
		}
	}
}

// FuzzCheck: whatever Check keeps is the input unchanged, starts with
// http:// or https:// as a browser reads it (no character it would strip
// or reinterpret), and parses with a host. Seeds in testdata/fuzz.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"https://example.org/", "javascript:alert(1)", " http://x.test", "HtTpS://a.b/c?d#e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Check(s)
		if got == "" {
			if Is(s) {
				t.Fatalf("Is(%q) but Check dropped it", s)
			}
			return
		}
		if got != s {
			t.Fatalf("Check(%q) rewrote it to %q", s, got)
		}
		lower := strings.ToLower(s)
		if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
			t.Fatalf("Check kept %q, which a browser would not open as http(s)", s)
		}
		for _, r := range s {
			if r <= ' ' || r == 0x7f || r == '\\' {
				t.Fatalf("Check kept %q, with %U a browser strips or rewrites", s, r)
			}
		}
		if u, err := url.Parse(s); err != nil || u.Host == "" {
			t.Fatalf("Check kept %q, which has no host (%v)", s, err)
		}
	})
}
