package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"
)

// TLSOptions configure automatic HTTPS for one domain.
type TLSOptions struct {
	Domain string
	Email  string // given to the CA for expiry notices; may be empty
	// CA is the ACME directory URL; empty means Let's Encrypt.
	CA string
	// CARoots, when set, are the roots trusted for the connection to the CA
	// (a private or test CA); nil means the system's.
	CARoots *x509.CertPool

	// onlyChallenge lets tests prove each challenge type works on its
	// own: "http-01" or "tls-alpn-01"; empty offers both.
	onlyChallenge string
}

// hstsMaxAge is one year: browsers then refuse plain HTTP to this name
// even if a network tries to downgrade them. No includeSubDomains: other
// names under the domain may not be ours.
const hstsMaxAge = "max-age=31536000"

// CheckDomain tells whether name can get a public certificate, with a
// message saying what is wrong.
func CheckDomain(name string) error {
	switch {
	case name == "":
		return errors.New("the domain is empty")
	case strings.Contains(name, "://") || strings.ContainsAny(name, "/:@ "):
		return fmt.Errorf("the domain %q should be a bare host name like events.example.org (no scheme, port or path)", name)
	case net.ParseIP(name) != nil:
		return fmt.Errorf("the domain %q is an IP address: certificates are issued for names, point a DNS name at this machine", name)
	case !strings.Contains(strings.Trim(name, "."), "."):
		return fmt.Errorf("the domain %q has no dot: use the full name people type, like events.example.org", name)
	case !certmagic.SubjectQualifiesForPublicCert(name):
		return fmt.Errorf("the domain %q cannot get a public certificate (internal or malformed name)", name)
	}
	for _, label := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if len(label) == 0 || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return fmt.Errorf("the domain %q is not a valid host name", name)
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return fmt.Errorf("the domain %q is not a valid host name (write international names in their xn-- form)", name)
			}
		}
	}
	return nil
}

// runTLS serves the site over HTTPS with a certificate certmagic obtains
// and renews in the background, keeping everything in the database. The
// plain HTTP listener answers ACME HTTP-01 challenges and sends everyone
// else to HTTPS; the HTTPS listener also answers TLS-ALPN-01 challenges.
func (a *App) runTLS(ctx context.Context, o ServeOptions, site http.Handler) error {
	if o.HTTPS == nil || o.HTTP == nil {
		return errors.New("automatic HTTPS needs both an HTTPS and an HTTP listener")
	}
	if err := CheckDomain(o.TLS.Domain); err != nil {
		return err
	}
	nop := zap.NewNop()
	var magic *certmagic.Config
	cache := certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return magic, nil },
		Logger:           nop,
	})
	defer cache.Stop()
	magic = certmagic.New(cache, certmagic.Config{
		Storage: a.store.CertStorage(),
		Logger:  nop,
		OnEvent: a.logCertEvent,
		// Let's Encrypt has stopped OCSP; fetching staples would only add
		// outgoing requests.
		OCSP: certmagic.OCSPConfig{DisableStapling: true},
	})
	httpHost, httpPort := splitPort(o.HTTP.Addr())
	_, httpsPort := splitPort(o.HTTPS.Addr())
	ca := o.TLS.CA
	if ca == "" {
		ca = certmagic.LetsEncryptProductionCA
	}
	issuer := certmagic.NewACMEIssuer(magic, certmagic.ACMEIssuer{
		CA:           ca,
		Email:        o.TLS.Email,
		Agreed:       true,
		TrustedRoots: o.TLS.CARoots,
		// Our own listeners are on these ports, so certmagic finds them
		// busy and relies on our handlers instead of opening its own.
		ListenHost:     httpHost,
		AltHTTPPort:    httpPort,
		AltTLSALPNPort: httpsPort,
		Logger:         nop,

		DisableHTTPChallenge:    o.TLS.onlyChallenge == "tls-alpn-01",
		DisableTLSALPNChallenge: o.TLS.onlyChallenge == "http-01",
	})
	magic.Issuers = []certmagic.Issuer{issuer}

	tlsConf := magic.TLSConfig()
	tlsConf.NextProtos = append([]string{"h2", "http/1.1"}, tlsConf.NextProtos...)
	tlsConf.MinVersion = tls.VersionTLS12

	httpsSrv := a.newServer(ctx, hsts(site))
	httpsSrv.TLSConfig = tlsConf
	httpSrv := a.newServer(ctx, issuer.HTTPChallengeHandler(redirectToHTTPS(o.TLS.Domain, httpsPort)))

	// Obtaining runs in the background so the site answers at once (with
	// the stored certificate when there is one); failures are retried with
	// backoff by certmagic and logged through logCertEvent.
	if err := magic.ManageAsync(ctx, []string{o.TLS.Domain}); err != nil {
		return fmt.Errorf("automatic HTTPS for %s: %w", o.TLS.Domain, err)
	}
	return a.runServers(ctx,
		map[*http.Server]net.Listener{httpsSrv: o.HTTPS, httpSrv: o.HTTP},
		map[*http.Server]bool{httpsSrv: true})
}

// logCertEvent reports certificate life events through the instance log
// (certmagic's own zap logs are switched off: too chatty).
func (a *App) logCertEvent(ctx context.Context, event string, data map[string]any) error {
	switch event {
	case "cert_obtained":
		a.log.Warn("certificate obtained", "name", data["identifier"], "renewal", data["renewal"])
	case "cert_failed":
		a.log.Error("could not get a certificate; will retry, the current one (if any) keeps being used",
			"name", data["identifier"], "renewal", data["renewal"], "err", data["error"])
	case "cert_obtaining":
		a.log.Info("asking the CA for a certificate", "name", data["identifier"])
	}
	return nil
}

// hsts tells browsers to use HTTPS only, from now on.
func hsts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", hstsMaxAge)
		next.ServeHTTP(w, r)
	})
}

// redirectToHTTPS sends plain HTTP visitors to the same path over HTTPS.
func redirectToHTTPS(domain string, httpsPort int) http.Handler {
	host := domain
	if httpsPort != 443 && httpsPort != 0 {
		host = net.JoinHostPort(domain, strconv.Itoa(httpsPort))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := http.StatusMovedPermanently
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			status = http.StatusPermanentRedirect // keep the method and body
		}
		w.Header().Set("Connection", "close")
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), status)
	})
}

func splitPort(addr net.Addr) (string, int) {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "", 0
	}
	n, _ := strconv.Atoi(port)
	if host == "::" || host == "0.0.0.0" {
		host = ""
	}
	return host, n
}

// quietServerLog routes net/http's own error lines to slog, dropping TLS
// handshake failures: scanners cause them all day long, and each line
// would carry a visitor's IP address.
func quietServerLog(l *slog.Logger) *log.Logger {
	return log.New(serverLogWriter{l}, "", 0)
}

type serverLogWriter struct{ l *slog.Logger }

func (w serverLogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	if !strings.Contains(msg, "TLS handshake error") {
		if i := strings.Index(msg, " from "); i >= 0 {
			msg = msg[:i] // "http: ... from IP:port: ..." carries an address
		}
		w.l.Warn("http server", "msg", msg)
	}
	return len(p), nil
}
