package app

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"convene/app/ap"
	"convene/app/store"
)

// publicDocCacheEntries bounds the cache of WebFinger answers and actor
// documents: a few kilobytes each, a few megabytes at most.
const publicDocCacheEntries = 2048

const activityContentType = ap.ContentTypeActivityJSON + "; charset=utf-8"

// servePublicDocument answers with the JSON document render makes, the
// same for every reader (WebFinger, actor documents), kept rendered in
// a.docs until the next write through the store. Documents never depend on
// who asks, so nothing private is kept. render returning
// store.ErrNotFound answers 404 with notFound; a 404 is never kept.
func (a *App) servePublicDocument(w http.ResponseWriter, r *http.Request, key, contentType, notFound string,
	render func(context.Context) (any, error)) error {
	// The version is taken before anything is read, so that a write made
	// while rendering leaves this rendering unused by later readers.
	version := a.docs.Version(a.store.Generation())
	doc := a.docs.Get(key, version)
	if doc == nil {
		v, err := render(r.Context())
		if errors.Is(err, store.ErrNotFound) {
			return jsonError(w, http.StatusNotFound, notFound)
		}
		if err != nil {
			return err
		}
		body, err := json.Marshal(v)
		if err != nil {
			return err
		}
		doc = a.docs.Put(key, version, contentType, body)
	}
	h := w.Header()
	h.Add("Vary", "Accept")
	h.Set("Content-Type", doc.ContentType)
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("ETag", doc.ETag)
	if r.Header.Get("If-None-Match") == doc.ETag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	_, err := w.Write(doc.Body)
	return err
}
