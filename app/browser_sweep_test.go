package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"convene/app/store"
)

// The proof sweep of the pages: a realistic instance, seeded through its
// real forms, is visited page by page in a real browser, logged out (a
// French-speaking visitor) and logged in (the owner, a plain member), on a
// phone and on a desktop screen. Every page must answer as expected, fit
// the screen's width, pass axe-core's serious and critical rules, ask
// nothing of another host and write no error to the console.

// Long things that break layouts when nothing wraps them.
var (
	sweepLongWord = strings.Repeat("Lichtbildvortrag", 4)[:60]
	sweepLongURL  = "https://video.example.org/rooms/" + strings.Repeat("neighbourhood-assembly-", 4) + "2026?pwd=" + strings.Repeat("a1", 6)
)

// sweepSite is the seeded instance and the paths worth visiting.
type sweepSite struct {
	ti             *testInstance
	owner, member  person
	ownerEvent     string // uuid of an event the owner organises
	seriesEvent    string
	approvalEvent  string
	discussionPath string
	postPath       string
	resourceID     string
	messageID      string
}

func seedSweepSite(t *testing.T) *sweepSite {
	t.Helper()
	ti := newTestInstance(t)
	ctx := context.Background()
	acc, id, err := ti.App.store.CreateAccountWithIdentity(ctx, "owner@example.org", hashPassword("owner password 1"), true,
		store.NewIdentity{Username: "claire"})
	if err != nil {
		t.Fatal(err)
	}
	s := &sweepSite{ti: ti, owner: person{Account: acc, Identity: id, Client: ti.sessionClient(t, acc.ID, id.ID)}}
	s.member = ti.newPerson(t, "bob")
	alice := ti.newPerson(t, "alice")
	oc := s.owner.Client

	if res := ti.postForm(t, oc, "/admin/instance", url.Values{
		"name": {"Quartier des Pentes"}, "description": {"What the neighbourhood organises: bikes, workshops, assemblies."},
		"language": {"en"}, "timezone": {"Europe/Paris"},
	}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("name the instance: %d", res.StatusCode)
	}
	createGroupVia(t, ti, oc, "velo", "Vélo Pentes — the bike collective", "open")
	for _, p := range []person{s.member, alice} {
		if res := ti.postForm(t, p.Client, "/groups/velo/join", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("join the group: %d", res.StatusCode)
		}
	}

	day := func(n int, hour int) time.Time {
		d := ti.App.now().In(store.LoadLocation("Europe/Paris")).AddDate(0, 0, n)
		return time.Date(d.Year(), d.Month(), d.Day(), hour, 30, 0, 0, d.Location())
	}
	event := func(title, category string, start time.Time, banner bool, edit func(url.Values)) string {
		f := url.Values{
			"title": {title}, "description": {"Come as you are. **Everyone** is welcome; bring a friend.\n\n- tea\n- cakes"},
			"category": {category}, "tags": {"neighbours"}, "timezone": {"Europe/Paris"},
			"starts_at": {start.Format("2006-01-02T15:04")}, "ends_at": {start.Add(2 * time.Hour).Format("2006-01-02T15:04")},
			"venue": {"Maison du quartier"}, "street": {"12 rue des Tables Claudiennes"}, "postal_code": {"69001"},
			"locality": {"Lyon"}, "country": {"France"}, "visibility": {"public"}, "join_mode": {"free"},
			"anonymous_participation": {"1"}, "status": {"confirmed"}, "comment_moderation": {"allow_all"}, "publish": {"now"},
		}
		if edit != nil {
			edit(f)
		}
		var pic []byte
		if banner {
			pic = testPNG(t, 800, 400)
		}
		res, body := ti.postMultipart(t, oc, "/events", f, pic, false)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("create %q: %d\n%v", title, res.StatusCode, fieldErrorsIn(body))
		}
		return strings.TrimPrefix(res.Header.Get("Location"), "/events/")
	}
	s.ownerEvent = event("Spring folk ball", "music", day(3, 19), true, nil)
	event("Repair café", "community", day(4, 14), true, func(f url.Values) { f.Set("capacity", "12") })
	event("Atelier "+sweepLongWord, "crafts", day(5, 10), false, nil)
	s.approvalEvent = event("Neighbourhood assembly (online)", "meeting", day(6, 18), false, func(f url.Values) {
		f.Set("join_mode", "approval")
		f.Set("online_url", sweepLongURL)
		for _, k := range []string{"venue", "street", "postal_code", "locality", "country"} {
			f.Del(k)
		}
	})
	s.seriesEvent = event("Saturday sewing workshop", "crafts", day(2, 10), true, func(f url.Values) {
		f.Set("repeat", "weekly")
		f.Set("repeat_interval", "1")
		f.Set("repeat_ends", "count")
		f.Set("repeat_count", "8")
	})
	event("Night ride along the Saône", "sports", day(8, 21), true, func(f url.Values) { f.Set("group", "velo") })
	event("Climate march", "climate", day(10, 14), false, func(f url.Values) { f.Set("status", "tentative") })

	// The member comes to the folk ball and asks to join the assembly.
	ti.postForm(t, s.member.Client, "/events/"+s.ownerEvent+"/join", nil)
	ti.postForm(t, s.member.Client, "/events/"+s.approvalEvent+"/join", url.Values{"message": {"I live at number 4."}})

	res := ti.postForm(t, oc, "/groups/velo/posts", url.Values{"title": {"Winter lights check"}, "body": {"Bring your bike on **Saturday**: we fix lights for free."}, "visibility": {"public"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("post: %d", res.StatusCode)
	}
	s.postPath = res.Header.Get("Location")
	res = ti.postForm(t, s.member.Client, "/groups/velo/discussions", url.Values{"title": {"Route for the night ride"}, "body": {"North along the Saône or south to Confluence? " + sweepLongURL}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("discussion: %d", res.StatusCode)
	}
	s.discussionPath = strings.SplitN(res.Header.Get("Location"), "#", 2)[0]
	ti.postForm(t, alice.Client, s.discussionPath, url.Values{"body": {"North: the quays are lit."}})
	ti.postForm(t, oc, "/groups/velo/resources", url.Values{"kind": {"link"}, "tool": {"pad"}, "url": {"https://pad.example.org/p/velo-" + sweepLongWord}, "title": {"Ride pad"}, "public": {"1"}})

	ctx2 := context.Background()
	g, err := ti.App.store.LocalGroupByUsername(ctx2, "velo")
	if err != nil {
		t.Fatal(err)
	}
	var rid string
	var mid int64
	ti.App.store.DB().QueryRowContext(ctx2, `SELECT uuid FROM group_resources WHERE group_id = ? LIMIT 1`, g.ID).Scan(&rid)
	ti.App.store.DB().QueryRowContext(ctx2, `SELECT m.id FROM discussion_messages m JOIN discussions d ON d.id = m.discussion_id
		WHERE d.group_id = ? AND m.author_id = ? LIMIT 1`, g.ID, s.member.Identity.ID).Scan(&mid)
	s.resourceID, s.messageID = rid, fmt.Sprint(mid)
	return s
}

// sweepPage is a page to visit and the status it answers with.
type sweepPage struct {
	path   string
	status int
}

// publicPages are the HTML pages of app/routes.go anyone may open.
func (s *sweepSite) publicPages() []sweepPage {
	ok := func(paths ...string) []sweepPage {
		var out []sweepPage
		for _, p := range paths {
			out = append(out, sweepPage{p, http.StatusOK})
		}
		return out
	}
	return append(ok("/", "/?page=1&origin=local", "/events/past", "/search", "/search?q=folk", "/search?q=workshop&when=month",
		"/tags/neighbours", "/categories", "/categories/crafts", "/about", "/groups", "/@claire", "/@velo",
		"/groups/velo/members", "/groups/velo/resources", s.postPath,
		"/events/"+s.ownerEvent, "/events/"+s.seriesEvent, "/events/"+s.approvalEvent,
		"/events/"+s.ownerEvent+"/join-without-account", "/report?event="+s.ownerEvent, "/embed?identity=claire",
		"/login"),
		sweepPage{"/no-such-page", http.StatusNotFound})
}

// memberPages are the pages of someone logged in (the owner sees them too).
func (s *sweepSite) memberPages(who person) []sweepPage {
	var out []sweepPage
	for _, p := range []string{"/events/new", "/me/events", "/me/identities", "/me/identities/" + who.Identity.Username,
		"/me/account", "/me/account/delete", "/me/following", "/me/followers", "/me/calendar", "/me/calendar-sources", "/import",
		"/groups/new", "/groups/velo/discussions", s.discussionPath} {
		out = append(out, sweepPage{p, http.StatusOK})
	}
	return out
}

// ownerPages are the organiser's, the group administrator's and the
// instance administrator's pages.
func (s *sweepSite) ownerPages() []sweepPage {
	var out []sweepPage
	for _, p := range []string{"/events/" + s.ownerEvent + "/edit", "/events/" + s.ownerEvent + "/participants",
		"/events/" + s.ownerEvent + "/delete", "/events/" + s.ownerEvent + "/comments", "/events/" + s.approvalEvent + "/participants",
		"/groups/velo/edit", "/groups/velo/log", "/groups/velo/followers", "/groups/velo/posts/new", s.postPath + "/edit",
		"/groups/velo/resources/" + s.resourceID + "/edit",
		"/admin", "/admin/look", "/admin/registrations", "/admin/users", "/admin/instance", "/admin/federation", "/admin/federation/queue",
		"/admin/followers", "/admin/sources", "/admin/reports", "/admin/moderation-log", "/admin/rules", "/admin/mail"} {
		out = append(out, sweepPage{p, http.StatusOK})
	}
	return out
}

// sweepViewports are a phone and a desktop screen.
var sweepViewports = []struct {
	name          string
	width, height int64
	mobile        bool
}{{"phone", 390, 844, true}, {"desktop", 1280, 900, false}}

// axeScript is axe-core, installed by `npm ci` in testdata/axe.
func axeScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		needTool(t, "axe-core is not installed (cd app/testdata/axe && npm ci): %v", err)
	}
	return string(b)
}

// sweepBrowser is one tab, reused for every page of one person, that
// records what the console says.
type sweepBrowser struct {
	tab     context.Context
	mu      sync.Mutex
	console []string
}

func newSweepBrowser(t *testing.T, ti *testInstance, who *person, lang string) *sweepBrowser {
	t.Helper()
	var tab context.Context
	if who != nil {
		tab = browserAs(t, ti, *who)
	} else {
		tab = newBrowser(t)
	}
	b := &sweepBrowser{tab: tab}
	if lang != "" {
		if _, err := chromedp.Call(tab, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}}); err != nil {
			t.Fatal(err)
		}
	}
	messages := chromedp.Console(tab)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				b.mu.Lock()
				b.console = append(b.console, m.String())
				b.mu.Unlock()
			}
		}
	}()
	return b
}

func (b *sweepBrowser) takeConsole() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.console
	b.console = nil
	return out
}

// pageReport is what the page itself says after loading.
type pageReport struct {
	Status      int      `json:"status"`
	ScrollWidth int      `json:"scrollWidth"`
	InnerWidth  int      `json:"innerWidth"`
	Wide        []string `json:"wide"`
	Requests    []string `json:"requests"`
	Header      float64  `json:"header"`
}

// reportJS measures the page: the document's status, its width against
// the window's, the elements wider than the window (to say what
// overflows) and every resource the page asked for.
const reportJS = `(() => {
	const nav = performance.getEntriesByType("navigation")[0];
	const w = window.innerWidth;
	const wide = [];
	for (const el of document.body.querySelectorAll("*")) {
		const r = el.getBoundingClientRect();
		if (r.right > w + 1 && wide.length < 5) wide.push(el.tagName.toLowerCase() + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "") + " right=" + Math.round(r.right));
	}
	return JSON.stringify({
		status: nav ? nav.responseStatus : 0,
		scrollWidth: document.documentElement.scrollWidth,
		innerWidth: w,
		wide: wide,
		requests: performance.getEntriesByType("resource").map(e => e.name),
		header: document.querySelector("header.site") ? document.querySelector("header.site").getBoundingClientRect().height : 0,
	});
})()`

// axeJS runs axe-core and keeps the serious and critical violations.
const axeJS = `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(
	r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
		.map(v => v.id + " (" + v.impact + "): " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "))))`

// sweep visits pages as one person at every viewport and reports every
// problem found, page by page. Screenshots of the pages named in shots
// are written as artifacts.
func sweep(t *testing.T, s *sweepSite, b *sweepBrowser, who string, pages []sweepPage, axe string, shots map[string]string) {
	t.Helper()
	host := strings.TrimPrefix(s.ti.URL, "http://")
	for _, vp := range sweepViewports {
		opts := []chromedp.EmulateViewportOption{}
		if vp.mobile {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
		}
		browserDo(t, b.tab, "set the viewport", chromedp.EmulateViewport(vp.width, vp.height, opts...))
		for _, pg := range pages {
			where := fmt.Sprintf("%s, %s, %s", who, vp.name, pg.path)
			ctx, cancel := context.WithTimeout(b.tab, 60*time.Second)
			err := chromedp.Do(ctx, chromedp.Navigate(s.ti.URL+pg.path))
			if err != nil {
				cancel()
				t.Errorf("%s: %v", where, err)
				continue
			}
			raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](reportJS))
			if err != nil {
				cancel()
				t.Errorf("%s: measure: %v", where, err)
				continue
			}
			var rep pageReport
			if err := json.Unmarshal([]byte(raw), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Status != pg.status {
				t.Errorf("%s: status %d, want %d", where, rep.Status, pg.status)
			}
			// On a phone the header stays one compact bar: the navigation
			// folds into its menu.
			if vp.mobile && rep.Header > 80 {
				t.Errorf("%s: the header is %.0f px high, more than 80", where, rep.Header)
			}
			if rep.ScrollWidth > rep.InnerWidth {
				t.Errorf("%s: wider than the screen (%d > %d): %v", where, rep.ScrollWidth, rep.InnerWidth, rep.Wide)
			}
			for _, r := range rep.Requests {
				if u, err := url.Parse(r); err != nil || (u.Scheme != "data" && u.Host != host) {
					t.Errorf("%s: asked another host for %s", where, r)
				}
			}
			// Contrast and names do not change with the width: axe runs
			// once per page, on the phone.
			if vp.mobile {
				if kind, err := chromedp.Run(ctx, chromedp.Evaluate[string](axe+";typeof axe.run")); err != nil || kind != "function" {
					t.Errorf("%s: inject axe: %q %v", where, kind, err)
				} else if violations, err := chromedp.Run(ctx, chromedp.Evaluate[string](axeJS, chromedp.EvalAwaitPromise)); err != nil {
					t.Errorf("%s: axe: %v", where, err)
				} else if violations != "[]" {
					t.Errorf("%s: axe finds %s", where, violations)
				}
			}
			if name, ok := shots[pg.path]; ok {
				screenshotTo(t, ctx, name+"-"+vp.name)
				firstScreenTo(t, ctx, name+"-first-screen-"+vp.name)
			}
			cancel()
			msgs := b.takeConsole()
			if pg.status != http.StatusOK {
				// The browser reports the document's own error status.
				msgs = slices.DeleteFunc(msgs, func(m string) bool {
					return strings.Contains(m, fmt.Sprintf("status of %d", pg.status))
				})
			}
			if len(msgs) > 0 {
				t.Errorf("%s: console: %v", where, msgs)
			}
		}
	}
}

// screenshotTo writes a screenshot as an artifact: in CONVENE_SCREENSHOTS
// when set, else in testdata/artifacts (ignored by git) so that a person
// can look at it after a local run.
func screenshotTo(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("CONVENE_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	screenshotIn(t, ctx, dir, name)
}

// firstScreenTo writes what the first screen shows, as a person sees the
// page before scrolling (the README's pictures).
func firstScreenTo(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("browser, screenshot %s: %v", name, err)
	}
	dir := os.Getenv("CONVENE_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBrowserSweepVisitor(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	axe := axeScript(t)
	chromiumPath(t)
	s := seedSweepSite(t)
	fr := newSweepBrowser(t, s.ti, nil, "fr-FR,fr;q=0.9")
	// Registrations are closed on a new instance: the page says so.
	pages := append(s.publicPages(), sweepPage{"/register", http.StatusForbidden})
	sweep(t, s, fr, "French visitor", pages, axe, map[string]string{
		"/": "visitor-fr-home", "/search?q=folk": "visitor-fr-search",
	})
}

func TestBrowserSweepMember(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	axe := axeScript(t)
	chromiumPath(t)
	s := seedSweepSite(t)
	b := newSweepBrowser(t, s.ti, &s.member, "en")
	sweep(t, s, b, "member", append(s.publicPages(), s.memberPages(s.member)...), axe, map[string]string{
		"/": "home", "/search?q=folk": "search", "/categories/crafts": "category", "/me/events": "my-events",
		"/tags/neighbours": "tag", "/@velo": "group", "/events/" + s.ownerEvent: "event", s.discussionPath: "discussion",
		"/events/new": "event-form", "/groups/velo/members": "members", "/groups": "groups",
	})
}

func TestBrowserSweepOwner(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	axe := axeScript(t)
	chromiumPath(t)
	s := seedSweepSite(t)
	b := newSweepBrowser(t, s.ti, &s.owner, "en")
	// The public pages were visited logged out and as a member; the
	// owner sees those that change for an organiser and administrator.
	pages := []sweepPage{{"/", 200}, {"/events/" + s.ownerEvent, 200}, {"/events/" + s.approvalEvent, 200}, {"/@velo", 200}, {s.discussionPath, 200}}
	sweep(t, s, b, "owner", append(append(pages, s.memberPages(s.owner)...), s.ownerPages()...), axe, map[string]string{
		"/": "owner-home", "/me/events": "owner-my-events",
	})
}
