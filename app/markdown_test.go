package app

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

func TestRenderMarkdown(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    []string // substrings the HTML must contain
		notWant []string
	}{
		{"emphasis and lists", "Bring **boots** and *water*:\n\n- a map\n- a torch\n",
			[]string{"<strong>boots</strong>", "<em>water</em>", "<li>a map</li>"}, nil},
		{"link gets rel", "[Programme](https://example.org/prog)",
			[]string{`<a href="https://example.org/prog" rel="nofollow noopener ugc">Programme</a>`}, nil},
		{"bare URL is linked", "See https://example.org/info for more.",
			[]string{`href="https://example.org/info"`, `rel="nofollow noopener ugc"`}, nil},
		{"raw HTML is not interpreted", "Hello <script>alert(1)</script> <b onclick=x>bold</b>",
			nil, []string{"<script", "onclick", "<b"}},
		{"javascript link is dropped", "[click](javascript:alert(1))",
			[]string{"click"}, []string{"javascript:"}},
		{"data link is dropped", "[x](data:text/html;base64,PHNjcmlwdD4=)", nil, []string{"data:"}},
		{"image becomes a link", "![The hall](https://tracker.example/pixel.png)",
			[]string{`<a href="https://tracker.example/pixel.png" rel="nofollow noopener ugc">The hall</a>`}, []string{"<img"}},
		{"headings go down two levels", "# Programme\n\n## Evening", []string{"<h3>Programme</h3>", "<h4>Evening</h4>"}, []string{"<h1"}},
		{"code stays text", "`<script>`", []string{"<code>&lt;script&gt;</code>"}, []string{"<script>"}},
		{"invalid UTF-8 is replaced", "caf\xe9 au lait", []string{"caf\uFFFD au lait"}, nil},
		{"mailto allowed", "[write](mailto:hello@example.org)", []string{`href="mailto:hello@example.org"`}, nil},
		{"empty", "", nil, []string{"<p>"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := renderMarkdown(tc.in)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("output contains %q:\n%s", w, got)
				}
			}
			checkSafeHTML(t, tc.in, got)
		})
	}
}

// checkSafeHTML parses out as a browser would and fails on anything that
// could run script or leave the page's trust: script/style/iframe
// elements, on* attributes, javascript:/data:/vbscript: URLs.
func checkSafeHTML(t *testing.T, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("output is not valid UTF-8 for %q", in)
	}
	if strings.Contains(strings.ToLower(out), "<script") {
		t.Fatalf("output has a script for %q:\n%s", in, out)
	}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "style", "iframe", "object", "embed", "form", "input", "img", "svg", "math", "link", "meta", "base":
			t.Fatalf("output has a <%s> for %q:\n%s", tok.Data, in, out)
		}
		for _, at := range tok.Attr {
			key := strings.ToLower(at.Key)
			if strings.HasPrefix(key, "on") || key == "style" || key == "srcdoc" || key == "formaction" {
				t.Fatalf("output has attribute %s for %q:\n%s", at.Key, in, out)
			}
			if key == "href" || key == "src" || key == "action" || key == "cite" {
				v := strings.ToLower(strings.Map(func(r rune) rune {
					if r <= ' ' {
						return -1
					}
					return r
				}, at.Val))
				for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
					if strings.HasPrefix(v, scheme) {
						t.Fatalf("output links to %s for %q:\n%s", at.Val, in, out)
					}
				}
			}
			if tok.Data == "a" && key == "rel" && at.Val != linkRel {
				t.Fatalf("link with rel %q for %q", at.Val, in)
			}
		}
	}
}

func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{
		"", "plain", "**bold** _it_ ~~del~~", "[a](https://x.org)", "<script>alert(1)</script>",
		"[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](java\tscript:alert(1))",
		"![a](x.png)", "<img src=x onerror=alert(1)>", "<a href=\"javascript:x\">y</a>",
		"| a | b |\n|---|---|\n| <i onmouseover=1> | c |", "```\n<script>\n```",
		"[x](&#106;avascript:alert(1))", "<svg/onload=alert(1)>", "\xff\xfe<scr\x00ipt>",
		"www.example.org", "<!-- x --><style>*{}</style>", "[x]: javascript:alert(1)\n\n[x]",
		"# h\n## h\n###### h", "> quote\n\n1. one\n2. two",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkSafeHTML(t, in, renderMarkdown(in))
	})
}
