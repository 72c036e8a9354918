package app

// Link previews and structured data: OpenGraph and Twitter-card meta tags
// so a link shared anywhere previews with its title, picture and date, and
// a schema.org JSON-LD block so search engines understand the event or the
// person. The JSON is encoded by encoding/json, which escapes <, > and &,
// so no text an organiser types can close the <script> element.

import (
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
	"time"

	"convene/app/store"
	"convene/views"
)

const previewDescriptionRunes = 280

var whitespace = regexp.MustCompile(`\s+`)

// plainText turns sanitised HTML into one line of text: every tag
// becomes a space, entities are decoded, runs of ASCII white space become
// one space. It does by hand what htmlTags and whitespace would (a page
// read it twice per event page, and the regular expressions were a fifth
// of the page's time).
func plainText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			// An unclosed '<' is text, and so is everything after it.
			break
		}
		b.WriteString(s[:i])
		b.WriteByte(' ')
		s = s[i+j+1:]
	}
	b.WriteString(s)
	t := html.UnescapeString(b.String())
	b.Reset()
	b.Grow(len(t))
	space := false
	for i := 0; i < len(t); i++ {
		switch c := t[i]; c {
		case ' ', '\t', '\n', '\f', '\r':
			space = true
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteByte(c)
		}
	}
	if space {
		b.WriteByte(' ')
	}
	return strings.TrimSpace(b.String())
}

// truncateRunes cuts s to at most n runes, on a word when it can.
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n-1])
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

// jsonLD encodes structured data for a <script type="application/ld+json">.
// json.Marshal escapes <, > and & (and U+2028/2029), which is what makes
// embedding it in HTML safe.
func jsonLD(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// schema.org values for an event's status and attendance mode.
func schemaEventStatus(status string) string {
	if status == store.StatusCancelled {
		return "https://schema.org/EventCancelled"
	}
	return "https://schema.org/EventScheduled"
}

func schemaAttendanceMode(e *store.Event) string {
	switch {
	case !e.Address.IsZero() && e.HasOnlineAddress():
		return "https://schema.org/MixedEventAttendanceMode"
	case e.HasOnlineAddress():
		return "https://schema.org/OnlineEventAttendanceMode"
	}
	return "https://schema.org/OfflineEventAttendanceMode"
}

// eventStructuredData is the schema.org Event of an event.
func (a *App) eventStructuredData(e *store.Event) map[string]any {
	e = e.WithoutPrivateDetails() // search engines and link previews are public
	loc := e.Location()
	d := map[string]any{
		"@context":            "https://schema.org",
		"@type":               "Event",
		"name":                e.Title,
		"url":                 a.URL("/events/" + e.UUID),
		"startDate":           e.StartsAt.In(loc).Format(time.RFC3339),
		"eventStatus":         schemaEventStatus(e.Status),
		"eventAttendanceMode": schemaAttendanceMode(e),
	}
	if e.HasEnd() {
		d["endDate"] = e.EndsAt.In(loc).Format(time.RFC3339)
	}
	if desc := plainText(e.DescriptionHTML); desc != "" {
		d["description"] = truncateRunes(desc, 1000)
	}
	var locations []any
	if !e.Address.IsZero() {
		place := map[string]any{"@type": "Place"}
		if e.Address.Venue != "" {
			place["name"] = e.Address.Venue
		} else {
			place["name"] = e.Address.OneLine()
		}
		addr := map[string]any{"@type": "PostalAddress"}
		for k, v := range map[string]string{
			"streetAddress": e.Address.Street, "postalCode": e.Address.PostalCode,
			"addressLocality": e.Address.Locality, "addressRegion": e.Address.Region, "addressCountry": e.Address.Country,
		} {
			if v != "" {
				addr[k] = v
			}
		}
		place["address"] = addr
		if e.Address.Latitude != nil && e.Address.Longitude != nil {
			place["geo"] = map[string]any{"@type": "GeoCoordinates", "latitude": *e.Address.Latitude, "longitude": *e.Address.Longitude}
		}
		locations = append(locations, place)
	}
	if e.OnlineURL != "" {
		locations = append(locations, map[string]any{"@type": "VirtualLocation", "url": e.OnlineURL})
	}
	switch len(locations) {
	case 1:
		d["location"] = locations[0]
	case 2:
		d["location"] = locations
	}
	if e.Organizer != nil {
		org := map[string]any{"@type": "Person", "name": e.Organizer.Name()}
		if e.Organizer.Kind == store.KindGroup {
			org["@type"] = "Organization"
		}
		if e.Organizer.IsLocal() {
			org["url"] = a.URL("/@" + e.Organizer.Username)
		} else if e.Organizer.URI != "" {
			org["url"] = e.Organizer.URI
		}
		d["organizer"] = org
	}
	if e.BannerUUID != "" {
		d["image"] = []string{a.URL("/media/" + e.BannerUUID)}
	}
	if e.Language != "" {
		d["inLanguage"] = e.Language
	}
	return d
}

// eventJSONLD is jsonLD(a.eventStructuredData(e)), kept in a.jsonLD for
// an event anyone may read in full (it depends on the event alone, not
// on the reader) until the next write to the store.
func (a *App) eventJSONLD(e *store.Event) string {
	generation, now := a.store.Generation(), a.now()
	shared := readableByAll(e, now)
	if shared {
		if s, ok := a.jsonLD.Get(e.UUID, generation, now); ok {
			return s
		}
	}
	s := jsonLD(a.eventStructuredData(e))
	if shared {
		a.jsonLD.Put(e.UUID, generation, now, s)
	}
	return s
}

// eventPreview gives an event page its link preview and structured data.
func (a *App) eventPreview(r *http.Request, e *store.Event) views.Preview {
	l := a.printer(r)
	desc := eventSummaryLine(l, e)
	if text := plainText(e.DescriptionHTML); text != "" {
		desc += " — " + text
	}
	pv := views.Preview{
		Type:        "website",
		Title:       e.Title,
		Description: truncateRunes(desc, previewDescriptionRunes),
		URL:         a.URL("/events/" + e.UUID),
		SiteName:    a.setting(r.Context(), SettingName),
		Locale:      l.Lang,
		StartTime:   e.StartsAt.In(e.Location()).Format(time.RFC3339),
		JSONLD:      a.eventJSONLD(e),
	}
	if e.HasEnd() {
		pv.EndTime = e.EndsAt.In(e.Location()).Format(time.RFC3339)
	}
	if e.BannerUUID != "" {
		pv.Image = a.URL("/media/" + e.BannerUUID)
		pv.ImageAlt = e.Title
	}
	return pv
}

// identityPreview gives an identity page its link preview and a schema.org
// ProfilePage about a Person.
func (a *App) identityPreview(r *http.Request, actor *store.Actor) views.Preview {
	url := a.URL("/@" + actor.Username)
	person := map[string]any{
		"@type":         "Person",
		"name":          actor.Name(),
		"alternateName": actor.Handle() + "@" + a.Host(),
		"url":           url,
	}
	if actor.Bio != "" {
		person["description"] = actor.Bio
	}
	pv := views.Preview{
		Type:        "profile",
		Title:       actor.Name() + " (" + actor.Handle() + ")",
		Description: truncateRunes(strings.TrimSpace(whitespace.ReplaceAllString(actor.Bio, " ")), previewDescriptionRunes),
		URL:         url,
		SiteName:    a.setting(r.Context(), SettingName),
		Locale:      a.printer(r).Lang,
		Username:    actor.Username,
	}
	if actor.AvatarUUID != "" {
		pv.Image = a.URL("/media/" + actor.AvatarUUID)
		pv.ImageAlt = actor.Name()
		person["image"] = pv.Image
	}
	pv.JSONLD = jsonLD(map[string]any{
		"@context":   "https://schema.org",
		"@type":      "ProfilePage",
		"url":        url,
		"mainEntity": person,
	})
	return pv
}
