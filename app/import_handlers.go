package app

// The import pages: /import takes a file or a URL and shows a preview;
// confirming creates the events in one transaction; a URL import kept in
// sync is re-checked by the hourly worker.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"convene/app/ap"
	"convene/app/i18n"
	"convene/app/store"
	"convene/views"

	"github.com/a-h/templ"
)

const (
	importPreviewTTL  = 30 * time.Minute
	maxPendingImports = 100
	importSyncEvery   = time.Hour
)

// pendingImports keeps previews between "preview" and "confirm", in memory:
// a preview is cheap to make again, and an unconfirmed one must leave no
// trace in the database.
type pendingImports struct {
	mu      sync.Mutex
	entries map[string]*pendingImport
}

type pendingImport struct {
	accountID  int64
	identityID int64
	url        string
	cal        *icsImport
	created    time.Time
}

func (p *pendingImports) put(now time.Time, pi *pendingImport) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.entries == nil {
		p.entries = map[string]*pendingImport{}
	}
	for k, v := range p.entries {
		if now.Sub(v.created) > importPreviewTTL || len(p.entries) >= maxPendingImports {
			delete(p.entries, k)
		}
	}
	token := store.NewSecret()
	p.entries[token] = pi
	return token
}

func (p *pendingImports) take(now time.Time, token string, accountID int64) *pendingImport {
	p.mu.Lock()
	defer p.mu.Unlock()
	pi := p.entries[token]
	if pi == nil || pi.accountID != accountID || now.Sub(pi.created) > importPreviewTTL {
		return nil
	}
	delete(p.entries, token)
	return pi
}

// importFetcher fetches calendars under the federation's address policy:
// no private or loopback address (after DNS, on every redirect), a size
// limit and timeouts. Only tests turn the address check off.
func (a *App) importFetcher() *ap.Fetcher {
	return ap.NewFetcher(ap.FetchOptions{
		UnsafeAllowPrivate: a.cfg.UnsafeAllowPrivateFederation,
		MaxBodyBytes:       maxImportBytes,
		Timeout:            30 * time.Second,
		UserAgent:          "Convene/" + Version + " (calendar import; +" + a.URL("/") + ")",
	})
}

// fetchCalendar downloads a calendar, or says in words why it could not.
func (a *App) fetchCalendar(ctx context.Context, l *i18n.Printer, rawURL string) ([]byte, string) {
	res, err := a.importFetcher().Fetch(ctx, calendarURL(rawURL), "text/calendar, */*;q=0.5", nil)
	if err != nil {
		return nil, a.fetchProblem(l, err)
	}
	return res.Body, ""
}

// openCalendar starts downloading a calendar, for a preview that shows
// progress; what goes wrong before the first byte is said in words.
func (a *App) openCalendar(ctx context.Context, l *i18n.Printer, rawURL string) (*ap.Stream, string) {
	s, err := a.importFetcher().Open(ctx, calendarURL(rawURL), "text/calendar, */*;q=0.5")
	if err != nil {
		return nil, a.fetchProblem(l, err)
	}
	return s, ""
}

func calendarURL(rawURL string) string {
	if strings.HasPrefix(rawURL, "webcal://") {
		return "https://" + strings.TrimPrefix(rawURL, "webcal://")
	}
	return rawURL
}

func (a *App) fetchProblem(l *i18n.Printer, err error) string {
	var status *ap.StatusError
	switch {
	case errors.Is(err, ap.ErrForbiddenAddress):
		return l.T("This address points to a private network or to this machine: it cannot be imported.")
	case errors.Is(err, ap.ErrNotHTTPS):
		return l.T("Give an address starting with https:// or webcal://.")
	case errors.Is(err, ap.ErrBodyTooLarge), errors.Is(err, errImportTooBig):
		return l.T("This calendar is larger than %d MB: it cannot be imported.", maxImportBytes>>20)
	case errors.As(err, &status):
		return l.T("The server of this calendar answered with an error (HTTP %d).", status.Code)
	default:
		a.log.Info("calendar fetch", "err", err)
		return l.T("This calendar could not be downloaded (the server did not answer in time or could not be reached).")
	}
}

func (a *App) showCalendarImport(w http.ResponseWriter, r *http.Request) error {
	identity := currentIdentity(r)
	if identity == nil {
		return a.sendToLogin(w, r)
	}
	return a.renderImport(w, r, http.StatusOK, views.ImportForm{}, nil)
}

func (a *App) renderImport(w http.ResponseWriter, r *http.Request, status int, f views.ImportForm, errs views.FieldErrors) error {
	identity := currentIdentity(r)
	imports, err := a.store.ImportsOf(r.Context(), identity.ID)
	if err != nil {
		return err
	}
	p := a.page(r, a.printer(r).T("Import events"))
	p.NoIndex = true
	return a.render(w, r, status, views.ImportPage(p, f, imports, errs))
}

// previewCalendarImport reads the uploaded file or the URL and shows what would be
// created.
func (a *App) previewCalendarImport(w http.ResponseWriter, r *http.Request) error {
	identity := currentIdentity(r)
	if identity == nil {
		return a.sendToLogin(w, r)
	}
	l := a.printer(r)
	if !a.limits.allow("import:"+strconv.FormatInt(identity.ID, 10), time.Minute, 10) {
		return &publicError{Status: http.StatusTooManyRequests, Message: "Too many attempts. Please wait a minute and try again."}
	}
	f := views.ImportForm{}
	errs := views.FieldErrors{}
	var data []byte
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			errs["file"] = l.T("This file is larger than %d MB: it cannot be imported.", maxImportBytes>>20)
			return a.renderImport(w, r, http.StatusRequestEntityTooLarge, f, errs)
		}
		errs["file"] = l.T("The file could not be read. Send it again.")
		return a.renderImport(w, r, http.StatusBadRequest, f, errs)
	}
	f.URL = strings.TrimSpace(r.FormValue("url"))
	if file, _, err := r.FormFile("file"); err == nil {
		data, err = io.ReadAll(io.LimitReader(file, maxImportBytes+1))
		file.Close()
		if err != nil {
			errs["file"] = l.T("The file could not be read. Send it again.")
		} else if len(data) > maxImportBytes {
			errs["file"] = l.T("This file is larger than %d MB: it cannot be imported.", maxImportBytes>>20)
		}
		f.URL = ""
	} else if f.URL != "" {
		if msg := validWebURL(l, strings.Replace(f.URL, "webcal://", "https://", 1)); msg != "" {
			errs["url"] = msg
		} else {
			download, msg := a.openCalendar(r.Context(), l, f.URL)
			if msg == "" {
				return a.streamCalendarPreview(w, r, f, download)
			}
			errs["url"] = msg
		}
	} else {
		errs["url"] = l.T("Paste the address of a calendar, or choose a file.")
	}
	if len(errs) > 0 {
		return a.renderImport(w, r, http.StatusUnprocessableEntity, f, errs)
	}
	cal, err := readCalendar(l, bytes.NewReader(data), a.instanceLocation(r.Context()), a.now())
	if errors.Is(err, errImportTooBig) {
		errs["file"] = l.T("This file is larger than %d MB: it cannot be imported.", maxImportBytes>>20)
		return a.renderImport(w, r, http.StatusRequestEntityTooLarge, f, errs)
	}
	if err != nil {
		return err
	}
	p := a.page(r, l.T("Import events"))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.CalendarImportPreviewPage(p, a.calendarPreview(r, f.URL, cal)))
}

// calendarPreview keeps a read calendar until it is confirmed.
func (a *App) calendarPreview(r *http.Request, url string, cal *icsImport) views.CalendarImportPreview {
	token := ""
	if len(cal.Events) > 0 {
		token = a.pending.put(a.now(), &pendingImport{accountID: currentAccount(r).ID, identityID: currentIdentity(r).ID, url: url, cal: cal, created: a.now()})
	}
	return views.CalendarImportPreview{
		Token: token, URL: url, Name: cal.Name, Events: previewEvents(cal), Problems: cal.Problems, MoreProblems: cal.More,
	}
}

// importProgressEvery spaces the progress lines of a download: often
// enough to show life, seldom enough to keep the page short.
const importProgressEvery = 400 * time.Millisecond

// streamCalendarPreview answers at once with the head of the preview page,
// then reads the calendar as it downloads, writing a progress line now and
// then, and ends with the preview. A calendar can take long to arrive, and
// a page that shows nothing for that long looks broken; streaming needs no
// JavaScript. Once the page has started it cannot become an error page, so
// a failure is told at its end, and nothing is kept to confirm.
func (a *App) streamCalendarPreview(w http.ResponseWriter, r *http.Request, f views.ImportForm, download *ap.Stream) error {
	defer download.Body.Close()
	l := a.printer(r)
	p := a.page(r, l.T("Import events"))
	p.NoIndex = true
	rc := http.NewResponseController(w)
	body := templ.ComponentFunc(func(ctx context.Context, out io.Writer) error {
		flush := func() {
			// templ buffers the page; push it out, then past net/http's buffer.
			if b, ok := out.(interface{ Flush() error }); ok {
				b.Flush()
			}
			rc.Flush()
		}
		flush()
		progress := &downloadProgress{r: download.Body, last: time.Now(), line: func(bytes int64, events int) {
			views.ImportProgressLine(downloadedLine(l, bytes, events)).Render(ctx, out)
			flush()
		}}
		cal, err := readCalendarReporting(l, progress, a.instanceLocation(ctx), a.now(), func(n int) { progress.events = n })
		if err != nil {
			return views.CalendarImportFailed(p, a.fetchProblem(l, err)).Render(ctx, out)
		}
		return views.CalendarImportPreviewBody(p, a.calendarPreview(r, f.URL, cal)).Render(ctx, out)
	})
	return a.renderStreaming(w, r, http.StatusOK, views.CalendarImportProgressPage(p, f.URL, body))
}

// downloadProgress counts what was read and calls line at most every
// importProgressEvery, when something new arrived.
type downloadProgress struct {
	r      io.Reader
	read   int64
	events int
	last   time.Time
	shown  int64
	line   func(bytes int64, events int)
}

func (d *downloadProgress) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.read += int64(n)
	if now := time.Now(); d.read > d.shown && now.Sub(d.last) >= importProgressEvery {
		d.last, d.shown = now, d.read
		d.line(d.read, d.events)
	}
	return n, err
}

// downloadedLine says how far a download got: "500 events read, 1.2 MB
// downloaded…".
func downloadedLine(l *i18n.Printer, bytes int64, events int) string {
	size := l.T("%d.%d MB", bytes>>20, (bytes&(1<<20-1))*10>>20)
	if bytes < 1<<20 {
		size = l.T("%d kB", max(bytes>>10, 1))
	}
	if events == 0 {
		return l.T("Downloaded %s…", size)
	}
	return l.N(events, "%d event read, %s downloaded…", "%d events read, %s downloaded…", size)
}

func previewEvents(cal *icsImport) []*store.Event {
	out := make([]*store.Event, len(cal.Events))
	for i := range cal.Events {
		out[i] = &cal.Events[i].Event
	}
	return out
}

// confirmCalendarImport creates the previewed events, all or none.
func (a *App) confirmCalendarImport(w http.ResponseWriter, r *http.Request) error {
	identity := currentIdentity(r)
	if identity == nil {
		return a.sendToLogin(w, r)
	}
	l := a.printer(r)
	pi := a.pending.take(a.now(), r.PostFormValue("token"), currentAccount(r).ID)
	if pi == nil {
		return a.redirect(w, r, "/import", l.T("This preview has expired: send the file or the address again."))
	}
	im := &store.CalendarImport{
		OrganizerID: pi.identityID,
		URL:         pi.url,
		Publish:     r.PostFormValue("publish") == "published",
		KeepInSync:  pi.url != "" && r.PostFormValue("keep_in_sync") == "1",
	}
	var res importResult
	err := a.store.Tx(r.Context(), func(tx *sql.Tx) error {
		if err := a.store.CreateImportTx(r.Context(), tx, im); err != nil {
			return err
		}
		var err error
		if res, err = a.applyImportTx(r.Context(), tx, im, pi.cal); err != nil {
			return err
		}
		// Counted, not previewed: events sharing a UID are created once.
		im.LastResult = importedLine(l, res.created, im.Publish)
		return a.store.SetImportResultTx(r.Context(), tx, im.ID, im.LastResult)
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/import", importedLine(l, res.created, im.Publish))
}

func importedLine(l *i18n.Printer, created int, published bool) string {
	if published {
		return l.N(created, "Imported: %d event created and published.", "Imported: %d events created and published.")
	}
	return l.N(created, "Imported: %d event created as a draft.", "Imported: %d events created as drafts.")
}

// importResult counts what a (re-)import changed.
type importResult struct{ created, updated, cancelled int }

// applyImportTx brings the events of an import in line with a calendar:
// new ones created, changed ones updated, vanished ones cancelled.
func (a *App) applyImportTx(ctx context.Context, tx *sql.Tx, im *store.CalendarImport, cal *icsImport) (importResult, error) {
	var res importResult
	known, err := a.store.ImportedEventsTx(ctx, tx, im.ID)
	if err != nil {
		return res, err
	}
	now := a.now().UTC().Truncate(time.Second)
	seen := map[string]bool{}
	for _, ie := range cal.Events {
		if seen[ie.UID] {
			continue
		}
		seen[ie.UID] = true
		digest := ie.digest()
		if prev, ok := known[ie.UID]; ok {
			if prev.Digest == digest {
				continue
			}
			e, err := a.store.EventByIDTx(ctx, tx, prev.EventID)
			if errors.Is(err, store.ErrNotFound) {
				continue // deleted here by its organiser: leave it deleted
			}
			if err != nil {
				return res, err
			}
			old := *e
			n := ie.Event
			e.Title, e.DescriptionMD, e.DescriptionHTML = n.Title, n.DescriptionMD, n.DescriptionHTML
			e.StartsAt, e.EndsAt, e.Timezone, e.Status = n.StartsAt, n.EndsAt, n.Timezone, n.Status
			e.Address.Venue, e.OnlineURL = n.Address.Venue, n.OnlineURL
			if err := a.updateEventAndAnnounceTx(ctx, tx, &old, e); err != nil {
				return res, err
			}
			if err := a.store.SetImportedEventTx(ctx, tx, im.ID, ie.UID, store.ImportedEvent{EventID: e.ID, Digest: digest}); err != nil {
				return res, err
			}
			res.updated++
			continue
		}
		e := ie.Event
		e.OrganizerID = im.OrganizerID
		if im.Publish {
			e.PublishedAt = &now
		} else {
			e.Draft = true
		}
		if err := a.store.CreateEventTx(ctx, tx, &e); err != nil {
			return res, err
		}
		// Published imports are events like any other: followers hear of them.
		if err := a.enqueueEventActivity(ctx, tx, &e, VerbCreate); err != nil {
			return res, err
		}
		if err := a.store.SetImportedEventTx(ctx, tx, im.ID, ie.UID, store.ImportedEvent{EventID: e.ID, Digest: digest}); err != nil {
			return res, err
		}
		res.created++
	}
	for uid, prev := range known {
		if seen[uid] {
			continue
		}
		e, err := a.store.EventByIDTx(ctx, tx, prev.EventID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return res, err
		}
		if e.Status == store.StatusCancelled || e.EndsAt.Before(now) {
			continue
		}
		old := *e
		e.Status = store.StatusCancelled
		if err := a.updateEventAndAnnounceTx(ctx, tx, &old, e); err != nil {
			return res, err
		}
		if err := a.store.SetImportedEventTx(ctx, tx, im.ID, uid, store.ImportedEvent{EventID: e.ID, Digest: "cancelled"}); err != nil {
			return res, err
		}
		res.cancelled++
	}
	return res, nil
}

// SyncImports re-checks every calendar kept in sync that is due; the
// worker calls it hourly, tests directly.
func (a *App) SyncImports(ctx context.Context) {
	due, err := a.store.ImportsDue(ctx, a.now().Add(-importSyncEvery+time.Minute))
	if err != nil {
		a.log.Error("imports due", "err", err)
		return
	}
	l := i18n.For(a.setting(ctx, SettingLanguage))
	for _, im := range due {
		result := a.syncImport(ctx, l, im)
		if err := a.store.SetImportResult(ctx, im.ID, result); err != nil {
			a.log.Error("import result", "import", im.ID, "err", err)
		}
	}
}

func (a *App) syncImport(ctx context.Context, l *i18n.Printer, im *store.CalendarImport) string {
	data, msg := a.fetchCalendar(ctx, l, im.URL)
	if msg != "" {
		return l.T("Not synced: %s", msg)
	}
	cal, err := readCalendar(l, bytes.NewReader(data), a.instanceLocation(ctx), a.now())
	if err != nil {
		return l.T("Not synced: the calendar is too big.")
	}
	if len(cal.Events) == 0 && len(cal.Problems) > 0 {
		// A broken download must not cancel every event.
		return l.T("Not synced: %s", cal.Problems[0])
	}
	var res importResult
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = a.applyImportTx(ctx, tx, im, cal)
		return err
	})
	if err != nil {
		a.log.Error("sync import", "import", im.ID, "err", err)
		return l.T("Not synced: something went wrong on our side.")
	}
	s := l.T("Synced: %d new, %d updated, %d cancelled.", res.created, res.updated, res.cancelled)
	if len(cal.Problems) > 0 {
		s += " " + l.N(len(cal.Problems)+cal.More, "%d problem in the calendar.", "%d problems in the calendar.")
	}
	return s
}

// syncImportsDue is the worker's hourly pass.
func (a *App) syncImportsDue(ctx context.Context) { a.SyncImports(ctx) }
