package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"convene/app/store"
)

const (
	sessionCookie = "convene_session"
	flashCookie   = "convene_flash"
	sessionTTL    = 30 * 24 * time.Hour
	maxBodyBytes  = 12 << 20 // the largest upload we take, plus form fields
)

// requestState is who is asking, gathered once per request.
type requestState struct {
	SessionSecret string
	Account       *store.Account
	Identity      *store.Actor
	Identities    []store.Actor
	Flash         string

	// The session's entry in the viewer cache (fillSession), read at
	// viewerGeneration, and the header's count if known from it.
	viewerKey        string
	viewerGeneration uint64
	waiting          int
	waitingKnown     bool
}

type ctxKey int

const requestStateKey ctxKey = 0

func requestStateFrom(ctx context.Context) *requestState {
	rs, _ := ctx.Value(requestStateKey).(*requestState)
	return rs
}

// currentAccount returns the logged-in account, or nil.
func currentAccount(r *http.Request) *store.Account {
	if rs := requestStateFrom(r.Context()); rs != nil {
		return rs.Account
	}
	return nil
}

// currentIdentity returns the identity acting now, or nil.
func currentIdentity(r *http.Request) *store.Actor {
	if rs := requestStateFrom(r.Context()); rs != nil {
		return rs.Identity
	}
	return nil
}

// loadSession reads the session cookie and the flash message.
func (a *App) loadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs := &requestState{}
		if c, err := r.Cookie(flashCookie); err == nil {
			if msg, err := url.QueryUnescape(c.Value); err == nil {
				rs.Flash = msg
			}
			http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: a.secureCookies(), SameSite: http.SameSiteLaxMode})
		}
		ctx := r.Context()
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				// A logged-in page is read fresh every time (no page
				// cache): its reads share one read transaction, ended
				// at the first write or before the answer is written.
				var end func()
				ctx, end = a.store.ReadTogether(ctx)
				defer end()
				w = &endReadsWriter{ResponseWriter: w, ctx: ctx}
			}
			if err := a.fillSession(ctx, rs, c.Value); err != nil && !errors.Is(err, store.ErrNotFound) {
				a.log.Error("load session", "err", err)
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, requestStateKey, rs)))
	})
}

// viewer is what a session's requests read about who is asking, kept per
// session (app/sessioncache) until the next write to the store.
type viewer struct {
	sess         store.Session
	acc          store.Account
	ids          []store.Actor
	waiting      int
	waitingKnown bool
}

const (
	viewerCacheEntries = 10_000
	// viewerCacheTTL bounds what a write made outside the store's count
	// could leave stale.
	viewerCacheTTL = 10 * time.Second
)

func (a *App) fillSession(ctx context.Context, rs *requestState, secret string) error {
	key := store.HashSecret(secret)
	generation, now := a.store.Generation(), a.now()
	v, ok := a.viewers.Get(key, generation, now)
	if !ok || !now.Before(v.sess.ExpiresAt) {
		sess, err := a.store.SessionBySecret(ctx, secret)
		if err != nil {
			return err
		}
		acc, err := a.store.AccountByID(ctx, sess.AccountID)
		if err != nil {
			return err
		}
		ids, err := a.store.IdentitiesOf(ctx, acc.ID)
		if err != nil {
			return err
		}
		v = viewer{sess: *sess, acc: *acc, ids: ids}
		a.viewers.Put(key, v, generation, now, sess.ExpiresAt)
	}
	if !a.store.SeenThisStep(&v.sess) {
		if err := a.store.TouchSession(ctx, secret, v.acc.ID); err != nil {
			a.log.Warn("touch session", "err", err)
		}
	}
	// Copies: a handler may change what it is given.
	acc := v.acc
	ids := append([]store.Actor(nil), v.ids...)
	rs.SessionSecret = secret
	rs.viewerKey, rs.viewerGeneration = key, generation
	if v.waitingKnown {
		rs.waiting, rs.waitingKnown = v.waiting, true
	}
	rs.Account = &acc
	rs.Identities = ids
	for i := range ids {
		if ids[i].ID == v.sess.IdentityID {
			rs.Identity = &ids[i]
		}
	}
	if rs.Identity == nil && len(ids) > 0 {
		rs.Identity = &ids[0]
	}
	return nil
}

// waitingFor is the header's count for the logged-in account, kept with
// the session's viewer until the next write.
func (a *App) waitingFor(ctx context.Context, rs *requestState) int {
	if rs.waitingKnown {
		return rs.waiting
	}
	n, ok := a.countWaitingOK(ctx, rs.Account)
	if ok && rs.viewerKey != "" {
		a.viewers.Update(rs.viewerKey, rs.viewerGeneration, func(v *viewer) { v.waiting, v.waitingKnown = n, true })
	}
	return n
}

// endReadsWriter ends the request's read transaction (store.ReadTogether)
// before anything of the answer is written: a slow reader never holds it.
type endReadsWriter struct {
	http.ResponseWriter
	ctx   context.Context
	ended bool
}

func (w *endReadsWriter) end() {
	if !w.ended {
		w.ended = true
		store.EndReads(w.ctx)
	}
}

func (w *endReadsWriter) WriteHeader(code int) {
	w.end()
	w.ResponseWriter.WriteHeader(code)
}

func (w *endReadsWriter) Write(b []byte) (int, error) {
	w.end()
	return w.ResponseWriter.Write(b)
}

// Flush keeps a streamed page streaming.
func (w *endReadsWriter) Flush() {
	w.end()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *endReadsWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func setFlash(w http.ResponseWriter, msg string, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: "/", MaxAge: 60, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

// securityHeaders sets a strict Content-Security-Policy (no third-party
// request at all, no inline script) and refuses framing. Routes meant to
// be framed (the widget, later) override frame-ancestors themselves.
// tileOrigin, when set, is the map tile server the administrator chose:
// pictures (only) may come from it, once a visitor asks for a map.
func securityHeaders(next http.Handler, tileOrigin string) http.Handler {
	imgSrc := "img-src 'self' data:"
	if tileOrigin != "" {
		imgSrc += " " + tileOrigin
	}
	csp := "default-src 'self'; " + imgSrc + "; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	// The values are made once and shared by every response (Header.Set
	// allocates one each time): a handler that changes a header replaces
	// its value with Set, never writes into these.
	var (
		cspValue      = []string{csp}
		embedCSPValue = []string{embedCSP}
		deny          = []string{"DENY"}
		nosniff       = []string{"nosniff"}
		sameOrigin    = []string{"same-origin"}
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if r.URL.Path == embedPath {
			// The widget, and only it, is made to be framed by any site.
			h["Content-Security-Policy"] = embedCSPValue
		} else {
			h["Content-Security-Policy"] = cspValue
			h["X-Frame-Options"] = deny
		}
		h["X-Content-Type-Options"] = nosniff
		h["Referrer-Policy"] = sameOrigin
		next.ServeHTTP(w, r)
	})
}

// limitBody caps every request body.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &cappedBody{ReadCloser: http.MaxBytesReader(w, r.Body, maxBodyBytes), sent: r.Body}
		next.ServeHTTP(w, r)
	})
}

// cappedBody is a request body read through the cap, with what the client
// sends still reachable for drainRefusedBody.
type cappedBody struct {
	io.ReadCloser
	sent io.ReadCloser
}

// Draining a refused body is bounded in size and time: enough for a
// person's too-big photo, not a way to make us read forever.
const (
	maxDrainBytes = 64 << 20
	maxDrainTime  = 10 * time.Second
)

// drainRefusedBody reads and drops what is left of a body refused as too
// big, before the answer is written. A browser still sending a 50 MB
// photo when the server answers and closes gets a reset connection
// instead of the page that says what was wrong; reading the rest first
// lets the page through.
func drainRefusedBody(w http.ResponseWriter, r *http.Request) {
	body, ok := r.Body.(*cappedBody)
	if !ok {
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(maxDrainTime))
	_, _ = io.CopyN(io.Discard, body.sent, maxDrainBytes)
}

// statusRecorder remembers the status for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests writes one line per request: method, route, status,
// duration. The route is the pattern that matched ("/password/{token}"),
// never the path, which may carry a secret (a password or cancel link, a
// private calendar's address); no IP address and no query string either.
func (a *App) logRequests(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.log.Enabled(r.Context(), slog.LevelInfo) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		_, route := mux.Handler(r)
		next.ServeHTTP(rec, r)
		a.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("route", route),
			slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)))
	})
}
