package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"convene/app/i18n"
	"convene/app/store"
	"convene/views"
)

// A banner chosen with an event form that comes back (errors, "Find on
// map", "Add another link") is stored at once and kept as a pending
// upload: the form shown back names it by a random token in a hidden
// field, and says "Banner kept: name" with a box to drop it. Only the
// identity that sent it can use the token, for pendingUploadLife.
const pendingUploadLife = 24 * time.Hour

// bannerChoice is what the event form's banner fields decided.
type bannerChoice struct {
	MediaID int64  // the picture to use, 0 for none chosen now
	token   string // the pending upload used, claimed once the event is saved
}

// newPendingToken is 32 random bytes, URL-safe.
func newPendingToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// cleanFileName keeps a file's base name, short and printable, for
// "Banner kept: name".
func cleanFileName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	if !utf8.ValidString(name) || name == "." || name == "/" {
		name = ""
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	return truncateRunes(name, 80)
}

// eventBanner decides the event's banner from the form: a picture sent
// now (stored at once, whatever else is wrong), else the pending one the
// form names, unless the person dropped it. keep says the form is shown
// back (errors, or a step like "Find on map"): a picture then stays
// pending, and f names it. bodyErrs are the problems met reading the body
// (a picture too big, a body cut off); they win over what parsing the
// fields found, and their status with them.
func (a *App) eventBanner(r *http.Request, l *i18n.Printer, identityID int64, upload []byte, uploadName string, form url.Values,
	f *views.EventForm, bodyErrs views.FieldErrors, status int, errs views.FieldErrors, keep bool,
) (bannerChoice, int, error) {
	ctx := r.Context()
	for k, v := range bodyErrs {
		errs[k] = v
	}
	keep = keep || len(errs) > 0
	if len(bodyErrs) == 0 {
		status = http.StatusOK
		if len(errs) > 0 {
			status = http.StatusUnprocessableEntity
		}
	}
	notBefore := a.now().Add(-pendingUploadLife)
	token := form.Get("pending_banner")
	if len(token) > 100 {
		token = ""
	}
	var pending *store.PendingUpload
	if token != "" {
		p, err := a.store.PendingUpload(ctx, token, identityID, notBefore)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if len(upload) == 0 && form.Get("drop_pending_banner") == "" && !errs.Has("banner") {
				errs["banner"] = l.T("The picture you chose earlier is no longer kept: please choose it again.")
				status = http.StatusUnprocessableEntity
				keep = true
			}
			token = ""
		case err != nil:
			return bannerChoice{}, 0, err
		default:
			pending = p
		}
	}
	var sent *store.Media
	if len(upload) > 0 && len(bodyErrs) == 0 {
		m, msg, err := a.saveImage(ctx, l, upload)
		if err != nil {
			return bannerChoice{}, 0, err
		}
		if msg != "" {
			// A picture we cannot use: say so, and keep showing the one
			// kept before, if any.
			errs["banner"] = msg
			status, keep = http.StatusUnprocessableEntity, true
		}
		sent = m
	}
	if pending != nil && (form.Get("drop_pending_banner") != "" || sent != nil) {
		// Dropped, or replaced by the picture sent now.
		if err := a.store.DropPendingUpload(ctx, token, identityID); err != nil {
			return bannerChoice{}, 0, err
		}
		pending, token = nil, ""
	}
	if sent != nil {
		if !keep {
			return bannerChoice{MediaID: sent.ID}, status, nil
		}
		token = newPendingToken()
		name := cleanFileName(uploadName)
		if name == "" {
			name = l.T("your picture")
		}
		if err := a.store.AddPendingUpload(ctx, token, identityID, sent.ID, name, notBefore); err != nil {
			return bannerChoice{}, 0, err
		}
		pending = &store.PendingUpload{MediaID: sent.ID, MediaUUID: sent.UUID, Name: name}
	}
	if pending == nil {
		return bannerChoice{}, status, nil
	}
	if keep {
		f.PendingBanner, f.PendingBannerName, f.PendingBannerUUID = token, pending.Name, pending.MediaUUID
		return bannerChoice{}, status, nil
	}
	return bannerChoice{MediaID: pending.MediaID, token: token}, status, nil
}

// claim makes the pending picture used by the saved event no longer
// pending.
func (a *App) claimBanner(ctx context.Context, identityID int64, c bannerChoice) error {
	if c.token == "" {
		return nil
	}
	return a.store.ClaimPendingUpload(ctx, c.token, identityID)
}

// askPastStart asks to confirm a start in the past. old is the start of
// the event edited (nil for a new one): editing a past event without
// changing its start asks nothing. The form comes back with a warning and
// a "Yes, the start is in the past" box; ticked, the form goes through.
func (a *App) askPastStart(l *i18n.Printer, form url.Values, f *views.EventForm, errs views.FieldErrors, defaultLoc *time.Location, old *time.Time) {
	if errs.Has("starts_at") || f.StartsAt == "" {
		return
	}
	loc := loadZone(f.Timezone)
	if loc == nil {
		loc = defaultLoc
	}
	start, msg := parseLocalTime(l, f.StartsAt, loc)
	if msg != "" || !start.Before(a.now()) || old != nil && start.Equal(*old) {
		return
	}
	f.AskPastStart = true
	f.PastConfirmed = form.Get("past_ok") != ""
	if !f.PastConfirmed {
		errs["starts_at"] = l.T("This start is in the past. Check the date; if it is right, tick “Yes, the start is in the past” and send the form again.")
	}
}
