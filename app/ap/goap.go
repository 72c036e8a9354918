package ap

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	vocab "github.com/go-ap/activitypub"
	"github.com/go-ap/jsonld"
)

// What we serve and send is built on go-ap: each of our document types
// builds the go-ap value of its standard vocabulary (vocab.Object for an
// Event or a Note, vocab.Actor, vocab.Activity, vocab.Place,
// vocab.Tombstone, vocab.Link, vocab.OrderedCollection) and wraps it in an
// ext, whose MarshalJSON appends the fields go-ap does not know
// (Mobilizon's and Mastodon's extensions). A top-level document goes through go-ap/jsonld with the one
// @context of Context().
//
// Where go-ap cannot write a value as peers received it before, the ext
// writes it instead; each case names what go-ap would lose:
//   - times: go-ap writes every time in UTC without its fraction
//     (JSONWriteTimeProp), so an event's startTime "20:30+02:00" would
//     lose the wall clock of its place. Times keep their offset here;
//     go-ap writes only those already in UTC to the second.
//   - natural-language values (name, content, summary): go-ap "unescapes"
//     them before writing (natural_language_values.go unescape), so a
//     description mentioning C:\new would go out with a newline. A value
//     with a backslash is written here; empty values too, since go-ap
//     omits them and peers received "content": "".
//   - coordinates: go-ap writes latitude and longitude only when > 0 and
//     with six decimals (%f), so anything west of Greenwich or south of
//     the equator would lose its longitude or latitude. Written here.
//   - one-item lists: go-ap writes a single attachment as an object, not
//     an array; Gancio reads attachment[0]. list keeps the array.
//   - IRIs and types are written by go-ap without JSON escaping; asIRI()
//     escapes them first, so a peer's id with a quote cannot inject keys.

// ext is a go-ap item with the fields go-ap does not know.
type ext struct {
	vocab.Item
	f extras
}

// MarshalJSON writes go-ap's document, then the extension fields.
func (x ext) MarshalJSON() ([]byte, error) {
	m, ok := x.Item.(json.Marshaler)
	if !ok {
		return nil, errNoMarshaler
	}
	b, err := m.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return x.f.mergeInto(b), nil
}

var errNoMarshaler = errors.New("ap: a go-ap item without MarshalJSON")

// list is a collection go-ap writes as an array even with one item.
type list struct{ vocab.ItemCollection }

// MarshalJSON always writes an array.
func (l list) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 64*len(l.ItemCollection))
	vocab.JSONWriteItemCollectionValue(&b, l.ItemCollection, false)
	if len(b) == 0 {
		return []byte("[]"), nil
	}
	return b, nil
}

// value is any value written with encoding/json where go-ap wants an
// Item (an embedded activity of a peer, a struct of the app package).
type value struct {
	vocab.IRI
	v any
}

// MarshalJSON writes the value with encoding/json.
func (v value) MarshalJSON() ([]byte, error) { return json.Marshal(v.v) }

// itemer is one of our document types, built on go-ap.
type itemer interface{ item() vocab.Item }

// anyItem turns what a caller put in an Object field into a go-ap item:
// an id, a list of ids, one of our documents, or anything else marshalled
// as it is.
func asItem(o any) vocab.Item {
	switch v := o.(type) {
	case nil:
		return nil
	case string:
		if v == "" {
			return value{v: v}
		}
		return asIRI(v)
	case []string:
		if v == nil {
			return value{v: v}
		}
		return asIRIs(v)
	case itemer:
		return v.item()
	}
	return value{v: o}
}

// iri is s as a go-ap IRI whose MarshalJSON writes valid JSON: go-ap puts
// IRIs between quotes as they are.
func asIRI(s string) vocab.IRI {
	if !needsEscape(s) {
		return vocab.IRI(s)
	}
	b, _ := json.Marshal(s)
	return vocab.IRI(b[1 : len(b)-1])
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

func asType(s string) vocab.ActivityVocabularyType { return vocab.ActivityVocabularyType(asIRI(s)) }

func asMime(s string) vocab.MimeType { return vocab.MimeType(asIRI(s)) }

// iriList is a list of ids, written as an array.
func asIRIs(ids []string) list {
	c := make(vocab.ItemCollection, len(ids))
	for i, id := range ids {
		c[i] = asIRI(id)
	}
	return list{c}
}

// nl is s as a go-ap natural-language value, when go-ap writes it
// unchanged (not empty, no backslash: see the package note above).
func asNL(s string) (vocab.NaturalLanguageValues, bool) {
	if s == "" || strings.IndexByte(s, '\\') >= 0 {
		return nil, false
	}
	return vocab.NaturalLanguageValues{{Ref: vocab.NilLangRef, Value: vocab.Content(s)}}, true
}

// goapTime tells whether go-ap writes t as it is (UTC, whole seconds).
func goapWritesTime(t time.Time) bool {
	_, off := t.Zone()
	return off == 0 && t.Nanosecond() == 0
}

// extras accumulates extension fields as `,"name":value`.
type extras struct{ b []byte }

func (f *extras) name(k string) {
	f.b = append(f.b, ',', '"')
	f.b = append(f.b, k...)
	f.b = append(f.b, '"', ':')
}

func (f *extras) str(k, v string) {
	f.name(k)
	f.b = appendString(f.b, v)
}

func (f *extras) strOmit(k, v string) {
	if v != "" {
		f.str(k, v)
	}
}

func (f *extras) boolean(k string, v bool) {
	f.name(k)
	f.b = strconv.AppendBool(f.b, v)
}

func (f *extras) int(k string, v int) {
	f.name(k)
	f.b = strconv.AppendInt(f.b, int64(v), 10)
}

// float writes v as encoding/json does.
func (f *extras) float(k string, v float64) {
	f.name(k)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		f.b = append(f.b, "null"...)
		return
	}
	b, _ := json.Marshal(v)
	f.b = append(f.b, b...)
}

// time writes t with its offset and fraction, as encoding/json does.
func (f *extras) time(k string, t time.Time) {
	f.name(k)
	f.b = append(f.b, '"')
	f.b = t.AppendFormat(f.b, time.RFC3339Nano)
	f.b = append(f.b, '"')
}

// strings writes a list of strings; nil is null, as encoding/json has it.
func (f *extras) strings(k string, ss []string) {
	f.name(k)
	if ss == nil {
		f.b = append(f.b, "null"...)
		return
	}
	f.b = append(f.b, '[')
	for i, s := range ss {
		if i > 0 {
			f.b = append(f.b, ',')
		}
		f.b = appendString(f.b, s)
	}
	f.b = append(f.b, ']')
}

// json writes v with encoding/json.
func (f *extras) json(k string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	f.name(k)
	f.b = append(f.b, b...)
}

// raw writes an already encoded value.
func (f *extras) raw(k, v string) {
	f.name(k)
	f.b = append(f.b, v...)
}

// mergeInto appends the extras to go-ap's object.
func (f *extras) mergeInto(obj []byte) []byte {
	if len(f.b) == 0 {
		if len(obj) == 0 {
			return []byte("{}")
		}
		return obj
	}
	if len(obj) < 2 || obj[len(obj)-1] != '}' {
		obj = []byte{'{', '}'}
	}
	out := make([]byte, 0, len(obj)+len(f.b))
	out = append(out, obj[:len(obj)-1]...)
	if len(out) == 1 { // "{": no field from go-ap
		out = append(out, f.b[1:]...)
	} else {
		out = append(out, f.b...)
	}
	return append(out, '}')
}

// appendString appends s as a JSON string, as encoding/json writes it.
func appendString(b []byte, s string) []byte {
	if !needsEscape(s) && !strings.ContainsAny(s, "<>&") {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// ldTerms is the term map of our @context, for go-ap/jsonld.
type ldTerms map[string]any

// Collapse gives the map itself.
func (t ldTerms) Collapse() any { return map[string]any(t) }

// ldValue is any other @context entry.
type ldValue struct{ v any }

// Collapse gives the entry itself.
func (v ldValue) Collapse() any { return v.v }

// MarshalJSON writes the entry with encoding/json (go-ap/jsonld writes
// the entries of a context as they are, not collapsed).
func (v ldValue) MarshalJSON() ([]byte, error) { return json.Marshal(v.v) }

// ldRaw is an entry already encoded.
type ldRaw []byte

// Collapse gives the entry itself.
func (r ldRaw) Collapse() any { return r }

// MarshalJSON writes the entry as it is.
func (r ldRaw) MarshalJSON() ([]byte, error) { return r, nil }

// ldContext turns a document's @context (Context(), usually) into what
// go-ap/jsonld writes.
func ldContext(c any) []jsonld.Collapsible {
	entries, ok := c.([]any)
	if !ok {
		return []jsonld.Collapsible{ldValue{c}}
	}
	out := make([]jsonld.Collapsible, 0, len(entries))
	for _, e := range entries {
		switch v := e.(type) {
		case string:
			out = append(out, jsonld.IRI(v))
		case map[string]any:
			if isContextTerms(v) {
				out = append(out, ldRaw(contextTermsJSON()))
			} else if isGroupContextTerms(v) {
				out = append(out, ldRaw(groupContextTermsJSON()))
			} else {
				out = append(out, ldTerms(v))
			}
		default:
			out = append(out, ldValue{v})
		}
	}
	return out
}

// contextTermsJSON is our term map, encoded once: it is the largest part
// of every document and never changes.
var contextTermsJSON = sync.OnceValue(func() json.RawMessage {
	b, err := json.Marshal(contextTerms)
	if err != nil {
		panic(err)
	}
	return b
})

// groupContextTermsJSON is GroupContext()'s term map, encoded once.
var groupContextTermsJSON = sync.OnceValue(func() json.RawMessage {
	b, err := json.Marshal(GroupContext()[2])
	if err != nil {
		panic(err)
	}
	return b
})

// isGroupContextTerms tells whether m is GroupContext()'s term map,
// unchanged.
func isGroupContextTerms(m map[string]any) bool {
	if len(m) != len(contextTerms)+len(groupContextNames) {
		return false
	}
	for _, name := range groupContextNames {
		d, ok := m[name].(map[string]any)
		if !ok || len(d) != 2 || d["@id"] != "mz:"+name || d["@type"] != "@id" {
			return false
		}
	}
	return hasContextTerms(m)
}

// isContextTerms tells whether m is Context()'s copy of the term map,
// unchanged (a caller may add terms, as group documents do).
func isContextTerms(m map[string]any) bool {
	return len(m) == len(contextTerms) && hasContextTerms(m)
}

// hasContextTerms tells whether m holds Context()'s terms, unchanged.
func hasContextTerms(m map[string]any) bool {
	for k, want := range contextTerms {
		got, ok := m[k]
		if !ok {
			return false
		}
		switch w := want.(type) {
		case string:
			if g, ok := got.(string); !ok || g != w {
				return false
			}
		default:
			if reflect.ValueOf(got).Kind() != reflect.Map || reflect.ValueOf(got).UnsafePointer() != reflect.ValueOf(w).UnsafePointer() {
				return false
			}
		}
	}
	return true
}

// marshalDoc writes a document: a top-level one (context set) through
// go-ap/jsonld with its @context first, an embedded one as it is.
func marshalDoc(context any, it vocab.Item) ([]byte, error) {
	if context == nil {
		return it.(json.Marshaler).MarshalJSON()
	}
	return jsonld.WithContext(ldContext(context)...).Marshal(it)
}
