package views

import (
	"slices"
	"strconv"
	"strings"

	"convene/app/store"
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

// cardSizes tells the browser how wide a card's picture shows: the whole
// width on a phone, a column of the grid wider up (see .event-cards).
const cardSizes = "(min-width: 68rem) 22rem, (min-width: 40rem) 50vw, 100vw"

// placeholderClass is the colour family of a banner-less event's card,
// drawn from its category; "" (the instance colour) when it has none.
func placeholderClass(category string) string {
	i := slices.Index(store.Categories, category)
	if i < 0 || category == "other" {
		return "ph"
	}
	return "ph ph-" + strconv.Itoa(i%8)
}
