package app

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"convene/app/store"
)

// bigCalendar is an .ics of n events padded to about 800 bytes each.
func bigCalendar(n int) []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Saison complète\r\n")
	for i := range n {
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:event-%d@example.org\r\nDTSTART:20270301T%02d0000Z\r\nSUMMARY:Atelier n°%d\r\nDESCRIPTION:%s\r\nEND:VEVENT\r\n",
			i, 8+i%10, i, strings.Repeat("Lorem ipsum ", 60))
	}
	b.WriteString("END:VCALENDAR\r\n")
	return []byte(b.String())
}

var progressLinePattern = regexp.MustCompile(`class="import-progress">([^<]*downloaded…)</p>`)

// slowCalendarServer serves data in chunks with short pauses; after the
// first half it waits until release is closed (or 5 s), so that the test
// can prove a progress line reached the browser while the download was
// still going. cut, when true, drops the connection instead of sending the
// second half.
func slowCalendarServer(t *testing.T, data []byte, release <-chan struct{}, cut bool) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/calendar")
		rc := http.NewResponseController(w)
		const chunks = 20
		size := len(data)/chunks + 1
		for i := 0; i*size < len(data); i++ {
			if i == chunks/2 {
				select {
				case <-release:
				case <-time.After(5 * time.Second):
					t.Error("no progress line reached the browser during the download")
				}
				if cut {
					panic(http.ErrAbortHandler)
				}
			}
			w.Write(data[i*size : min((i+1)*size, len(data))])
			rc.Flush()
			if i < chunks/2 {
				time.Sleep(70 * time.Millisecond) // ~0.7 s for the first half
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// readStreamedPreview posts the import form and reads the answer as it
// arrives, closing release at the first progress line. It returns the
// whole page, the progress lines, and whether the preview had already
// arrived when the first progress line did.
func readStreamedPreview(t *testing.T, ti *testInstance, c *http.Client, calURL string, release chan struct{}) (page string, lines []string, previewFirst bool) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ti.URL+"/import", strings.NewReader(url.Values{"url": {calURL}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: status %d", res.StatusCode)
	}
	var got strings.Builder
	buf := make([]byte, 4096)
	released := false
	for {
		n, err := res.Body.Read(buf)
		got.Write(buf[:n])
		if !released && progressLinePattern.MatchString(got.String()) {
			released = true
			previewFirst = strings.Contains(got.String(), "will be created") || strings.Contains(got.String(), "Nothing was imported")
			close(release)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading the preview: %v", err)
		}
	}
	if !released {
		close(release)
	}
	for _, m := range progressLinePattern.FindAllStringSubmatch(got.String(), -1) {
		lines = append(lines, html.UnescapeString(m[1]))
	}
	return got.String(), lines, previewFirst
}

func TestImportPreviewStreamsProgress(t *testing.T) {
	ti := newTestInstance(t, func(c *Config) { c.UnsafeAllowPrivateFederation = true })
	ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	c := ti.login(t, "alice@example.org", "correct horse battery")

	data := bigCalendar(1500)
	release := make(chan struct{})
	remote := slowCalendarServer(t, data, release, false)
	page, lines, previewFirst := readStreamedPreview(t, ti, c, remote.URL+"/season.ics", release)
	if len(lines) == 0 || previewFirst {
		t.Fatalf("no progress line before the preview (lines %q):\n%.1500s", lines, pageText(page))
	}
	text := html.UnescapeString(page)
	if !strings.Contains(text, "1500 events will be created") || !strings.Contains(text, "Saison complète") {
		t.Fatalf("the preview after the progress lines is wrong:\n%.1500s", pageText(page))
	}
	if i, j := strings.Index(text, lines[0]), strings.Index(text, "1500 events will be created"); i > j {
		t.Errorf("the progress line comes after the preview")
	}
	// The lines count what has arrived and only ever grow; the calendar is
	// 1.2 MB, so no line may claim more.
	t.Logf("%d progress lines for %d bytes: %q", len(lines), len(data), lines)
	sizePattern := regexp.MustCompile(`(\d+) kB downloaded|(\d+)\.(\d) MB downloaded`)
	prev := 0
	for _, l := range lines {
		m := sizePattern.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("progress line without a size: %q", l)
		}
		var kb int
		if m[1] != "" {
			fmt.Sscan(m[1], &kb)
		} else {
			var mb, tenth int
			fmt.Sscan(m[2], &mb)
			fmt.Sscan(m[3], &tenth)
			kb = mb*1024 + tenth*1024/10
		}
		if kb < prev || kb > len(data)>>10 {
			t.Errorf("progress line %q after %d kB, of %d kB in all", l, prev, len(data)>>10)
		}
		prev = kb
	}
	if ti.countEvents(t) != 0 {
		t.Fatal("a preview created events")
	}

	token := importTokenPattern.FindStringSubmatch(page)[1]
	if res := ti.postForm(t, c, "/import/confirm", url.Values{"token": {token}, "publish": {"draft"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: status %d", res.StatusCode)
	}
	_, after := ti.get(t, c, "/import")
	after = html.UnescapeString(after)
	all, err := ti.App.store.ListEvents(t.Context(), store.EventQuery{Limit: 5000})
	if n := len(all); err != nil || n != 1500 || !strings.Contains(after, "Imported: 1500 events created as drafts.") {
		t.Errorf("%d events after confirming; the page says:\n%s", n, pageText(after))
	}
}

func TestImportPreviewStreamedFailureImportsNothing(t *testing.T) {
	ti := newTestInstance(t, func(c *Config) { c.UnsafeAllowPrivateFederation = true })
	ti.createAccount(t, "alice@example.org", "alice", "correct horse battery", false)
	c := ti.login(t, "alice@example.org", "correct horse battery")

	release := make(chan struct{})
	remote := slowCalendarServer(t, bigCalendar(1500), release, true)
	page, lines, _ := readStreamedPreview(t, ti, c, remote.URL+"/season.ics", release)
	text := html.UnescapeString(page)
	if len(lines) == 0 || !strings.Contains(text, "This calendar could not be downloaded") || !strings.Contains(text, "Nothing was imported.") ||
		strings.Contains(text, `name="token"`) || strings.Contains(text, "will be created") {
		t.Errorf("a download cut in the middle (lines %q):\n%s", lines, pageText(page))
	}

	// Past the size limit, with no length announced: found out while
	// streaming, and said so.
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/calendar")
		line := []byte("X-FILLER:" + strings.Repeat("a", 1000) + "\r\n")
		w.Write([]byte("BEGIN:VCALENDAR\r\n"))
		for range (maxImportBytes >> 10) + 500 {
			if _, err := w.Write(line); err != nil {
				return
			}
		}
	}))
	t.Cleanup(huge.Close)
	res, page := ti.postFormBody(t, c, "/import", url.Values{"url": {huge.URL + "/huge.ics"}})
	text = html.UnescapeString(page)
	if res.StatusCode != http.StatusOK || !strings.Contains(text, "This calendar is larger than 10 MB") || !strings.Contains(text, "Nothing was imported.") {
		t.Errorf("an endless calendar: status %d\n%s", res.StatusCode, pageText(page))
	}
	if ti.countEvents(t) != 0 {
		t.Error("a failed download created events")
	}
}
