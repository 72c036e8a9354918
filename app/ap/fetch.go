package ap

// Every remote fetch goes through a Fetcher so that a peer cannot make us
// reach into the machine's own network (SSRF), hold a connection forever, or
// hand us a document that claims to be something it is not.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"convene/app/admit"
)

// Errors a fetch returns; the federation code decides from them whether to
// retry (ErrTimeout, network errors) or give up (the rest).
var (
	ErrForbiddenAddress = errors.New("ap: address is not a public internet address")
	ErrNotHTTPS         = errors.New("ap: only https:// URLs may be fetched")
	ErrTooManyRedirects = errors.New("ap: too many redirects")
	ErrBodyTooLarge     = errors.New("ap: response body too large")
	ErrNotActivityJSON  = errors.New("ap: response is not ActivityStreams JSON")
	ErrIDMismatch       = errors.New("ap: document id is not the URL it was fetched from")
	ErrHostRefused      = errors.New("ap: the instance's federation policy refuses this host")
)

// StatusError is a non-2xx answer; 404 and 410 tell the caller an object is gone.
type StatusError struct {
	URL  string
	Code int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("ap: GET %s: HTTP %d", e.URL, e.Code)
}

// Accept header values. The ld+json form with the profile is the one the
// specification names; activity+json is what everyone actually serves.
const (
	ContentTypeActivityJSON = "application/activity+json"
	ContentTypeLDJSON       = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	AcceptActivity          = ContentTypeActivityJSON + ", " + ContentTypeLDJSON
)

// Limits a Fetcher applies unless its options say otherwise.
const (
	DefaultMaxBodyBytes   = 1 << 20
	DefaultConnectTimeout = 5 * time.Second
	DefaultFetchTimeout   = 20 * time.Second
	MaxRedirects          = 3
)

// The connection pool's bounds: idle connections kept in all (least
// recently used first out), and TLS sessions remembered for resumption.
const (
	MaxIdleConns        = 64
	MaxConnsPerHost     = 4
	tlsSessionCacheSize = 1024
)

// FetchOptions configures a Fetcher. The zero value is the production policy.
type FetchOptions struct {
	// UnsafeAllowPrivate permits http:// and loopback or private addresses,
	// for tests and for local trials with --unsafe-allow-private-federation.
	// Never on in production: it lets any peer make us request internal
	// services.
	UnsafeAllowPrivate bool

	ConnectTimeout time.Duration // per connection attempt; DefaultConnectTimeout if zero
	Timeout        time.Duration // whole fetch, body included; DefaultFetchTimeout if zero
	MaxBodyBytes   int64         // DefaultMaxBodyBytes if zero
	UserAgent      string

	// Resolve, when set, replaces DNS for host names: tests use it to make a
	// name point at a chosen address. The address check still applies to
	// whatever it returns.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)

	// RootCAs, when set, replaces the system roots (a test server's or an
	// ACME test CA's certificate).
	RootCAs *x509.CertPool
}

// Fetcher makes HTTP requests to remote servers under the address policy of
// its options. It is safe for concurrent use.
type Fetcher struct {
	opts   FetchOptions
	client *http.Client

	// exemptForTest lets a test treat exactly one loopback listener as if it
	// were on the public internet, so that a redirect from it to a private
	// address can be shown to be refused. Nothing outside tests sets it.
	exemptForTest func(netip.AddrPort) bool

	// hostAllowed, when set, is asked before any request (and redirect)
	// to a host; a refused host is never connected to.
	hostAllowed func(host string) bool
}

// SetHostPolicy makes every later request ask allowed first. Call it
// before the Fetcher is used.
func (f *Fetcher) SetHostPolicy(allowed func(host string) bool) { f.hostAllowed = allowed }

// NewFetcher builds a Fetcher with its own connection pool.
func NewFetcher(opts FetchOptions) *Fetcher {
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = DefaultConnectTimeout
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultFetchTimeout
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	f := &Fetcher{opts: opts}
	dialer := &net.Dialer{
		Timeout: opts.ConnectTimeout,
		// Control runs after DNS resolution with the exact address about to
		// be connected, for every connection including those of redirects,
		// so a name that resolves differently the second time (DNS
		// rebinding) is caught as well.
		Control: func(network, address string, _ syscall.RawConn) error {
			return f.checkDialAddress(address)
		},
	}
	transport := &http.Transport{
		// No proxy from the environment: the address check would then see the
		// proxy, not the peer.
		Proxy:       nil,
		DialContext: f.dialContext(dialer),
		// Session tickets make a second handshake with a server (the next
		// delivery to it, once its idle connection is closed) cheaper.
		// The key exchange stays Go's default, X25519MLKEM768 first: what
		// we send today stays private from whoever records it to decrypt
		// it with a quantum computer later. It is a quarter of a
		// handshake's cost on our side (README, Performance).
		TLSClientConfig: &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12,
			ClientSessionCache: tls.NewLRUClientSessionCache(tlsSessionCacheSize),
			NextProtos:         []string{"http/1.1"}},
		TLSHandshakeTimeout:   opts.ConnectTimeout,
		ResponseHeaderTimeout: opts.Timeout,
		// HTTP/1.1 only. What we send a server is a few small requests (a
		// delivery, a document or key fetch), rarely many at once: HTTP/2's
		// connection setup (preface and SETTINGS both ways, flow-control
		// frames, a reader goroutine on each side) costs more than its
		// multiplexing saves (README, Performance), and its connections
		// escape MaxIdleConns.
		// Connections are kept alive for reuse per host, no more than
		// MaxConnsPerHost to one server (as many as deliveries run at once
		// to it; a request dialling while another finishes would otherwise
		// open one more), and no more than MaxIdleConns idle in all, least
		// recently used closed first: a fan-out to thousands of servers
		// would otherwise keep a TLS connection, its buffers and keys, for
		// each of them.
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
		MaxIdleConns:        MaxIdleConns,
		MaxIdleConnsPerHost: MaxConnsPerHost,
		MaxConnsPerHost:     MaxConnsPerHost,
		IdleConnTimeout:     90 * time.Second,
	}
	f.client = &http.Client{
		Transport: transport,
		Timeout:   opts.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return ErrTooManyRedirects
			}
			if err := f.checkURL(req.URL); err != nil {
				return err
			}
			// A signature covers the request target and host, so the copy of
			// the headers Go carries over would not verify at the new place.
			if signer, ok := req.Context().Value(signerKey{}).(*Signer); ok {
				req.Header.Del("Signature")
				return signer.Sign(req, nil)
			}
			return nil
		},
	}
	return f
}

// Client is the guarded client, for callers that need other methods than
// GET (deliveries POST to inboxes under the same policy). Callers must still
// limit what they read from a response body.
func (f *Fetcher) Client() *http.Client { return f.client }

func (f *Fetcher) dialContext(dialer *net.Dialer) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		if f.hostAllowed != nil && !f.hostAllowed(address) {
			return nil, fmt.Errorf("%w: %s", ErrHostRefused, address)
		}
		if f.opts.Resolve == nil {
			return dialer.DialContext(ctx, network, address)
		}
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		if _, err := netip.ParseAddr(host); err == nil {
			return dialer.DialContext(ctx, network, address)
		}
		addrs, err := f.opts.Resolve(ctx, host)
		if err != nil {
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
		var firstErr error
		for _, a := range addrs {
			conn, err := dialer.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
			if err == nil {
				return conn, nil
			}
			if firstErr == nil {
				firstErr = err
			}
		}
		return nil, firstErr
	}
}

func (f *Fetcher) checkDialAddress(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrForbiddenAddress, address)
	}
	if f.opts.UnsafeAllowPrivate || (f.exemptForTest != nil && f.exemptForTest(ap)) {
		return nil
	}
	if !IsPublicAddress(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ap.Addr())
	}
	return nil
}

func (f *Fetcher) checkURL(u *url.URL) error {
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && f.opts.UnsafeAllowPrivate:
	default:
		return fmt.Errorf("%w: %s", ErrNotHTTPS, u.Redacted())
	}
	if u.Host == "" || u.User != nil {
		return fmt.Errorf("ap: refusing URL %q", u.Redacted())
	}
	if f.hostAllowed != nil && !f.hostAllowed(u.Host) {
		return fmt.Errorf("%w: %s", ErrHostRefused, u.Host)
	}
	return nil
}

type signerKey struct{}

// Response is what Fetch read: the body, its media type and the URL that
// finally answered, after redirects.
type Response struct {
	Body        []byte
	ContentType string
	FinalURL    string
}

// Fetch GETs rawURL with the given Accept header, signed by signer when it is
// not nil (servers in "authorized fetch" mode refuse unsigned GETs), and
// returns a body of at most MaxBodyBytes from a 2xx answer.
func (f *Fetcher) Fetch(ctx context.Context, rawURL, accept string, signer *Signer) (*Response, error) {
	// A page waiting on another server gives its turn to the others.
	defer admit.Away(ctx)()
	s, err := f.open(ctx, rawURL, accept, signer)
	if err != nil {
		return nil, err
	}
	defer s.Body.Close()
	body, err := io.ReadAll(s.Body)
	if errors.Is(err, ErrBodyTooLarge) {
		return nil, ErrBodyTooLarge
	}
	if err != nil {
		return nil, fmt.Errorf("ap: reading %s: %w", rawURL, err)
	}
	return &Response{Body: body, ContentType: s.ContentType, FinalURL: s.FinalURL}, nil
}

// Stream is a 2xx answer whose body is read as it arrives.
type Stream struct {
	// Body fails with ErrBodyTooLarge past MaxBodyBytes. Closing it ends
	// the fetch; the Fetcher's timeout covers the body too.
	Body        io.ReadCloser
	ContentType string
	FinalURL    string
	Length      int64 // announced length, -1 when unknown
}

// Open GETs rawURL like Fetch but hands the body over as it arrives, for a
// caller that parses while downloading or shows how far it got. Everything
// that can go wrong before the body (address policy, redirects, HTTP
// status, an announced length over the limit) is reported here.
func (f *Fetcher) Open(ctx context.Context, rawURL, accept string) (*Stream, error) {
	return f.open(ctx, rawURL, accept, nil)
}

func (f *Fetcher) open(ctx context.Context, rawURL, accept string, signer *Signer) (*Stream, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("ap: bad URL %q: %w", rawURL, err)
	}
	if err := f.checkURL(u); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	if signer != nil {
		ctx = context.WithValue(ctx, signerKey{}, signer)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Accept", accept)
	if f.opts.UserAgent != "" {
		req.Header.Set("User-Agent", f.opts.UserAgent)
	}
	if signer != nil {
		if err := signer.Sign(req, nil); err != nil {
			cancel()
			return nil, err
		}
	}
	resp, err := f.client.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		resp.Body.Close()
		cancel()
		return nil, &StatusError{URL: rawURL, Code: resp.StatusCode}
	}
	if resp.ContentLength > f.opts.MaxBodyBytes {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("%w: %d bytes announced", ErrBodyTooLarge, resp.ContentLength)
	}
	return &Stream{
		Body:        &limitedBody{body: resp.Body, left: f.opts.MaxBodyBytes, cancel: cancel},
		ContentType: resp.Header.Get("Content-Type"),
		FinalURL:    resp.Request.URL.String(),
		Length:      resp.ContentLength,
	}, nil
}

// limitedBody reads at most left bytes, and says ErrBodyTooLarge rather than
// a quiet EOF when the server had more to send.
type limitedBody struct {
	body   io.ReadCloser
	left   int64
	cancel context.CancelFunc
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		if n, _ := io.ReadFull(b.body, one[:]); n > 0 {
			return 0, ErrBodyTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.body.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error {
	err := b.body.Close()
	b.cancel()
	return err
}

// FetchObject GETs an ActivityStreams document and returns its raw JSON. The
// document is used only if it is served as ActivityStreams JSON and its id is
// the URL that answered: otherwise anyone able to upload a file to a server,
// or to redirect from it, could pass their document off as one of that
// server's objects (Mastodon's CVE-2024-23832).
func (f *Fetcher) FetchObject(ctx context.Context, rawURL string, signer *Signer) ([]byte, error) {
	body, id, finalURL, err := f.FetchDocument(ctx, rawURL, signer)
	if err != nil {
		return nil, err
	}
	if !SameURL(id, finalURL) {
		return nil, fmt.Errorf("%w: id %q fetched from %q", ErrIDMismatch, id, finalURL)
	}
	return body, nil
}

// FetchDocument GETs ActivityStreams JSON like FetchObject but leaves the
// id check to the caller, with the document's id and the URL that
// answered: a document whose id is not where it was found (GoToSocial's
// key stub at /main-key, whose id is its actor's) vouches for nothing by
// itself, and may only point at where the real document lives.
func (f *Fetcher) FetchDocument(ctx context.Context, rawURL string, signer *Signer) (body []byte, id, finalURL string, err error) {
	resp, err := f.Fetch(ctx, rawURL, AcceptActivity, signer)
	if err != nil {
		return nil, "", "", err
	}
	if !IsActivityContentType(resp.ContentType) {
		return nil, "", "", fmt.Errorf("%w: %q", ErrNotActivityJSON, resp.ContentType)
	}
	var doc struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(resp.Body, &doc); err != nil {
		return nil, "", "", fmt.Errorf("%w: %v", ErrNotActivityJSON, err)
	}
	return resp.Body, doc.ID, resp.FinalURL, nil
}

// IsActivityContentType reports whether a Content-Type is ActivityStreams
// JSON: application/activity+json, or application/ld+json with the
// ActivityStreams profile (plain ld+json could be any uploaded JSON-LD file).
func IsActivityContentType(contentType string) bool {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch mediaType {
	case "application/activity+json":
		return true
	case "application/ld+json":
		for p := range strings.FieldsSeq(params["profile"]) {
			if p == "https://www.w3.org/ns/activitystreams" {
				return true
			}
		}
	}
	return false
}

// SameURL compares two object ids the way hosts see them: scheme and host
// without case, default port implied, path and query exactly, fragment
// ignored (a fragment is never sent, so it cannot distinguish documents).
func SameURL(a, b string) bool {
	ua, err := url.Parse(a)
	if err != nil || a == "" {
		return false
	}
	ub, err := url.Parse(b)
	if err != nil || b == "" {
		return false
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) &&
		hostWithPort(ua) == hostWithPort(ub) &&
		ua.EscapedPath() == ub.EscapedPath() &&
		ua.RawQuery == ub.RawQuery &&
		ua.User == nil && ub.User == nil
}

func hostWithPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Hostname()) + ":" + port
}

// Ranges that are not reachable public unicast space, beyond what netip's own
// predicates cover. Sources: the IANA IPv4 and IPv6 Special-Purpose Address
// Registries. The IPv6 transition prefixes (NAT64, 6to4, Teredo) are refused
// because they embed an IPv4 address that could be a private one.
var forbiddenPrefixes = func() []netip.Prefix {
	var list []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network"
		"10.0.0.0/8",      // private
		"100.64.0.0/10",   // shared address space (carrier-grade NAT)
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local
		"172.16.0.0/12",   // private
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation TEST-NET-1
		"192.88.99.0/24",  // 6to4 relay anycast
		"192.168.0.0/16",  // private
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation TEST-NET-2
		"203.0.113.0/24",  // documentation TEST-NET-3
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, and 255.255.255.255 broadcast
		"::/128",          // unspecified
		"::1/128",         // loopback
		"::/96",           // IPv4-compatible (deprecated)
		"::ffff:0:0/96",   // IPv4-mapped, checked again after unmapping
		"64:ff9b::/96",    // NAT64
		"64:ff9b:1::/48",  // local-use NAT64
		"100::/64",        // discard-only
		"2001::/32",       // Teredo
		"2001:2::/48",     // benchmarking
		"2001:db8::/32",   // documentation
		"2001:10::/28",    // ORCHID
		"2001:20::/28",    // ORCHIDv2
		"2002::/16",       // 6to4
		"3fff::/20",       // documentation
		"5f00::/16",       // segment routing SIDs
		"fc00::/7",        // unique local
		"fe80::/10",       // link-local
		"fec0::/10",       // site-local (deprecated)
		"ff00::/8",        // multicast
	} {
		list = append(list, netip.MustParsePrefix(s))
	}
	return list
}()

// IsPublicAddress reports whether addr is ordinary public unicast space that
// a federation peer may live at. IPv4-mapped IPv6 forms are judged as the
// IPv4 address they carry.
func IsPublicAddress(addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	addr = addr.WithZone("")
	if addr.Is4In6() {
		addr = addr.Unmap()
	}
	if !addr.IsGlobalUnicast() || addr.IsPrivate() {
		return false
	}
	for _, p := range forbiddenPrefixes {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}
