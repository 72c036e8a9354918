package app

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"convene/app/store"
)

// BenchmarkConcurrentJoins sends 200 people at one event of 50 places,
// 200 goroutines at once, through the real HTTP handler and a real SQLite
// file. It reports joins per second and checks that exactly 50 got in;
// as a baseline it measures the same goroutines loading the event page,
// and reports joins per page view.
//
//	go test ./app -run '^$' -bench ConcurrentJoins -benchtime 5x
func BenchmarkConcurrentJoins(b *testing.B) {
	const people, capacity = 200, 50
	ti := newTestInstance(b)
	org := ti.newPerson(b, "organiser")
	transport := &http.Transport{MaxIdleConnsPerHost: people, MaxConnsPerHost: people}
	clients := make([]*http.Client, people)
	for i := range clients {
		clients[i] = ti.newPerson(b, "bench"+itoa(int64(i))).Client
		clients[i].Transport = transport
	}
	// all sends one request per client, all at once, and returns how long
	// the slowest took and the status codes seen.
	all := func(req func(c *http.Client) (*http.Response, error)) (time.Duration, map[int]int) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[int]int{}
		start := make(chan struct{})
		for _, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res, err := req(c)
				if err != nil {
					b.Error(err)
					return
				}
				res.Body.Close()
				mu.Lock()
				codes[res.StatusCode]++
				mu.Unlock()
			}()
		}
		t0 := time.Now()
		close(start)
		wg.Wait()
		return time.Since(t0), codes
	}
	var joinTime, viewTime time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := addEvent(b, ti, org.Identity.ID, "Bench "+itoa(int64(i)), 72*time.Hour, func(e *store.Event) { e.Capacity = capacity })
		b.StartTimer()
		d, codes := all(func(c *http.Client) (*http.Response, error) {
			return c.Post(ti.URL+"/events/"+e.UUID+"/join", "application/x-www-form-urlencoded", strings.NewReader(""))
		})
		joinTime += d
		b.StopTimer()
		if codes[http.StatusSeeOther] != capacity || codes[http.StatusConflict] != people-capacity {
			b.Fatalf("answers %v: want %d in and %d refused", codes, capacity, people-capacity)
		}
		if n, _ := ti.App.store.ConfirmedCount(context.Background(), e.ID); n != capacity {
			b.Fatalf("%d confirmed, want exactly %d", n, capacity)
		}
		d, codes = all(func(c *http.Client) (*http.Response, error) { return c.Get(ti.URL + "/events/" + e.UUID) })
		if codes[http.StatusOK] != people {
			b.Fatalf("page views: %v", codes)
		}
		viewTime += d
		b.StartTimer()
	}
	b.StopTimer()
	joins := float64(people * b.N)
	b.ReportMetric(joins/joinTime.Seconds(), "joins/s")
	b.ReportMetric(joins/viewTime.Seconds(), "views/s")
	b.ReportMetric(viewTime.Seconds()/joinTime.Seconds(), "joins/view")
	b.ReportMetric(capacity, "confirmed")
}
