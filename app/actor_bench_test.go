package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"convene/app/store"
)

// Throughput of what every fediverse server asks us first: WebFinger and
// the actor documents (Person, Group, Application). Both are read against
// a net/http handler writing the same bytes and headers from memory,
// measured in the same run over loopback by an in-process load generator
// with several keep-alive connections. Rounds alternate ours and the
// baseline so that load from elsewhere on the machine falls on both.
//
//	go test ./app -run '^$' -bench 'WebFingerThroughput|ActorDocumentThroughput' -benchtime 20000x

// loadConnections is how many connections the load generator keeps busy.
const loadConnections = 8

// benchFederationInstance is an instance with a person, a group and the
// instance actor, each with its keys made.
func benchFederationInstance(b testing.TB) *testInstance {
	b.Helper()
	ti := newTestInstance(b)
	ctx := context.Background()
	st := ti.App.Store()
	_, alice, err := st.CreateAccountWithIdentity(ctx, "alice@example.org", "", false,
		store.NewIdentity{Username: "alice", DisplayName: "Alice Martin", Bio: "Folk dance\nand climate marches"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.CreateGroup(ctx, alice.ID, store.NewGroup{Username: "dancers", DisplayName: "Folk dancers of Lyon",
		Bio: "We dance.", Visibility: store.GroupPublic, Openness: store.OpennessOpen}, func(u string) string { return ti.URL + "/members/" + u }); err != nil {
		b.Fatal(err)
	}
	return ti
}

// recordedAnswer is one answer of ours, to be served again by the baseline.
type recordedAnswer struct {
	header http.Header
	body   []byte
}

// bytesBaseline serves each path's recorded answer from memory.
func bytesBaseline(b *testing.B, answers map[string]recordedAnswer) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ans, ok := answers[r.URL.RequestURI()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		for k, v := range ans.header {
			w.Header()[k] = v
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(ans.body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// loadClient keeps up to loadConnections connections to one server.
func loadClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadConnections, MaxConnsPerHost: loadConnections,
		DisableCompression: true}, Timeout: 30 * time.Second}
}

// fetchAnswer GETs path from our instance and keeps what it answered.
func fetchAnswer(b *testing.B, c *http.Client, base, path, accept string) recordedAnswer {
	b.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Accept", accept)
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	h := resp.Header.Clone()
	h.Del("Date")
	h.Del("Content-Length")
	return recordedAnswer{header: h, body: body}
}

// hammer sends n GETs of paths (in turn) over loadConnections connections
// and returns how long they took. Every answer must be 200 with want's
// bytes.
func hammer(b *testing.B, c *http.Client, base string, paths []string, accept string, n int, want map[string][]byte) time.Duration {
	b.Helper()
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range loadConnections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				p := paths[int(i)%len(paths)]
				req, _ := http.NewRequest(http.MethodGet, base+p, nil)
				req.Header.Set("Accept", accept)
				resp, err := c.Do(req)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				buf.Reset()
				_, _ = buf.ReadFrom(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !bytes.Equal(buf.Bytes(), want[p]) {
					failed.Store(fmt.Sprintf("GET %s: %d, %d bytes", p, resp.StatusCode, buf.Len()))
					return
				}
			}
		}()
	}
	wg.Wait()
	if msg := failed.Load(); msg != nil {
		b.Fatal(msg)
	}
	return time.Since(start)
}

// compareThroughput measures paths on our instance and on the bytes
// baseline in alternating rounds, b.N requests each, and reports both
// rates and their ratio.
func compareThroughput(b *testing.B, ti *testInstance, paths []string, accept string) {
	answers := map[string]recordedAnswer{}
	want := map[string][]byte{}
	warm := loadClient()
	for _, p := range paths {
		answers[p] = fetchAnswer(b, warm, ti.URL, p, accept)
		want[p] = answers[p].body
	}
	baseline := bytesBaseline(b, answers)
	ours, theirs := loadClient(), loadClient()
	const rounds = 4
	perRound := max(b.N/rounds, len(paths))
	// Warm both sides' connections before the clock starts.
	hammer(b, ours, ti.URL, paths, accept, loadConnections*2, want)
	hammer(b, theirs, baseline.URL, paths, accept, loadConnections*2, want)
	b.ResetTimer()
	var oursTime, baseTime time.Duration
	for range rounds {
		baseTime += hammer(b, theirs, baseline.URL, paths, accept, perRound, want)
		oursTime += hammer(b, ours, ti.URL, paths, accept, perRound, want)
	}
	b.StopTimer()
	total := float64(perRound * rounds)
	oursRate, baseRate := total/oursTime.Seconds(), total/baseTime.Seconds()
	b.ReportMetric(oursRate, "ours-req/s")
	b.ReportMetric(baseRate, "baseline-req/s")
	b.ReportMetric(oursRate/baseRate, "ratio")
	b.ReportMetric(0, "ns/op")
}

func BenchmarkWebFingerThroughput(b *testing.B) {
	ti := benchFederationInstance(b)
	host := ti.App.Host()
	instance, err := ti.App.instanceActor(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	paths := []string{
		"/.well-known/webfinger?resource=" + url.QueryEscape("acct:alice@"+host),
		"/.well-known/webfinger?resource=" + url.QueryEscape("acct:dancers@"+host),
		"/.well-known/webfinger?resource=" + url.QueryEscape("acct:"+instance.Username+"@"+host),
	}
	compareThroughput(b, ti, paths, "application/jrd+json")
}

func BenchmarkActorDocumentThroughput(b *testing.B) {
	ti := benchFederationInstance(b)
	compareThroughput(b, ti, []string{"/@alice", "/@dancers", "/actor"}, "application/activity+json")
}
