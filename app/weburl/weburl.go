// Package weburl decides whether a string from elsewhere (a peer's
// document, a form, the database) may become a link on our pages: only an
// absolute http or https URL with a host does. Anything else — javascript:,
// data:, vbscript:, a scheme hidden behind whitespace or control
// characters a browser would strip, a relative path a peer has no business
// sending — is refused, so it can never be clicked.
package weburl

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// Check returns s when it is an absolute http(s) URL with a host, and ""
// otherwise. It never rewrites s: a link either stays as its author wrote
// it or goes.
func Check(s string) string {
	if s == "" || !utf8.ValidString(s) {
		return ""
	}
	// Browsers drop tabs and newlines inside URLs and trim spaces and
	// control characters around them, and read a backslash as a slash:
	// refuse them all rather than guess what a browser would make of them.
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return s
	}
	return ""
}

// Is reports whether s passes Check.
func Is(s string) bool { return s != "" && Check(s) == s }
