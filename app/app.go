// Package app is Convene's web application: configuration, routes, handlers
// and the background work of one instance. An App holds all its state (no
// globals), so several can run in one process, as tests do.
package app

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"convene/app/admit"
	"convene/app/doccache"
	"convene/app/gencache"
	"convene/app/geocode"
	"convene/app/picture"
	"convene/app/sessioncache"
	"convene/app/store"
	"convene/static"
	"convene/views"
)

// Version is the program's version, set at build time with -ldflags.
var Version = "dev"

// Config is everything an instance is told at start.
type Config struct {
	DataPath string       // the SQLite file
	BaseURL  string       // public URL, e.g. https://events.example.org (no trailing slash)
	Schema   string       // contents of schema.sql
	Logger   *slog.Logger // nil: discard
	// Now is the clock; nil means time.Now. Tests move it.
	Now func() time.Time
	// SMTPURL is smtp://user:pass@host:587 (STARTTLS) or
	// smtps://user:pass@host:465 (TLS); empty turns mail off.
	SMTPURL  string
	MailFrom string // the sender address; default noreply@ the instance's host
	// MailRootCAs, when set, replaces the system's roots for the SMTP
	// server's certificate: tests trust their own in-process server this way.
	MailRootCAs *x509.CertPool
	// UnsafeAllowPrivateFederation lets federation reach http:// URLs and
	// loopback or private addresses: for tests and local trials only, as it
	// lets any peer make the server request internal services.
	UnsafeAllowPrivateFederation bool
	// FederationResolve, when set, replaces DNS for federation requests
	// (tests make a name resolve to a chosen address, or not at all).
	FederationResolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// FederationRootCAs, when set, replaces the system's roots for peers'
	// certificates: tests and benchmarks trust their own loopback TLS
	// peers this way.
	FederationRootCAs *x509.CertPool
	// GeocoderURL is a Nominatim-compatible service turning addresses into
	// coordinates (app/geocode); empty turns geocoding off.
	GeocoderURL string
	// TileURL is the map tile server visitors' browsers load tiles from,
	// after they ask for a map ({z}/{x}/{y} in it); empty: no maps.
	// TileAttribution is the credit its terms ask for.
	TileURL, TileAttribution string
}

// App is one running Convene instance.
type App struct {
	cfg      Config
	log      *slog.Logger
	store    *store.Store
	assets   *static.Assets
	baseURL  *url.URL
	limits   *limiters
	pictures *picture.Processor // decodes pictures a few at a time
	hasher   *passwordHasher    // hashes passwords a few at a time
	// deviceKey signs the cookie of browsers that logged in before.
	deviceKey [32]byte
	mailer    *mailer       // nil when no SMTP server is configured
	mailPoke  chan struct{} // wakes the mail worker
	// dailyPoke makes the daily worker look at the clock again (tests
	// that move Config.Now use it instead of waiting an hour).
	dailyPoke chan struct{}
	fed       *federation
	pages     *pageCache                       // public pages as anonymous visitors get them; nil: off
	docs      *doccache.Cache                  // WebFinger answers and actor documents, public to all
	lists     *gencache.Cache[views.EventList] // pages of public event lists, the same for everyone (home.go)
	cards     *gencache.Cache[string]          // those pages' cards drawn, per language (home.go)
	events    *gencache.Cache[*store.Event]    // events anyone may read in full, for their page (events.go)
	comments  *gencache.Cache[eventComments]   // those events' visible comments and reactions (comments.go)
	jsonLD    *gencache.Cache[string]          // and their schema.org structured data (previews.go)
	// drawnEvents are those events' pages as every reader sees them, drawn
	// per language (events.go).
	drawnEvents *gencache.Cache[drawnEvent]
	// drawnHomes are home pages drawn, per language (home.go).
	drawnHomes *gencache.Cache[drawnHome]
	// filtersDrawn is the home page's search form drawn, per language
	// (home.go): at most one per language of i18n's catalogue.
	filtersDrawn sync.Map
	viewers      *sessioncache.Cache[viewer]    // who each session is, for that session only (middleware.go)
	policy       atomic.Pointer[policySnapshot] // federation policy in force; nil until first read
	admit        *admit.Limiter                 // pages worked on at once, the others queued in order
	workers      workers

	mu       sync.Mutex
	settings map[string]string // cached instance settings; nil when stale

	pending pendingImports // import previews waiting for confirmation

	geocoder *geocode.Client // nil when no geocoder is configured
	mapTiles views.MapTiles  // where maps come from; zero: no maps
}

// Pages worked on at once (app/admit), per core Go may use: enough for
// one to compute while others wait on the database, few enough that 200
// visitors queue in order rather than all sharing the cores, and the
// database pool's 8 connections at two cores. A page's slot is freed
// once it has written admitRelease bytes (a large export to a slow
// reader holds none).
const (
	admitPerCPU  = 4
	admitRelease = 256 << 10
)

// New opens the database (creating and migrating it as needed) and builds
// the instance.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("the base URL %q is not an http(s) URL with a host", cfg.BaseURL)
	}
	m, err := newMailer(cfg, base.Host)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.DataPath, cfg.Schema)
	if err != nil {
		return nil, err
	}
	st.SetClock(cfg.Now)
	a := &App{
		cfg:         cfg,
		log:         cfg.Logger,
		store:       st,
		assets:      static.Load(),
		baseURL:     base,
		limits:      newLimiters(cfg.Now),
		pictures:    newPictureProcessor(),
		hasher:      newPasswordHasher(),
		mailer:      m,
		mailPoke:    make(chan struct{}, 1),
		dailyPoke:   make(chan struct{}, 1),
		fed:         newFederation(cfg),
		pages:       newPageCache(),
		docs:        doccache.New(publicDocCacheEntries),
		lists:       gencache.New[views.EventList](listCacheTTL, listCacheEntries),
		cards:       gencache.New[string](listCacheTTL, listCacheEntries),
		events:      gencache.New[*store.Event](eventCacheTTL, eventCacheEntries),
		comments:    gencache.New[eventComments](eventCacheTTL, eventCacheEntries),
		jsonLD:      gencache.New[string](eventCacheTTL, eventCacheEntries),
		drawnEvents: gencache.New[drawnEvent](eventCacheTTL, eventCacheEntries),
		drawnHomes:  gencache.New[drawnHome](listCacheTTL, listCacheEntries),
		viewers:     sessioncache.New[viewer](viewerCacheEntries, viewerCacheTTL),
		admit:       admit.New(admitPerCPU*runtime.GOMAXPROCS(0), admitRelease),
	}
	a.fed.fetcher.SetHostPolicy(a.federationAllowed)
	a.fed.pictures.SetHostPolicy(a.federationAllowed)
	_, _ = rand.Read(a.deviceKey[:])
	if a.mapTiles, err = mapTiles(cfg); err != nil {
		st.Close()
		return nil, err
	}
	if a.geocoder, err = newGeocoder(cfg, st); err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// Store gives access to the database (for subcommands and tests).
func (a *App) Store() *store.Store { return a.store }

// Close stops the background workers, waits for them, and closes the
// database (checkpointing its log).
func (a *App) Close() error {
	a.stopWorkers()
	return a.store.Close()
}

func (a *App) now() time.Time { return a.cfg.Now() }

// URL makes an absolute URL on this instance from a path.
func (a *App) URL(path string) string { return a.cfg.BaseURL + path }

// secureCookies tells whether cookies get the Secure flag: whenever the
// public URL is HTTPS.
func (a *App) secureCookies() bool { return a.baseURL.Scheme == "https" }

// Host is the instance's host name (with port when not the default).
func (a *App) Host() string { return a.baseURL.Host }

// Handler returns the instance's whole HTTP handler.
func (a *App) Handler() http.Handler { return a.routes() }
