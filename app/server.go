package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Server timeouts: generous enough for a phone on a slow line uploading a
// banner, short enough that idle or stalled connections are let go.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	shutdownTimeout   = 20 * time.Second
)

// ServeOptions say where and how an instance is served.
type ServeOptions struct {
	// HTTP is the plain HTTP listener: the whole site, or with TLS set only
	// ACME challenges and a redirect to HTTPS.
	HTTP net.Listener
	// HTTPS and TLS together turn on automatic HTTPS.
	HTTPS net.Listener
	TLS   *TLSOptions
	// TrustedProxy is the IP address of a reverse proxy whose
	// X-Forwarded-For and X-Forwarded-Proto are believed; from anyone else
	// those headers are dropped.
	TrustedProxy string
}

// Serve answers HTTP on the listener until ctx is cancelled, then stops
// accepting, lets in-flight requests finish (bounded) and returns nil.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	return a.Run(ctx, ServeOptions{HTTP: ln})
}

// Run serves as o says until ctx is cancelled, then shuts every server
// down gracefully: listeners close at once, requests in flight get up to
// shutdownTimeout to finish.
func (a *App) Run(ctx context.Context, o ServeOptions) error {
	site := a.Handler()
	if o.TrustedProxy != "" {
		site = trustProxy(o.TrustedProxy, site)
	} else {
		site = dropForwarded(site)
	}
	if o.TLS == nil {
		return a.runServers(ctx, map[*http.Server]net.Listener{a.newServer(ctx, site): o.HTTP}, nil)
	}
	return a.runTLS(ctx, o, site)
}

func (a *App) newServer(ctx context.Context, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		// Requests keep their own context through a shutdown: the point is
		// to let them finish.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:    quietServerLog(a.log),
	}
}

// runServers serves each server on its listener (with TLS when serveTLS
// says so) and, once ctx ends, shuts them all down together.
func (a *App) runServers(ctx context.Context, servers map[*http.Server]net.Listener, serveTLS map[*http.Server]bool) error {
	errc := make(chan error, len(servers))
	for srv, ln := range servers {
		go func() {
			if serveTLS[srv] {
				errc <- srv.ServeTLS(ln, "", "")
			} else {
				errc <- srv.Serve(ln)
			}
		}()
	}
	select {
	case err := <-errc:
		for srv := range servers {
			srv.Close()
		}
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for srv := range servers {
		wg.Go(func() {
			if err := srv.Shutdown(shutdownCtx); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("shutdown: %w (some requests were cut off)", err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for range servers {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// dropForwarded removes X-Forwarded-* headers that nobody vouches for, so
// that no code further in can be fooled by a visitor sending them.
func dropForwarded(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("X-Forwarded-For")
		r.Header.Del("X-Forwarded-Proto")
		r.Header.Del("X-Forwarded-Host")
		next.ServeHTTP(w, r)
	})
}

// trustProxy believes X-Forwarded-For and X-Forwarded-Proto only when the
// connection comes from the proxy's address: the visitor's address (the
// last hop the proxy added) becomes RemoteAddr, for rate limits.
func trustProxy(proxy string, next http.Handler) http.Handler {
	proxyIP := net.ParseIP(proxy)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil || proxyIP == nil || !net.ParseIP(host).Equal(proxyIP) {
			dropForwarded(next).ServeHTTP(w, r)
			return
		}
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				r.RemoteAddr = net.JoinHostPort(ip.String(), "0")
			}
		}
		next.ServeHTTP(w, r)
	})
}

// requestIsHTTPS tells whether the visitor's connection is encrypted,
// directly or at a trusted proxy.
func requestIsHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// healthz answers monitors: 200 "ok" when the database answers a query
// within two seconds, 503 otherwise. It carries no page chrome and no
// session work, so it stays cheap.
func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := a.store.Ping(ctx); err != nil {
		a.log.Error("health check: the database does not answer", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "database unavailable\n")
		return
	}
	io.WriteString(w, "ok\n")
}
