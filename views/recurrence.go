package views

import (
	"time"

	"convene/app/store"
)

// occurrenceZone is the zone an occurrence is shown in.
func occurrenceZone(o store.Occurrence) *time.Location {
	if loc, err := time.LoadLocation(o.Timezone); err == nil {
		return loc
	}
	return time.UTC
}
