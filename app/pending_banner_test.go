package app

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

var pendingTokenPattern = regexp.MustCompile(`name="pending_banner" value="([^"]+)"`)
var pendingPreviewPattern = regexp.MustCompile(`class="pending-banner"[^>]*>\s*<img class="banner-preview" src="(/media/[^"]+)"`)

// pendingToken reads the hidden token of the kept banner in a form shown
// back, and the address of its preview.
func pendingToken(t *testing.T, body string) (token, preview string) {
	t.Helper()
	m := pendingTokenPattern.FindStringSubmatch(body)
	p := pendingPreviewPattern.FindStringSubmatch(body)
	if m == nil || p == nil {
		t.Fatalf("no kept banner in the form shown back (errors %v)", fieldErrorsIn(body))
	}
	return m[1], p[1]
}

// Issue 12, item 6: a banner chosen with a form that has an error is kept
// (stored at upload, named by a token in the form shown back, "Banner
// kept: name"); sending the form again without choosing it again gives
// the event that banner. The token works only for who sent it, and the
// box "Don't use this picture" drops it.
func TestEventFormBannerSurvivesAnError(t *testing.T) {
	ti := newEventsInstance(t)
	ctx := context.Background()
	form := fullEventForm()
	form.Set("title", "")
	res, body := ti.postMultipart(t, ti.alice, "/events", form, encodeJPEG(t, photo(40, 20)), true)
	if res.StatusCode != http.StatusUnprocessableEntity || fieldErrorsIn(body)["title"] == "" {
		t.Fatalf("a form without title: %d %v", res.StatusCode, fieldErrorsIn(body))
	}
	if errs := fieldErrorsIn(body); errs["banner"] != "" {
		t.Errorf("the banner is said to be wrong: %q", errs["banner"])
	}
	if !strings.Contains(pageText(body), "Banner kept: banner.jpg") {
		t.Error(`the form does not say "Banner kept: banner.jpg"`)
	}
	token, preview := pendingToken(t, body)
	if len(token) < 40 {
		t.Errorf("token %q is short enough to guess", token)
	}
	if res, _ := ti.get(t, ti.alice, preview); res.StatusCode != http.StatusOK {
		t.Errorf("the kept banner's preview: %d", res.StatusCode)
	}

	// Bob cannot use Alice's token: he is told to choose a picture.
	form.Set("title", "Bob's try")
	form.Set("pending_banner", token)
	res, body = ti.postMultipart(t, ti.bob, "/events", form, nil, false)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorsIn(body)["banner"], "no longer kept") {
		t.Fatalf("someone else's token: %d %v", res.StatusCode, fieldErrorsIn(body))
	}
	if ti.countEvents(t) != 0 {
		t.Fatal("an event was written with someone else's picture")
	}

	// Alice sends the form again, fixed, without choosing the picture again.
	form.Set("title", "Folk dance")
	res, body = ti.postMultipart(t, ti.alice, "/events", form, nil, false)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the fixed form: %d %v", res.StatusCode, fieldErrorsIn(body))
	}
	e, err := ti.App.store.EventByUUID(ctx, strings.TrimPrefix(res.Header.Get("Location"), "/events/"))
	if err != nil {
		t.Fatal(err)
	}
	if e.BannerUUID == "" || "/media/"+e.BannerUUID != preview {
		t.Fatalf("the event's banner is %q, want the kept one %s", e.BannerUUID, preview)
	}
	// Used, it is no longer pending: the token does not give it twice,
	// and the clean-up never removes it.
	ti.clock.Advance(48 * time.Hour)
	if _, err := ti.App.store.DeleteExpiredPendingUploads(ctx, ti.clock.Now().Add(-pendingUploadLife)); err != nil {
		t.Fatal(err)
	}
	if res, _ := ti.get(t, ti.alice, preview); res.StatusCode != http.StatusOK {
		t.Errorf("the event's banner went with the clean-up: %d", res.StatusCode)
	}
}

// A kept banner can be dropped, and one left behind expires: both are
// deleted, and an expired token asks to choose the picture again.
func TestEventFormPendingBannerDroppedOrExpired(t *testing.T) {
	ti := newEventsInstance(t)
	ctx := context.Background()
	form := fullEventForm()
	form.Set("title", "")
	keep := func() (string, string) {
		t.Helper()
		_, body := ti.postMultipart(t, ti.alice, "/events", form, encodeJPEG(t, photo(40, 20)), true)
		return pendingToken(t, body)
	}

	token, preview := keep()
	form.Set("title", "Without a picture after all")
	form.Set("pending_banner", token)
	form.Set("drop_pending_banner", "1")
	res, body := ti.postMultipart(t, ti.alice, "/events", form, nil, false)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("dropping the kept banner: %d %v", res.StatusCode, fieldErrorsIn(body))
	}
	e, err := ti.App.store.EventByUUID(ctx, strings.TrimPrefix(res.Header.Get("Location"), "/events/"))
	if err != nil || e.BannerUUID != "" {
		t.Fatalf("the event has banner %q after dropping it (%v)", e.BannerUUID, err)
	}
	if res, _ := ti.get(t, ti.alice, preview); res.StatusCode != http.StatusNotFound {
		t.Errorf("the dropped picture is still served: %d", res.StatusCode)
	}

	form.Del("drop_pending_banner")
	form.Del("pending_banner")
	form.Set("title", "")
	token, preview = keep()
	ti.clock.Advance(pendingUploadLife + time.Minute)
	n, err := ti.App.store.DeleteExpiredPendingUploads(ctx, ti.clock.Now().Add(-pendingUploadLife))
	if err != nil || n != 1 {
		t.Fatalf("clean-up removed %d pending uploads (%v), want 1", n, err)
	}
	if res, _ := ti.get(t, ti.alice, preview); res.StatusCode != http.StatusNotFound {
		t.Errorf("the expired picture is still served: %d", res.StatusCode)
	}
	form.Set("title", "Late")
	form.Set("pending_banner", token)
	res, body = ti.postMultipart(t, ti.alice, "/events", form, nil, false)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorsIn(body)["banner"], "choose it again") {
		t.Fatalf("an expired token: %d %v", res.StatusCode, fieldErrorsIn(body))
	}
}

// Issue 12, item 6: a start in the past asks for confirmation: the form
// comes back with a warning and a "Yes, the start is in the past" box;
// ticked, the event is saved. Editing a past event without touching its
// start asks nothing.
func TestEventFormPastStartAsksConfirmation(t *testing.T) {
	ti := newEventsInstance(t) // the clock reads 1 March 2026
	form := fullEventForm()
	form.Set("starts_at", "2026-02-14T19:00")
	form.Set("ends_at", "2026-02-14T21:00")
	res, body := ti.postFormBody(t, ti.alice, "/events", form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorsIn(body)["starts_at"], "in the past") {
		t.Fatalf("a past start: %d %v", res.StatusCode, fieldErrorsIn(body))
	}
	if !strings.Contains(body, `name="past_ok"`) || !strings.Contains(pageText(body), "Yes, the start is in the past") {
		t.Fatal("no box to confirm the past start")
	}
	if ti.countEvents(t) != 0 {
		t.Fatal("an event was written before the confirmation")
	}
	form.Set("past_ok", "1")
	res, body = ti.postFormBody(t, ti.alice, "/events", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed: %d %v", res.StatusCode, fieldErrorsIn(body))
	}
	edit := res.Header.Get("Location") + "/edit"
	form.Del("past_ok")
	form.Set("title", "Folk dance, photos added")
	if res, body := ti.postFormBody(t, ti.alice, edit, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("editing the past event's text asked again: %d %v", res.StatusCode, fieldErrorsIn(body))
	}
	form.Set("starts_at", "2026-02-13T19:00")
	form.Set("ends_at", "2026-02-13T21:00")
	if res, body := ti.postFormBody(t, ti.alice, edit, form); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorsIn(body)["starts_at"], "in the past") {
		t.Fatalf("moving the start to another past day: %d %v", res.StatusCode, fieldErrorsIn(body))
	}
}
