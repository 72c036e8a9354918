package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
)

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
	Attend      string // AttendAny, AttendOnline or AttendInPerson
	IncludePast bool   // also events that ended before Now
	Limit       int
	Offset      int
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
// then the soonest, and TitleMarked and Snippet show the matched words
// between \x02 and \x03. Without words it lists events in time order.
func (s *Store) SearchEvents(ctx context.Context, q SearchQuery) ([]*Event, error) {
	now := q.Now.Unix()
	where := []string{"e.visibility = 'public' AND e.draft = 0 AND e.published_at <= ?"}
	args := []any{now}
	if !q.IncludePast {
		where = append(where, "e.ends_at >= ?")
		args = append(args, now)
	}
	if !q.From.IsZero() {
		where = append(where, "e.ends_at >= ?")
		args = append(args, q.From.Unix())
	}
	if !q.To.IsZero() {
		where = append(where, "e.starts_at < ?")
		args = append(args, q.To.Unix())
	}
	if q.Category != "" {
		where = append(where, "e.category = ?")
		args = append(args, q.Category)
	}
	switch q.Attend {
	case AttendOnline:
		where = append(where, "e.online_url <> ''")
	case AttendInPerson:
		where = append(where, "((e.venue || e.street || e.postal_code || e.locality || e.region || e.country) <> '' OR e.latitude IS NOT NULL)")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	match := matchExpression(q.Words)
	var query string
	if match == "" {
		if strings.TrimSpace(q.Words) != "" {
			// Only punctuation was typed: nothing can match it.
			return nil, nil
		}
		query = `SELECT ` + eventColumns + `, '', '' FROM events e WHERE ` + strings.Join(where, " AND ") +
			` ORDER BY e.starts_at, e.id LIMIT ? OFFSET ?`
	} else {
		// bm25 weights follow the columns: title, description, place, tags.
		query = `SELECT ` + eventColumns + `,
			highlight(events_fts, 0, char(2), char(3)),
			snippet(events_fts, 1, char(2), char(3), '…', 24)
			FROM events_fts JOIN events e ON e.id = events_fts.rowid
			WHERE events_fts MATCH ? AND ` + strings.Join(where, " AND ") + `
			ORDER BY bm25(events_fts, 10.0, 1.0, 3.0, 5.0), e.starts_at, e.id LIMIT ? OFFSET ?`
		args = append([]any{match}, args...)
	}
	args = append(args, limit, q.Offset)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search events: %w", err)
	}
	defer rows.Close()
	var out []*Event
	for rows.Next() {
		var title, snippet string
		e, err := scanEvent(rows, &title, &snippet)
		if err != nil {
			return nil, err
		}
		if strings.ContainsRune(title, '\x02') {
			e.TitleMarked = title
		}
		if strings.ContainsRune(snippet, '\x02') {
			e.Snippet = snippet
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search events: %w", err)
	}
	rows.Close()
	if err := s.fillEvents(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}
