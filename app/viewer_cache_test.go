package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A logged-in page no longer reads its viewer (session, account,
// identities, the header's count) on every request (app/sessioncache), and
// reads the rest in one read transaction (store.ReadTogether). Neither may
// outlive a change: after each of these, the very next request of the
// person concerned already sees it.
func TestLoggedInShortcutsFollowEveryChange(t *testing.T) {
	// setup: alice's group velo with bob a member, a discussion, and bob
	// having read it (twice: the second from what was kept).
	setup := func(t *testing.T) (*testInstance, person, person, string) {
		ti := newTestInstance(t)
		alice, bob, _, _ := groupWithMembers(t, ti)
		path := seedDiscussion(t, ti, alice, 3)
		for range 2 {
			if res, _ := ti.get(t, bob.Client, path); res.StatusCode != http.StatusOK {
				t.Fatalf("bob reads the discussion: %d", res.StatusCode)
			}
		}
		return ti, alice, bob, path
	}
	// sameSession is another browser tab: the same session cookie.
	sameSession := func(ti *testInstance, p person) *http.Client {
		c := ti.client()
		u, _ := url.Parse(ti.URL)
		c.Jar.SetCookies(u, p.Client.Jar.Cookies(u))
		return c
	}
	refused := func(t *testing.T, ti *testInstance, c *http.Client, path, why string) {
		t.Helper()
		if res, body := ti.get(t, c, path); res.StatusCode == http.StatusOK && strings.Contains(body, "<p>message 1 ") {
			t.Errorf("%s, the next request still reads the discussion", why)
		}
	}

	t.Run("removed from the group", func(t *testing.T) {
		ti, alice, bob, path := setup(t)
		m, err := ti.App.store.MembershipOf(context.Background(), mustGroup(t, ti, "velo").ID, bob.Identity.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res := ti.postForm(t, alice.Client, "/groups/velo/members/"+itoa(m.ID)+"/remove", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("remove bob: %d", res.StatusCode)
		}
		refused(t, ti, bob.Client, path, "bob removed from the group")
	})

	t.Run("logged out", func(t *testing.T) {
		ti, _, bob, path := setup(t)
		tab := sameSession(ti, bob)
		if res := ti.postForm(t, bob.Client, "/logout", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout: %d", res.StatusCode)
		}
		refused(t, ti, tab, path, "bob logged out")
	})

	t.Run("suspended", func(t *testing.T) {
		ti, _, bob, path := setup(t)
		ti.createAccount(t, "root@example.org", "root", "correct horse battery", true)
		admin := ti.login(t, "root", "correct horse battery")
		if res := ti.postForm(t, admin, "/admin/users/"+itoa(bob.Account.ID)+"/suspend", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("suspend: %d", res.StatusCode)
		}
		refused(t, ti, bob.Client, path, "bob suspended")
	})

	t.Run("account deleted", func(t *testing.T) {
		ti, _, bob, path := setup(t)
		if res, _ := ti.get(t, bob.Client, "/me/account"); res.StatusCode != http.StatusOK {
			t.Fatalf("bob's account page: %d", res.StatusCode)
		}
		ti.createAccount(t, "root@example.org", "root", "correct horse battery", true)
		admin := ti.login(t, "root", "correct horse battery")
		if res := ti.postForm(t, admin, "/admin/users/"+itoa(bob.Account.ID)+"/delete", url.Values{"reason": {"spam"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete: %d", res.StatusCode)
		}
		refused(t, ti, bob.Client, path, "bob's account deleted")
		if res, _ := ti.get(t, bob.Client, "/me/account"); res.StatusCode == http.StatusOK {
			t.Error("bob's account deleted, the next request still opens its account page")
		}
	})

	t.Run("password changed in another session", func(t *testing.T) {
		ti, _, _, _ := setup(t)
		ti.createAccount(t, "eve@example.org", "eve", "first password here", false)
		here, there := ti.login(t, "eve", "first password here"), ti.login(t, "eve", "first password here")
		for range 2 {
			if res, _ := ti.get(t, there, "/me/account"); res.StatusCode != http.StatusOK {
				t.Fatalf("eve's account page: %d", res.StatusCode)
			}
		}
		if res := ti.postForm(t, here, "/me/account/password", url.Values{"current_password": {"first password here"},
			"new_password": {"second password here"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("change password: %d", res.StatusCode)
		}
		if res, _ := ti.get(t, there, "/me/account"); res.StatusCode == http.StatusOK {
			t.Error("after a password change elsewhere, the other session still opens the account page")
		}
	})

	t.Run("made and unmade administrator", func(t *testing.T) {
		ti, _, bob, _ := setup(t)
		ti.createAccount(t, "root@example.org", "root", "correct horse battery", true)
		admin := ti.login(t, "root", "correct horse battery")
		if res, _ := ti.get(t, bob.Client, "/admin"); res.StatusCode == http.StatusOK {
			t.Fatal("bob opens the administration before being made administrator")
		}
		if res := ti.postForm(t, admin, "/admin/users/"+itoa(bob.Account.ID)+"/promote", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("promote: %d", res.StatusCode)
		}
		if res, _ := ti.get(t, bob.Client, "/admin"); res.StatusCode != http.StatusOK {
			t.Errorf("made administrator, bob's next request is refused the administration: %d", res.StatusCode)
		}
		if res := ti.postForm(t, admin, "/admin/users/"+itoa(bob.Account.ID)+"/demote", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("demote: %d", res.StatusCode)
		}
		if res, _ := ti.get(t, bob.Client, "/admin"); res.StatusCode == http.StatusOK {
			t.Error("no longer administrator, bob's next request still opens the administration")
		}
	})
}
