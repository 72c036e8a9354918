package views

import (
	"strconv"
	"strings"
)

// mediaWidths are the widths /media/{uuid}?w= serves copies at; they are
// the picture package's thumbnail widths (app/picture.ThumbnailWidths,
// checked by a test in app). A width the picture is narrower than serves
// the picture itself, so every entry of a srcset is always valid.
var mediaWidths = []int{400, 800, 1600}

// MediaURL is the address of a stored picture, or of its copy at least
// width pixels wide (width 0: the picture itself).
func MediaURL(uuid string, width int) string {
	if width <= 0 {
		return "/media/" + uuid
	}
	return "/media/" + uuid + "?w=" + strconv.Itoa(width)
}

// MediaSrcset is the srcset of a stored picture for an <img> that also
// sets sizes: the browser picks the copy its layout needs.
func MediaSrcset(uuid string) string {
	var b strings.Builder
	for i, w := range mediaWidths {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(MediaURL(uuid, w))
		b.WriteString(" ")
		b.WriteString(strconv.Itoa(w))
		b.WriteString("w")
	}
	return b.String()
}
