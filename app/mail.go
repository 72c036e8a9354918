package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"convene/app/i18n"
	"convene/app/store"
	"convene/views"

	gomail "github.com/wneessen/go-mail"
)

// Mail delivery: how long a claimed message is left alone before another
// attempt may take it, how many attempts before giving up (about three
// days with the backoff below), and how long one SMTP exchange may last.
const (
	mailLease       = 10 * time.Minute
	mailMaxAttempts = 25
	mailTimeout     = 30 * time.Second
	mailBatch       = 20
)

// mailer sends through one SMTP server. smtp:// talks STARTTLS (refusing a
// server that does not offer it, so a password never crosses the network
// in clear), smtps:// is TLS from the first byte.
type mailer struct {
	host        string
	port        int
	implicitTLS bool
	username    string
	password    string
	from        string
	tls         *tls.Config
}

// newMailer reads --smtp-url; it returns nil (mail off) when it is empty.
func newMailer(cfg Config, instanceHost string) (*mailer, error) {
	if cfg.SMTPURL == "" {
		return nil, nil
	}
	u, err := url.Parse(cfg.SMTPURL)
	if err != nil || u.Hostname() == "" {
		return nil, errors.New("the SMTP URL is not like smtp://user:password@host:587 or smtps://user:password@host:465")
	}
	m := &mailer{host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		m.port = 587
	case "smtps":
		m.port, m.implicitTLS = 465, true
	default:
		return nil, fmt.Errorf("the SMTP URL must start with smtp:// (STARTTLS) or smtps:// (TLS), not %q", u.Scheme+"://")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("the SMTP URL has a bad port %q", p)
		}
		m.port = n
	}
	if u.User != nil {
		m.username = u.User.Username()
		m.password, _ = u.User.Password()
	}
	m.tls = &tls.Config{ServerName: m.host, RootCAs: cfg.MailRootCAs, MinVersion: tls.VersionTLS12}
	m.from = cfg.MailFrom
	if m.from == "" {
		host := instanceHost
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		m.from = "noreply@" + host
	}
	if err := gomail.NewMsg().From(m.from); err != nil {
		return nil, fmt.Errorf("the sender address %q is not an email address (set --mail-from)", m.from)
	}
	return m, nil
}

// send delivers one message now.
func (m *mailer) send(ctx context.Context, siteName string, msg store.Mail) error {
	_, err := m.sendWithAnswer(ctx, siteName, msg)
	return err
}

// sendWithAnswer delivers one message now and returns what the server
// answered to it.
func (m *mailer) sendWithAnswer(ctx context.Context, siteName string, msg store.Mail) (string, error) {
	out := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := out.FromFormat(siteName, m.from); err != nil {
		if err := out.From(m.from); err != nil {
			return "", fmt.Errorf("sender: %w", err)
		}
	}
	if err := out.To(msg.To); err != nil {
		return "", fmt.Errorf("recipient: %w", err)
	}
	out.Subject(msg.Subject)
	out.SetMessageID()
	out.SetDate()
	out.SetGenHeader("Auto-Submitted", "auto-generated")
	out.SetBodyString(gomail.TypeTextPlain, msg.Text)
	out.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)

	opts := []gomail.Option{
		gomail.WithPort(m.port),
		gomail.WithTimeout(mailTimeout),
		gomail.WithTLSConfig(m.tls),
	}
	if m.implicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if m.username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(m.username), gomail.WithPassword(m.password))
	}
	c, err := gomail.NewClient(m.host, opts...)
	if err != nil {
		return "", fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, out); err != nil {
		return "", err
	}
	return out.ServerResponse(), nil
}

// MailEnabled tells whether this instance can send email.
func (a *App) MailEnabled() bool { return a.mailer != nil }

// mailPrinter is the language of a mail about an event: the event's own,
// else the instance's.
func (a *App) mailPrinter(ctx context.Context, e *store.Event) *i18n.Printer {
	if e != nil && e.Language != "" {
		return i18n.For(i18n.Negotiate(a.setting(ctx, SettingLanguage), e.Language))
	}
	return i18n.For(a.setting(ctx, SettingLanguage))
}

// mailEvent summarises an event for an email, in the event's time zone.
func (a *App) mailEvent(l *i18n.Printer, e *store.Event) *views.MailEvent {
	loc := e.Location()
	start := e.StartsAt.In(loc)
	when := l.T("%s at %s (%s)", l.Date(start), l.Time(start), e.Timezone)
	place := e.Address.OneLine()
	if place == "" && e.HasOnlineAddress() {
		place = l.T("Online")
	}
	return &views.MailEvent{Title: e.Title, When: when, Place: place, URL: a.URL("/events/" + e.UUID)}
}

// queueMail renders a message and queues it inside tx. The caller pokes
// the worker after the commit with a.mailQueued().
func (a *App) queueMail(ctx context.Context, tx *sql.Tx, to string, m views.Mail) error {
	msg, err := a.renderMail(ctx, to, m)
	if err != nil {
		return err
	}
	return a.store.EnqueueMailTx(ctx, tx, msg)
}

// renderMail makes the text and HTML parts of a message.
func (a *App) renderMail(ctx context.Context, to string, m views.Mail) (store.Mail, error) {
	if m.Footer == "" {
		m.Footer = a.setting(ctx, SettingName) + " · " + a.cfg.BaseURL
	}
	m.Accent = a.accent(ctx)
	var html bytes.Buffer
	if err := views.MailHTML(m).Render(ctx, &html); err != nil {
		return store.Mail{}, fmt.Errorf("render mail: %w", err)
	}
	return store.Mail{To: to, Subject: m.Subject, Text: views.MailText(m), HTML: html.String()}, nil
}

// mailQueued wakes the mail worker without waiting for it.
func (a *App) mailQueued() {
	select {
	case a.mailPoke <- struct{}{}:
	default:
	}
}

// dailyWorker runs the daily chores at start and then once a day by the
// instance's clock. It wakes every hour rather than sleeping a day, so a
// changed clock (or a laptop waking up) does not postpone them.
func (a *App) dailyWorker(ctx context.Context) {
	var last time.Time
	for {
		if now := a.now(); last.IsZero() || now.Sub(last) >= 24*time.Hour {
			last = now
			a.dailyChores(ctx)
		}
		t := time.NewTimer(time.Hour)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-a.dailyPoke:
		case <-t.C:
		}
		t.Stop()
	}
}

// dailyChores keeps remote events fresh and purges old ones, and
// rereads the remote groups people here are in (see group_sync.go).
func (a *App) dailyChores(ctx context.Context) {
	if err := a.RefreshRemoteEvents(ctx); err != nil && ctx.Err() == nil {
		a.log.Error("refresh remote events", "err", err)
	}
	if err := a.SyncRemoteGroups(ctx); err != nil && ctx.Err() == nil {
		a.log.Error("remote groups", "err", err)
	}
	if err := a.MailWaitingNotifications(ctx, "digest"); err != nil && ctx.Err() == nil {
		a.log.Error("daily digest of waiting items", "err", err)
	}
	if _, err := a.store.DeleteExpiredPendingUploads(ctx, a.now().Add(-pendingUploadLife)); err != nil && ctx.Err() == nil {
		a.log.Error("expired pending uploads", "err", err)
	}
}

func (a *App) mailWorker(ctx context.Context) {
	for {
		if err := a.MailWaitingNotifications(ctx, "now"); err != nil && ctx.Err() == nil {
			a.log.Error("mail waiting items", "err", err)
		}
		if err := a.SendReminders(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("reminders", "err", err)
		}
		if _, err := a.DeliverMailDue(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("deliver mail", "err", err)
		}
		wait := time.Minute
		if next, err := a.store.NextMailDue(ctx); err == nil && !next.IsZero() {
			if d := next.Sub(a.now()); d < wait {
				wait = max(d, time.Second)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-a.mailPoke:
		case <-t.C:
		}
		t.Stop()
	}
}

// DeliverMailDue sends every queued message whose time has come and
// returns how many were sent. A message that fails is tried again later,
// with growing pauses; tests call this to drain the queue without sleeping.
func (a *App) DeliverMailDue(ctx context.Context) (int, error) {
	if a.mailer == nil {
		return 0, nil
	}
	site := a.setting(ctx, SettingName)
	sent := 0
	for {
		batch, err := a.store.ClaimDueMail(ctx, mailLease, mailBatch)
		if err != nil {
			return sent, err
		}
		if len(batch) == 0 {
			return sent, nil
		}
		for _, m := range batch {
			if err := a.mailer.send(ctx, site, m); err != nil {
				if ctx.Err() != nil {
					return sent, ctx.Err()
				}
				attempts := m.Attempts + 1
				giveUp := attempts >= mailMaxAttempts
				a.log.Warn("mail not sent", "attempt", attempts, "gave_up", giveUp, "err", err)
				if err := a.store.MailFailed(ctx, m.ID, a.now().Add(mailBackoff(attempts)), trimError(err), giveUp); err != nil {
					return sent, err
				}
				continue
			}
			if err := a.store.MailSent(ctx, m.ID); err != nil {
				return sent, err
			}
			sent++
		}
	}
}

// mailBackoff is the pause after the n-th failed attempt: doubling from a
// minute, capped at six hours, with jitter so that many messages queued
// together do not all knock at the same second.
func mailBackoff(n int) time.Duration {
	d := time.Minute << min(n-1, 9)
	d = min(d, 6*time.Hour)
	jitter := time.Duration(rand.Int64N(int64(d) / 5))
	return d - d/10 + jitter
}

// trimError keeps a failure short enough to store and show to an admin.
func trimError(err error) string {
	s := strings.ToValidUTF8(err.Error(), "?")
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}
