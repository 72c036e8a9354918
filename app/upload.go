package app

import (
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"runtime"
	"time"

	"convene/app/i18n"
	"convene/app/picture"
	"convene/app/store"
)

const maxUploadBytes = picture.MaxBytes

// Decoding pictures is bounded: one at a time on a machine with few cores
// (a Raspberry Pi), two on a bigger one; a picture arriving meanwhile
// waits this long, then its sender is asked to try again.
const (
	pictureWait       = 10 * time.Second
	pictureRetryAfter = 10 // seconds, in the answer's Retry-After
)

func newPictureProcessor() *picture.Processor {
	return picture.NewProcessor(min(2, max(1, runtime.NumCPU()/2)), pictureWait)
}

// errPicturesBusy answers a picture that found every decoding slot taken.
var errPicturesBusy = &publicError{Status: http.StatusServiceUnavailable, RetryAfter: pictureRetryAfter,
	Message: "Other pictures are being processed right now. Please send yours again in a few seconds."}

// uploadForm parses a multipart form keeping its files on disk, not in
// memory: four people sending ten-megabyte pictures at once must not cost
// forty megabytes before any of them is looked at. Handlers that read
// fields with PostFormValue then find the form already parsed.
func uploadForm(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		// An error is left for the handler: FormFile reports it next to
		// the field.
		if err := r.ParseMultipartForm(64 << 10); err == nil {
			// The server removes the files only of the request it made,
			// and middleware hands handlers copies of it.
			defer r.MultipartForm.RemoveAll()
		}
		return next(w, r)
	}
}

// saveUploadedImage reads the picture sent in a multipart form field,
// checks it, re-encodes it (which drops EXIF, GPS and every other piece of
// metadata) and stores it. It returns (nil, "", nil) when no file was
// sent, and (nil, message, nil) when the file is not acceptable; message
// is translated and meant to be shown next to the field.
func (a *App) saveUploadedImage(r *http.Request, field string) (*store.Media, string, error) {
	l := a.printer(r)
	f, header, err := r.FormFile(field)
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, http.ErrMissingFile), errors.Is(err, http.ErrNotMultipart):
		return nil, "", nil
	case errors.As(err, &tooBig), errors.Is(err, multipart.ErrMessageTooLarge):
		return nil, msgImageTooBig(l), nil
	case err != nil:
		// A truncated or malformed body: the browser's fault or the network's.
		return nil, l.T("The picture could not be read. Please choose it again."), nil
	}
	defer f.Close()
	if header.Size > maxUploadBytes {
		return nil, msgImageTooBig(l), nil
	}
	data := make([]byte, header.Size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, l.T("The picture could not be read. Please choose it again."), nil
	}
	if len(data) == 0 {
		// An empty file input still sends a part with no bytes.
		return nil, "", nil
	}
	return a.saveImage(r.Context(), l, data)
}

// saveImage checks, re-encodes and stores picture bytes; see
// saveUploadedImage for what it returns. When every decoding slot stays
// taken, it returns errPicturesBusy (a 503 asking to retry).
func (a *App) saveImage(ctx context.Context, l *i18n.Printer, data []byte) (*store.Media, string, error) {
	m, err := a.storePicture(ctx, data)
	switch {
	case err == nil:
		return m, "", nil
	case errors.Is(err, picture.ErrBusy):
		return nil, "", errPicturesBusy
	case errors.Is(err, picture.ErrTooBig):
		return nil, msgImageTooBig(l), nil
	case errors.Is(err, picture.ErrNotPicture):
		return nil, l.T("This file is not a picture we can use: choose a JPEG, PNG, GIF or WebP image."), nil
	case errors.Is(err, picture.ErrTooManyPixels):
		return nil, l.T("This picture has too many pixels (at most %d megapixels). Choose a smaller one.", picture.MaxMegapixels()), nil
	case errors.Is(err, picture.ErrDamaged):
		return nil, l.T("This picture seems damaged and could not be read. Choose another one."), nil
	}
	return nil, "", err
}

// storePicture re-encodes picture bytes from anyone (a person's upload, a
// peer's event banner) within the memory bound and stores the result with
// its thumbnails. Its errors are picture's (ErrBusy, ErrTooManyPixels,
// ...) or the database's.
func (a *App) storePicture(ctx context.Context, data []byte) (*store.Media, error) {
	pic, err := a.pictures.Reencode(ctx, data)
	if err != nil {
		return nil, err
	}
	return a.store.CreateMedia(ctx, pic.ContentType, pic.Width, pic.Height, pic.Data, storeThumbnails(pic.Thumbnails)...)
}

func storeThumbnails(images []picture.Image) []store.Thumbnail {
	out := make([]store.Thumbnail, len(images))
	for i, t := range images {
		out[i] = store.Thumbnail{Width: t.Width, Height: t.Height, ContentType: t.ContentType, Data: t.Data}
	}
	return out
}

func msgImageTooBig(l *i18n.Printer) string {
	return l.T("This picture is too big: choose one of at most %d MB.", maxUploadBytes>>20)
}
