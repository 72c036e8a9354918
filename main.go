// Command convene is a federated events platform in one binary: run it with
// no arguments and it serves on localhost with a data file in the current
// folder.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
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
  convene version                  print the version

Flags of serve:
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "convene:", err)
		}
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
	data     string
	listen   string
	baseURL  string
	verbose  bool
	smtpURL  string
	mailFrom string
}

func serveFlags(o *serveOptions, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("convene", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.data, "data", env("CONVENE_DATA", "convene.db"), "the database file (env CONVENE_DATA)")
	fs.StringVar(&o.listen, "listen", env("CONVENE_LISTEN", "localhost:8080"), "address to serve HTTP on (env CONVENE_LISTEN)")
	fs.StringVar(&o.baseURL, "base-url", env("CONVENE_BASE_URL", ""), "public URL of the instance (env CONVENE_BASE_URL; default http://LISTEN)")
	fs.BoolVar(&o.verbose, "verbose", false, "log every request")
	fs.StringVar(&o.smtpURL, "smtp-url", env("CONVENE_SMTP_URL", ""), "SMTP server for email: smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465 (env CONVENE_SMTP_URL; empty: no email)")
	fs.StringVar(&o.mailFrom, "mail-from", env("CONVENE_MAIL_FROM", ""), "sender address of emails (env CONVENE_MAIL_FROM; default noreply@ the instance's host)")
	fs.Usage = func() {
		fmt.Fprint(out, usage)
		fs.PrintDefaults()
	}
	return fs
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o serveOptions
	fs := serveFlags(&o, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (is another program using it? choose another with --listen)", o.listen, err)
	}
	if o.baseURL == "" {
		o.baseURL = "http://" + displayAddr(ln.Addr().String())
	}
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.New(ctx, app.Config{DataPath: o.data, BaseURL: o.baseURL, Schema: schema, Logger: logger,
		SMTPURL: o.smtpURL, MailFrom: o.mailFrom})
	if err != nil {
		ln.Close()
		return err
	}
	defer a.Close()
	a.StartWorkers(ctx)
	fmt.Fprintf(stdout, "Convene %s serving %s (data: %s)\n", app.Version, o.baseURL, o.data)
	link, err := a.SetupLink(ctx)
	if err != nil {
		return err
	}
	if link != "" {
		fmt.Fprintf(stdout, "\nNo account yet. Open this one-time link to create the owner account:\n\n    %s\n\n", link)
	}
	return a.Serve(ctx, ln)
}

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
