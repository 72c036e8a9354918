package app

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium. Without it a browser test skips
// on a developer's machine and fails in CI, where it must run.
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	needTool(t, "chromium is not installed: browser tests need it (apt-get install chromium)")
	return ""
}

// browserTestsRunInParallel: the browser tests (and the Fedify one) call
// t.Parallel(). Most of their time is Chromium or node working in their
// own processes, so they overlap well, after the package's other tests.
// Each has its own instances, databases, ports and browsers; they must
// not use t.Setenv or change package state.

// newBrowser starts a headless Chromium for the test and returns the
// context of its first tab; the browser stops when the test ends. Each
// call starts another browser with its own profile, so two people in one
// test (a visitor, an organiser) keep separate cookies.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // tests run as root
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1000, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	// Start the browser now, so a failure to start is reported here.
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	return ctx
}

// browserDo runs steps in a tab with a time limit, failing the test with
// what was being done.
func browserDo(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser, %s: %v", what, err)
	}
}

// browserText reads the text of the first element matching a CSS
// selector, waiting for it to appear.
func browserText(t testing.TB, ctx context.Context, css string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("browser, read %s: %v", css, err)
	}
	return s
}

// screenshot saves the whole page as a PNG (quality 100 means PNG) into dir (the directory named
// by CONVENE_SCREENSHOTS when set, else the test's temp dir).
func screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	dir := os.Getenv("CONVENE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	return screenshotIn(t, ctx, dir, name)
}

// screenshotIn writes the whole page's screenshot to dir/name.png.
func screenshotIn(t testing.TB, ctx context.Context, dir, name string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("browser, screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
