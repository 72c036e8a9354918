package views

import (
	"slices"
	"strconv"

	"convene/app/store"
)

// thumbnailWidths are the widths /media/{uuid}?w= serves a picture at.
var thumbnailWidths = []int{400, 800, 1600}

// MediaURL is a picture's address at one of thumbnailWidths.
func MediaURL(uuid string, width int) string {
	return "/media/" + uuid + "?w=" + strconv.Itoa(width)
}

// MediaSrcset lists a picture's widths for an <img srcset>, so that a
// phone downloads the 400 px one and a wide screen the larger.
func MediaSrcset(uuid string) string {
	var b []byte
	for i, w := range thumbnailWidths {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, MediaURL(uuid, w)...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(w), 10)
		b = append(b, 'w')
	}
	return string(b)
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
