package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"convene/app/store"

	"github.com/chromedp/chromedp"
)

// An association's website (another origin: another port) frames the
// widget and, for the test, an event page. The browser shows the widget's
// events and refuses to show the event page inside the frame.
func TestBrowserWidgetInAnIframeOnAnotherSite(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
	ti := newTestInstance(t)
	_, alice := ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	storeEvent(t, ti, alice, func(e *store.Event) { e.Title = "Repair café" })
	other := storeEvent(t, ti, alice, func(e *store.Event) { e.Title = "Singing circle" })

	// Which paths the browser asked the instance for.
	var mu sync.Mutex
	asked := map[string]bool{}
	instance := ti.Srv.Config.Handler
	ti.Srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked[r.URL.Path] = true
		mu.Unlock()
		instance.ServeHTTP(w, r)
	})

	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!DOCTYPE html><html><head><title>Our association</title></head><body>
<h1>Our association</h1>
<iframe id="widget" src="` + ti.URL + `/embed?identity=alice" width="600" height="400"></iframe>
<iframe id="page" src="` + ti.URL + `/events/` + other.UUID + `" width="600" height="400"></iframe>
</body></html>`))
	}))
	t.Cleanup(site.Close)
	if strings.EqualFold(site.URL, ti.URL) {
		t.Fatal("the site and the instance share an origin")
	}

	ctx := newBrowser(t)
	browserDo(t, ctx, "open the association's page", chromedp.Navigate(site.URL+"/"))
	widget := frameNode(t, ctx, "#widget")
	browserDo(t, ctx, "wait for the widget's events", chromedp.WaitVisible(chromedp.CSS(`.embed-title`), chromedp.FromNode(widget)))
	text, err := runWithin(ctx, chromedp.Text(chromedp.CSS(`body`), chromedp.FromNode(widget)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Repair café") || !strings.Contains(text, "Singing circle") {
		t.Errorf("the widget in the iframe shows %q", text)
	}

	// The event page was asked for, and not shown.
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		done := asked["/events/"+other.UUID]
		mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	if !asked["/events/"+other.UUID] {
		t.Fatal("the browser never asked for the framed event page")
	}
	mu.Unlock()
	time.Sleep(500 * time.Millisecond) // let it render, if it were to
	page := frameNode(t, ctx, "#page")
	framed, _ := runWithin(ctx, chromedp.TextContent(chromedp.CSS(`html`), chromedp.FromNode(page)))
	if strings.Contains(framed, "Singing circle") {
		t.Errorf("an event page was shown inside another site's frame: %q", framed)
	}
	screenshot(t, ctx, "widget-in-iframe")
}

func frameNode(t *testing.T, ctx context.Context, css string) *chromedp.Node {
	t.Helper()
	nodes, err := runWithin(ctx, chromedp.Nodes(chromedp.CSS(css)))
	if err != nil || len(nodes) == 0 {
		t.Fatalf("iframe %s: %v", css, err)
	}
	return nodes[0]
}

func runWithin[T any](ctx context.Context, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return chromedp.Run(ctx, a)
}
