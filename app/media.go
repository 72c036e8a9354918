package app

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"convene/app/picture"
	"convene/app/store"
)

// serveMedia serves a picture, or with ?w=400, 800 or 1600 its narrowest
// copy at least that wide (the picture itself when it is not wider: it
// is never scaled up). Any other w serves the picture itself, so that a
// wrong or future width still shows something. Pictures stored before
// thumbnails existed get theirs on the first request for one.
func (a *App) serveMedia(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("uuid")
	width, _ := strconv.Atoi(r.URL.Query().Get("w"))
	if !slices.Contains(picture.ThumbnailWidths, width) {
		width = 0
	}
	if width > 0 {
		t, err := a.store.ThumbnailAtLeast(r.Context(), id, width)
		if err == nil {
			return writePicture(w, t.ContentType, t.Data, true)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	m, err := a.store.MediaByUUID(r.Context(), id)
	if err != nil {
		return err
	}
	if width > 0 && width < m.Width {
		t, err := a.makeThumbnails(r.Context(), m, width)
		if errors.Is(err, picture.ErrBusy) {
			// Busy making pictures: the original does for now, not cached
			// for good so that the copy is asked again later.
			return writePicture(w, m.ContentType, m.Data, false)
		}
		if err != nil {
			return err
		}
		if t != nil {
			return writePicture(w, t.ContentType, t.Data, true)
		}
	}
	return writePicture(w, m.ContentType, m.Data, true)
}

// makeThumbnails makes and stores the thumbnails of a picture stored
// before they existed, and returns the one to serve for width (nil when
// none is at least that wide). A picture that has thumbnails already has
// all it will get.
func (a *App) makeThumbnails(ctx context.Context, m *store.Media, width int) (*store.Thumbnail, error) {
	has, err := a.store.HasThumbnails(ctx, m.ID)
	if err != nil || has {
		return nil, err
	}
	images, err := a.pictures.Thumbnails(ctx, m.Data)
	if err != nil {
		return nil, err
	}
	thumbs := storeThumbnails(images)
	if err := a.store.AddThumbnails(ctx, m.ID, thumbs); err != nil {
		return nil, err
	}
	for i := range thumbs {
		if thumbs[i].Width >= width {
			return &thumbs[i], nil
		}
	}
	return nil, nil
}

// writePicture sends picture bytes we re-encoded ourselves.
func writePicture(w http.ResponseWriter, contentType string, data []byte, immutable bool) error {
	// Our own uploads are only ever pictures we re-encoded. Whatever a row
	// says, only a picture type goes out: never an ActivityStreams or HTML
	// type a peer or browser would interpret.
	ct := contentType
	if !strings.HasPrefix(ct, "image/") || strings.Contains(ct, "svg") || strings.ContainsAny(ct, ";,") {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if immutable {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=60")
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	_, err := w.Write(data)
	return err
}
