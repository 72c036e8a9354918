package app

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// Benchmarks of the pages people hit most, each to be read against
// BenchmarkBaseline from the same run: a handler writing the event page's
// bytes with no database and no template. All go through an
// httptest.ResponseRecorder and the App's whole handler (middleware
// included), so the ratio is what our code costs over writing the bytes.
//
//	go test -run '^$' -bench . -benchtime 2s ./app

var benchWords = strings.Fields(`repair café folk dance climate march choir jazz concert picnic garden
	workshop assembly bike ride reading club film night yoga knitting hike market swap chess football
	theatre poetry photo walk cooking bread cheese wine beer coding linux privacy union meeting strike
	festival children puppets circus drawing painting pottery singing drums violin piano accordion`)

var benchPlaces = []string{"Lyon", "Paris", "Nantes", "Lille", "Rennes", "Grenoble", "Marseille", "Brest", "Dijon", "Tours"}

// seedEvents stores n events in one transaction through the store: most
// public and listed, spread from two years ago to a year ahead, with a
// few tags and links each, by 50 organisers.
func seedEvents(b *testing.B, ti *testInstance, n int) {
	b.Helper()
	ctx := context.Background()
	var orgs []int64
	for i := range 50 {
		// Straight through the store: hashing 50 passwords would dwarf
		// the seeding itself.
		_, id, err := ti.App.Store().CreateAccountWithIdentity(ctx, fmt.Sprintf("org%d@example.org", i), "", false,
			store.NewIdentity{Username: fmt.Sprintf("org%d", i)})
		if err != nil {
			b.Fatal(err)
		}
		orgs = append(orgs, id.ID)
	}
	now := ti.App.now()
	start := now.AddDate(-2, 0, 0)
	span := now.AddDate(1, 0, 0).Sub(start)
	st := ti.App.Store()
	err := st.Tx(ctx, func(tx *sql.Tx) error {
		// A fixed seed: every run searches the same texts.
		rnd := rand.New(rand.NewPCG(1, 2))
		for i := range n {
			picked := make([]string, 10)
			for k := range picked {
				picked[k] = benchWords[rnd.IntN(len(benchWords))]
			}
			w := func(k int) string { return picked[k] }
			starts := start.Add(time.Duration(int64(span) / int64(n) * int64(i))).Truncate(time.Minute)
			published := starts.AddDate(0, 0, -30)
			e := &store.Event{
				OrganizerID: orgs[i%len(orgs)],
				Title:       fmt.Sprintf("%s %s %s", strings.ToUpper(w(0)[:1])+w(0)[1:], w(1), w(2)),
				DescriptionMD: fmt.Sprintf("Join us for a %s %s. Bring a friend, some %s and your %s. "+
					"We meet at the usual place and finish with a %s.", w(3), w(4), w(5), w(6), w(7)),
				StartsAt: starts, EndsAt: starts.Add(2 * time.Hour), Timezone: "Europe/Paris",
				Address:  store.Address{Venue: "Maison des associations", Street: fmt.Sprintf("%d rue de la Paix", i%90+1), PostalCode: "69001", Locality: benchPlaces[i%len(benchPlaces)], Country: "France"},
				Category: store.Categories[i%len(store.Categories)], Status: store.StatusConfirmed,
				Visibility: store.VisibilityPublic, JoinMode: store.JoinFree, CommentModeration: store.CommentsAllowAll,
				PublishedAt: &published, Tags: []string{w(8), w(9)},
				Links: []store.Link{{Kind: "pad", Title: "Notes", URL: "https://pad.example.org/" + strconv.Itoa(i)}},
			}
			e.DescriptionHTML = "<p>" + e.DescriptionMD + "</p>"
			switch i % 10 {
			case 7:
				e.Visibility = store.VisibilityUnlisted
			case 8:
				e.Visibility = store.VisibilityPrivate
			case 9:
				e.Draft, e.PublishedAt = true, nil
			}
			if i%5 == 0 {
				e.Address, e.OnlineURL = store.Address{}, "https://video.example.org/"+strconv.Itoa(i)
			}
			if err := st.CreateEventTx(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// benchServe runs one request through the whole handler and checks the answer.
func benchServe(b *testing.B, h http.Handler, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: status %d", path, rec.Code)
	}
	return rec
}

func benchPath(b *testing.B, h http.Handler, path string) {
	b.Helper()
	benchServe(b, h, path)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: status %d", path, rec.Code)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// benchEvent creates one public event with everything an event page
// shows (address, tags, links, a long description) and returns its path.
func benchEvent(b *testing.B, ti *testInstance) string {
	b.Helper()
	_, org, err := ti.App.Store().CreateAccountWithIdentity(context.Background(), "bench@example.org", "", false, store.NewIdentity{Username: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	now := ti.App.now()
	published := now.Add(-time.Hour)
	desc := strings.Repeat("An evening of traditional dances from Brittany and Auvergne, with a live band. ", 12)
	e := &store.Event{
		OrganizerID: org.ID, Title: "Folk dance ball", DescriptionMD: desc, DescriptionHTML: "<p>" + desc + "</p>",
		StartsAt: now.Add(72 * time.Hour), EndsAt: now.Add(76 * time.Hour), Timezone: "Europe/Paris",
		Address:  store.Address{Venue: "Salle des fêtes", Street: "1 place du Marché", PostalCode: "69001", Locality: "Lyon", Country: "France"},
		Category: "performing_visual_arts", Status: store.StatusConfirmed, Visibility: store.VisibilityPublic,
		JoinMode: store.JoinFree, CommentModeration: store.CommentsAllowAll, PublishedAt: &published,
		Capacity: 120, Tags: []string{"folk", "dance", "bal"},
		Links: []store.Link{{Kind: "pad", Title: "Car sharing", URL: "https://pad.example.org/bal"}, {Kind: "tickets", Title: "Tickets", URL: "https://tickets.example.org/bal"}},
	}
	if err := ti.App.Store().CreateEvent(context.Background(), e); err != nil {
		b.Fatal(err)
	}
	return "/events/" + e.UUID
}

// benchEventPage returns the event page's path; a page that does not answer
// fails the benchmark, since a figure of an error page measures nothing.
func benchEventPage(b *testing.B, ti *testInstance) string {
	b.Helper()
	path := benchEvent(b, ti)
	rec := httptest.NewRecorder()
	ti.App.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: status %d, want 200", path, rec.Code)
	}
	return path
}

// BenchmarkEventPage is a visitor without cookies reading a public event
// page: "cached" as visitors get it (app/pagecache.go), "rendered" with
// the page cache off, so every request reads the database and renders.
func BenchmarkEventPage(b *testing.B) {
	ti := newTestInstance(b)
	path := benchEventPage(b, ti)
	b.Run("cached", func(b *testing.B) { benchPath(b, ti.App.Handler(), path) })
	ti.App.pages = nil
	b.Run("rendered", func(b *testing.B) { benchPath(b, ti.App.Handler(), path) })
	coldCaches(ti.App)
	b.Run("cold", func(b *testing.B) { benchPath(b, ti.App.Handler(), path) })
}

// BenchmarkBaseline writes the event page's bytes and headers, as the
// fastest possible answer to compare the others with.
func BenchmarkBaseline(b *testing.B) {
	ti := newTestInstance(b)
	page := benchServe(b, ti.App.Handler(), benchEventPage(b, ti))
	body, header := page.Body.Bytes(), page.Header().Clone()
	b.ReportMetric(float64(len(body)), "bytes/page")
	benchPath(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	}), "/")
}

// At ten thousand events the home page must not get slower than a small
// instance's: it reads one page of events, never all of them.
func BenchmarkHomePage10k(b *testing.B) {
	ti := newTestInstance(b)
	seedEvents(b, ti, 10000)
	b.Run("cached", func(b *testing.B) { benchPath(b, ti.App.Handler(), "/") })
	ti.App.pages = nil
	b.Run("rendered", func(b *testing.B) { benchPath(b, ti.App.Handler(), "/") })
}

func BenchmarkSearch10k(b *testing.B) {
	ti := newTestInstance(b)
	seedEvents(b, ti, 10000)
	// Both words (the last one as a prefix) are in 292 of the 10,000
	// events; the filters keep the listed ones held in person, past ones
	// included, so about 160 are ranked.
	benchPath(b, ti.App.Handler(), "/search?q=jazz+concert&attend=in_person&past=1")
}

// BenchmarkIdleRSS builds the convene binary, starts it on a fresh data
// file and a free port, waits for its first answered request and reports
// its resident memory (rss_kB). Time per op is that start-up time.
func BenchmarkIdleRSS(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		needTool(b, "resident memory is read from Linux /proc: %v", err)
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "convene")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	var total float64
	runs := 0
	b.ResetTimer()
	for b.Loop() {
		total += float64(startAndMeasure(b, bin, filepath.Join(dir, fmt.Sprintf("run%d.db", runs))))
		runs++
	}
	b.ReportMetric(total/float64(runs), "rss_kB")
}

var servingLine = regexp.MustCompile(`serving (http://\S+)`)

func startAndMeasure(b *testing.B, bin, data string) int {
	b.Helper()
	cmd := exec.Command(bin, "--data", data, "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "CONVENE_DATA=", "CONVENE_LISTEN=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	lines := bufio.NewScanner(stdout)
	var base string
	for lines.Scan() {
		if m := servingLine.FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		b.Fatal("the binary did not say where it serves")
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	client := &http.Client{Timeout: 5 * time.Second}
	for deadline := time.Now().Add(20 * time.Second); ; {
		res, err := client.Get(base + "/")
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("no answer from %s: %v", base, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return kb
		}
	}
	b.Fatal("no VmRSS in /proc status")
	return 0
}
