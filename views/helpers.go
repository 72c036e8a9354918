package views

import (
	"net/url"
	"strings"
	"unicode"

	"github.com/a-h/templ"

	"convene/app/weburl"
)

func queryEscape(s string) string { return url.QueryEscape(s) }

// webURL is how every link whose address came from a person or a peer
// (an online address, a registration link, a remote event's page, a
// resource) reaches a page: checked again here, whatever the parser or
// the form let in, so that only an http(s) URL is ever clickable; anything
// else becomes inert.
func webURL(s string) templ.SafeURL {
	if weburl.Check(s) == "" {
		return "about:blank"
	}
	return templ.SafeURL(s)
}

// isWebURL reports whether s would be a live link (see webURL).
func isWebURL(s string) bool { return weburl.Is(s) }

// nameInitials are the first letters of the first two words of a name, for
// an avatar without a picture.
func nameInitials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				out = append(out, unicode.ToUpper(r))
				break
			}
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}
