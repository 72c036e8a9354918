package app

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// Fedify, an independent ActivityPub implementation, reads our WebFinger,
// actor and event, sends us a Follow signed its way, and verifies the
// Accept we sign. The script is testdata/fedify/check.mjs.
func TestFedifyReadsAndTalksToUs(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		needTool(t, "node is not installed: %v", err)
	}
	dir := filepath.Join("testdata", "fedify")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@fedify", "fedify", "package.json")); err != nil {
		if _, err := exec.LookPath("npm"); err != nil {
			needTool(t, "npm is not installed: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			needTool(t, "npm ci in %s: %v\n%s", dir, err, out)
		}
	}

	// Fedify looks acct: handles up over https, so this instance serves
	// TLS with a test certificate that node is told to trust.
	srv := httptest.NewUnstartedServer(nil)
	a, err := New(context.Background(), Config{DataPath: filepath.Join(t.TempDir(), "convene.db"),
		BaseURL: "https://" + srv.Listener.Addr().String(), Schema: testSchema, UnsafeAllowPrivateFederation: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = a.Handler()
	srv.StartTLS()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		srv.Close()
		a.Close()
	})
	a.StartWorkers(ctx)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	_, bob, err := a.store.CreateAccountWithIdentity(ctx, "bob@example.org", "", false, store.NewIdentity{Username: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	e := publishEvent(t, a, bob, "Bal folk du solstice", store.VisibilityPublic)
	eventURL := a.eventURI(e)

	runCtx, runCancel := context.WithTimeout(ctx, 2*time.Minute)
	defer runCancel()
	cmd := exec.CommandContext(runCtx, "node", "check.mjs", a.cfg.BaseURL, "bob", eventURL)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+caFile)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	t.Logf("fedify: %s", out)
	if err != nil {
		t.Fatalf("check.mjs: %v\n%s", err, stderr.String())
	}
	var got struct {
		WebfingerSelf, HandleActor, PreferredUsername, Inbox, URLActorType string
		EventType, EventName, EventStart, EventPlace                       string
		FollowStatus                                                       int
		AcceptType, AcceptVerifiedKey, AcceptObject                        string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("script output: %v", err)
	}
	actor := a.URL("/@bob")
	checks := []struct {
		what      string
		got, want string
	}{
		{"WebFinger self link", got.WebfingerSelf, actor},
		{"actor looked up by handle", got.HandleActor, actor},
		{"preferredUsername", got.PreferredUsername, "bob"},
		{"actor looked up by URL", got.URLActorType, "Person"},
		{"event type", got.EventType, "Event"},
		{"event name", got.EventName, "Bal folk du solstice"},
		{"event start", got.EventStart, "2031-06-21T18:00:00Z"},
		{"event place", got.EventPlace, "Salle des fêtes"},
		{"our Accept", got.AcceptType, "Accept"},
		{"key of our Accept's signature, verified by Fedify", got.AcceptVerifiedKey, actor + "#main-key"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.what, c.got, c.want)
		}
	}
	if got.FollowStatus != 202 {
		t.Errorf("Fedify-signed Follow answered %d, want 202", got.FollowStatus)
	}
	followers, err := a.store.Followers(ctx, bob.ID, store.FollowAccepted, 10, 0)
	if err != nil || len(followers) != 1 || !strings.HasSuffix(followers[0].Follower.URI, "/actor") {
		t.Errorf("bob's followers after Fedify's Follow: %v %v", followers, err)
	}
}
