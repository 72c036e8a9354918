package store

import (
	"cmp"
	"context"
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/text/unicode/norm"
	"modernc.org/sqlite"

	"convene/app/geo"
)

// Near is a point and a radius around it.
type Near struct {
	geo.Point
	Km float64
}

// distance_km(lat1, lon1, lat2, lon2) is the great-circle distance, for
// "near" searches; NULL when a position is missing.
func init() {
	err := sqlite.RegisterDeterministicScalarFunction("distance_km", 4, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		var v [4]float64
		for i, a := range args {
			switch x := a.(type) {
			case float64:
				v[i] = x
			case int64:
				v[i] = float64(x)
			default:
				return nil, nil
			}
		}
		return geo.DistanceKm(geo.Point{Lat: v[0], Lon: v[1]}, geo.Point{Lat: v[2], Lon: v[3]}), nil
	})
	if err != nil {
		panic(err)
	}
}

// Where an event can be attended, for search filters.
const (
	AttendAny      = ""
	AttendOnline   = "online"    // has an online address (hybrid events too)
	AttendInPerson = "in_person" // has a place (hybrid events too)
)

// SearchQuery is what a visitor asks the search page. Only listed events
// (public, not a draft, published by Now) are ever found.
type SearchQuery struct {
	Words string    // what the visitor typed; any text is safe here
	Now   time.Time // what "upcoming" and "published" are relative to
	// From and To bound the events' time: an event is found when it
	// overlaps [From, To). Zero means unbounded.
	From, To    time.Time
	Category    string
	Tag         string
	OrganizerID int64  // only this identity's events
	GroupID     int64  // only the events organised for this group
	Attend      string // AttendAny, AttendOnline or AttendInPerson
	// Near keeps events whose place is within Near.Km of a point.
	Near *Near
	// Placed keeps events with coordinates (for a map).
	Placed bool
	// Bare leaves out organizers, tags and links: a calendar shows
	// titles and times only, of many events.
	Bare        bool
	IncludePast bool // also events that ended before Now
	LocalOnly   bool // leave out events from other servers
	Limit       int
	Offset      int
}

// filter is the WHERE of q's events (words aside), with its arguments;
// for a "near" search also the query of the ids in the box around the
// point, with its own arguments, to start from (see SearchEvents).
func (q SearchQuery) filter() (where string, args []any, box string, boxArgs []any) {
	now := q.Now.Unix()
	conds := []string{listedSQL}
	args = []any{now}
	var from, to int64 // bounds of the time window, 0 when open
	if !q.From.IsZero() {
		from = q.From.Unix()
		// As in notEndedSQL: no event ending after From started before
		// From minus the longest duration, which bounds the index scan.
		conds = append(conds, "e.ends_at >= ? AND e.starts_at >= ? - (SELECT coalesce(max(ends_at - starts_at), 0) FROM events)")
		args = append(args, from, from)
	}
	if !q.To.IsZero() {
		to = q.To.Unix()
		conds = append(conds, "e.starts_at < ?")
		args = append(args, to)
	}
	if !q.IncludePast {
		conds = append(conds, notEndedSQL)
		args = append(args, now, now)
		// A recurring series is found once: its next listed occurrence
		// in the window asked for.
		c, a := nextOfSeriesSQL(max(now, from), true)
		if to != 0 {
			c = strings.Replace(c, "ORDER BY o.starts_at", "AND o.starts_at < ? ORDER BY o.starts_at", 1)
			a = append(a, to)
		}
		conds = append(conds, c)
		args = append(args, a...)
	}
	if q.Category != "" {
		conds = append(conds, "e.category = ?")
		args = append(args, q.Category)
	}
	if q.Tag != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM event_tags t WHERE t.event_id = e.id AND t.tag = ?)")
		args = append(args, q.Tag)
	}
	if q.OrganizerID != 0 {
		conds = append(conds, "e.organizer_id = ?")
		args = append(args, q.OrganizerID)
	}
	if q.GroupID != 0 {
		conds = append(conds, "e.attributed_to_id = ?")
		args = append(args, q.GroupID)
	}
	if q.LocalOnly {
		conds = append(conds, localOnlySQL)
	}
	if q.Placed {
		conds = append(conds, "e.latitude IS NOT NULL AND e.longitude IS NOT NULL")
	}
	if q.Near != nil {
		// The box, on the events_position index, narrows the events to a
		// few; the exact distance decides among them.
		b := geo.BoxAround(q.Near.Point, q.Near.Km)
		inBox := []string{"latitude BETWEEN ? AND ?"}
		boxArgs = append(boxArgs, b.MinLat, b.MaxLat)
		var lons []string
		for _, r := range b.Lons {
			lons = append(lons, "longitude BETWEEN ? AND ?")
			boxArgs = append(boxArgs, r[0], r[1])
		}
		inBox = append(inBox, "("+strings.Join(lons, " OR ")+")")
		box = "SELECT id FROM events WHERE " + strings.Join(inBox, " AND ")
		conds = append(conds, "distance_km(e.latitude, e.longitude, ?, ?) <= ?")
		args = append(args, q.Near.Lat, q.Near.Lon, q.Near.Km)
	}
	switch q.Attend {
	case AttendOnline:
		conds = append(conds, "e.online_url <> ''")
	case AttendInPerson:
		conds = append(conds, "((e.venue || e.street || e.postal_code || e.locality || e.region || e.country) <> '' OR e.latitude IS NOT NULL)")
	}
	return strings.Join(conds, " AND "), args, box, boxArgs
}

// fromEvents is the FROM of a search without words: the events, or for a
// "near" search the box's ids first (a few among many, where walking the
// events in time order would read them all).
func fromEvents(box string, boxArgs, args []any) (string, []any) {
	if box == "" {
		return "events e", args
	}
	return "(" + box + ") AS nearby CROSS JOIN events e ON e.id = nearby.id", append(append([]any(nil), boxArgs...), args...)
}

// CountSearch is how many events SearchEvents would find for q without a
// limit, at most CountCap.
func (s *Store) CountSearch(ctx context.Context, q SearchQuery) (int, error) {
	where, args, box, boxArgs := q.filter()
	terms := searchTerms(q.Words)
	var query string
	if len(terms) > 0 {
		if box != "" {
			where += " AND e.id IN (" + box + ")"
			args = append(args, boxArgs...)
		}
		// From the newest match, as SearchEvents ranks them: an index
		// walked from its oldest rows reads every past event of a common
		// word before the first one still to come.
		query = `SELECT count(*) FROM (SELECT 1 FROM events_fts CROSS JOIN events e ON e.id = events_fts.rowid
			WHERE events_fts MATCH ? AND ` + where + ` ORDER BY events_fts.rowid DESC LIMIT ?)`
		args = append([]any{matchExpression(q.Words)}, args...)
	} else if strings.TrimSpace(q.Words) != "" {
		return 0, nil
	} else {
		var from string
		from, args = fromEvents(box, boxArgs, args)
		query = `SELECT count(*) FROM (SELECT 1 FROM ` + from + ` WHERE ` + where + ` LIMIT ?)`
	}
	var n int
	if err := s.db.QueryRowContext(ctx, query, append(args, CountCap)...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count search: %w", err)
	}
	return n, nil
}

// maxSearchTerms bounds the work a single query can ask of the index.
const maxSearchTerms = 12

// searchTerms splits typed words the way the index's unicode61 tokenizer
// splits text (letters, digits and private-use characters make tokens,
// everything else separates them), so that no character a visitor types
// can reach FTS5's query syntax.
func searchTerms(words string) []string {
	terms := strings.FieldsFunc(words, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r) || unicode.Is(unicode.Mn, r))
	})
	if len(terms) > maxSearchTerms {
		terms = terms[:maxSearchTerms]
	}
	return terms
}

// matchExpression turns typed words into an FTS5 query: every term must
// match, each one quoted as a string (so "AND", "NEAR" or "title:" are
// plain words), and the last one as a prefix because people search while
// they type. It returns "" when there is nothing to look for.
func matchExpression(words string) string {
	terms := searchTerms(words)
	var b strings.Builder
	for i, t := range terms {
		if i > 0 {
			b.WriteByte(' ')
		}
		// The terms hold no quote (FieldsFunc split on it), so quoting
		// needs no escaping; doubling stays as a guard all the same.
		b.WriteString(`"` + strings.ReplaceAll(t, `"`, `""`) + `"`)
		if i == len(terms)-1 {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// SearchEvents finds listed events matching q. With words, the best
// matches come first (title above tags above place above description),
// then the soonest, among at most SearchRankCap matches (see
// searchWords), and TitleMarked and Snippet show the matched words
// between \x02 and \x03. Without words it lists events in time order.
func (s *Store) SearchEvents(ctx context.Context, q SearchQuery) ([]*Event, error) {
	where, args, box, boxArgs := q.filter()
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	terms := searchTerms(q.Words)
	if len(terms) > 0 {
		return s.searchWords(ctx, q, terms, where, args, box, boxArgs, limit)
	}
	if strings.TrimSpace(q.Words) != "" {
		// Only punctuation was typed: nothing can match it.
		return nil, nil
	}
	from, args := fromEvents(box, boxArgs, args)
	query := `SELECT ` + eventColumns + ` FROM ` + from + ` WHERE ` + where +
		` ORDER BY e.starts_at, e.id LIMIT ? OFFSET ?`
	args = append(args, limit, q.Offset)
	read := s.queryEvents
	if q.Bare {
		read = s.scanEvents
	}
	out, err := read(ctx, "search events", query, args...)
	if err != nil {
		return nil, err
	}
	q.decorate(out, nil)
	return out, nil
}

// SearchRankCap bounds how many matches of a search with words are ranked:
// the most recently added ones that pass the filters. A common word can
// be in every event of the instance, and ranking all of them (bm25 reads
// each one's column sizes) made one search cost as much as a hundred
// event pages; past the cap a visitor pages no further, and the count
// stops at CountCap long before.
const SearchRankCap = 500

// searchCandidate is one match of a search with words, before its row is
// read in full.
type searchCandidate struct {
	id       int64
	rank     float64
	startsAt int64
	inTitle  bool
}

// searchWords runs a search with words: the index walks the matches from
// the newest (CROSS JOIN fixes that order and FTS5 gives rowids in
// descending order itself), the filters keep at most SearchRankCap of
// them with their bm25 rank (weights following the columns: title,
// description, place, tags), then events whose title holds every word
// come first, whatever their descriptions say, then the best rank, then
// the soonest. Only the page's rows are then read in full.
func (s *Store) searchWords(ctx context.Context, q SearchQuery, terms []string, where string, args []any, box string, boxArgs []any, limit int) ([]*Event, error) {
	if box != "" {
		where += " AND e.id IN (" + box + ")"
		args = append(args, boxArgs...)
	}
	query := `SELECT events_fts.rowid, bm25(events_fts, 10.0, 1.0, 3.0, 5.0), e.starts_at, e.title
		FROM events_fts CROSS JOIN events e ON e.id = events_fts.rowid
		WHERE events_fts MATCH ? AND ` + where + `
		ORDER BY events_fts.rowid DESC LIMIT ?`
	args = append(append([]any{matchExpression(q.Words)}, args...), SearchRankCap)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search events: %w", err)
	}
	defer rows.Close()
	m := newMarker(terms)
	var found []searchCandidate
	for rows.Next() {
		var c searchCandidate
		var title string
		if err := rows.Scan(&c.id, &c.rank, &c.startsAt, &title); err != nil {
			return nil, fmt.Errorf("search events: %w", err)
		}
		c.inTitle = m.holdsAll(title)
		found = append(found, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search events: %w", err)
	}
	rows.Close()
	slices.SortFunc(found, func(a, b searchCandidate) int {
		if a.inTitle != b.inTitle {
			if a.inTitle {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.startsAt, b.startsAt), cmp.Compare(a.id, b.id))
	})
	if q.Offset >= len(found) {
		return nil, nil
	}
	found = found[q.Offset:min(len(found), q.Offset+limit)]
	ids := make([]any, len(found))
	at := make(map[int64]int, len(found))
	for i, c := range found {
		ids[i] = c.id
		at[c.id] = i
	}
	read := s.queryEvents
	if q.Bare {
		read = s.scanEvents
	}
	out, err := read(ctx, "search events", `SELECT `+eventColumns+` FROM events e WHERE e.id IN (?`+
		strings.Repeat(", ?", len(ids)-1)+`)`, ids...)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *Event) int { return cmp.Compare(at[a.ID], at[b.ID]) })
	q.decorate(out, terms)
	return out, nil
}

// decorate gives found events their distance from a "near" point and,
// for a search with words, the matched words marked in the title and a
// snippet of the description.
func (q SearchQuery) decorate(out []*Event, terms []string) {
	if q.Near != nil {
		for _, e := range out {
			d := geo.DistanceKm(q.Near.Point, geo.Point{Lat: *e.Address.Latitude, Lon: *e.Address.Longitude})
			e.DistanceKm = &d
		}
	}
	if len(terms) > 0 {
		// FTS5's highlight() and snippet() would run the whole query
		// again for each row; marking the page's few rows here costs
		// far less and follows the index's own folding.
		for _, e := range out {
			m := newMarker(terms)
			if title, ok := m.mark(e.Title); ok {
				e.TitleMarked = title
			}
			// The rendered description read as text: no Markdown signs,
			// and remote events (which have no Markdown) get one too.
			e.Snippet = m.snippet(htmlText(e.DescriptionHTML), snippetTokens)
		}
	}
}

// htmlText is the text a reader sees in a fragment of HTML: tags
// dropped, entities decoded, runs of white space made one space.
func htmlText(fragment string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(fragment))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.Join(strings.Fields(b.String()), " ")
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			// Blocks and line breaks separate words; inline tags do not.
			if name, _ := z.TagName(); blockTags[string(name)] {
				b.WriteByte(' ')
			}
		}
	}
}

var blockTags = map[string]bool{"p": true, "br": true, "li": true, "ul": true, "ol": true, "div": true,
	"blockquote": true, "pre": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"hr": true, "tr": true, "td": true, "th": true}

// snippetTokens is how many words a search result's excerpt shows.
const snippetTokens = 24

// isTokenRune tells whether r is part of a word for the index's unicode61
// tokenizer: letters, digits and private-use characters. Combining marks
// stay with their letter so that folding can drop them.
func isTokenRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r) || unicode.Is(unicode.Mn, r)
}

// fold is what the index compares: lower case without diacritics, as the
// tokenizer's remove_diacritics option does ("Fête" and "fete" match).
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s) && ascii; i++ {
		ascii = s[i] < utf8.RuneSelf
	}
	if ascii { // nothing to decompose: the ranking folds every title
		return strings.ToLower(s)
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// marker marks in a text the words a search matched: every term as a
// whole word, the last one also as a prefix (as the query asked).
type marker struct {
	words  map[string]bool
	prefix string
	whole  []string // the folded terms but the last, each a whole word
}

func newMarker(terms []string) *marker {
	m := &marker{words: map[string]bool{}}
	for _, t := range terms {
		m.words[fold(t)] = true
	}
	m.prefix = fold(terms[len(terms)-1])
	for _, t := range terms[:len(terms)-1] {
		m.whole = append(m.whole, fold(t))
	}
	return m
}

// holdsAll tells whether text holds every term as the index's column
// filter would find it: each as a whole word, the last one as a prefix.
func (m *marker) holdsAll(text string) bool {
	have := map[string]bool{}
	prefixed := false
	for _, w := range words(text) {
		f := fold(text[w.start:w.end])
		have[f] = true
		prefixed = prefixed || strings.HasPrefix(f, m.prefix)
	}
	if !prefixed {
		return false
	}
	for _, t := range m.whole {
		if !have[t] {
			return false
		}
	}
	return true
}

func (m *marker) matches(word string) bool {
	f := fold(word)
	return m.words[f] || strings.HasPrefix(f, m.prefix)
}

// span is one word of a text, by byte offsets.
type span struct{ start, end int }

func words(text string) []span {
	var out []span
	start := -1
	for i, r := range text {
		if isTokenRune(r) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			out = append(out, span{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, span{start, len(text)})
	}
	return out
}

// mark returns text with the matched words between \x02 and \x03, and
// whether any matched. Marks already in the text are dropped first so
// that only ours reach the page.
func (m *marker) mark(text string) (string, bool) {
	text = strings.NewReplacer("\x02", "", "\x03", "").Replace(text)
	return m.markSpan(text, words(text), 0, len(text))
}

func (m *marker) markSpan(text string, ws []span, from, to int) (string, bool) {
	var b strings.Builder
	found := false
	at := from
	for _, w := range ws {
		if w.start < from || w.end > to || !m.matches(text[w.start:w.end]) {
			continue
		}
		found = true
		b.WriteString(text[at:w.start])
		b.WriteString("\x02" + text[w.start:w.end] + "\x03")
		at = w.end
	}
	b.WriteString(text[at:to])
	return b.String(), found
}

// snippet is the stretch of about n words of text holding the most
// matched words, marked, with "…" where it was cut; "" when no word of
// text matched.
func (m *marker) snippet(text string, n int) string {
	text = strings.NewReplacer("\x02", "", "\x03", "").Replace(text)
	ws := words(text)
	var hits []int
	for i, w := range ws {
		if m.matches(text[w.start:w.end]) {
			hits = append(hits, i)
		}
	}
	if len(hits) == 0 {
		return ""
	}
	// Start a little before a matched word, at the one whose window holds
	// the most matches.
	best, bestCount := 0, -1
	for _, h := range hits {
		first := max(0, h-3)
		count := 0
		for _, o := range hits {
			if o >= first && o < first+n {
				count++
			}
		}
		if count > bestCount {
			best, bestCount = first, count
		}
	}
	last := min(len(ws), best+n) - 1
	from, to := ws[best].start, ws[last].end
	if best == 0 {
		from = 0
	}
	if last == len(ws)-1 {
		to = len(text)
	}
	marked, _ := m.markSpan(text, ws, from, to)
	marked = strings.Join(strings.Fields(marked), " ")
	if best > 0 {
		marked = "…" + marked
	}
	if last < len(ws)-1 {
		marked += "…"
	}
	return marked
}
