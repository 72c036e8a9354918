package views

import (
	"net/url"
	"strings"
	"unicode"
)

func queryEscape(s string) string { return url.QueryEscape(s) }

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
