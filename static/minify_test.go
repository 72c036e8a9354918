package static

import (
	"strings"
	"testing"
)

// The stylesheet as served stays under 30 KB (issue 12: pages stay
// light), and minifying keeps what matters: strings, the spaces
// selectors and calc() need.
func TestStylesheetUnder30KB(t *testing.T) {
	b := Load().Bytes("style.css")
	if len(b) == 0 || len(b) >= 30<<10 {
		t.Fatalf("the stylesheet served is %d bytes, want under %d", len(b), 30<<10)
	}
}

func TestMinifyCSS(t *testing.T) {
	in := `/* tokens */
:root { --x: 1px; }
header.site .menu > summary::before { content: "☰  "; }
.a .b,
.c:not(.d) > :first-child { margin: calc(-1 * var(--x)) 0; background: url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E"); }
@media (min-width: 48rem) {
  .e { padding: 0 .3rem; }
}
`
	want := `:root{--x:1px}header.site .menu>summary::before{content:"☰  "}.a .b,.c:not(.d)>:first-child{margin:calc(-1 * var(--x)) 0;background:url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E")}@media (min-width:48rem){.e{padding:0 .3rem}}`
	if got := string(minifyCSS([]byte(in))); got != want {
		t.Errorf("minified:\n%s\nwant\n%s", got, want)
	}
	if strings.Contains(string(Load().Bytes("style.css")), "/*") {
		t.Error("a comment is left in the stylesheet served")
	}
}
