package ap

import (
	"os"
	"testing"
	"time"
)

// The go-ap reader against the frozen hand-written one, same run:
//
//	go test ./app/ap -run '^$' -bench 'BenchmarkParse(Event|Actor|Activity)$' -cpu 2,1
//
// Each document is read whole (every field the parser reads) by each
// reader; the ratio goap/legacy is what README.md's Performance section
// reports.

func benchDoc(b *testing.B, path string, embedded bool) []byte {
	b.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	if embedded {
		a, err := legacyParseActivity(raw)
		if err != nil || !a.Object.Embedded() {
			b.Fatalf("%s: no embedded object (%v)", path, err)
		}
		return a.Object.Raw
	}
	return raw
}

func benchReaders[T any](b *testing.B, docs map[string][]byte, legacy, goap func([]byte) (T, error)) {
	for name, raw := range docs {
		// Both readers in turn, 32 documents each, so that both see the
		// same load on a shared machine: the ratio is the figure to read.
		b.Run(name+"/interleaved", func(b *testing.B) {
			var tl, tg time.Duration
			for done := 0; done < b.N; done += 32 {
				start := time.Now()
				for i := 0; i < 32; i++ {
					if _, err := legacy(raw); err != nil {
						b.Fatal(err)
					}
				}
				mid := time.Now()
				for i := 0; i < 32; i++ {
					if _, err := goap(raw); err != nil {
						b.Fatal(err)
					}
				}
				tl += mid.Sub(start)
				tg += time.Since(mid)
			}
			n := float64((b.N + 31) / 32 * 32)
			b.ReportMetric(float64(tl.Nanoseconds())/n, "legacy-ns/doc")
			b.ReportMetric(float64(tg.Nanoseconds())/n, "goap-ns/doc")
			b.ReportMetric(float64(tg)/float64(tl), "goap/legacy")
		})
		for _, r := range []struct {
			name string
			read func([]byte) (T, error)
		}{{"legacy", legacy}, {"goap", goap}} {
			b.Run(name+"/"+r.name, func(b *testing.B) {
				b.SetBytes(int64(len(raw)))
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					if _, err := r.read(raw); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkParseEvent(b *testing.B) {
	benchReaders(b, map[string][]byte{
		"mobilizon": benchDoc(b, "testdata/fixtures/mobilizon-create-event-in-group-fixture.json", true),
		"gancio":    benchDoc(b, "testdata/compare/gancio-1.21-event-no-end-live.json", false),
	}, legacyParseEvent, ParseEvent)
}

func BenchmarkParseActor(b *testing.B) {
	benchReaders(b, map[string][]byte{
		"mobilizon-group": benchDoc(b, "testdata/fixtures/mobilizon-group-actor-mobilizon.fr-framasoft-2024.json", false),
		"gancio-relay":    benchDoc(b, "testdata/compare/gancio-1.21-relay-actor-live.json", false),
	}, legacyParseActor, ParseActor)
}

// What the inbox reads first for every delivery.
func BenchmarkParseActivity(b *testing.B) {
	benchReaders(b, map[string][]byte{
		"mobilizon-create": benchDoc(b, "testdata/fixtures/mobilizon-create-event-in-group-fixture.json", false),
	}, legacyParseActivity, ParseActivity)
}
