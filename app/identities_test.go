package app

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// identityEvent stores an event of an identity with the given visibility;
// a draft is never published.
func identityEvent(t *testing.T, ti *testInstance, organizer *store.Actor, title string, in time.Duration, visibility string, draft bool) *store.Event {
	t.Helper()
	return addEvent(t, ti, organizer.ID, title, in, func(e *store.Event) {
		e.Visibility = visibility
		if draft {
			e.Draft, e.PublishedAt = true, nil
		}
	})
}

func TestIdentityPageShowsOnlyListedEvents(t *testing.T) {
	ti := newTestInstance(t)
	_, ana := ti.createAccount(t, "ana@example.org", "ana", "a long password", false)
	_, bob := ti.createAccount(t, "bob@example.org", "bob", "a long password", false)
	ctx := context.Background()
	if err := ti.App.store.UpdateIdentity(ctx, ana.AccountID, ana.ID, store.IdentityUpdate{
		DisplayName: "Ana Lima", Bio: "Folk dancer <script>alert(1)</script>\nSecond line & more",
	}); err != nil {
		t.Fatal(err)
	}
	identityEvent(t, ti, ana, "Upcoming public ball", 48*time.Hour, store.VisibilityPublic, false)
	identityEvent(t, ti, ana, "Past public ball", -72*time.Hour, store.VisibilityPublic, false)
	identityEvent(t, ti, ana, "Unlisted rehearsal", 24*time.Hour, store.VisibilityUnlisted, false)
	identityEvent(t, ti, ana, "Private dinner", 24*time.Hour, store.VisibilityPrivate, false)
	identityEvent(t, ti, ana, "Draft workshop", 24*time.Hour, store.VisibilityPublic, true)
	identityEvent(t, ti, bob, "Bob's concert", 24*time.Hour, store.VisibilityPublic, false)

	res, body := ti.get(t, ti.client(), "/@ana")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/@ana: status %d", res.StatusCode)
	}
	for _, want := range []string{"Ana Lima", "@ana@" + ti.App.Host(), "Upcoming public ball", "Past public ball",
		`<link rel="alternate" type="application/rss+xml"`, `href="/feeds/@ana.rss"`,
		"Folk dancer &lt;script&gt;alert(1)&lt;/script&gt;\nSecond line &amp; more"} {
		if !strings.Contains(body, want) {
			t.Errorf("/@ana lacks %q", want)
		}
	}
	for _, unwanted := range []string{"Unlisted rehearsal", "Private dinner", "Draft workshop", "Bob's concert", "<script>alert"} {
		if strings.Contains(body, unwanted) {
			t.Errorf("/@ana shows %q", unwanted)
		}
	}
	if strings.Index(body, "Upcoming public ball") > strings.Index(body, "Past public ball") {
		t.Error("past events come before upcoming ones")
	}

	// Unknown identities and paths without "@" are real 404s, for any method.
	for _, path := range []string{"/@nobody", "/ana", "/@", "/@Bad-Name", "/@ana/x"} {
		if res, _ := ti.get(t, ti.client(), path); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
		}
	}
	if res, _ := ti.postFormBody(t, ti.client(), "/nothing", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("POST /nothing: status %d, want 404", res.StatusCode)
	}
	if res, _ := ti.postFormBody(t, ti.client(), "/@ana", nil); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /@ana: status %d, want 405", res.StatusCode)
	}
	// Upper case finds the same identity.
	if res, _ := ti.get(t, ti.client(), "/@ANA"); res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/@ana" {
		t.Errorf("/@ANA: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// Two identities of one account: nothing on either public page links
// them, neither for a visitor nor for another logged-in person.
func TestIdentityPagesDoNotRevealTheirAccount(t *testing.T) {
	ti := newTestInstance(t)
	acc, march := ti.createAccount(t, "camille.private@example.org", "pride_camille", "a long password", false)
	dance, err := ti.App.store.CreateIdentity(context.Background(), acc.ID, store.NewIdentity{
		Username: "folk_camille", DisplayName: "Camille of the folk club", Bio: "Dancing on Thursdays",
	})
	if err != nil {
		t.Fatal(err)
	}
	identityEvent(t, ti, march, "Pride march", 24*time.Hour, store.VisibilityPublic, false)
	identityEvent(t, ti, dance, "Folk ball", 24*time.Hour, store.VisibilityPublic, false)
	ti.createAccount(t, "other@example.org", "other", "a long password", false)
	other := ti.login(t, "other", "a long password")

	for _, c := range []*http.Client{ti.client(), other} {
		_, marchPage := ti.get(t, c, "/@pride_camille")
		_, dancePage := ti.get(t, c, "/@folk_camille")
		for _, leak := range []string{"folk_camille", "Camille of the folk club", "Dancing on Thursdays", "Folk ball", "camille.private", "example.org"} {
			if strings.Contains(marchPage, leak) {
				t.Errorf("the pride identity's page shows %q", leak)
			}
		}
		for _, leak := range []string{"pride_camille", "Pride march", "camille.private", "example.org"} {
			if strings.Contains(dancePage, leak) {
				t.Errorf("the folk identity's page shows %q", leak)
			}
		}
		// Nor do their feeds and calendars.
		for _, ext := range []string{".rss", ".atom", ".ics"} {
			res, feed := ti.get(t, c, "/feeds/@pride_camille"+ext)
			if res.StatusCode != http.StatusOK {
				t.Errorf("feed %s: %d", ext, res.StatusCode)
			}
			for _, leak := range []string{"folk_camille", "Folk ball", "camille.private"} {
				if strings.Contains(feed, leak) {
					t.Errorf("the pride identity's %s feed shows %q", ext, leak)
				}
			}
		}
		// No number on the page is the account's id next to the word account.
		if regexp.MustCompile(`(?i)account[^<]{0,20}\d`).MatchString(marchPage + dancePage) {
			t.Error("an identity page shows an account number")
		}
	}
}

// pngBytes is a small real PNG picture.
func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := 0; x < 40; x++ {
		for y := 0; y < 30; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 6), uint8(y * 8), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// postProfile posts a multipart profile form, with a file when data is set.
func (ti *testInstance) postProfile(t *testing.T, c *http.Client, path string, fields url.Values, fileName string, data []byte) (*http.Response, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	if data != nil {
		fw, _ := mw.CreateFormFile("avatar", fileName)
		_, _ = fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, ti.URL+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func TestCreateIdentityThenActAsIt(t *testing.T) {
	ti := newTestInstance(t)
	acc, _ := ti.createAccount(t, "ana@example.org", "ana", "a long password", false)
	ti.createAccount(t, "bob@example.org", "bob", "a long password", false)
	ctx := context.Background()

	// Logged out: to the login page, and back here afterwards.
	if res := ti.postForm(t, ti.client(), "/me/identities", url.Values{"username": {"x"}}); res.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
		t.Fatalf("logged-out create: %d %q", res.StatusCode, res.Header.Get("Location"))
	}

	c := ti.login(t, "ana", "a long password")
	cases := []struct {
		form  url.Values
		field string
		msg   string
	}{
		{url.Values{"username": {"Bad Name"}}, "username", "lower-case letters"},
		{url.Values{"username": {""}}, "username", "Choose a username"},
		{url.Values{"username": {"bob"}}, "username", "This username is taken"},
		{url.Values{"username": {"ana"}}, "username", "This username is taken"},
		{url.Values{"username": {"ok_name"}, "bio": {strings.Repeat("é", 501)}}, "bio", "at most 500 characters"},
		{url.Values{"username": {"ok_name"}, "display_name": {"bad\x01name"}}, "display_name", "invalid characters"},
	}
	for _, tc := range cases {
		res, body := ti.postFormBody(t, c, "/me/identities", tc.form)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%v: status %d", tc.form, res.StatusCode)
		}
		if !regexp.MustCompile(`id="e-` + tc.field + `"[^>]*>[^<]*` + regexp.QuoteMeta(tc.msg)).MatchString(body) {
			t.Errorf("%v: no %q next to %s", tc.form, tc.msg, tc.field)
		}
		if tc.form.Get("username") != "" && !strings.Contains(body, `value="`+tc.form.Get("username")+`"`) {
			t.Errorf("%v: the typed username is lost", tc.form)
		}
	}
	if ids, _ := ti.App.store.IdentitiesOf(ctx, acc.ID); len(ids) != 1 {
		t.Fatalf("refused forms created identities: %d", len(ids))
	}

	res := ti.postForm(t, c, "/me/identities", url.Values{"username": {"folk_ana"}, "display_name": {"Ana  dances"}, "bio": {"Line one\r\nLine two"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create identity: %d", res.StatusCode)
	}
	_, body := ti.get(t, c, "/me/identities")
	if !strings.Contains(body, "@folk_ana is created") {
		t.Error("no message after creating the identity")
	}
	folk, err := ti.App.store.LocalActorByUsername(ctx, "folk_ana")
	if err != nil || folk.AccountID != acc.ID || folk.DisplayName != "Ana dances" || folk.Bio != "Line one\nLine two" {
		t.Fatalf("new identity: %+v, %v", folk, err)
	}
	// The new identity acts now: the switcher has it selected.
	if !regexp.MustCompile(`<option value="` + itoa(folk.ID) + `" selected`).MatchString(body) {
		t.Error("the new identity is not the acting one")
	}
	// And one can switch back and forth.
	ana, _ := ti.App.store.LocalActorByUsername(ctx, "ana")
	ti.postForm(t, c, "/me/identity", url.Values{"identity": {itoa(ana.ID)}, "back": {"/me/identities"}})
	if _, body := ti.get(t, c, "/me/identities"); !regexp.MustCompile(`<option value="` + itoa(ana.ID) + `" selected`).MatchString(body) {
		t.Error("switching back to @ana did not work")
	}

	// One account cannot hoard usernames.
	for i := 2; i < maxIdentitiesPerAccount; i++ {
		if _, err := ti.App.store.CreateIdentity(ctx, acc.ID, store.NewIdentity{Username: "spare_" + itoa(int64(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if res, body := ti.postFormBody(t, c, "/me/identities", url.Values{"username": {"one_too_many"}}); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "at most 20 identities") {
		t.Errorf("identity over the cap: %d", res.StatusCode)
	}

	// Someone else's identity cannot be edited, nor even seen in the form.
	bob := ti.login(t, "bob", "a long password")
	if res, _ := ti.get(t, bob, "/me/identities/folk_ana"); res.StatusCode != http.StatusNotFound {
		t.Errorf("bob opens ana's profile form: %d", res.StatusCode)
	}
	if res, _ := ti.postProfile(t, bob, "/me/identities/folk_ana", url.Values{"display_name": {"hacked"}}, "", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("bob edits ana's profile: %d", res.StatusCode)
	}
	if f, _ := ti.App.store.LocalActorByUsername(ctx, "folk_ana"); f.DisplayName != "Ana dances" {
		t.Error("bob changed ana's identity")
	}
}

func TestEditProfileWithAvatar(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "ana@example.org", "ana", "a long password", false)
	c := ti.login(t, "ana", "a long password")
	ctx := context.Background()

	if res, body := ti.get(t, c, "/me/identities/ana"); res.StatusCode != 200 || !strings.Contains(body, `enctype="multipart/form-data"`) {
		t.Fatalf("profile form: %d", res.StatusCode)
	}
	// A file that is not a picture: message next to the field, nothing saved.
	res, body := ti.postProfile(t, c, "/me/identities/ana", url.Values{"display_name": {"Ana L."}, "bio": {"Hello"}}, "x.png", []byte("not a picture at all"))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="e-avatar"`) || !strings.Contains(body, `value="Ana L."`) {
		t.Fatalf("non-picture avatar: %d", res.StatusCode)
	}
	// A too long bio: refused before the picture is even stored.
	res, _ = ti.postProfile(t, c, "/me/identities/ana", url.Values{"bio": {strings.Repeat("x", 501)}}, "a.png", pngBytes(t))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("long bio: %d", res.StatusCode)
	}
	var media int
	_ = ti.App.store.DB().QueryRow(`SELECT count(*) FROM media`).Scan(&media)
	if a, _ := ti.App.store.LocalActorByUsername(ctx, "ana"); a.DisplayName != "" || a.AvatarUUID != "" || media != 0 {
		t.Fatalf("refused forms changed the profile: %+v, %d pictures", a, media)
	}

	res, _ = ti.postProfile(t, c, "/me/identities/ana", url.Values{"display_name": {"Ana L."}, "bio": {"Hello"}}, "me.png", pngBytes(t))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save profile: %d", res.StatusCode)
	}
	a, _ := ti.App.store.LocalActorByUsername(ctx, "ana")
	if a.AvatarUUID == "" || a.DisplayName != "Ana L." {
		t.Fatalf("profile not saved: %+v", a)
	}
	_, page := ti.get(t, ti.client(), "/@ana")
	if !strings.Contains(page, `src="/media/`+a.AvatarUUID+`"`) || !strings.Contains(page, `alt="Avatar of Ana L."`) {
		t.Error("the identity page does not show the avatar with its alt text")
	}
	if res, _ := ti.get(t, ti.client(), "/media/"+a.AvatarUUID); res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "image/") {
		t.Errorf("avatar picture: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}

	// Saving without a file keeps the avatar; removing it removes it.
	ti.postProfile(t, c, "/me/identities/ana", url.Values{"display_name": {"Ana"}}, "", nil)
	if b, _ := ti.App.store.LocalActorByUsername(ctx, "ana"); b.AvatarUUID != a.AvatarUUID {
		t.Error("saving without a file dropped the avatar")
	}
	ti.postProfile(t, c, "/me/identities/ana", url.Values{"display_name": {"Ana"}, "remove_avatar": {"1"}}, "", nil)
	if b, _ := ti.App.store.LocalActorByUsername(ctx, "ana"); b.AvatarUUID != "" {
		t.Error("the avatar was not removed")
	}
	if res, _ := ti.get(t, ti.client(), "/media/"+a.AvatarUUID); res.StatusCode != http.StatusNotFound {
		t.Errorf("a removed avatar is still served: %d", res.StatusCode)
	}
}

func TestAccountLanguageAndPassword(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "ana@example.org", "ana", "a long password", false)
	c := ti.login(t, "ana", "a long password")
	elsewhere := ti.login(t, "ana", "a long password")

	if res, _ := ti.get(t, ti.client(), "/me/account"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("logged-out account page: %d", res.StatusCode)
	}
	_, body := ti.get(t, c, "/me/account")
	if !strings.Contains(body, "ana@example.org") || !strings.Contains(body, "Your account") {
		t.Fatal("account page lacks the email or its title")
	}

	if res, _ := ti.postFormBody(t, c, "/me/account/language", url.Values{"locale": {"klingon"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("unknown language: %d", res.StatusCode)
	}
	ti.postForm(t, c, "/me/account/language", url.Values{"locale": {"fr"}})
	_, body = ti.get(t, c, "/me/account")
	if !strings.Contains(body, "Votre compte") || !strings.Contains(body, `lang="fr"`) || !strings.Contains(body, "La langue est enregistrée.") {
		t.Error("after choosing French the account page is not in French")
	}
	// The account's choice wins over the browser's.
	req, _ := http.NewRequest(http.MethodGet, ti.URL+"/me/identities", nil)
	req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), "Vos identités") {
		t.Error("an English browser overrides the account's French")
	}
	ti.postForm(t, c, "/me/account/language", url.Values{"locale": {""}})
	if _, body := ti.get(t, c, "/me/account"); !strings.Contains(body, "Your account") {
		t.Error("going back to the browser's language did not work")
	}

	// Password: the current one is checked, the new one must be long enough.
	res, body = ti.postFormBody(t, c, "/me/account/password", url.Values{"current_password": {"wrong one"}, "new_password": {"short"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "This is not your current password") || !strings.Contains(body, "at least 10 characters") {
		t.Fatalf("bad password change: %d", res.StatusCode)
	}
	if res := ti.postForm(t, c, "/me/account/password", url.Values{"current_password": {"a long password"}, "new_password": {"a new long password"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("password change: %d", res.StatusCode)
	}
	if _, body := ti.get(t, c, "/me/account"); !strings.Contains(body, "Your password is changed") {
		t.Error("this session was logged out by its own password change")
	}
	if _, body := ti.get(t, elsewhere, "/"); strings.Contains(body, "Log out") {
		t.Error("another session is still logged in after the password change")
	}
	ti.login(t, "ana", "a new long password")
	if res := ti.postForm(t, ti.client(), "/login", url.Values{"login": {"ana"}, "password": {"a long password"}}); res.StatusCode == http.StatusSeeOther {
		t.Error("the old password still works")
	}
}

// Events created after creating (or switching to) an identity are that
// identity's, and show on its page only.
func TestEventsUseTheActingIdentity(t *testing.T) {
	ei := newEventsInstance(t)
	ctx := context.Background()
	if res := ei.postForm(t, ei.alice, "/me/identities", url.Values{"username": {"alice_folk"}, "display_name": {"Alice dances"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create identity: %d", res.StatusCode)
	}
	folk, err := ei.App.store.LocalActorByUsername(ctx, "alice_folk")
	if err != nil {
		t.Fatal(err)
	}
	form := fullEventForm()
	form.Set("title", "Thursday folk ball")
	e, err := ei.App.store.EventByUUID(ctx, ei.createEvent(t, ei.alice, form))
	if err != nil || e.OrganizerID != folk.ID {
		t.Fatalf("event after creating @alice_folk: organiser %d, want %d (%v)", e.OrganizerID, folk.ID, err)
	}

	alice, _ := ei.App.store.LocalActorByUsername(ctx, "alice")
	ei.postForm(t, ei.alice, "/me/identity", url.Values{"identity": {itoa(alice.ID)}})
	form.Set("title", "Street cleaning")
	e2, err := ei.App.store.EventByUUID(ctx, ei.createEvent(t, ei.alice, form))
	if err != nil || e2.OrganizerID != alice.ID {
		t.Fatalf("event after switching back to @alice: organiser %d, want %d (%v)", e2.OrganizerID, alice.ID, err)
	}

	_, folkPage := ei.get(t, ei.client(), "/@alice_folk")
	_, alicePage := ei.get(t, ei.client(), "/@alice")
	if !strings.Contains(folkPage, "Thursday folk ball") || strings.Contains(folkPage, "Street cleaning") {
		t.Error("@alice_folk's page does not show exactly its own event")
	}
	if !strings.Contains(alicePage, "Street cleaning") || strings.Contains(alicePage, "Thursday folk ball") {
		t.Error("@alice's page does not show exactly its own event")
	}
	// The event page names the identity that acted, never the other one.
	_, eventPage := ei.get(t, ei.client(), "/events/"+e.UUID)
	if !strings.Contains(eventPage, "Alice dances") || regexp.MustCompile(`@alice\b`).MatchString(eventPage) || strings.Contains(eventPage, "alice@example.org") {
		t.Error("the event page does not show only the acting identity")
	}
}
