package app

import (
	"bytes"
	"context"
	"image"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"convene/app/picture"
	"convene/views"
)

// servedWidth fetches a picture address and returns the width of what is
// served, checking it is a picture cached for good.
func servedWidth(t *testing.T, ti *testInstance, path string) int {
	t.Helper()
	// Not ti.get: its check for template formatting errors reads
	// picture bytes as text.
	res, err := http.Get(ti.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "image/") {
		t.Fatalf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("%s: Cache-Control %q, want immutable", path, cc)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: served bytes are not a picture: %v", path, err)
	}
	return cfg.Width
}

// A list asks for a picture at the width its layout needs, and gets the
// narrowest copy at least that wide, or the picture itself when it is not
// wider (never scaled up); an unknown width gets the picture itself. The
// srcset the views write points at exactly these addresses.
func TestMediaThumbnailsServed(t *testing.T) {
	ti := newTestInstance(t)
	wide, _, err := ti.App.saveImage(t.Context(), nil, encodeJPEG(t, photo(1700, 200)))
	if err != nil || wide == nil {
		t.Fatal(err)
	}
	narrow, _, err := ti.App.saveImage(t.Context(), nil, encodeJPEG(t, photo(1000, 200)))
	if err != nil || narrow == nil {
		t.Fatal(err)
	}
	cases := []struct {
		uuid  string
		query string
		want  int
	}{
		{wide.UUID, "", 1700},
		{wide.UUID, "?w=400", 400},
		{wide.UUID, "?w=800", 800},
		{wide.UUID, "?w=1600", 1600},
		{wide.UUID, "?w=1000", 1700},   // not a width we make: the picture
		{wide.UUID, "?w=junk", 1700},   // likewise
		{narrow.UUID, "?w=800", 800},   // a copy exists
		{narrow.UUID, "?w=1600", 1000}, // none that wide: the picture, not scaled up
	}
	for _, tc := range cases {
		if got := servedWidth(t, ti, "/media/"+tc.uuid+tc.query); got != tc.want {
			t.Errorf("%s%s: served %d wide, want %d", tc.uuid, tc.query, got, tc.want)
		}
	}

	want := "/media/" + wide.UUID + "?w=400 400w, /media/" + wide.UUID + "?w=800 800w, /media/" + wide.UUID + "?w=1600 1600w"
	if got := views.MediaSrcset(wide.UUID); got != want {
		t.Fatalf("MediaSrcset:\n got %s\nwant %s", got, want)
	}
	var widths []int
	for entry := range strings.SplitSeq(views.MediaSrcset(wide.UUID), ", ") {
		path, w, _ := strings.Cut(entry, " ")
		n, _ := strconv.Atoi(strings.TrimSuffix(w, "w"))
		widths = append(widths, n)
		if got := servedWidth(t, ti, path); got != n {
			t.Errorf("srcset entry %q serves %d wide", entry, got)
		}
	}
	if !slices.Equal(widths, picture.ThumbnailWidths) {
		t.Errorf("srcset widths %v, thumbnails made at %v", widths, picture.ThumbnailWidths)
	}
	if got := views.MediaURL(wide.UUID, 0); got != "/media/"+wide.UUID {
		t.Errorf("MediaURL without width: %s", got)
	}
}

func countThumbnails(t *testing.T, ti *testInstance, mediaUUID string) int {
	t.Helper()
	var n int
	err := ti.App.store.DB().QueryRow(`SELECT count(*) FROM media_thumbnails t JOIN media m ON m.id = t.media_id WHERE m.uuid = ?`, mediaUUID).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A banner stored before thumbnails existed gets them the first time a
// list asks for one, once: later requests are served from the database.
func TestThumbnailsMadeForOlderPictures(t *testing.T) {
	ti := newTestInstance(t)
	ctx := context.Background()
	old, err := ti.App.store.CreateMedia(ctx, "image/jpeg", 1700, 200, encodeJPEG(t, photo(1700, 200)))
	if err != nil {
		t.Fatal(err)
	}
	if n := countThumbnails(t, ti, old.UUID); n != 0 {
		t.Fatalf("%d thumbnails before any request", n)
	}
	if got := servedWidth(t, ti, "/media/"+old.UUID+"?w=800"); got != 800 {
		t.Fatalf("first request for a copy: %d wide", got)
	}
	if n := countThumbnails(t, ti, old.UUID); n != 3 {
		t.Fatalf("%d thumbnails stored after the first request, want 3", n)
	}
	if got := servedWidth(t, ti, "/media/"+old.UUID+"?w=400"); got != 400 {
		t.Fatalf("second request: %d wide", got)
	}
	if n := countThumbnails(t, ti, old.UUID); n != 3 {
		t.Fatalf("%d thumbnails after the second request, want still 3", n)
	}
}

// Replacing an avatar deletes the old picture, and its thumbnails with it.
func TestThumbnailsDeletedWithTheirPicture(t *testing.T) {
	ti := newTestInstance(t)
	ctx := context.Background()
	ti.createAccount(t, "ana@example.org", "ana", "a long enough password", false)
	c := ti.login(t, "ana@example.org", "a long enough password")
	res, _ := ti.postProfile(t, c, "/me/identities/ana", url.Values{"display_name": {"Ana"}}, "a.jpg", encodeJPEG(t, photo(900, 300)))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first avatar: %d", res.StatusCode)
	}
	first, _ := ti.App.store.LocalActorByUsername(ctx, "ana")
	if n := countThumbnails(t, ti, first.AvatarUUID); n != 2 {
		t.Fatalf("first avatar has %d thumbnails, want 2 (400 and 800)", n)
	}
	res, _ = ti.postProfile(t, c, "/me/identities/ana", url.Values{"display_name": {"Ana"}}, "b.jpg", encodeJPEG(t, photo(500, 300)))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second avatar: %d", res.StatusCode)
	}
	var n int
	ti.App.store.DB().QueryRow(`SELECT count(*) FROM media_thumbnails WHERE media_id NOT IN (SELECT id FROM media)`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d thumbnails outlived their picture", n)
	}
	if res, _ := ti.get(t, ti.client(), "/media/"+first.AvatarUUID+"?w=400"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("the old avatar's thumbnail is still served: %d", res.StatusCode)
	}
}
