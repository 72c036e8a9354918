package ap

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"
)

// Every field of our document types reaches the wire: a field added to a
// struct (by a later change) but forgotten in its go-ap builder would be
// dropped silently. Each exported field is set, and the keys written must
// be those encoding/json writes from the struct tags.
func TestEveryFieldIsWritten(t *testing.T) {
	type plainEvent Event
	type plainActor Actor
	type plainActivity Activity
	type plainNote Note
	type plainTombstone Tombstone
	type plainTag Tag
	type plainImage Image
	type plainAttachment Attachment
	for _, c := range []struct {
		name  string
		ours  any
		plain func(any) any
	}{
		{"Event", &Event{}, func(v any) any { return (*plainEvent)(v.(*Event)) }},
		{"Actor", &Actor{}, func(v any) any { return (*plainActor)(v.(*Actor)) }},
		{"Activity", &Activity{}, func(v any) any { return (*plainActivity)(v.(*Activity)) }},
		{"Note", &Note{}, func(v any) any { return (*plainNote)(v.(*Note)) }},
		{"Tombstone", &Tombstone{}, func(v any) any { return (*plainTombstone)(v.(*Tombstone)) }},
		{"Tag", &Tag{}, func(v any) any { return (*plainTag)(v.(*Tag)) }},
		{"Image", &Image{}, func(v any) any { return (*plainImage)(v.(*Image)) }},
		{"Attachment(Link)", &Attachment{Type: TypeLink}, func(v any) any { return (*plainAttachment)(v.(*Attachment)) }},
		{"Attachment(Document)", &Attachment{Type: TypeDocument}, func(v any) any { return (*plainAttachment)(v.(*Attachment)) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			fill(reflect.ValueOf(c.ours).Elem())
			got, want := keysOf(t, c.ours), keysOf(t, c.plain(c.ours))
			if !slices.Equal(got, want) {
				t.Errorf("keys written %v, want %v", got, want)
			}
		})
	}
}

// fill sets every exported field of a struct to a value that is not zero.
func fill(v reflect.Value) {
	for i := range v.NumField() {
		f := v.Field(i)
		if !v.Type().Field(i).IsExported() || !f.IsZero() {
			continue
		}
		switch f.Interface().(type) {
		case string:
			f.SetString("x")
		case bool:
			f.SetBool(true)
		case int:
			f.SetInt(1)
		case *int:
			n := 1
			f.Set(reflect.ValueOf(&n))
		case []string:
			f.Set(reflect.ValueOf([]string{"https://x.example/"}))
		case time.Time:
			f.Set(reflect.ValueOf(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
		case map[string]string:
			f.Set(reflect.ValueOf(map[string]string{"fr": "x"}))
		case any:
			if f.Kind() == reflect.Interface {
				f.Set(reflect.ValueOf("https://x.example/o"))
			}
		}
	}
}

func keysOf(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
