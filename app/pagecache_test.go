package app

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCachedPagesFollowEveryChange(t *testing.T) {
	setClock, move := clockAt(findClock)
	ti := newTestInstance(t, setClock)
	_, org := ti.createAccount(t, "org@example.org", "org", "correct horse battery", false)
	e := addEvent(t, ti, org.ID, "Bal folk", 24*time.Hour)
	visitor := ti.client()
	path := "/events/" + e.UUID

	for _, p := range []string{path, "/"} {
		first, second := getOK(t, ti, visitor, p), getOK(t, ti, visitor, p)
		if first != second || !strings.Contains(first, "Bal folk") {
			t.Fatalf("%s: two visits differ or miss the event", p)
		}
	}
	// An edit shows at once, on the event page and in lists.
	e.Title = "Bal folk et crêpes"
	if err := ti.App.Store().UpdateEvent(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, "/"} {
		if body := getOK(t, ti, visitor, p); !strings.Contains(body, "Bal folk et crêpes") {
			t.Errorf("%s still shows the old title after an edit", p)
		}
	}
	// A change of instance settings too.
	if err := ti.App.saveSettings(context.Background(), map[string]string{SettingName: "Les Amis du Bal"}); err != nil {
		t.Fatal(err)
	}
	if body := getOK(t, ti, visitor, path); !strings.Contains(body, "Les Amis du Bal") {
		t.Error("the event page still shows the old instance name")
	}
	// A deleted event is gone at once.
	if err := ti.App.Store().DeleteEvent(context.Background(), e.ID); err != nil {
		t.Fatal(err)
	}
	if res, _ := ti.get(t, visitor, path); res.StatusCode != http.StatusNotFound {
		t.Errorf("deleted event: status %d", res.StatusCode)
	}
	// Time alone expires a page: an event that ended leaves the home page.
	addEvent(t, ti, org.ID, "Soon over", time.Hour)
	if body := getOK(t, ti, visitor, "/"); !strings.Contains(body, "Soon over") {
		t.Fatal("the new event is not on the home page")
	}
	move(4 * time.Hour)
	if body := getOK(t, ti, visitor, "/"); strings.Contains(body, "Soon over") {
		t.Error("an ended event stays on the cached home page")
	}
}

func TestCachedPagesAreNotShared(t *testing.T) {
	ti := newTestInstance(t)
	_, org := ti.createAccount(t, "org@example.org", "org", "correct horse battery", false)
	e := addEvent(t, ti, org.ID, "Bal folk", 24*time.Hour)
	path := "/events/" + e.UUID

	// The organiser's page is theirs, before and after a visitor's.
	organiser := ti.login(t, "org@example.org", "correct horse battery")
	visitor := ti.client()
	for _, c := range []*http.Client{organiser, visitor, organiser} {
		body := getOK(t, ti, c, path)
		loggedIn := strings.Contains(body, "Log out")
		if want := c == organiser; loggedIn != want {
			t.Errorf("logged in page served to the wrong person (organiser: %v)", want)
		}
	}
	// Each visitor gets their language.
	for _, lang := range []string{"fr", "en", "fr"} {
		req, _ := http.NewRequest(http.MethodGet, ti.URL+"/categories", nil)
		req.Header.Set("Accept-Language", lang)
		res, err := visitor.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, res)
		res.Body.Close()
		if french := strings.Contains(body, "Catégories"); french != (lang == "fr") {
			t.Errorf("Accept-Language %s got the other language", lang)
		}
	}
}

// Visitors reading while an organiser edits never see an edit undone: once
// the edit is stored, every later read shows it.
func TestCachedPagesUnderConcurrentEdits(t *testing.T) {
	ti := newTestInstance(t)
	_, org := ti.createAccount(t, "org@example.org", "org", "correct horse battery", false)
	e := addEvent(t, ti, org.ID, "Edit 0", 24*time.Hour)
	path := "/events/" + e.UUID
	done := make(chan struct{})
	errs := make(chan string, 100)
	for range 4 {
		go func() {
			c := ti.client()
			for {
				select {
				case <-done:
					errs <- ""
					return
				default:
				}
				res, err := c.Get(ti.URL + path)
				if err != nil {
					errs <- err.Error()
					return
				}
				readAll(t, res)
				res.Body.Close()
			}
		}()
	}
	for i := 1; i <= 20; i++ {
		e.Title = "Edit " + strings.Repeat("x", i)
		if err := ti.App.Store().UpdateEvent(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		if body := getOK(t, ti, ti.client(), path); !strings.Contains(body, e.Title+"<") {
			t.Fatalf("after edit %d the page shows an older title", i)
		}
	}
	close(done)
	for range 4 {
		if msg := <-errs; msg != "" {
			t.Error(msg)
		}
	}
}
