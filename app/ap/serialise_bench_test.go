package ap

import (
	"encoding/json"
	"testing"
)

// Serialising an event and an actor as peers receive them: the go-ap path
// against the hand-written encoding/json structs (legacy_test.go), in the
// same run. go test ./app/ap -run '^$' -bench Serialise -cpu 2,1

func BenchmarkSerialiseEvent(b *testing.B) {
	e := goldenEventFull()
	l := toLegacyEvent(e)
	b.Run("legacy", func(b *testing.B) { benchMarshal(b, l) })
	b.Run("goap", func(b *testing.B) { benchMarshal(b, e) })
}

func BenchmarkSerialiseActor(b *testing.B) {
	a := goldenPerson()
	l := toLegacyActor(a)
	b.Run("legacy", func(b *testing.B) { benchMarshal(b, l) })
	b.Run("goap", func(b *testing.B) { benchMarshal(b, a) })
}

func benchMarshal(b *testing.B, v any) {
	b.ReportAllocs()
	for b.Loop() {
		out, err := json.Marshal(v)
		if err != nil || len(out) == 0 {
			b.Fatal(err)
		}
	}
}
