package views

import (
	"github.com/a-h/templ"
	"strings"

	"strconv"
	"time"

	"convene/app/store"
)

// N is a shortcut for p.L.N.
func (p Page) N(n int, one, many string, args ...any) string { return p.L.N(n, one, many, args...) }

// resultCount says how many events a list holds ("500+" past the cap).
func resultCount(p Page, total int) string {
	if total >= store.CountCap {
		return p.T("More than %d events", store.CountCap)
	}
	return p.N(total, "%d event", "%d events")
}

// perPage is how many cards a page of a list shows (app's eventsPerPage).
const perPage = 20

// lastPage is the last page number of a counted list (0: not counted).
// Past the count's cap the end is unknown: "Next" goes on from there.
func lastPage(list EventList) int {
	if list.Total <= 0 {
		return 0
	}
	return max(list.Page, (list.Total+perPage-1)/perPage)
}

// pageNumbers are the page links a pager shows: the first, the last and
// those around the current one; 0 marks a gap.
func pageNumbers(current, last int) []int {
	var out []int
	for n := 1; n <= last; n++ {
		if n == 1 || n == last || (n >= current-1 && n <= current+1) {
			out = append(out, n)
		} else if len(out) > 0 && out[len(out)-1] != 0 {
			out = append(out, 0)
		}
	}
	return out
}

func pageURL(list EventList, n int) templ.SafeURL {
	return templ.SafeURL("?" + list.BaseQuery + "page=" + strconv.Itoa(n))
}

// cardPlace is where an event happens in a few words: its venue and
// town (the full address is on its page), else "Online", else nothing.
func cardPlace(p Page, e *store.Event) string {
	place := shortPlace(e.Address)
	switch {
	case place != "" && e.HasOnlineAddress():
		return place + " · " + p.T("Online too")
	case place != "":
		return place
	case e.HasOnlineAddress():
		return p.T("Online")
	}
	return ""
}

// shortPlace is an address's venue and locality, or its whole line when
// it has neither.
func shortPlace(a store.Address) string {
	var parts []string
	for _, s := range []string{a.Venue, a.Locality} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return a.OneLine()
	}
	return strings.Join(parts, ", ")
}

// seriesLine is a recurring series' card line: how it repeats and its
// next date ("Every week on Saturday · next: Sat 12 Dec").
func seriesLine(p Page, e *store.Event, start time.Time) string {
	rule := DescribeRule(p.L, e.SeriesRule, e.Timezone)
	if rule == "" {
		rule = p.T("Repeats")
	}
	return rule + " · " + p.T("next: %s", p.L.ShortDate(start))
}
