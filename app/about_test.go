package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func instanceForm(over map[string]string) url.Values {
	f := url.Values{
		"name": {"Lyon Events"}, "description": {"What happens in Lyon"}, "long_description": {"Run by a club.\n\nSecond paragraph."},
		"contact": {"admin@example.org"}, "language": {"fr"}, "timezone": {"America/Montreal"},
		"rules": {"Be kind."}, "moderation": {"Reports are read within a day."}, "federation_policy": {"We federate with everyone who follows the rules."},
		"terms": {"Use it well."}, "privacy": {"We keep your email only."},
	}
	for k, v := range over {
		f.Set(k, v)
	}
	return f
}

func TestAdminInstanceIsForAdminsOnly(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "user@example.org", "user", "a long enough password", false)
	c := ti.login(t, "user@example.org", "a long enough password")
	if res, _ := ti.get(t, c, "/admin/instance"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("GET by a non-admin: %d", res.StatusCode)
	}
	if res := ti.postForm(t, c, "/admin/instance", instanceForm(nil)); res.StatusCode != http.StatusForbidden {
		t.Fatalf("POST by a non-admin: %d", res.StatusCode)
	}
	if _, body := ti.get(t, ti.client(), "/about"); strings.Contains(body, "Lyon Events") {
		t.Fatal("a non-admin changed the instance")
	}
}

func TestAdminInstanceRefusesUnknownZone(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "admin@example.org", "admin", "a long enough password", true)
	c := ti.login(t, "admin@example.org", "a long enough password")
	res, body := ti.postFormBody(t, c, "/admin/instance", instanceForm(map[string]string{"timezone": "Europe/Atlantis"}))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad zone: %d", res.StatusCode)
	}
	if !strings.Contains(body, "is not a time zone we know") || !strings.Contains(body, "Europe/Atlantis") || !strings.Contains(body, "Run by a club.") {
		t.Fatal("the form did not come back with the message and what was typed")
	}
	if _, about := ti.get(t, ti.client(), "/about"); strings.Contains(about, "Lyon Events") {
		t.Fatal("a refused form saved something")
	}
	res, body = ti.postFormBody(t, c, "/admin/instance", instanceForm(map[string]string{"contact": "call me maybe"}))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "email address") {
		t.Fatalf("bad contact: %d", res.StatusCode)
	}
}

func TestAboutShowsSavedTextEscaped(t *testing.T) {
	ti := newTestInstance(t)
	ti.createAccount(t, "admin@example.org", "admin", "a long enough password", true)
	c := ti.login(t, "admin@example.org", "a long enough password")
	res := ti.postForm(t, c, "/admin/instance", instanceForm(map[string]string{
		"rules": "No <script>alert(1)</script> please & thanks",
	}))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	res2, body := ti.get(t, ti.client(), "/about")
	if res2.StatusCode != 200 {
		t.Fatalf("/about: %d", res2.StatusCode)
	}
	for _, want := range []string{"Lyon Events", "What happens in Lyon", "Second paragraph.", `href="mailto:admin@example.org"`,
		"Reports are read within a day.", "We federate with everyone", "America/Montreal",
		"No &lt;script&gt;alert(1)&lt;/script&gt; please &amp; thanks"} {
		if !strings.Contains(body, want) {
			t.Errorf("/about lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert") {
		t.Fatal("saved text reached the page unescaped")
	}
	if got := ti.App.instanceLocation(t.Context()).String(); got != "America/Montreal" {
		t.Fatalf("the instance zone is %s", got)
	}
}
