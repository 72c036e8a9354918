package app

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// Issue 12, item 8: deleting an event from a report, or suspending an
// account, looks dangerous and asks once more on a page of its own; a
// POST that did not come from that page changes nothing.
func TestDestructiveModerationAsksFirst(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "admin@example.org", "admin", "correct horse battery", true)
	admin := ti.login(t, "admin@example.org", "correct horse battery")
	org := ti.newPerson(t, "spammer")
	e := addEvent(t, ti, org.Identity.ID, "Buy cheap watches", 48*time.Hour)
	if res, _ := ti.postFormBody(t, ti.client(), "/report", url.Values{"event": {e.UUID}, "category": {"spam"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("report: %d", res.StatusCode)
	}
	var reportID string
	if err := ti.App.store.DB().QueryRow(`SELECT max(id) FROM reports`).Scan(&reportID); err != nil {
		t.Fatal(err)
	}
	reportPath := "/admin/reports/" + reportID

	_, page := ti.get(t, admin, reportPath)
	for _, action := range []string{"delete", "suspend-actor"} {
		link := regexp.MustCompile(`<a class="button danger" href="` + regexp.QuoteMeta(reportPath+"/confirm/"+action) + `"`)
		if !link.MatchString(page) {
			t.Errorf("the report page does not offer %q as a dangerous button leading to a confirmation", action)
		}
	}

	// A bare POST (an old form, a slip) deletes nothing: it is sent to ask.
	res := ti.postForm(t, admin, reportPath+"/delete", url.Values{})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != reportPath+"/confirm/delete" {
		t.Fatalf("unconfirmed delete: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if _, err := ti.App.store.EventByUUID(context.Background(), e.UUID); err != nil {
		t.Fatalf("the event is gone without confirmation: %v", err)
	}
	res, confirm := ti.get(t, admin, reportPath+"/confirm/delete")
	if res.StatusCode != http.StatusOK || !strings.Contains(confirm, "Buy cheap watches") ||
		!strings.Contains(confirm, `class="danger" data-testid="confirm-danger"`) || !strings.Contains(confirm, "cannot be undone") {
		t.Fatalf("confirmation page: %d\n%s", res.StatusCode, confirm)
	}
	if res := ti.postForm(t, admin, reportPath+"/delete", url.Values{"confirmed": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed delete: %d", res.StatusCode)
	}
	if _, err := ti.App.store.EventByUUID(context.Background(), e.UUID); err == nil {
		t.Fatal("the confirmed delete left the event")
	}

	if res := ti.postForm(t, admin, reportPath+"/suspend-actor", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("unconfirmed suspend: %d", res.StatusCode)
	}
	if suspended, err := ti.App.store.IsAccountSuspended(context.Background(), org.Account.ID); err != nil || suspended {
		t.Fatalf("suspended without confirmation (%v)", err)
	}
}

// Item 8: the report form's anti-spam field is hidden the way the sign-up
// form hides its own (people do not see "Leave this field empty").
func TestReportFormHidesItsAntiSpamField(t *testing.T) {
	ti := newTestInstance(t)
	org := ti.newPerson(t, "organiser")
	e := addEvent(t, ti, org.Identity.ID, "Vide-grenier", 48*time.Hour)
	_, page := ti.get(t, ti.client(), "/report?event="+e.UUID)
	if !regexp.MustCompile(`<div class="hp" aria-hidden="true"><label for="f-website">`).MatchString(page) {
		t.Fatalf("the report form's anti-spam field is not in the hidden wrapper of the sign-up form:\n%s", page)
	}
}

// Item 8: local events, profiles, comments and groups have a "Report"
// link, and reporting a comment names its writer and quotes it.
func TestReportLinksOnContent(t *testing.T) {
	ti := newTestInstance(t)
	org := ti.newPerson(t, "organiser")
	createGroupVia(t, ti, org.Client, "velo", "Vélo Lyon", "open")
	e := addEvent(t, ti, org.Identity.ID, "Vide-grenier", 48*time.Hour)
	carol := ti.newPerson(t, "carol")
	if res := ti.postForm(t, carol.Client, "/events/"+e.UUID+"/comments", url.Values{"comment": {"Buy my stuff at spam.example"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("comment: %d", res.StatusCode)
	}
	_, eventPage := ti.get(t, ti.client(), eventPagePath(e))
	commentLink := regexp.MustCompile(`href="(/report\?event=` + e.UUID + `&amp;comment_uuid=[0-9a-f-]+)"`).FindStringSubmatch(eventPage)
	for what, found := range map[string]bool{
		"event":   strings.Contains(eventPage, `href="/report?event=`+e.UUID+`"`),
		"comment": commentLink != nil,
	} {
		if !found {
			t.Errorf("the event page has no report link for its %s", what)
		}
	}
	if _, page := ti.get(t, ti.client(), "/@organiser"); !strings.Contains(page, `href="/report?actor=%40organiser"`) {
		t.Error("the profile page has no report link")
	}
	if _, page := ti.get(t, ti.client(), "/@velo"); !strings.Contains(page, `href="/report?actor=%40velo"`) {
		t.Error("the group page has no report link")
	}
	if commentLink == nil {
		return
	}
	form := strings.ReplaceAll(commentLink[1], "&amp;", "&")
	res, page := ti.get(t, ti.client(), form)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "Report a comment by @carol") || !strings.Contains(page, "spam.example") {
		t.Fatalf("comment report form: %d\n%s", res.StatusCode, page)
	}
	q, _ := url.ParseQuery(strings.TrimPrefix(form, "/report?"))
	if res, _ := ti.postFormBody(t, ti.client(), "/report", url.Values{"event": q["event"], "comment_uuid": q["comment_uuid"], "category": {"spam"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("report the comment: %d", res.StatusCode)
	}
	var title, note string
	var eventID sql.NullInt64
	if err := ti.App.store.DB().QueryRow(`SELECT target_title, comment, target_event_id FROM reports ORDER BY id DESC LIMIT 1`).Scan(&title, &note, &eventID); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(title, "@carol") || !strings.Contains(note, "spam.example") || eventID.Valid {
		t.Errorf("the report reads %q / %q (event %v): want carol's comment, quoted, not the event", title, note, eventID)
	}
}

// Item 8: a draft is marked as such in My events.
func TestMyEventsMarksDrafts(t *testing.T) {
	ti := newTestInstance(t)
	org := ti.newPerson(t, "organiser")
	addEvent(t, ti, org.Identity.ID, "Not ready yet", 48*time.Hour, func(e *store.Event) { e.Draft, e.PublishedAt = true, nil })
	_, page := ti.get(t, org.Client, "/me/events")
	if !strings.Contains(page, "Not ready yet") || !strings.Contains(page, `data-testid="draft-badge"`) {
		t.Fatalf("My events does not mark the draft:\n%s", page)
	}
}

// Item 8: an event with no place does not print an empty "· ·" in lists.
func TestEventListWithoutPlace(t *testing.T) {
	ti := newTestInstance(t)
	org := ti.newPerson(t, "organiser")
	addEvent(t, ti, org.Identity.ID, "Somewhere, sometime", 48*time.Hour, func(e *store.Event) { e.Address = store.Address{} })
	_, page := ti.get(t, ti.client(), "/")
	text := pageText(page)
	if !strings.Contains(text, "Somewhere, sometime") {
		t.Fatal("the event is not on the home page")
	}
	if regexp.MustCompile(`·\s*·`).MatchString(text) {
		t.Errorf("the home page prints an empty place:\n%s", text)
	}
}

// Item 8: comments render their Markdown like every other text.
func TestCommentsRenderMarkdown(t *testing.T) {
	ti := newTestInstance(t)
	org := ti.newPerson(t, "organiser")
	e := addEvent(t, ti, org.Identity.ID, "Bal folk", 48*time.Hour)
	carol := ti.newPerson(t, "carol")
	ti.postForm(t, carol.Client, "/events/"+e.UUID+"/comments", url.Values{"comment": {"I bring **my fiddle**, see [the tune](https://example.org/tune).\n\n<script>x</script>"}})
	_, page := ti.get(t, ti.client(), eventPagePath(e))
	if !strings.Contains(page, "<strong>my fiddle</strong>") || !strings.Contains(page, `href="https://example.org/tune"`) {
		t.Errorf("the comment's Markdown is not rendered:\n%s", page)
	}
	if strings.Contains(page, "<script>x") || strings.Contains(page, "**my fiddle**") {
		t.Error("the comment shows raw Markdown or raw HTML")
	}
}

// Item 8: the About page states the federation policy in force, not the
// default words written before federation worked.
func TestAboutStatesFederationInForce(t *testing.T) {
	ti := newTestInstance(t)
	_, page := ti.get(t, ti.client(), "/about")
	if strings.Contains(page, "does not exchange events with other servers") ||
		!strings.Contains(page, "exchanges events with every other server of the fediverse; its administrators block none so far") {
		t.Fatalf("the About page's federation section:\n%s", pageText(page))
	}
}

// Item 8: "My calendar" and "Calendars" are one page, linked from My
// events with the import; the old address leads there.
func TestMyCalendarIsOnePlace(t *testing.T) {
	ti := newTestInstance(t)
	org := ti.newPerson(t, "organiser")
	_, myEvents := ti.get(t, org.Client, "/me/events")
	if !strings.Contains(myEvents, `href="/me/calendar"`) || !strings.Contains(myEvents, `href="/import"`) {
		t.Error("My events links neither the calendar nor the import")
	}
	_, page := ti.get(t, org.Client, "/me/calendar")
	for _, want := range []string{"My calendar", "Nothing coming up from the accounts you follow.", "Make my private calendar link", `href="/import"`} {
		if !strings.Contains(page, want) {
			t.Errorf("/me/calendar lacks %q", want)
		}
	}
	if res, _ := ti.get(t, org.Client, "/me/calendar-sources"); res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/me/calendar" {
		t.Errorf("the old address answers %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// Item 6: "Add another link" is a submit button that brings the form back
// as typed, nothing saved, with one more link row.
func TestEventFormAddAnotherLink(t *testing.T) {
	ti := newTestInstance(t)
	org := ti.newPerson(t, "organiser")
	res, page := ti.postFormBody(t, org.Client, "/events", url.Values{
		"title": {"Atelier"}, "link_kind_0": {"pad"}, "link_url_0": {"https://pad.example.org/x"}, "add_link": {"1"},
	})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("add a link row: %d", res.StatusCode)
	}
	if !strings.Contains(page, `value="Atelier"`) || !strings.Contains(page, `value="https://pad.example.org/x"`) ||
		!strings.Contains(page, `name="link_url_1"`) || strings.Contains(page, `name="link_url_2"`) {
		t.Errorf("the form did not come back as typed with one more row:\n%s", page)
	}
	var n int
	if err := ti.App.store.DB().QueryRow(`SELECT count(*) FROM events`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d events saved by adding a link row (%v)", n, err)
	}
}
