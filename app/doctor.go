package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"convene/app/store"

	"github.com/caddyserver/certmagic"
)

// DoctorOptions say what `convene doctor` looks at.
type DoctorOptions struct {
	DataPath string
	Domain   string
	SMTPURL  string
	// ClockURL is an HTTPS address whose Date header the clock is compared
	// with; empty means the ACME CA's directory.
	ClockURL string
}

// Doctor checks what usually goes wrong when putting an instance online
// and prints, for each check, "ok", "skip" or "FIX" with what to do. It
// changes nothing. It returns the number of problems found.
func Doctor(ctx context.Context, out io.Writer, o DoctorOptions) int {
	problems := 0
	report := func(status, what, msg string) {
		if status == "FIX" {
			problems++
		}
		fmt.Fprintf(out, "%-4s  %-9s %s\n", status, what, msg)
	}

	// The database.
	if err := CheckDataFile(ctx, o.DataPath); err != nil {
		report("FIX", "database", err.Error())
	} else if _, err := os.Stat(o.DataPath); errors.Is(err, os.ErrNotExist) {
		report("ok", "database", fmt.Sprintf("%s does not exist yet; it will be created at the first start (its folder is writable)", o.DataPath))
	} else if err := store.Writable(ctx, o.DataPath); err != nil {
		report("FIX", "database", ExplainOpenError(o.DataPath, err).Error())
	} else {
		report("ok", "database", fmt.Sprintf("%s is sound and writable", o.DataPath))
	}

	// The name, the ports, the clock: only with a domain.
	if o.Domain == "" {
		report("skip", "dns", "no --domain given: nothing to check (give the name people will type, like events.example.org)")
		report("skip", "ports", "no --domain given: ports 80 and 443 are only needed for automatic HTTPS")
		report("skip", "clock", "no --domain given: the clock is compared with a certificate authority only when going online")
	} else if err := CheckDomain(o.Domain); err != nil {
		report("FIX", "dns", err.Error())
	} else {
		problems += doctorNetwork(ctx, o, report)
	}

	if o.SMTPURL == "" {
		report("skip", "smtp", "no --smtp-url configured: Convene sends no email (visitors cannot join events without an account)")
	} else if u, err := url.Parse(o.SMTPURL); err != nil || u.Host == "" {
		report("FIX", "smtp", "the SMTP URL is not valid: write it like smtp://user:password@host:587")
	} else {
		host := u.Host
		if u.Port() == "" {
			port := "587"
			if u.Scheme == "smtps" {
				port = "465"
			}
			host = net.JoinHostPort(u.Hostname(), port)
		}
		conn, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", host)
		if err != nil {
			report("FIX", "smtp", fmt.Sprintf("cannot reach %s: check the host and port, and that this machine may send mail out (some hosts block ports 25/465/587)", host))
		} else {
			conn.Close()
			report("ok", "smtp", fmt.Sprintf("%s answers", host))
		}
	}
	if problems == 0 {
		fmt.Fprintln(out, "\nNothing to fix.")
	} else {
		fmt.Fprintf(out, "\n%d thing(s) to fix, see the FIX lines above.\n", problems)
	}
	return problems
}

// doctorNetwork checks DNS, ports and clock for the domain.
func doctorNetwork(ctx context.Context, o DoctorOptions, report func(status, what, msg string)) int {
	fixes := 0
	fix := func(what, msg string) { fixes++; report("FIX", what, msg) }
	lookup, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(lookup, o.Domain)
	if err != nil || len(addrs) == 0 {
		fix("dns", fmt.Sprintf("%s does not resolve: at your DNS provider, add an A record (and AAAA for IPv6) pointing to this machine's public address", o.Domain))
		return fixes
	}
	local := localAddresses()
	var here, elsewhere []string
	for _, a := range addrs {
		if local[a.IP.String()] {
			here = append(here, a.IP.String())
		} else {
			elsewhere = append(elsewhere, a.IP.String())
		}
	}
	switch {
	case len(elsewhere) == 0:
		report("ok", "dns", fmt.Sprintf("%s points to this machine (%v)", o.Domain, here))
	case len(here) == 0:
		// Behind a home router the public address is the router's: not an
		// error by itself, the port checks below tell.
		report("warn", "dns", fmt.Sprintf("%s points to %v, not an address of this machine: fine behind a router that forwards ports 80 and 443 here; otherwise fix the A/AAAA record", o.Domain, elsewhere))
	default:
		fix("dns", fmt.Sprintf("%s points both here %v and elsewhere %v: remove the records that are not this machine, or certificates will fail at random", o.Domain, here, elsewhere))
	}
	for _, port := range []string{"80", "443"} {
		var failed []string
		for _, a := range addrs {
			conn, err := (&net.Dialer{Timeout: 3 * time.Second}).DialContext(ctx, "tcp", net.JoinHostPort(a.IP.String(), port))
			if err != nil {
				failed = append(failed, a.IP.String())
				continue
			}
			conn.Close()
		}
		if len(failed) == 0 {
			report("ok", "ports", fmt.Sprintf("port %s answers on every address of %s", port, o.Domain))
		} else {
			fix("ports", fmt.Sprintf("nothing answers on port %s at %v: start convene --domain %s, open the port in the firewall, or forward it on your router", port, failed, o.Domain))
		}
	}
	clockURL := o.ClockURL
	if clockURL == "" {
		clockURL = certmagic.LetsEncryptProductionCA
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodHead, clockURL, nil)
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		fix("clock", fmt.Sprintf("cannot reach %s to compare clocks: this machine needs to reach the certificate authority over HTTPS", clockURL))
		return fixes
	}
	res.Body.Close()
	theirs, err := http.ParseTime(res.Header.Get("Date"))
	if err != nil {
		report("skip", "clock", "the certificate authority sent no usable Date header")
		return fixes
	}
	if skew := time.Since(theirs); skew > time.Minute || skew < -time.Minute {
		fix("clock", fmt.Sprintf("this machine's clock is off by %s: enable time synchronisation (timedatectl set-ntp true)", skew.Round(time.Second)))
	} else {
		report("ok", "clock", "the clock agrees with the certificate authority")
	}
	return fixes
}

// localAddresses are the IP addresses of this machine's interfaces.
func localAddresses() map[string]bool {
	out := map[string]bool{}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return out
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			out[n.IP.String()] = true
		}
	}
	return out
}
