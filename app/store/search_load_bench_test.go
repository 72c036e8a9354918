package store

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"
)

// BenchmarkSearchCommonWord10k is a search page's store work (one page of
// results and the count) for a word in every one of 10,000 events, half of
// them past, against the baseline of the same run: a search matching 111
// of them. Before SearchRankCap the common word ranked all 5,000 upcoming
// events with bm25, and the count walked the 5,000 past ones first.
//
//	go test ./app/store -run '^$' -bench SearchCommonWord10k -benchtime 50x
func BenchmarkSearchCommonWord10k(b *testing.B) {
	s := openTestStore(b)
	seedLoadEvents(b, s, 10_000)
	ctx := context.Background()
	search := func(words string) time.Duration {
		start := time.Now()
		q := SearchQuery{Words: words, Now: time.Now(), Limit: 21}
		if _, err := s.SearchEvents(ctx, q); err != nil {
			b.Fatal(err)
		}
		if _, err := s.CountSearch(ctx, q); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var rare, common time.Duration
	for b.Loop() {
		rare += search("number 12")
		common += search("music")
	}
	n := float64(b.N)
	b.ReportMetric(float64(rare.Microseconds())/n, "rare-µs")
	b.ReportMetric(float64(common.Microseconds())/n, "common-µs")
	b.ReportMetric(float64(common)/float64(rare), "common/rare")
}

// seedLoadEvents stores n listed events as the load benchmark's database
// has them (app/binarytest): one every three hours, half of them past,
// all with the same description, tags and place.
func seedLoadEvents(b *testing.B, s *Store, n int) {
	ctx := context.Background()
	_, org, err := s.CreateAccountWithIdentity(ctx, "org@example.org", "", false, NewIdentity{Username: "org"})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			start := now.Add(time.Duration(i-n/2) * 3 * time.Hour)
			e := &Event{OrganizerID: org.ID, Title: fmt.Sprintf("Event number %d in the park", i),
				DescriptionMD: "A gathering with music, food and friends.", StartsAt: start, EndsAt: start.Add(2 * time.Hour),
				Timezone: "Europe/Paris", Category: "other", Status: "confirmed", Visibility: "public", JoinMode: "free",
				CommentModeration: "allow_all", PublishedAt: &now, Tags: []string{"music", "park"},
				Address: Address{Venue: "Parc", Locality: "Lyon", Country: "FR"}}
			if err := s.CreateEventTx(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
