package app

import (
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"convene/app/i18n"
	"convene/app/store"
	"convene/views"
)

// Limits of the event form, in characters.
const (
	maxTitle       = 200
	maxDescription = 20000
	maxPlacePart   = 200
	maxPostalCode  = 20
	maxURL         = 2000
	maxPartMessage = 1000
	maxLinkTitle   = 100
	maxTags        = 20
	maxTagLength   = 40
	maxCapacity    = 1_000_000
	// maxLinkRows bounds the typed links of an event; the form shows one
	// empty row, and "Add another link" brings one more each time.
	maxLinkRows     = 10
	defaultDuration = 2 * time.Hour
)

// Publication choices of the form.
const (
	publishNow      = "now"
	publishDraft    = "draft"
	publishSchedule = "schedule"
)

// datetimeLocal is how <input type="datetime-local"> sends a time.
const datetimeLocal = "2006-01-02T15:04"

var zonePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$`)

// loadZone returns the IANA zone named, or nil. "Local" and file paths are
// not zones a person means.
func loadZone(name string) *time.Location {
	if name == "" || len(name) > 64 || name == "Local" || !zonePattern.MatchString(name) {
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	return loc
}

// newEventForm is the form of a new event, with sensible defaults: starts
// tomorrow at 19:00 in the instance's zone, for two hours, public, open to
// all, confirmed, published at once.
func newEventForm(now time.Time, loc *time.Location) views.EventForm {
	t := now.In(loc).AddDate(0, 0, 1)
	start := time.Date(t.Year(), t.Month(), t.Day(), 19, 0, 0, 0, loc)
	return views.EventForm{
		Action:   "/events",
		Category: "other",
		StartsAt: start.Format(datetimeLocal),
		// Ends stays empty: its hint says empty means two hours later.
		Timezone:               loc.String(),
		Visibility:             store.VisibilityPublic,
		JoinMode:               store.JoinFree,
		Status:                 store.StatusConfirmed,
		CommentModeration:      store.CommentsAllowAll,
		AnonymousParticipation: true,
		Publish:                publishNow,
		Links:                  make([]views.LinkRow, 1),
	}
}

// withOneEmptyLinkRow keeps the link rows of a form up to the last filled
// one (rows keep their numbers, which errors refer to) and adds one empty
// row, while there is room, for the next link.
func withOneEmptyLinkRow(rows []views.LinkRow) []views.LinkRow {
	last := -1
	for i, r := range rows {
		if r.Title != "" || r.URL != "" {
			last = i
		}
	}
	out := slices.Clone(rows[:last+1])
	if len(out) < maxLinkRows {
		out = append(out, views.LinkRow{})
	}
	return out
}

// eventFormFrom fills the form with a stored event, for editing.
func eventFormFrom(e *store.Event, now time.Time) views.EventForm {
	loc := e.Location()
	f := views.EventForm{
		Action:                 "/events/" + e.UUID + "/edit",
		Editing:                true,
		UUID:                   e.UUID,
		Title:                  e.Title,
		Description:            e.DescriptionMD,
		Category:               e.Category,
		Tags:                   strings.Join(e.Tags, ", "),
		BannerUUID:             e.BannerUUID,
		StartsAt:               e.StartsAt.In(loc).Format(datetimeLocal),
		EndsAt:                 e.EndsAt.In(loc).Format(datetimeLocal),
		Timezone:               e.Timezone,
		Venue:                  e.Address.Venue,
		Street:                 e.Address.Street,
		PostalCode:             e.Address.PostalCode,
		Locality:               e.Address.Locality,
		Region:                 e.Address.Region,
		Country:                e.Address.Country,
		OnlineURL:              e.OnlineURL,
		Visibility:             e.Visibility,
		JoinMode:               e.JoinMode,
		ExternalURL:            e.ExternalURL,
		ParticipationMessage:   e.ParticipationMessage,
		AnonymousParticipation: e.AnonymousParticipation,
		Status:                 e.Status,
		CommentModeration:      e.CommentModeration,
		Published:              !e.Draft && e.PublishedAt != nil && !e.PublishedAt.After(now),
	}
	if e.Address.Latitude != nil && e.Address.Longitude != nil {
		f.Latitude = strconv.FormatFloat(*e.Address.Latitude, 'f', -1, 64)
		f.Longitude = strconv.FormatFloat(*e.Address.Longitude, 'f', -1, 64)
	}
	if e.Capacity > 0 {
		f.Capacity = strconv.Itoa(e.Capacity)
	}
	switch {
	case e.Draft || e.PublishedAt == nil:
		f.Publish = publishDraft
	case e.PublishedAt.After(now):
		f.Publish = publishSchedule
		f.PublishAt = e.PublishedAt.In(loc).Format(datetimeLocal)
	default:
		f.Publish = publishNow
	}
	for _, l := range e.Links {
		f.Links = append(f.Links, views.LinkRow{Kind: l.Kind, Title: l.Title, URL: l.URL})
	}
	f.Links = withOneEmptyLinkRow(f.Links)
	return f
}

// parseEventForm reads and checks the event form. It is pure: no database,
// no clock. It returns the event to write (organiser, banner, and the
// publication time of "publish now" are the caller's), the form as typed
// (to show back), and what is wrong, field by field. The event is only
// meaningful when there are no errors.
//
// defaultLoc is the instance's zone, used when no zone was given.
func parseEventForm(l *i18n.Printer, form url.Values, defaultLoc *time.Location) (store.Event, views.EventForm, views.FieldErrors) {
	errs := views.FieldErrors{}
	get := func(name string) string { return form.Get(name) }
	f := views.EventForm{
		Title:                  strings.TrimSpace(get("title")),
		Description:            strings.TrimSpace(get("description")),
		Category:               get("category"),
		Tags:                   strings.TrimSpace(get("tags")),
		StartsAt:               strings.TrimSpace(get("starts_at")),
		EndsAt:                 strings.TrimSpace(get("ends_at")),
		Timezone:               strings.TrimSpace(get("timezone")),
		Venue:                  strings.TrimSpace(get("venue")),
		Street:                 strings.TrimSpace(get("street")),
		PostalCode:             strings.TrimSpace(get("postal_code")),
		Locality:               strings.TrimSpace(get("locality")),
		Region:                 strings.TrimSpace(get("region")),
		Country:                strings.TrimSpace(get("country")),
		Latitude:               strings.TrimSpace(get("latitude")),
		Longitude:              strings.TrimSpace(get("longitude")),
		OnlineURL:              strings.TrimSpace(get("online_url")),
		Visibility:             get("visibility"),
		JoinMode:               get("join_mode"),
		ExternalURL:            strings.TrimSpace(get("external_url")),
		Capacity:               strings.TrimSpace(get("capacity")),
		ParticipationMessage:   strings.TrimSpace(get("participation_message")),
		AnonymousParticipation: get("anonymous_participation") != "",
		Status:                 get("status"),
		CommentModeration:      get("comment_moderation"),
		Publish:                get("publish"),
		PublishAt:              strings.TrimSpace(get("publish_at")),
		RemoveBanner:           get("remove_banner") != "",
	}
	var e store.Event

	// What.
	switch {
	case f.Title == "":
		errs["title"] = l.T("Give the event a title.")
	default:
		if msg := validText(l, f.Title, maxTitle, false); msg != "" {
			errs["title"] = msg
		}
	}
	e.Title = cleanSpace(f.Title)
	if msg := validText(l, f.Description, maxDescription, true); msg != "" {
		errs["description"] = msg
	}
	e.DescriptionMD = f.Description
	if f.Category == "" {
		f.Category = "other"
	}
	if !slices.Contains(store.Categories, f.Category) {
		errs["category"] = l.T("Choose a category from the list.")
	}
	e.Category = f.Category
	tags, msg := parseTags(l, f.Tags)
	if msg != "" {
		errs["tags"] = msg
	}
	e.Tags = tags

	// When.
	if f.Timezone == "" {
		f.Timezone = defaultLoc.String()
	}
	loc := loadZone(f.Timezone)
	if loc == nil {
		errs["timezone"] = l.T("This is not a time zone we know. Use a name like Europe/Paris or America/New_York.")
		loc = defaultLoc
	} else {
		e.Timezone = loc.String()
	}
	start, msg := parseLocalTime(l, f.StartsAt, loc)
	switch {
	case f.StartsAt == "":
		errs["starts_at"] = l.T("Say when the event starts.")
	case msg != "":
		errs["starts_at"] = msg
	}
	end := start.Add(defaultDuration)
	if f.EndsAt != "" {
		var msg string
		end, msg = parseLocalTime(l, f.EndsAt, loc)
		if msg != "" {
			errs["ends_at"] = msg
		}
	}
	if !errs.Has("starts_at") && !errs.Has("ends_at") && end.Before(start) {
		errs["ends_at"] = l.T("The end is before the start.")
	}
	e.StartsAt, e.EndsAt = start.UTC(), end.UTC()

	// Where.
	for _, p := range []struct {
		name  string
		value string
		max   int
		dest  *string
	}{
		{"venue", f.Venue, maxPlacePart, &e.Address.Venue},
		{"street", f.Street, maxPlacePart, &e.Address.Street},
		{"postal_code", f.PostalCode, maxPostalCode, &e.Address.PostalCode},
		{"locality", f.Locality, maxPlacePart, &e.Address.Locality},
		{"region", f.Region, maxPlacePart, &e.Address.Region},
		{"country", f.Country, maxPlacePart, &e.Address.Country},
	} {
		if msg := validText(l, p.value, p.max, false); msg != "" {
			errs[p.name] = msg
		}
		*p.dest = cleanSpace(p.value)
	}
	if pick := form.Get("place_pick"); pick != "" && f.Latitude == "" && f.Longitude == "" {
		// A place chosen among "Find on map"'s candidates.
		f.Latitude, f.Longitude, _ = strings.Cut(pick, ",")
	}
	if f.Latitude != "" || f.Longitude != "" {
		lat, msgLat := parseCoordinate(l, f.Latitude, 90)
		lon, msgLon := parseCoordinate(l, f.Longitude, 180)
		if msgLat != "" {
			errs["latitude"] = msgLat
		}
		if msgLon != "" {
			errs["longitude"] = msgLon
		}
		if msgLat == "" && msgLon == "" {
			e.Address.Latitude, e.Address.Longitude = &lat, &lon
		}
	}
	if f.OnlineURL != "" {
		if msg := validWebURL(l, f.OnlineURL); msg != "" {
			errs["online_url"] = msg
		}
		e.OnlineURL = f.OnlineURL
	}

	// Who can join.
	if f.Visibility == "" {
		f.Visibility = store.VisibilityPublic
	}
	if !slices.Contains([]string{store.VisibilityPublic, store.VisibilityUnlisted, store.VisibilityPrivate}, f.Visibility) {
		errs["visibility"] = l.T("Choose who can see the event.")
	}
	e.Visibility = f.Visibility
	if f.JoinMode == "" {
		f.JoinMode = store.JoinFree
	}
	if !slices.Contains([]string{store.JoinFree, store.JoinApproval, store.JoinInvite, store.JoinExternal}, f.JoinMode) {
		errs["join_mode"] = l.T("Choose how people join.")
	}
	e.JoinMode = f.JoinMode
	switch {
	case f.JoinMode == store.JoinExternal && f.ExternalURL == "":
		errs["external_url"] = l.T("Give the address where people register.")
	case f.ExternalURL != "":
		if msg := validWebURL(l, f.ExternalURL); msg != "" {
			errs["external_url"] = msg
		}
		e.ExternalURL = f.ExternalURL
	}
	if f.Capacity != "" {
		n, err := strconv.Atoi(f.Capacity)
		if err != nil || n < 0 || n > maxCapacity {
			errs["capacity"] = l.T("Give a whole number of places between 0 and %d, or leave it empty for no limit.", maxCapacity)
		} else {
			e.Capacity = n
		}
	}
	if msg := validText(l, f.ParticipationMessage, maxPartMessage, true); msg != "" {
		errs["participation_message"] = msg
	}
	e.ParticipationMessage = f.ParticipationMessage
	e.AnonymousParticipation = f.AnonymousParticipation

	// Extras.
	if f.Status == "" {
		f.Status = store.StatusConfirmed
	}
	if !slices.Contains([]string{store.StatusTentative, store.StatusConfirmed, store.StatusCancelled}, f.Status) {
		errs["status"] = l.T("Choose a status from the list.")
	}
	e.Status = f.Status
	if f.CommentModeration == "" {
		f.CommentModeration = store.CommentsAllowAll
	}
	if !slices.Contains([]string{store.CommentsAllowAll, store.CommentsModerated, store.CommentsClosed}, f.CommentModeration) {
		errs["comment_moderation"] = l.T("Choose how comments work.")
	}
	e.CommentModeration = f.CommentModeration
	for i := 0; i < maxLinkRows; i++ {
		n := strconv.Itoa(i)
		row := views.LinkRow{
			Kind:  form.Get("link_kind_" + n),
			Title: strings.TrimSpace(form.Get("link_title_" + n)),
			URL:   strings.TrimSpace(form.Get("link_url_" + n)),
		}
		f.Links = append(f.Links, row)
		if row.Title == "" && row.URL == "" {
			continue
		}
		if row.Kind == "" {
			row.Kind = "other"
		}
		if !slices.Contains(store.LinkKinds, row.Kind) {
			errs["link_kind_"+n] = l.T("Choose a kind of link from the list.")
		}
		if msg := validText(l, row.Title, maxLinkTitle, false); msg != "" {
			errs["link_title_"+n] = msg
		}
		if row.URL == "" {
			errs["link_url_"+n] = l.T("Give the link's address.")
		} else if msg := validWebURL(l, row.URL); msg != "" {
			errs["link_url_"+n] = msg
		}
		e.Links = append(e.Links, store.Link{Kind: row.Kind, Title: cleanSpace(row.Title), URL: row.URL})
	}
	f.Links = withOneEmptyLinkRow(f.Links)

	// Publication.
	switch f.Publish {
	case "", publishNow:
		f.Publish = publishNow
	case publishDraft:
		e.Draft = true
	case publishSchedule:
		at, msg := parseLocalTime(l, f.PublishAt, loc)
		switch {
		case f.PublishAt == "":
			errs["publish_at"] = l.T("Say when to publish the event.")
		case msg != "":
			errs["publish_at"] = msg
		default:
			at = at.UTC()
			e.PublishedAt = &at
		}
	default:
		errs["publish"] = l.T("Choose when to publish the event.")
	}

	if len(errs) > 0 {
		return store.Event{}, f, errs
	}
	e.DescriptionHTML = renderMarkdown(e.DescriptionMD)
	return e, f, errs
}

// parseLocalTime reads a datetime-local value as a wall time in loc.
func parseLocalTime(l *i18n.Printer, s string, loc *time.Location) (time.Time, string) {
	if s == "" {
		return time.Time{}, ""
	}
	var t time.Time
	var err error
	for _, layout := range []string{datetimeLocal, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err = time.ParseInLocation(layout, s, loc); err == nil {
			break
		}
	}
	if err != nil {
		return time.Time{}, l.T("Write the date and time like 2026-03-14T19:00.")
	}
	if t.Year() < 1900 || t.Year() > 2999 {
		return time.Time{}, l.T("This date is out of range.")
	}
	return t, ""
}

// parseCoordinate reads a latitude (limit 90) or longitude (limit 180);
// a decimal comma is accepted, as many languages write it.
func parseCoordinate(l *i18n.Printer, s string, limit float64) (float64, string) {
	if s == "" {
		return 0, l.T("Give both the latitude and the longitude, or neither.")
	}
	v, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || len(s) > 32 {
		return 0, l.T("Write a number like 48.8566.")
	}
	if v < -limit || v > limit {
		return 0, l.T("This must be between -%d and %d.", int(limit), int(limit))
	}
	return v, ""
}

// validWebURL explains what is wrong with a link given in a form, or
// returns "". Only absolute http and https links: anything else (a
// javascript: URL, a file, a relative path) cannot be followed safely.
func validWebURL(l *i18n.Printer, s string) string {
	if !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0 {
		return l.T("This address contains spaces or invalid characters.")
	}
	if len(s) > maxURL {
		return l.T("This address is too long (at most %d characters).", maxURL)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return l.T("Give a web address starting with https:// (or http://).")
	}
	return ""
}

// normaliseTag lower-cases a tag and drops a leading #; ok is false when
// it has characters other than letters, digits, _ and -.
func normaliseTag(s string) (string, bool) {
	s = strings.ToLower(strings.TrimPrefix(s, "#"))
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' {
			return s, false
		}
	}
	return s, true
}

// parseTags splits tags on commas and spaces, normalises and de-duplicates
// them, keeping their order.
func parseTags(l *i18n.Printer, s string) ([]string, string) {
	if !utf8.ValidString(s) {
		return nil, l.T("This text contains invalid characters.")
	}
	var tags []string
	for _, raw := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		tag, ok := normaliseTag(raw)
		if tag == "" {
			continue
		}
		if !ok {
			return nil, l.T("Tags use only letters, digits, _ and - (not “%s”).", truncateRunes(raw, maxTagLength))
		}
		if utf8.RuneCountInString(tag) > maxTagLength {
			return nil, l.T("A tag has at most %d characters.", maxTagLength)
		}
		if !slices.Contains(tags, tag) {
			tags = append(tags, tag)
		}
		if len(tags) > maxTags {
			return nil, l.T("At most %d tags.", maxTags)
		}
	}
	return tags, ""
}
