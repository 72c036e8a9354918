package app

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// Feeds and calendars of a big instance, against a handler writing the same
// bytes from memory in the same run:
//
//	go test ./app -run '^$' -bench 'Calendar10k|Feed10k' -benchtime 20x

// countingWriter is a ResponseWriter that keeps nothing: a streamed
// calendar is measured without a recorder buffering it.
type countingWriter struct {
	header http.Header
	status int
	n      int64
	onMB   func() // called about every 256 KiB written
	next   int64
}

func newCountingWriter() *countingWriter { return &countingWriter{header: http.Header{}} }

func (w *countingWriter) Header() http.Header { return w.header }
func (w *countingWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}
func (w *countingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += int64(len(b))
	if w.onMB != nil && w.n >= w.next {
		w.next = w.n + 256<<10
		w.onMB()
	}
	return len(b), nil
}

// feedBenchInstance has 20,576 events, 9,998 of them listed (public and
// published by now: the seed spreads events over three years, publishes
// each a month before it starts and keeps 30 % unlisted, private or draft).
func feedBenchInstance(b *testing.B) *testInstance {
	b.Helper()
	ti := newTestInstance(b)
	seedEvents(b, ti, 20576)
	return ti
}

func benchHandler(b *testing.B, h http.Handler, path string, etag ...string) int64 {
	b.Helper()
	var size int64
	want := http.StatusOK
	b.ReportAllocs()
	for b.Loop() {
		w := newCountingWriter()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if len(etag) > 0 {
			req.Header.Set("If-None-Match", etag[0])
			want = http.StatusNotModified
		}
		h.ServeHTTP(w, req)
		if w.status != want {
			b.Fatalf("%s: status %d", path, w.status)
		}
		size = w.n
	}
	b.ReportMetric(float64(size), "bytes/response")
	return size
}

// bytesHandler serves fixed bytes: the baseline.
func bytesHandler(body []byte, contentType string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	})
}

func benchAgainstBaseline(b *testing.B, path, contentType string, check func(body string)) {
	ti := feedBenchInstance(b)
	h := ti.App.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body := rec.Body.Bytes()
	check(string(body))
	b.Run("baseline-bytes-from-memory", func(b *testing.B) { benchHandler(b, bytesHandler(body, contentType), path) })
	b.Run("convene", func(b *testing.B) { benchHandler(b, h, path) })
	// A reader or calendar app checking again with the ETag it has.
	b.Run("convene-not-modified", func(b *testing.B) { benchHandler(b, h, path, rec.Header().Get("ETag")) })
}

func BenchmarkCalendar10k(b *testing.B) {
	benchAgainstBaseline(b, "/calendar.ics", typeICS, func(body string) {
		// The seed's publication dates make 9,998 of its events listed.
		if n := strings.Count(body, "BEGIN:VEVENT"); n < 9900 || n > 10100 {
			b.Fatalf("%d events in the calendar, want about 10,000", n)
		}
	})
}

func BenchmarkFeed10k(b *testing.B) {
	benchAgainstBaseline(b, "/feed.rss", typeRSS, func(body string) {
		if n := strings.Count(body, "<item>"); n != feedItems {
			b.Fatalf("%d items, want %d", n, feedItems)
		}
	})
}

// BenchmarkCalendarPeakMemory streams the 10,000-event calendar and
// reports how far the heap grew above where it started while doing so,
// sampled every 256 KiB of output: bounded by the batch size, not by the
// number of events. The collector runs at GOGC=10 meanwhile, so that the
// heap measured is close to what is live rather than garbage waiting.
func BenchmarkCalendarPeakMemory(b *testing.B) {
	ti := feedBenchInstance(b)
	h := ti.App.Handler()
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	for _, path := range []string{"/calendar.ics", "/feeds/tags/jazz.ics"} {
		b.Run(strings.TrimPrefix(path, "/"), func(b *testing.B) {
			var peak, size uint64
			for b.Loop() {
				var ms runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&ms)
				base := ms.HeapAlloc
				w := newCountingWriter()
				w.onMB = func() {
					runtime.ReadMemStats(&ms)
					if ms.HeapAlloc > base && ms.HeapAlloc-base > peak {
						peak = ms.HeapAlloc - base
					}
				}
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
				size = uint64(w.n)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(size)/(1<<20), "calendar-MiB")
		})
	}
}
