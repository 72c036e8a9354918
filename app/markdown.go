package app

import (
	"bytes"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// linkRel is what every link in a description carries: the organiser's
// links are theirs, not the instance's (ugc, nofollow), and the page
// opened must not reach back into ours (noopener).
const linkRel = "nofollow noopener ugc"

// markdownRenderer and its sanitiser are configuration, built once and
// read-only afterwards (both are safe for concurrent use).
var markdownRenderer = sync.OnceValues(func() (goldmark.Markdown, *bluemonday.Policy) {
	md := goldmark.New(
		// Raw HTML stays omitted (goldmark's default): what people type
		// in angle brackets is never interpreted.
		goldmark.WithExtensions(extension.Linkify, extension.Strikethrough, extension.Table),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(descriptionTransformer{}, 100))),
	)
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^` + linkRel + `$`)).OnElements("a")
	p.RequireNoFollowOnLinks(true)
	p.AllowURLSchemes("http", "https", "mailto")
	return md, p
})

// renderMarkdown turns an organiser's Markdown into HTML safe to put in a
// page: goldmark renders it without raw HTML, then bluemonday keeps only
// harmless elements and attributes. Invalid UTF-8 is replaced first, so
// the output is always valid UTF-8.
func renderMarkdown(src string) string {
	md, policy := markdownRenderer()
	src = strings.ToValidUTF8(src, "\uFFFD")
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		// goldmark only fails when writing fails; a bytes.Buffer does not.
		return "<p>" + htmlEscape(src) + "</p>"
	}
	return policy.Sanitize(buf.String())
}

func htmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
	return r.Replace(s)
}

// descriptionTransformer adapts the Markdown tree to an event page:
//   - links get rel="nofollow noopener ugc";
//   - pictures become links to them, because an image from another host
//     would make every visitor's browser call that host (we promise no
//     third-party request, and the CSP would block it anyway);
//   - headings go two levels down, since the page's title is the h1 and
//     its sections are h2.
type descriptionTransformer struct{}

func (descriptionTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	var images []*ast.Image
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			n.SetAttributeString("rel", []byte(linkRel))
		case *ast.AutoLink:
			n.SetAttributeString("rel", []byte(linkRel))
		case *ast.Image:
			images = append(images, n)
		case *ast.Heading:
			n.Level = min(n.Level+2, 6)
		}
		return ast.WalkContinue, nil
	})
	for _, img := range images {
		link := ast.NewLink()
		link.Destination = img.Destination
		link.Title = img.Title
		link.SetAttributeString("rel", []byte(linkRel))
		for c := img.FirstChild(); c != nil; {
			next := c.NextSibling()
			link.AppendChild(link, c)
			c = next
		}
		if link.ChildCount() == 0 {
			link.AppendChild(link, ast.NewString(img.Destination))
		}
		img.Parent().ReplaceChild(img.Parent(), img, link)
	}
}

// remoteHTMLPolicy sanitises the description of a remote event: the
// policy of our own Markdown, less pictures. Its text, links, lists and
// tables stay; an <img> would make every reader's browser ask the
// picture's server (a third-party request, and a tracker), so it goes:
// the event's own picture is shown from our copy (remote_pictures.go).
var remoteHTMLPolicy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardAttributes()
	p.AllowStandardURLs()
	p.AllowElements("article", "aside", "figure", "figcaption", "section", "summary", "details", "hgroup",
		"h1", "h2", "h3", "h4", "h5", "h6", "br", "div", "hr", "p", "span", "wbr",
		"abbr", "acronym", "cite", "code", "dfn", "em", "mark", "s", "samp", "strong", "sub", "sup", "var",
		"b", "i", "pre", "small", "strike", "tt", "u", "blockquote", "q", "del", "ins")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("cite").OnElements("blockquote", "q", "del", "ins")
	p.AllowLists()
	p.AllowTables()
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^` + linkRel + `$`)).OnElements("a")
	p.RequireNoFollowOnLinks(true)
	p.AllowURLSchemes("http", "https", "mailto")
	return p
})
