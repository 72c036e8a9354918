package app

import (
	"bufio"
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
// actor and event, sends us a Follow signed its way (with a key whose id
// is a path, /actor/main-key, as GoToSocial's are), and verifies the
// Accept we sign; then it receives the Create of an event published with
// a picture, reads the picture as its first attachment and fetches it.
// The script is testdata/fedify/check.mjs.
func TestFedifyReadsAndTalksToUs(t *testing.T) {
	t.Parallel() // see browserTestsRunInParallel
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
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The script says when its follow is accepted; bob then publishes an
	// event with a picture, which Fedify must receive and read.
	var out []byte
	lines := bufio.NewScanner(stdout)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		out = lines.Bytes()
		t.Logf("fedify: %s", out)
		if string(out) == `{"stage":"followed"}` {
			publishEventWithPicture(t, a, bob, "Bal folk en ligne")
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("check.mjs: %v\n%s", err, stderr.String())
	}
	var got struct {
		WebfingerSelf, HandleActor, PreferredUsername, Inbox, URLActorType string
		EventType, EventName, EventStart, EventPlace                       string
		FollowStatus                                                       int
		AcceptType, AcceptVerifiedKey, AcceptObject                        string
		CreateVerifiedKey, CreatedEventName                                string
		PictureType, PictureMediaType, PictureURL, PictureFetchedType      string
		PictureBytes                                                       int
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
		{"key of our Create's signature, verified by Fedify", got.CreateVerifiedKey, actor + "#main-key"},
		{"event received", got.CreatedEventName, "Bal folk en ligne"},
		{"its first attachment", got.PictureType, "Document"},
		{"the picture's media type", got.PictureMediaType, "image/png"},
		{"the picture, fetched", got.PictureFetchedType, "image/png"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.what, c.got, c.want)
		}
	}
	if got.FollowStatus != 202 {
		t.Errorf("Fedify-signed Follow answered %d, want 202", got.FollowStatus)
	}
	if !strings.HasPrefix(got.PictureURL, a.URL("/media/")) || got.PictureBytes == 0 {
		t.Errorf("the picture Fedify read: %q, %d bytes", got.PictureURL, got.PictureBytes)
	}
	followers, err := a.store.Followers(ctx, bob.ID, store.FollowAccepted, 10, 0)
	if err != nil || len(followers) != 1 || !strings.HasSuffix(followers[0].Follower.URI, "/actor") {
		t.Errorf("bob's followers after Fedify's Follow: %v %v", followers, err)
	}
	// Fedify's key is known by its own id, at a path.
	if len(followers) == 1 {
		info, err := a.store.RemoteActorByURI(ctx, followers[0].Follower.URI)
		if err != nil || !strings.HasSuffix(info.KeyID, "/actor/main-key") {
			t.Errorf("Fedify's key id as we keep it: %v %v", info, err)
		}
	}
}

// publishEventWithPicture publishes an event with a PNG banner the way
// the event form does: the banner stored first, then the event created
// and announced naming it.
func publishEventWithPicture(t *testing.T, a *App, organizer *store.Actor, title string) {
	t.Helper()
	ctx := context.Background()
	m, err := a.store.CreateMedia(ctx, "image/png", 8, 8, testPNG(t, 8, 8))
	if err != nil {
		t.Fatal(err)
	}
	now := a.now().UTC().Truncate(time.Second)
	e := &store.Event{OrganizerID: organizer.ID, Title: title, DescriptionHTML: "<p>En ligne.</p>",
		StartsAt: now.Add(48 * time.Hour), EndsAt: now.Add(50 * time.Hour), Timezone: "Europe/Paris",
		OnlineURL: "https://video.example.org/room/folk", Status: store.StatusConfirmed, Visibility: store.VisibilityPublic,
		JoinMode: store.JoinFree, CommentModeration: store.CommentsAllowAll, Language: "fr", PublishedAt: &now, BannerID: m.ID}
	if err := a.createEventAndAnnounce(ctx, e); err != nil {
		t.Fatal(err)
	}
}
