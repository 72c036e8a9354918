package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"convene/app/store"
)

func TestAdminAreaIsForAdminsOnly(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "owner@example.org", "owner", "a long password", true)
	ti.createAccount(t, "ana@example.org", "ana", "a long password", false)
	user := ti.login(t, "ana", "a long password")
	ctx := context.Background()

	gets := []string{"/admin", "/admin/registrations", "/admin/users"}
	posts := map[string]url.Values{
		"/admin/registrations": {"registrations": {"open"}},
		"/admin/invitations":   nil,
	}
	for _, path := range gets {
		res, body := ti.get(t, user, path)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("non-admin GET %s: %d", path, res.StatusCode)
		}
		if strings.Contains(body, "owner@example.org") {
			t.Errorf("non-admin GET %s shows an email", path)
		}
		if res, _ := ti.get(t, ti.client(), path); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
			t.Errorf("logged-out GET %s: %d to %q", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	for path, form := range posts {
		if res, _ := ti.postFormBody(t, user, path, form); res.StatusCode != http.StatusForbidden {
			t.Errorf("non-admin POST %s: %d", path, res.StatusCode)
		}
		if res := ti.postForm(t, ti.client(), path, form); res.StatusCode != http.StatusSeeOther {
			t.Errorf("logged-out POST %s: %d", path, res.StatusCode)
		}
	}
	if ti.App.setting(ctx, SettingRegistrations) != "closed" {
		t.Error("a non-admin changed the registrations")
	}
	if n, _ := ti.App.store.CountLiveTokens(ctx, store.TokenInvite); n != 0 {
		t.Error("a non-admin created an invitation")
	}
	// The admin link is not even offered.
	if _, body := ti.get(t, user, "/"); strings.Contains(body, `href="/admin"`) {
		t.Error("a non-admin sees the admin link")
	}
}

func TestAdminPages(t *testing.T) {
	ti := newTestInstance(t)
	owner, _ := ti.createAccount(t, "owner@example.org", "owner", "a long password", true)
	acc, _ := ti.createAccount(t, "ana@example.org", "ana", "a long password", false)
	if _, err := ti.App.store.CreateIdentity(context.Background(), acc.ID, store.NewIdentity{Username: "folk_ana"}); err != nil {
		t.Fatal(err)
	}
	admin := ti.login(t, "owner", "a long password")

	_, body := ti.get(t, admin, "/")
	if !strings.Contains(body, `href="/admin"`) {
		t.Error("the admin has no link to the admin area")
	}
	res, body := ti.get(t, admin, "/admin")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `href="/admin/registrations"`) || !strings.Contains(body, `href="/admin/users"`) {
		t.Fatalf("admin hub: %d", res.StatusCode)
	}

	res, body = ti.get(t, admin, "/admin/users")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("users: %d", res.StatusCode)
	}
	for _, want := range []string{"owner@example.org", "ana@example.org", "@ana", "@folk_ana", "@owner"} {
		if !strings.Contains(body, want) {
			t.Errorf("the user list lacks %q", want)
		}
	}
	_ = owner

	// Registrations: every mode saves; an unknown one is refused.
	for _, mode := range []string{"open", "invite", "closed"} {
		if res := ti.postForm(t, admin, "/admin/registrations", url.Values{"registrations": {mode}}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("set %s: %d", mode, res.StatusCode)
		}
		if got := ti.App.setting(context.Background(), SettingRegistrations); got != mode {
			t.Errorf("registrations %q after setting %q", got, mode)
		}
	}
	if res, _ := ti.postFormBody(t, admin, "/admin/registrations", url.Values{"registrations": {"everyone"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("unknown mode: %d", res.StatusCode)
	}
	if got := ti.App.setting(context.Background(), SettingRegistrations); got != "closed" {
		t.Errorf("an unknown mode changed registrations to %q", got)
	}
	_, body = ti.postFormBody(t, admin, "/admin/invitations", nil)
	if !strings.Contains(body, "Unused invitations: 1") || invitationLink.FindStringSubmatch(body) == nil {
		t.Error("the new invitation is not shown and counted")
	}
}
