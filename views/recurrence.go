package views

import (
	"time"

	"convene/app/store"
)

// occurrenceZone is the zone an occurrence is shown in.
func occurrenceZone(o store.Occurrence) *time.Location {
	return store.LoadLocation(o.Timezone)
}
