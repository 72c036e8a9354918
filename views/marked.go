package views

import (
	"context"
	"html"
	"io"
	"strings"

	"github.com/a-h/templ"
)

// Marked renders text in which the store marked search matches between
// \x02 and \x03: the text is escaped, the marks become <mark>.
func Marked(s string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		var b strings.Builder
		for {
			i := strings.IndexByte(s, '\x02')
			if i < 0 {
				b.WriteString(html.EscapeString(strings.ReplaceAll(s, "\x03", "")))
				break
			}
			b.WriteString(html.EscapeString(strings.ReplaceAll(s[:i], "\x03", "")))
			s = s[i+1:]
			j := strings.IndexByte(s, '\x03')
			if j < 0 {
				j = len(s)
			}
			b.WriteString("<mark>" + html.EscapeString(strings.ReplaceAll(s[:j], "\x02", "")) + "</mark>")
			if j < len(s) {
				s = s[j+1:]
			} else {
				s = ""
			}
		}
		_, err := io.WriteString(w, b.String())
		return err
	})
}
