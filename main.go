// Command convene is a federated events platform in one binary: run it with
// no arguments and it serves on localhost with a data file in the current
// folder.
package main

import (
	"context"
	"crypto/x509"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	_ "time/tzdata" // the zone database travels in the binary

	"convene/app"
)

//go:embed schema.sql
var schema string

const usage = `Convene: your own events page, federated.

Usage:
  convene [flags]                  serve (the default)
  convene serve [flags]            serve
  convene admin create-user --email E --username U [--admin] [--data PATH]
                                   create an account and print a link to set its password
  convene backup FILE [--data PATH]
                                   write a consistent copy of the database to FILE (safe while serving)
  convene export --email E [--data PATH] > FILE.json
                                   write one account's own data as JSON
  convene doctor [--data PATH] [--domain NAME]
                                   check what usually goes wrong when going online, and say what to fix
  convene version                  print the version

Flags of serve:
`

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		// Asking for help is a success; the usage is already printed.
	default:
		fmt.Fprintln(os.Stderr, "convene:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "admin":
		return admin(ctx, args, stdout, stderr)
	case "backup":
		return backup(ctx, args, stdout, stderr)
	case "export":
		return export(ctx, args, stdout, stderr)
	case "doctor":
		return doctor(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "convene", app.Version)
		return nil
	case "help":
		fmt.Fprint(stdout, usage)
		serveFlags(new(serveOptions), stdout).PrintDefaults()
		return nil
	default:
		return fmt.Errorf("unknown command %q (try convene --help)", cmd)
	}
}

// env returns the environment variable, or def when unset.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

type serveOptions struct {
	data        string
	listen      string
	httpListen  string
	baseURL     string
	domain      string
	acmeCA      string
	acmeEmail   string
	acmeCARoot  string
	behindProxy string
	verbose     bool
	smtpURL     string
	mailFrom    string
	// unsafeFederation lets federation reach loopback and private addresses
	// over plain http, for local trials; never in production.
	unsafeFederation bool
	geocoderURL      string // a Nominatim-compatible service; empty: no geocoding
	tileURL          string // map tiles, loaded by visitors' browsers when they ask; empty: no maps
	tileAttribution  string
}

func serveFlags(o *serveOptions, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("convene", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.data, "data", env("CONVENE_DATA", "convene.db"), "the database file (env CONVENE_DATA)")
	fs.StringVar(&o.listen, "listen", env("CONVENE_LISTEN", ""), "address to serve on (env CONVENE_LISTEN; default localhost:8080, or :443 with --domain)")
	fs.StringVar(&o.httpListen, "http-listen", env("CONVENE_HTTP_LISTEN", ":80"), "with --domain: address for plain HTTP (ACME challenges and the redirect to HTTPS)")
	fs.StringVar(&o.baseURL, "base-url", env("CONVENE_BASE_URL", ""), "public URL of the instance (env CONVENE_BASE_URL; default https://DOMAIN or http://LISTEN)")
	fs.StringVar(&o.domain, "domain", env("CONVENE_DOMAIN", ""), "serve HTTPS for this name with an automatic certificate (env CONVENE_DOMAIN)")
	fs.StringVar(&o.acmeCA, "acme-ca", env("CONVENE_ACME_CA", ""), "ACME directory URL of the certificate authority (default Let's Encrypt)")
	fs.StringVar(&o.acmeEmail, "acme-email", env("CONVENE_ACME_EMAIL", ""), "email given to the certificate authority for expiry notices")
	fs.StringVar(&o.acmeCARoot, "acme-ca-root", env("CONVENE_ACME_CA_ROOT", ""), "PEM file of a root to trust when talking to a private or test CA")
	fs.StringVar(&o.behindProxy, "behind-proxy", env("CONVENE_BEHIND_PROXY", ""), "IP address of a reverse proxy whose X-Forwarded-For/-Proto headers are trusted")
	fs.BoolVar(&o.verbose, "verbose", false, "log every request")
	fs.StringVar(&o.smtpURL, "smtp-url", env("CONVENE_SMTP_URL", ""), "SMTP server for email: smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465 (env CONVENE_SMTP_URL; empty: no email)")
	fs.StringVar(&o.mailFrom, "mail-from", env("CONVENE_MAIL_FROM", ""), "sender address of emails (env CONVENE_MAIL_FROM; default noreply@ the instance's host)")
	fs.StringVar(&o.geocoderURL, "geocoder-url", env("CONVENE_GEOCODER_URL", ""), "Nominatim-compatible service turning addresses into map positions, e.g. https://nominatim.openstreetmap.org (env CONVENE_GEOCODER_URL; empty: off; at most 1 request per second is sent)")
	fs.StringVar(&o.tileURL, "tile-url", env("CONVENE_TILE_URL", app.DefaultTileURL), "map tiles, with {z}, {x} and {y}; visitors' browsers load them only after pressing Show map; a busy instance should use its own or a commercial tile server (env CONVENE_TILE_URL; empty: no maps)")
	fs.StringVar(&o.tileAttribution, "tile-attribution", env("CONVENE_TILE_ATTRIBUTION", app.DefaultTileAttribution), "the credit the tile server asks to show on maps (env CONVENE_TILE_ATTRIBUTION)")
	fs.BoolVar(&o.unsafeFederation, "unsafe-allow-private-federation", false, "UNSAFE, for tests and local trials only: let federation use http:// and loopback or private addresses (any peer could then make this server request internal services)")
	fs.Usage = func() {
		fmt.Fprint(out, usage)
		fs.PrintDefaults()
	}
	return fs
}

// serveMemoryLimit is the soft memory limit of a serving process.
const serveMemoryLimit = 100 << 20

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o serveOptions
	fs := serveFlags(&o, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags start with --)", fs.Arg(0))
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// Go lets its heap grow to twice what is live before collecting;
		// a soft limit makes it collect sooner instead, so that a burst of
		// pictures or logins (each bounded in app) does not double into
		// the memory a Raspberry Pi needs for everything else. Above the
		// limit Go still works, only collecting more often. GOMEMLIMIT
		// overrides it on a larger machine.
		debug.SetMemoryLimit(serveMemoryLimit)
	}
	so := app.ServeOptions{}
	if o.behindProxy != "" {
		if net.ParseIP(o.behindProxy) == nil {
			return fmt.Errorf("--behind-proxy %q is not an IP address: give the address your proxy connects from, like 127.0.0.1", o.behindProxy)
		}
		so.TrustedProxy = o.behindProxy
	}
	if o.domain != "" {
		o.domain = strings.ToLower(strings.TrimSuffix(o.domain, "."))
		if err := app.CheckDomain(o.domain); err != nil {
			return fmt.Errorf("%w (check --domain)", err)
		}
		tlsOpts, err := acmeOptions(o)
		if err != nil {
			return err
		}
		so.TLS = tlsOpts
		if o.listen == "" {
			o.listen = ":443"
		}
	}
	if o.listen == "" {
		o.listen = "localhost:8080"
	}
	// Check the database before taking ports: a read-only or damaged file
	// must stop us with one clear line, and the ports stay free.
	if err := app.CheckDataFile(ctx, o.data); err != nil {
		return err
	}
	ln, err := listen(o.listen, "--listen")
	if err != nil {
		return err
	}
	if so.TLS != nil {
		so.HTTPS = ln
		if so.HTTP, err = listen(o.httpListen, "--http-listen"); err != nil {
			ln.Close()
			return err
		}
		if o.baseURL == "" {
			o.baseURL = "https://" + o.domain
			if _, port, _ := net.SplitHostPort(ln.Addr().String()); port != "443" && o.behindProxy == "" {
				o.baseURL = "https://" + net.JoinHostPort(o.domain, port)
			}
		}
	} else {
		so.HTTP = ln
		if o.baseURL == "" {
			o.baseURL = "http://" + displayAddr(ln.Addr().String())
		}
	}
	closeListeners := func() {
		for _, l := range []net.Listener{so.HTTP, so.HTTPS} {
			if l != nil {
				l.Close()
			}
		}
	}
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.New(ctx, app.Config{DataPath: o.data, BaseURL: o.baseURL, Schema: schema, Logger: logger,
		SMTPURL: o.smtpURL, MailFrom: o.mailFrom, UnsafeAllowPrivateFederation: o.unsafeFederation,
		GeocoderURL: o.geocoderURL, TileURL: o.tileURL, TileAttribution: o.tileAttribution})
	if err != nil {
		closeListeners()
		return app.ExplainOpenError(o.data, err)
	}
	defer a.Close()
	a.StartWorkers(ctx)
	fmt.Fprintf(stdout, "Convene %s serving %s (data: %s)\n", app.Version, o.baseURL, o.data)
	if o.unsafeFederation {
		fmt.Fprintln(stdout, unsafeFederationWarning)
		fmt.Fprintln(stderr, unsafeFederationWarning)
	}
	link, err := a.SetupLink(ctx)
	if err != nil {
		closeListeners()
		return app.ExplainOpenError(o.data, err)
	}
	if link != "" {
		fmt.Fprintf(stdout, "\nNo account yet. Open this one-time link to create the owner account:\n\n    %s\n\n", link)
	}
	if err := a.Run(ctx, so); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Convene stopped cleanly.")
	return nil
}

func listen(addr, flagName string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("cannot listen on %s: another program is using that port (stop it, or choose another port with %s)", addr, flagName)
	case errors.Is(err, syscall.EACCES):
		return nil, fmt.Errorf("cannot listen on %s: ports below 1024 need a privilege (run as a systemd service with AmbientCapabilities=CAP_NET_BIND_SERVICE, or choose another port with %s)", addr, flagName)
	}
	return nil, fmt.Errorf("cannot listen on %s: %w (choose another address with %s)", addr, err, flagName)
}

// acmeOptions turns the ACME flags into TLS options.
func acmeOptions(o serveOptions) (*app.TLSOptions, error) {
	t := &app.TLSOptions{Domain: o.domain, Email: o.acmeEmail, CA: o.acmeCA}
	if o.acmeCA != "" {
		if u, err := url.Parse(o.acmeCA); err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("--acme-ca %q is not an https URL of an ACME directory", o.acmeCA)
		}
	}
	if o.acmeCARoot != "" {
		pemBytes, err := os.ReadFile(o.acmeCARoot)
		if err != nil {
			return nil, fmt.Errorf("cannot read --acme-ca-root: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("--acme-ca-root %s holds no PEM certificate", o.acmeCARoot)
		}
		t.CARoots = pool
	}
	return t, nil
}

const unsafeFederationWarning = `
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!! WARNING: --unsafe-allow-private-federation IS ON.                        !!
!! Federation may reach http:// URLs and loopback or private addresses: any !!
!! peer can make this server request services on its own network.           !!
!! Use it only for tests and local trials, never on a public server.        !!
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!`

// displayAddr turns a listening address into one a browser can open.
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "127.0.0.1" || host == "::1" || host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func admin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create-user" {
		return errors.New("usage: convene admin create-user --email E --username U [--admin] [--data PATH]")
	}
	fs := flag.NewFlagSet("convene admin create-user", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", env("CONVENE_DATA", "convene.db"), "the database file (env CONVENE_DATA)")
	baseURL := fs.String("base-url", env("CONVENE_BASE_URL", "http://localhost:8080"), "public URL used in the printed link")
	email := fs.String("email", "", "the account's email")
	username := fs.String("username", "", "the username of its first identity")
	isAdmin := fs.Bool("admin", false, "make the account an administrator")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" || *username == "" {
		return errors.New("both --email and --username are needed")
	}
	a, err := app.New(ctx, app.Config{DataPath: *data, BaseURL: *baseURL, Schema: schema})
	if err != nil {
		return err
	}
	defer a.Close()
	link, err := a.CreateUser(ctx, *email, *username, *isAdmin)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Account %s created with identity @%s.\nOpen this one-time link to set its password (valid 7 days):\n\n    %s\n", *email, strings.ToLower(*username), link)
	return nil
}

func backup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("convene backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", env("CONVENE_DATA", "convene.db"), "the database file (env CONVENE_DATA)")
	// The file may come before or after the flags.
	var dest string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		dest, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if dest == "" && fs.NArg() == 1 {
		dest = fs.Arg(0)
	} else if fs.NArg() > 0 || dest == "" {
		return errors.New("usage: convene backup FILE [--data PATH]")
	}
	size, err := app.Backup(ctx, *data, dest)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Backup written to %s (%d KiB). To restore: stop convene, put this file in place of %s, start convene.\n", dest, (size+1023)/1024, *data)
	return nil
}

func export(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("convene export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", env("CONVENE_DATA", "convene.db"), "the database file (env CONVENE_DATA)")
	baseURL := fs.String("base-url", env("CONVENE_BASE_URL", "http://localhost:8080"), "public URL of the instance, for the links in the export")
	email := fs.String("email", "", "the account's email")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" || fs.NArg() > 0 {
		return errors.New("usage: convene export --email E [--data PATH] > FILE.json")
	}
	if err := app.CheckDataFile(ctx, *data); err != nil {
		return err
	}
	if _, err := os.Stat(*data); err != nil {
		return fmt.Errorf("there is no database at %s: give its path with --data", *data)
	}
	a, err := app.New(ctx, app.Config{DataPath: *data, BaseURL: *baseURL, Schema: schema})
	if err != nil {
		return app.ExplainOpenError(*data, err)
	}
	defer a.Close()
	return a.WriteExport(ctx, stdout, *email)
}

func doctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("convene doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", env("CONVENE_DATA", "convene.db"), "the database file (env CONVENE_DATA)")
	domain := fs.String("domain", env("CONVENE_DOMAIN", ""), "the name the instance is served at (env CONVENE_DOMAIN)")
	smtpURL := fs.String("smtp-url", env("CONVENE_SMTP_URL", ""), "the SMTP server, as given to serve (env CONVENE_SMTP_URL)")
	acmeCA := fs.String("acme-ca", env("CONVENE_ACME_CA", ""), "ACME directory URL, whose clock is compared with ours")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.New("usage: convene doctor [--data PATH] [--domain NAME] [--smtp-url URL]")
	}
	n := app.Doctor(ctx, stdout, app.DoctorOptions{DataPath: *data, Domain: strings.ToLower(*domain), SMTPURL: *smtpURL, ClockURL: *acmeCA})
	if n > 0 {
		return fmt.Errorf("%d problem(s) found", n)
	}
	return nil
}
