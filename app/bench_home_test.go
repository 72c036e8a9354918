package app

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"convene/app/gencache"
	"convene/app/store"
	"convene/views"
)

// BenchmarkHomePageOwnBytes is the home page of 10,000 events rendered
// every time (page cache off), read against a handler writing that same
// page's bytes and headers with no database and no template, in the same
// run: the ratio is baseline ns/op over rendered ns/op.
//
//	go test ./app -run '^$' -bench BenchmarkHomePageOwnBytes -benchtime 2s
func BenchmarkHomePageOwnBytes(b *testing.B) {
	ti := newTestInstance(b)
	seedEvents(b, ti, 10000)
	benchHomeOwnBytes(b, ti)
}

// BenchmarkHomePageOwnBytesSeries is BenchmarkHomePageOwnBytes with a
// quarter of the 10,000 events made occurrences of 40 recurring series,
// so that showing each series once (its next occurrence) costs what it
// costs on an instance with weekly workshops.
//
//	go test ./app -run '^$' -bench BenchmarkHomePageOwnBytesSeries -benchtime 2s
func BenchmarkHomePageOwnBytesSeries(b *testing.B) {
	ti := newTestInstance(b)
	seedEvents(b, ti, 10000)
	seedSeries(b, ti, 4, 40)
	benchHomeOwnBytes(b, ti)
}

// seedSeries makes every everyNth stored event an occurrence of one of
// the given number of weekly series, in turn.
func seedSeries(b *testing.B, ti *testInstance, everyNth, series int) {
	b.Helper()
	ctx := context.Background()
	st := ti.App.Store()
	// Every event, whether ended or not: none ends before three years ago.
	all, err := st.ListEvents(ctx, store.EventQuery{Now: ti.App.now().AddDate(-3, 0, 0), Limit: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	err = st.Tx(ctx, func(tx *sql.Tx) error {
		ids := make([]int64, series)
		for i, e := range all {
			if i%everyNth != 0 {
				continue
			}
			k := i / everyNth % series
			if ids[k] == 0 {
				sr := &store.Series{OrganizerID: e.OrganizerID, Rule: "FREQ=WEEKLY", Timezone: e.Timezone,
					FirstStart: e.StartsAt.Format(store.SeriesLocalLayout), Duration: e.EndsAt.Sub(e.StartsAt),
					GeneratedUntil: e.StartsAt}
				if err := st.CreateSeriesTx(ctx, tx, sr, e.ID); err != nil {
					return err
				}
				ids[k] = sr.ID
				continue
			}
			if err := st.SetEventSeriesTx(ctx, tx, e.ID, ids[k]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// benchHomeOwnBytes reads ti's home page rendered every time against the
// same bytes written with no database and no template.
func benchHomeOwnBytes(b *testing.B, ti *testInstance) {
	ti.App.pages = nil
	h := ti.App.Handler()
	page := benchServe(b, h, "/")
	body, header := page.Body.Bytes(), page.Header().Clone()
	b.Run("baseline", func(b *testing.B) {
		b.ReportMetric(float64(len(body)), "bytes/page")
		benchPath(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(body)
		}), "/")
	})
	b.Run("rendered", func(b *testing.B) { benchPath(b, h, "/") })
	coldCaches(ti.App)
	b.Run("cold", func(b *testing.B) { benchPath(b, h, "/") })
}

// coldCaches makes the caches of what readers see (app/gencache) keep
// nothing, so that a "cold" benchmark reads and draws everything on
// every request, as after each write to the store.
func coldCaches(a *App) {
	a.lists = gencache.New[views.EventList](0, 1)
	a.cards = gencache.New[string](0, 1)
	a.events = gencache.New[*store.Event](0, 1)
	a.comments = gencache.New[eventComments](0, 1)
	a.jsonLD = gencache.New[string](0, 1)
	a.drawnEvents = gencache.New[drawnEvent](0, 1)
	a.drawnHomes = gencache.New[drawnHome](0, 1)
}

// noisyJPEG is a photograph-like banner: noise does not compress, as
// photos barely do, so the bytes are not flattered.
func noisyJPEG(b testing.TB, w, h int, seed uint64) []byte {
	rnd := rand.New(rand.NewPCG(seed, 7))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x*255/w) ^ uint8(rnd.IntN(40)), uint8(y*255/h) ^ uint8(rnd.IntN(40)), uint8(rnd.IntN(60) + 90), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkHomeFirstVisitBytes opens the home page of an instance with 20
// upcoming events that all have a 1600×800 banner in a fresh browser, at
// a phone's and a desktop's size, and reports what the first visit
// transfers (HTML, CSS, pictures: whatever the browser fetched once the
// page settled, lazy pictures below the fold left out by the browser)
// and the stylesheet's size; the baseline, measured in the same run, is
// the same page with those banners fetched whole. The phone is measured
// at 1× and at a 3× screen (most phones), where srcset picks larger
// copies. Bytes, not time: -benchtime 1x is enough.
//
//	go test ./app -run '^$' -bench BenchmarkHomeFirstVisitBytes -benchtime 1x
func BenchmarkHomeFirstVisitBytes(b *testing.B) {
	chromiumPath(b)
	ti := newTestInstance(b)
	ctx := context.Background()
	_, org, err := ti.App.Store().CreateAccountWithIdentity(ctx, "org@example.org", "", false, store.NewIdentity{Username: "org"})
	if err != nil {
		b.Fatal(err)
	}
	now := ti.App.now()
	published := now.Add(-time.Hour)
	for i := range 20 {
		m, msg, err := ti.App.saveImage(ctx, nil, noisyJPEG(b, 1600, 800, uint64(i)))
		if err != nil || msg != "" {
			b.Fatalf("banner: %v %s", err, msg)
		}
		start := now.Add(time.Duration(i+1) * 26 * time.Hour)
		e := &store.Event{OrganizerID: org.ID, Title: fmt.Sprintf("Neighbourhood event %d", i+1), StartsAt: start, EndsAt: start.Add(2 * time.Hour),
			Timezone: "Europe/Paris", Category: store.Categories[i%len(store.Categories)], Status: store.StatusConfirmed,
			Visibility: store.VisibilityPublic, JoinMode: store.JoinFree, CommentModeration: store.CommentsAllowAll,
			PublishedAt: &published, BannerID: m.ID, Address: store.Address{Venue: "Maison du quartier", Locality: "Lyon"}}
		if err := ti.App.Store().CreateEvent(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	viewports := []struct {
		name          string
		width, height int64
		mobile        bool
		scale         float64
	}{{"phone", 390, 844, true, 1}, {"phone-3x", 390, 844, true, 3}, {"desktop", 1280, 900, false, 1}}
	for _, vp := range viewports {
		b.Run(vp.name, func(b *testing.B) {
			for b.Loop() {
				tab := newBrowser(b)
				opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(vp.scale)}
				if vp.mobile {
					opts = append(opts, chromedp.EmulateMobile, chromedp.EmulatePortrait)
				}
				browserDo(b, tab, "open the home page", chromedp.EmulateViewport(vp.width, vp.height, opts...),
					chromedp.Navigate(ti.URL+"/"), chromedp.Sleep(time.Second))
				raw, err := chromedp.Run(tab, chromedp.Evaluate[string](`JSON.stringify({
					html: performance.getEntriesByType("navigation")[0].encodedBodySize,
					css: performance.getEntriesByType("resource").filter(e => e.initiatorType === "link" && e.name.includes(".css")).reduce((s, e) => s + e.encodedBodySize, 0),
					img: performance.getEntriesByType("resource").filter(e => e.initiatorType === "img").reduce((s, e) => s + e.encodedBodySize, 0),
					imgs: performance.getEntriesByType("resource").filter(e => e.initiatorType === "img" && e.name.includes("/media/")).length,
					media: performance.getEntriesByType("resource").filter(e => e.initiatorType === "img" && e.name.includes("/media/")).map(e => new URL(e.name).pathname),
				})`))
				if err != nil {
					b.Fatal(err)
				}
				var got struct {
					HTML, CSS, Img, Imgs int
					Media                []string
				}
				if err := json.Unmarshal([]byte(raw), &got); err != nil {
					b.Fatal(err)
				}
				// The baseline, same run: the same page fetching each of
				// these banners whole (1600×800), as it did before the
				// thumbnails.
				whole := got.HTML + got.CSS
				for _, path := range got.Media {
					res, err := http.Get(ti.URL + path)
					if err != nil {
						b.Fatal(err)
					}
					n, err := io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if err != nil || res.StatusCode != http.StatusOK {
						b.Fatalf("%s: %d %v", path, res.StatusCode, err)
					}
					whole += int(n)
				}
				b.ReportMetric(float64(whole), "whole_banners_B")
				b.ReportMetric(float64(got.HTML+got.CSS+got.Img)/float64(whole), "ratio")
				b.ReportMetric(float64(got.HTML), "html_B")
				b.ReportMetric(float64(got.CSS), "css_B")
				b.ReportMetric(float64(got.Img), "img_B")
				b.ReportMetric(float64(got.Imgs), "banners")
				b.ReportMetric(float64(got.HTML+got.CSS+got.Img), "total_B")
			}
		})
	}
}
