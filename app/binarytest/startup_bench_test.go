package binarytest

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// makeDatabase writes a database with n public events by one organiser.
func makeDatabase(b *testing.B, path string, n int) {
	b.Helper()
	ctx := context.Background()
	schema, err := os.ReadFile("../../schema.sql")
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, path, string(schema))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	_, org, err := st.CreateAccountWithIdentity(ctx, "org@example.org", "", true, store.NewIdentity{Username: "org"})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	err = st.Tx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			start := now.Add(time.Duration(i-n/2) * 3 * time.Hour)
			e := &store.Event{OrganizerID: org.ID, Title: fmt.Sprintf("Event number %d in the park", i),
				DescriptionMD: "A gathering with music, food and friends.", StartsAt: start, EndsAt: start.Add(2 * time.Hour),
				Timezone: "Europe/Paris", Category: "other", Status: "confirmed", Visibility: "public", JoinMode: "free",
				CommentModeration: "allow_all", PublishedAt: &now, Tags: []string{"music", "park"},
				Address: store.Address{Venue: "Parc", Locality: "Lyon", Country: "FR"}}
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

// startOnce starts the binary on data, waits for the home page to answer,
// and returns how long that took and the process's resident memory then.
func startOnce(b *testing.B, data string) (time.Duration, int64) {
	b.Helper()
	addr := freePort(b)
	start := time.Now()
	cmd := exec.Command(conveneBinary(b), "serve", "--data", data, "--listen", addr)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	client := &http.Client{Timeout: 5 * time.Second}
	for time.Since(start) < 30*time.Second {
		res, err := client.Get("http://" + addr + "/")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				took := time.Since(start)
				return took, rssKiB(b, cmd.Process.Pid)
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.Fatal("convene did not serve its home page")
	return 0, 0
}

func rssKiB(b *testing.B, pid int) int64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}

// BenchmarkStartup measures the time from starting the binary to its first
// served page, and its memory then, on a database of 10,000 events, with
// an empty database as the baseline of the same run:
//
//	go test -run '^$' -bench Startup -benchtime 5x .
func BenchmarkStartup(b *testing.B) {
	dir := b.TempDir()
	empty := filepath.Join(dir, "empty.db")
	full := filepath.Join(dir, "full.db")
	makeDatabase(b, empty, 0)
	makeDatabase(b, full, 10_000)
	conveneBinary(b)
	b.ResetTimer()
	var baseT, fullT time.Duration
	var baseRSS, fullRSS int64
	for b.Loop() {
		t0, r0 := startOnce(b, empty)
		t1, r1 := startOnce(b, full)
		baseT += t0
		fullT += t1
		baseRSS = max(baseRSS, r0)
		fullRSS = max(fullRSS, r1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(fullT.Milliseconds())/n, "ms-to-first-page-10k")
	b.ReportMetric(float64(baseT.Milliseconds())/n, "ms-to-first-page-empty")
	b.ReportMetric(float64(fullT)/float64(baseT), "startup-ratio-10k/empty")
	b.ReportMetric(float64(fullRSS)/1024, "MiB-RSS-10k")
	b.ReportMetric(float64(baseRSS)/1024, "MiB-RSS-empty")
}
