package app

// Pictures of remote events (the image attachment Gancio and Mobilizon
// send) are shown from our own copy, never from their origin: a page that
// loaded them from there would tell that server who reads what. The copy
// is made off the inbox's path, one picture at a time, by a queue: the
// picture is fetched through the safe fetcher (public addresses only, the
// federation policy, a size limit), recognised by its bytes, and re-encoded
// by saveImage exactly as an upload is. It goes with the event (see
// store/remote_pictures.go).

import (
	"context"
	"errors"
	"net/url"
	"time"

	"convene/app/ap"
	"convene/app/picture"
)

const (
	remotePictureBatch      = 10
	remotePictureMaxRetries = 5
	acceptPictures          = "image/jpeg, image/png, image/webp, image/gif;q=0.8"
)

// remotePictureURL is the picture of an event worth fetching: an http(s)
// URL, "" otherwise.
func remotePictureURL(ev *ap.RemoteEvent) string {
	u, err := url.Parse(ev.BannerURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return u.String()
}

// CopyRemotePictures makes our copies of the remote pictures that are due
// and returns how many it tried. Tests call it; a worker calls it when
// woken.
func (a *App) CopyRemotePictures(ctx context.Context) (int, error) {
	done := 0
	for {
		due, err := a.store.DueRemotePictures(ctx, remotePictureBatch)
		if err != nil || len(due) == 0 {
			return done, err
		}
		for _, p := range due {
			if err := ctx.Err(); err != nil {
				return done, err
			}
			media, retryable, err := a.copyRemotePicture(ctx, p.URL)
			done++
			if err == nil {
				err = a.store.RemotePictureCopied(ctx, p, media)
			} else {
				a.log.Info("remote picture not copied", "url", p.URL, "err", err)
				var retryAt time.Time // never
				if retryable && p.Tries+1 < remotePictureMaxRetries {
					retryAt = a.now().Add(deliveryBackoff(p.Tries + 1))
				}
				err = a.store.RemotePictureFailed(ctx, p, retryAt, trimError(err))
			}
			if err != nil {
				return done, err
			}
		}
	}
}

// copyRemotePicture fetches, checks and re-encodes one picture and
// returns the id of our copy, or whether the failure may pass.
func (a *App) copyRemotePicture(ctx context.Context, pictureURL string) (mediaID int64, retryable bool, err error) {
	resp, err := a.fed.pictures.Fetch(ctx, pictureURL, acceptPictures, nil)
	if err != nil {
		return 0, fetchRetryable(err), err
	}
	// Recognised by its bytes and re-encoded under the same memory bound
	// as an upload (app/picture); only a busy decoder is worth a retry.
	m, err := a.storePicture(ctx, resp.Body)
	if err != nil {
		return 0, errors.Is(err, picture.ErrBusy), err
	}
	return m.ID, false, nil
}
