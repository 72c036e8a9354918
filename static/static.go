// Package static holds the stylesheet, icons and the little JavaScript there
// is, embedded in the binary and served under checksum URLs so that a
// browser may cache them forever and never sees a stale one.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed *.css *.svg *.js leaflet
var files embed.FS

// Assets serves the embedded files and knows their checksum URLs.
type Assets struct {
	byURL map[string]string // "/static/style.3f2a9c1b.css" -> "style.css"
	urls  map[string]string // "style.css" -> "/static/style.3f2a9c1b.css"
	body  map[string][]byte // what is served: stylesheets minified
}

// Load computes the checksum URL of every embedded file.
func Load() *Assets {
	a := &Assets{byURL: map[string]string{}, urls: map[string]string{}, body: map[string][]byte{}}
	// Leaflet's files live in their folder (leaflet/leaflet.js), with
	// its licence.
	_ = fs.WalkDir(files, ".", func(name string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.HasSuffix(name, ".go") || !strings.Contains(name, ".") {
			return err
		}
		b, _ := files.ReadFile(name)
		if strings.HasSuffix(name, ".css") {
			b = minifyCSS(b)
		}
		a.body[name] = b
		sum := sha256.Sum256(b)
		dot := strings.LastIndexByte(name, '.')
		u := "/static/" + name[:dot] + "." + hex.EncodeToString(sum[:4]) + name[dot:]
		a.byURL[u] = name
		a.urls[name] = u
		return nil
	})
	return a
}

// Bytes returns an embedded file as served.
func (a *Assets) Bytes(name string) []byte { return a.body[name] }

// URL returns the checksum URL of an embedded file.
func (a *Assets) URL(name string) string { return a.urls[name] }

// ServeHTTP serves a file by its checksum URL, with immutable caching.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := a.byURL[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	b := a.body[name]
	switch {
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case strings.HasSuffix(name, ".svg"):
		w.Header().Set("Content-Type", "image/svg+xml")
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".png"):
		w.Header().Set("Content-Type", "image/png")
	case strings.HasSuffix(name, ".txt"):
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(b)
}
