package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"convene/app/i18n"
	"convene/app/store"
	"convene/views"

	"github.com/a-h/templ"
)

// handlerFunc is a handler that returns its failure instead of writing it;
// the handler adapter turns the error into a page.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// publicError is an error with a status and a message safe to show. The
// wrapped internal error (if any) is only logged.
type publicError struct {
	Status  int
	Message string // already translated or translated by the adapter
	Err     error
	// RetryAfter, in seconds, tells a client refused for being busy when
	// to come back (sent as Retry-After when set).
	RetryAfter int
}

func (e *publicError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

func (e *publicError) Unwrap() error { return e.Err }

func errNotFound() error {
	return &publicError{Status: http.StatusNotFound, Message: "This page does not exist."}
}

func errForbidden(msg string) error { return &publicError{Status: http.StatusForbidden, Message: msg} }

func errBadRequest(msg string) error {
	return &publicError{Status: http.StatusBadRequest, Message: msg}
}

// handle adapts a handlerFunc: it renders errors as pages and logs the
// internal ones. A panic is recovered into a 500 page.
func (a *App) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.log.Error("panic", "path", r.URL.Path, "panic", v)
				a.renderError(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
			}
		}()
		err := h(w, r)
		if err == nil {
			return
		}
		var pe *publicError
		switch {
		case errors.As(err, &pe):
			if pe.Err != nil {
				a.log.Warn("request refused", "path", r.URL.Path, "status", pe.Status, "err", pe.Err)
			}
			if pe.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(pe.RetryAfter))
			}
			a.renderError(w, r, pe.Status, pe.Message)
		case errors.Is(err, store.ErrNotFound):
			a.renderError(w, r, http.StatusNotFound, "This page does not exist.")
		case errors.Is(err, context.Canceled):
			// The visitor went away; nothing to answer.
		default:
			a.log.Error("request failed", "path", r.URL.Path, "err", err)
			a.renderError(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		}
	})
}

func (a *App) renderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	p := a.page(r, "")
	switch status {
	case http.StatusNotFound:
		p.Title = p.T("Not found")
	case http.StatusMethodNotAllowed:
		p.Title = p.T("Not allowed")
	case http.StatusForbidden:
		p.Title = p.T("Not allowed")
	case http.StatusTooManyRequests:
		p.Title = p.T("Too many attempts")
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		p.Title = p.T("That did not work")
	default:
		p.Title = p.T("Something went wrong")
	}
	p.NoIndex = true
	w.Header().Set("Cache-Control", "no-store")
	a.render(w, r, status, views.ErrorPage(p, status, p.T(message)))
}

// render writes a templ component as an HTML page with a status.
func (a *App) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	if status == http.StatusRequestEntityTooLarge {
		drainRefusedBody(w, r)
	}
	// Everything the page shows is read by now: the connection goes
	// back to the pool while the template is drawn.
	store.EndReads(r.Context())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Drawn into a pooled buffer, then written at once: the page's
	// hundreds of small writes otherwise reach the ResponseWriter in
	// pieces, each copied and each growing its buffer.
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledRenderBuffer {
			buf.Reset()
			renderBuffers.Put(buf)
		}
	}()
	if err := c.Render(r.Context(), buf); err != nil {
		a.log.Warn("render", "path", r.URL.Path, "err", err)
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// renderStreaming is render for a page that pushes itself out while it
// is drawn (a component that flushes): written as it goes.
func (a *App) renderStreaming(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.Render(r.Context(), w); err != nil {
		a.log.Warn("render", "path", r.URL.Path, "err", err)
	}
	return nil
}

// renderBuffers hold pages being drawn; one grown past
// maxPooledRenderBuffer (a huge page) is left to the collector.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledRenderBuffer = 1 << 20

// redirect answers a form post with 303 See Other, optionally carrying a
// flash message shown on the next page.
func (a *App) redirect(w http.ResponseWriter, r *http.Request, to, flash string) error {
	if flash != "" {
		setFlash(w, flash, a.secureCookies())
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// page gathers what every page needs, once per request.
func (a *App) page(r *http.Request, title string) views.Page {
	ctx := r.Context()
	rs := requestStateFrom(ctx)
	p := views.Page{
		L:        a.printer(r),
		Title:    title,
		SiteName: a.setting(ctx, SettingName),
		Path:     r.URL.RequestURI(),
		Asset:    a.assets.URL,
		LogoURL:  a.logoURL(ctx),
		ThemeURL: a.themeURL(ctx),
		Map:      a.mapTiles,
	}
	if rs != nil {
		p.Account = rs.Account
		p.Identity = rs.Identity
		p.Identities = rs.Identities
		p.Flash = rs.Flash
		if rs.Account != nil {
			p.Waiting = a.waitingFor(ctx, rs)
		}
	}
	return p
}

// printer chooses the language: the account's setting, else the
// browser's Accept-Language, else the instance default.
func (a *App) printer(r *http.Request) *i18n.Printer {
	var pref string
	if rs := requestStateFrom(r.Context()); rs != nil && rs.Account != nil {
		pref = rs.Account.Locale
	}
	return i18n.For(i18n.Negotiate(a.setting(r.Context(), SettingLanguage), pref, r.Header.Get("Accept-Language")))
}

// safeNext keeps a "come back here" target on this site: a path, never a
// scheme or another host. Browsers are lenient where an attacker needs
// them to be: they drop tabs and line breaks anywhere in a URL ("/\t/evil"
// becomes "//evil", another host), read a backslash as a slash, and
// resolve dot segments. So only plain printable ASCII is taken, without a
// backslash, without "//" anywhere, and without dot segments; anything
// else goes home.
func safeNext(next string) string {
	if next == "" || len(next) > 2000 || next[0] != '/' {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return "/"
		}
	}
	if strings.Contains(next, "//") {
		return "/"
	}
	path, _, _ := strings.Cut(next, "?")
	path, _, _ = strings.Cut(path, "#")
	for seg := range strings.SplitSeq(strings.ToLower(path), "/") {
		switch seg {
		case ".", "..", "%2e", ".%2e", "%2e.", "%2e%2e": // browsers read %2e as a dot here
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return next
}
