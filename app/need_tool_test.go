package app

import (
	"fmt"
	"os"
	"runtime"
	"testing"
)

// needTool skips a test for lack of a tool (a browser, node, a loopback
// address, /proc), except in CI where it fails: there a skipped test
// would pass for a green one.
func needTool(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// outcomeTB stands in for a test's T to see whether a helper fails or
// skips it; either ends the calling goroutine, as the real ones do.
type outcomeTB struct {
	testing.TB
	failed, skipped bool
	message         string
}

func (o *outcomeTB) Helper() {}

func (o *outcomeTB) Fatalf(format string, args ...any) {
	o.failed, o.message = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (o *outcomeTB) Skipf(format string, args ...any) {
	o.skipped, o.message = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls helper with o in its own goroutine, as the testing package
// runs a test, and waits for it to end.
func (o *outcomeTB) run(helper func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		helper(o)
	}()
	<-done
}

// An instance that cannot have its own loopback address (a machine
// without 127.0.0.0/8 on lo) skips its test on a laptop but fails it in
// CI: 25 policy, moderation and source tests stand on newInstanceAt.
func TestInstanceWithoutItsAddressFailsInCI(t *testing.T) {
	const unreachable = "192.0.2.1" // TEST-NET-1: never a local address
	for _, ci := range []string{"true", ""} {
		t.Setenv("CI", ci)
		o := &outcomeTB{TB: t}
		o.run(func(tb testing.TB) { newInstanceAt(tb, unreachable) })
		if ci == "true" && !o.failed {
			t.Fatalf("CI=true: newInstanceAt on %s did not fail the test (skipped: %v)", unreachable, o.skipped)
		}
		if ci == "" && !o.skipped {
			t.Fatalf("outside CI: newInstanceAt on %s did not skip (failed: %v)", unreachable, o.failed)
		}
	}
}
