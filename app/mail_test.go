package app

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"convene/views"
)

// testClock is a clock a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock(t time.Time) *testClock { return &testClock{t: t} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func queueTestMail(t *testing.T, a *App, to string, m views.Mail) {
	t.Helper()
	ctx := context.Background()
	if err := a.store.Tx(ctx, func(tx *sql.Tx) error { return a.queueMail(ctx, tx, to, m) }); err != nil {
		t.Fatal(err)
	}
}

// Both ways of securing SMTP deliver a readable message with a text and an
// HTML part, in UTF-8, with the event and its links.
func TestMailReachesARealSMTPServer(t *testing.T) {
	for _, implicit := range []bool{false, true} {
		name := "starttls"
		if implicit {
			name = "implicit-tls"
		}
		t.Run(name, func(t *testing.T) {
			ms := startMailServer(t, implicit)
			ti := newTestInstance(t, ms.withMail)
			if !ti.App.MailEnabled() {
				t.Fatal("mail should be on")
			}
			queueTestMail(t, ti.App, "zoé@example.org", views.Mail{
				Lang: "fr", Subject: "Confirmez votre participation à « Bal folk »",
				Paragraphs: []string{"Bonjour, une ligne accentuée : été."},
				Event:      &views.MailEvent{Title: "Bal folk", When: "samedi 14 mars 2026", Place: "Salle des fêtes", URL: ti.URL + "/events/x"},
				Action:     views.MailLink{Label: "Confirmer", URL: ti.URL + "/participations/confirm/abc"},
			})
			n, err := ti.App.DeliverMailDue(context.Background())
			if err != nil || n != 1 {
				t.Fatalf("DeliverMailDue = %d, %v", n, err)
			}
			m := ms.lastTo(t, "zoé@example.org")
			if m.Subject != "Confirmez votre participation à « Bal folk »" {
				t.Errorf("subject %q", m.Subject)
			}
			if m.From != "events@convene.test" {
				t.Errorf("from %q", m.From)
			}
			for _, want := range []string{"été", "Bal folk", "Salle des fêtes", ti.URL + "/participations/confirm/abc"} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text part lacks %q:\n%s", want, m.Text)
				}
				if !strings.Contains(m.HTML, want) {
					t.Errorf("HTML part lacks %q:\n%s", want, m.HTML)
				}
			}
			if got := m.link(t, "/participations/confirm/"); got != ti.URL+"/participations/confirm/abc" {
				t.Errorf("link %q", got)
			}
			if waiting, _, _ := ti.App.store.MailQueueStats(context.Background()); waiting != 0 {
				t.Errorf("%d messages still queued after sending", waiting)
			}
		})
	}
}

// A server that refuses for a while does not lose the message: it stays
// queued, is not retried before its pause is over, and goes out later.
func TestMailIsRetriedAfterAFailure(t *testing.T) {
	ms := startMailServer(t, false)
	clock := newTestClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	ti := newTestInstance(t, ms.withMail, func(c *Config) { c.Now = clock.Now })
	ctx := context.Background()
	ms.refuseNext(2)
	queueTestMail(t, ti.App, "ana@example.org", views.Mail{Subject: "Hello", Paragraphs: []string{"Hi"}})

	if n, err := ti.App.DeliverMailDue(ctx); err != nil || n != 0 {
		t.Fatalf("first attempt: %d sent, %v", n, err)
	}
	if n, _ := ti.App.DeliverMailDue(ctx); n != 0 {
		t.Fatal("retried before the pause was over")
	}
	if waiting, failed, _ := ti.App.store.MailQueueStats(ctx); waiting != 1 || failed != 0 {
		t.Fatalf("queue: %d waiting, %d failed", waiting, failed)
	}
	clock.Advance(2 * time.Minute)
	if n, _ := ti.App.DeliverMailDue(ctx); n != 0 {
		t.Fatal("second attempt should have been refused too")
	}
	clock.Advance(3 * time.Minute)
	if n, err := ti.App.DeliverMailDue(ctx); err != nil || n != 1 {
		t.Fatalf("third attempt: %d sent, %v", n, err)
	}
	if ms.countTo("ana@example.org") != 1 {
		t.Fatalf("the message arrived %d times", ms.countTo("ana@example.org"))
	}
}

// A wrong password or an unreachable server keeps the message queued.
func TestMailStaysQueuedWhenTheServerIsUnreachable(t *testing.T) {
	ms := startMailServer(t, false)
	ti := newTestInstance(t, func(c *Config) {
		ms.withMail(c)
		c.SMTPURL = strings.Replace(c.SMTPURL, "s3cret", "wrong", 1)
	})
	ctx := context.Background()
	queueTestMail(t, ti.App, "ana@example.org", views.Mail{Subject: "Hello"})
	if n, _ := ti.App.DeliverMailDue(ctx); n != 0 {
		t.Fatal("sent with a wrong password")
	}
	if waiting, _, _ := ti.App.store.MailQueueStats(ctx); waiting != 1 {
		t.Fatalf("%d waiting, want 1", waiting)
	}
	if len(ms.messages()) != 0 {
		t.Fatal("the server accepted a message without a login")
	}
}

// The worker sends on its own, soon after a message is queued.
func TestMailWorkerSendsWithoutBeingAsked(t *testing.T) {
	ms := startMailServer(t, true)
	ti := newTestInstance(t, ms.withMail)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ti.App.StartWorkers(ctx)
	queueTestMail(t, ti.App, "ana@example.org", views.Mail{Subject: "Hello"})
	ti.App.mailQueued()
	select {
	case <-ms.arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the worker did not send the message")
	}
}

func TestSMTPURLIsChecked(t *testing.T) {
	for _, bad := range []string{"http://mail.example.org", "smtp://", "smtp://host:99999", "mail.example.org"} {
		_, err := New(context.Background(), Config{DataPath: t.TempDir() + "/x.db", BaseURL: "http://localhost:1", Schema: testSchema, SMTPURL: bad})
		if err == nil {
			t.Errorf("SMTP URL %q accepted", bad)
		}
	}
	ti := newTestInstance(t)
	if ti.App.MailEnabled() {
		t.Fatal("mail on without an SMTP URL")
	}
}
