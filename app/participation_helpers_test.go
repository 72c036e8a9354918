package app

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// sessionClient is a browser logged in as the account, made without a
// password round (the capacity race needs dozens of them quickly).
func (ti *testInstance) sessionClient(t testing.TB, accountID, identityID int64) *http.Client {
	t.Helper()
	secret, err := ti.App.store.CreateSession(context.Background(), accountID, identityID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c := ti.client()
	u, _ := url.Parse(ti.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: secret, Path: "/"}})
	return c
}

// person is an account with its first identity and a logged-in client.
type person struct {
	Account  *store.Account
	Identity *store.Actor
	Client   *http.Client
}

func (ti *testInstance) newPerson(t testing.TB, username string) person {
	t.Helper()
	acc, id, err := ti.App.store.CreateAccountWithIdentity(context.Background(), username+"@example.org", "", false,
		store.NewIdentity{Username: username})
	if err != nil {
		t.Fatal(err)
	}
	return person{Account: acc, Identity: id, Client: ti.sessionClient(t, acc.ID, id.ID)}
}

var countPattern = regexp.MustCompile(`data-testid="participant-count">(\d+) `)

// publicCount reads the participant count an anonymous visitor sees on
// the event page.
func (ti *testInstance) publicCount(t testing.TB, e *store.Event) int {
	t.Helper()
	res, body := ti.get(t, ti.client(), eventPagePath(e))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("event page: status %d", res.StatusCode)
	}
	m := countPattern.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no participant count on the event page:\n%s", body)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// eventPagePath is the public page that shows the participation block.
func eventPagePath(e *store.Event) string { return "/events/" + e.UUID }

// joinAnonymously posts the join-without-account form as a fresh visitor.
func (ti *testInstance) joinAnonymously(t testing.TB, e *store.Event, name, email string) (*http.Response, string) {
	t.Helper()
	return ti.postFormBody(t, ti.client(), "/events/"+e.UUID+"/join-without-account",
		url.Values{"name": {name}, "email": {email}})
}

// deliverMail drains the mail queue, failing the test on an error.
func (ti *testInstance) deliverMail(t testing.TB) int {
	t.Helper()
	n, err := ti.App.DeliverMailDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// followEmailLink opens a link from an email (a GET showing a button) and
// presses the button (a POST to the same address), as a person would.
func (ti *testInstance) followEmailLink(t testing.TB, link string) (*http.Response, string) {
	t.Helper()
	path := strings.TrimPrefix(link, ti.URL)
	c := ti.client()
	res, body := ti.get(t, c, path)
	if res.StatusCode != http.StatusOK {
		return res, body
	}
	return ti.postFormBody(t, c, path, url.Values{})
}

func participationCount(t testing.TB, ti *testInstance, e *store.Event, state string) int {
	t.Helper()
	ps, err := ti.App.store.ListParticipations(context.Background(), e.ID, state)
	if err != nil {
		t.Fatal(err)
	}
	return len(ps)
}

// addJoinableEvent is addEvent for an event that visitors may join
// without an account (the form's default for public events).
func addJoinableEvent(t testing.TB, ti *testInstance, organizerID int64, title string, in time.Duration, edit ...func(*store.Event)) *store.Event {
	t.Helper()
	return addEvent(t, ti, organizerID, title, in, append([]func(*store.Event){func(e *store.Event) { e.AnonymousParticipation = true }}, edit...)...)
}
