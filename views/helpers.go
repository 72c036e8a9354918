package views

import (
	"net/url"

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
