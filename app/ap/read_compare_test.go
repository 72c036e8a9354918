package ap

// The go-ap reader against the frozen hand-written one
// (legacy_parse_test.go): every fixture, every object nested in it, and
// whatever the fuzzer makes of them must read to the same values, or to the
// same error.
//
// Intended differences: none. Where go-ap reads a value differently from
// encoding/json (read_goap.go lists the cases: a key sent twice, invalid
// UTF-8, broken surrogate escapes, nesting deeper than 300, go-ap's
// re-parsing of natural-language text, UTC times), the tolerant reader
// decides, so the readings agree.

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// readerCorpus is every JSON document the readers are compared on: the
// peer fixtures (../shared/fixtures/ap, copied into testdata/fixtures and,
// for the three not used by TestFixtures, testdata/compare), our own
// shapes (testdata/extra) and package app's payloads (../testdata).
func readerCorpus(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, pattern := range []string{
		"testdata/fixtures/*.json", "testdata/compare/*.json", "testdata/extra/*.json",
		"../testdata/*.json", "../testdata/ap/*.json",
	} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			out[path] = raw
		}
	}
	if len(out) < 40 {
		t.Fatalf("only %d documents to compare: fixtures missing?", len(out))
	}
	return out
}

// compareReaders reads raw with each parser, new and legacy, and returns
// what differs.
func compareReaders(raw []byte) []string {
	var diffs []string
	check := func(what string, got, want any, gotErr, wantErr error) {
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
			diffs = append(diffs, fmt.Sprintf("%s: error %v, legacy %v", what, gotErr, wantErr))
			return
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			diffs = append(diffs, fmt.Sprintf("%s:\n got    %+v\n legacy %+v", what, got, want))
		}
	}
	a, aerr := ParseActivity(raw)
	la, laerr := legacyParseActivity(raw)
	check("ParseActivity", a, la, aerr, laerr)
	o, oerr := ParseObject(raw)
	lo, loerr := legacyParseObject(raw)
	check("ParseObject", o, lo, oerr, loerr)
	e, eerr := ParseEvent(raw)
	le, leerr := legacyParseEvent(raw)
	check("ParseEvent", e, le, eerr, leerr)
	ac, acerr := ParseActor(raw)
	lac, lacerr := legacyParseActor(raw)
	check("ParseActor", ac, lac, acerr, lacerr)
	return diffs
}

// nestedObjects returns every JSON object inside raw, raw included.
func nestedObjects(raw []byte) [][]byte {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return [][]byte{raw}
	}
	var out [][]byte
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			b, _ := json.Marshal(v)
			out = append(out, b)
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return append([][]byte{raw}, out...)
}

func TestReaderAgainstLegacy(t *testing.T) {
	for path, raw := range readerCorpus(t) {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			for i, obj := range nestedObjects(raw) {
				for _, d := range compareReaders(obj) {
					t.Errorf("object %d: %s", i, d)
				}
			}
		})
	}
}

// Shapes the fixtures lack, each where go-ap alone would read something
// else than the tolerant reader: the new reader must still agree.
var oddShapes = map[string]string{
	"key sent twice":         `{"type":"Event","id":"https://a.example/e/1","id":"https://b.example/e/1","name":"x","name":"y"}`,
	"type array":             `{"type":["Event","schema:Event"],"id":"https://a.example/e/1"}`,
	"unknown type":           `{"type":"Hashtag","id":"https://a.example/t/1","name":"#x"}`,
	"time offsets kept":      `{"type":"Event","id":"https://a.example/e/1","startTime":"2026-05-01T19:00:00+02:00","endTime":"2026-05-01T21:00:00-05:30","published":"2026-04-01T10:00:00Z"}`,
	"time without offset":    `{"type":"Event","id":"https://a.example/e/1","timezone":"Europe/Paris","startTime":"2026-05-01T19:00:00"}`,
	"name that is JSON":      `{"type":"Note","id":"https://a.example/n/1","name":"42","content":"{\"en\":\"hi\"}","summary":"a\\nb"}`,
	"name with backslash-n":  `{"type":"Note","id":"https://a.example/n/1","content":"<p>C:\\\\new</p>"}`,
	"string address":         `{"type":"Event","id":"https://a.example/e/1","location":{"type":"Place","name":"Hall","address":"1 Main St"}}`,
	"single to, Public form": `{"type":"Create","id":"https://a.example/a/1","actor":"https://a.example/u/1","to":"as:Public","cc":["Public","https://a.example/u/1/followers"],"object":"https://a.example/n/1"}`,
	"id in an array":         `{"type":"Person","id":["https://a.example/u/1"],"inbox":{"id":"https://a.example/u/1/inbox"}}`,
	"invalid UTF-8":          "{\"type\":\"Note\",\"id\":\"https://a.example/n/1\",\"name\":\"a\xffb\"}",
	"lone surrogate":         `{"type":"Note","id":"https://a.example/n/1","name":"a\ud800b"}`,
	"surrogate pair":         `{"type":"Note","id":"https://a.example/n/1","name":"a\ud83d\ude00b"}`,
	"NBSP around an id":      "{\"type\":\"Note\",\"id\":\"https://a.example/n/1\u00a0\",\"inReplyTo\":\"\u00a0https://a.example/n/0\"}",
	"coordinates as strings": `{"type":"Event","id":"https://a.example/e/1","location":{"type":"Place","name":"x","latitude":"45.1","longitude":5}}`,
	"huge coordinate":        `{"type":"Event","id":"https://a.example/e/1","location":{"type":"Place","name":"x","latitude":1e400,"longitude":-0.0}}`,
	"link without id":        `{"type":"Note","id":"https://a.example/n/1","attributedTo":[{"type":"Person"},{"href":"https://a.example/u/2"},"https://a.example/u/3"]}`,
	"keys as array":          `{"type":"Service","id":"https://a.example/u/1","publicKey":[{"id":"https://a.example/u/1#k","owner":"https://a.example/u/1","publicKeyPem":"PEM"},{"id":"https://a.example/u/1#k2","publicKeyPem":"P2"}]}`,
}

func TestReaderAgainstLegacyOddShapes(t *testing.T) {
	// Deeper than fastjson's 300 levels (encoding/json allows 10,000):
	// go-ap stands aside, the tolerant reader reads the rest.
	deep := strings.Repeat("[", 400) + strings.Repeat("]", 400)
	oddShapes := maps.Clone(oddShapes)
	oddShapes["nested 400 deep"] = `{"type":"Event","id":"https://a.example/e/1","name":"x","tag":` + deep + `}`
	for name, raw := range oddShapes {
		t.Run(name, func(t *testing.T) {
			for _, d := range compareReaders([]byte(raw)) {
				t.Error(d)
			}
		})
	}
}

func FuzzReaderAgainstLegacy(f *testing.F) {
	for _, raw := range readerCorpus(f) {
		for _, obj := range nestedObjects(raw) {
			f.Add(obj)
		}
	}
	for _, raw := range oddShapes {
		f.Add([]byte(raw))
	}
	for _, v := range []string{`"2026-05-01T19:00:00+02:00"`, `{"type":"Place","name":"x","latitude":1,"longitude":2}`,
		`[{"type":"Link","href":"https://a.example/h"}]`, `"https://a.example/x"`, `{"id":"https://a.example/k","publicKeyPem":"P"}`} {
		f.Add([]byte(v))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 64<<10 {
			return
		}
		for _, d := range compareReaders(raw) {
			t.Error(d)
		}
		// Most mutations break a whole document; a small value mutated in
		// place of each field keeps the fuzzer inside the readers.
		if len(raw) > 4<<10 || !json.Valid(raw) {
			return
		}
		for _, wrap := range fuzzWrappers {
			doc := []byte(fmt.Sprintf(wrap, raw))
			for _, d := range compareReaders(doc) {
				t.Errorf("%s\n%s", doc, d)
			}
		}
	})
}

var fuzzWrappers = []string{
	`{"type":"Event","id":"https://a.example/e/1","timezone":"Europe/Paris","startTime":%s}`,
	`{"type":"Event","id":"https://a.example/e/1","location":%s}`,
	`{"type":"Event","id":"https://a.example/e/1","attachment":%s,"image":%[1]s}`,
	`{"type":"Note","id":"https://a.example/n/1","name":%s,"content":%[1]s,"url":%[1]s,"published":%[1]s}`,
	`{"type":"Note","id":"https://a.example/n/1","attributedTo":%s,"to":%[1]s,"inReplyTo":%[1]s,"mediaType":%[1]s}`,
	`{"type":"Person","id":"https://a.example/u/1","publicKey":%s,"endpoints":%[1]s,"icon":%[1]s,"inbox":%[1]s}`,
	`{"type":"Create","actor":"https://a.example/u/1","id":%s,"object":%[1]s,"target":%[1]s}`,
	`{"type":%s,"id":"https://a.example/x/1","actor":"https://a.example/u/1"}`,
}

// Every field either reader looks at, in every shape we could think of,
// in an event, an actor and an activity, nested objects included: the
// readers must agree on each (a differential test the byte-level fuzzer
// is unlikely to reach, since most of its mutations break the JSON).
func TestReaderAgainstLegacyShapeMatrix(t *testing.T) {
	values := []string{
		`null`, `""`, `" "`, `"https://a.example/x"`, `" https://a.example/x "`, `"https://a.example/x\u00a0"`,
		`"http://a.example/x#f"`, `"javascript:alert(1)"`, `"/relative"`, `"Public"`, `"as:Public"`,
		`"https://a.example/\"q"`, `"https://a.example/a\\b"`, `"https://a.example/\u00e9"`, `42`, `-0.0`, `1e400`, `4.5e1`,
		`true`, `"true"`, `" 12 "`, `"42"`, `"{\"en\":\"x\"}"`, `"a\\nb"`, `"a\nb"`, `"<p>x</p>"`,
		`"2026-05-01T19:00:00+02:00"`, `"2026-05-01T19:00:00.123456789-05:30"`, `"2026-05-01T19:00:00Z"`,
		`"2026-05-01T19:00:00z"`, `"2026-05-01T19:00:00"`, `"2026-05-01 19:00:00"`, `" 2026-05-01T19:00:00Z"`,
		`"2026-05-01T24:00:00Z"`, `"2026-02-30T10:00:00+01:00"`, `"2026-05-01T19:00:00+24:00"`, `"2026-05-01T19:00:00.Z"`,
		`[]`, `[null]`, `["https://a.example/x","https://a.example/y"]`, `["Public","https://a.example/y"]`,
		`[42,"https://a.example/y"]`, `[["https://a.example/x"]]`, `["x",{"id":"https://a.example/o"}]`,
		`{}`, `{"id":"https://a.example/o"}`, `{"id":["https://a.example/o"]}`, `{"id":42,"href":"https://a.example/h"}`,
		`{"href":"https://a.example/h"}`, `{"href":{"id":"https://a.example/h"}}`, `{"type":"Link","id":"https://a.example/o","href":"https://a.example/h"}`,
		`{"type":"Mention","href":"https://a.example/h","name":"@x"}`, `{"type":"Person","id":"https://a.example/p"}`,
		`{"type":"Hashtag","name":"#t","href":"https://a.example/t"}`, `{"type":["Link"],"href":"https://a.example/h"}`,
		`{"type":"Image","url":"https://a.example/i.png","mediaType":"image/png","name":"Banner"}`,
		`{"type":"Document","url":{"href":"https://a.example/d"},"name":42}`,
		`{"type":"Place","id":"https://a.example/p","name":"Hall","latitude":45.1,"longitude":5.2,"address":"1 Main St"}`,
		`{"type":"Place","name":"Hall","latitude":"45.1","longitude":5.2}`, `{"type":"Place","latitude":0,"longitude":0}`,
		`{"type":"Place","name":"x","latitude":91,"longitude":0}`, `{"type":"Place","geo":{"latitude":1,"longitude":2}}`,
		`{"type":"Place","address":{"type":"VirtualLocation","url":"https://a.example/v"}}`,
		`{"type":"Place","address":{"type":"PostalAddress","streetAddress":" 1 Main ","addressLocality":"X"}}`,
		`{"type":"VirtualLocation","url":"https://a.example/v"}`, `{"type":"PropertyValue","propertyID":"p","value":"v"}`,
		`{"id":"https://a.example/o","id":"https://b.example/o"}`, `{"name":"a","name":"b","type":"Place"}`,
		`{"type":"Key","id":"https://a.example/u#k","owner":"https://a.example/u","publicKeyPem":"PEM"}`,
		`{"id":"https://a.example/u#k","owner":["https://a.example/u"],"publicKeyPem":["PEM"]}`,
		`{"sharedInbox":"https://a.example/inbox","members":"https://a.example/m"}`,
		`{"en":"x","fr":"y"}`,
	}
	keys := []string{"id", "type", "actor", "object", "target", "to", "cc", "published", "updated", "content", "name",
		"summary", "mediaType", "url", "attributedTo", "inReplyTo", "startTime", "endTime", "location", "attachment",
		"tag", "image", "icon", "inbox", "outbox", "followers", "following", "preferredUsername", "endpoints",
		"publicKey", "nameMap", "contentMap", "timezone", "sensitive"}
	bases := []string{
		`{"type":"Event","id":"https://a.example/e/1","timezone":"Europe/Paris",%s}`,
		`{"type":"Person","id":"https://a.example/u/1","inbox":"https://a.example/u/1/inbox",%s}`,
		`{"type":"Create","id":"https://a.example/a/1","actor":"https://a.example/u/1",%s}`,
		// The same without the member the matrix may send, so that it is not sent twice.
		`{"type":"Event",%s}`,
		`{"id":"https://a.example/e/1",%s}`,
		`{"type":"Create",%s,"actor":"https://a.example/u/1"}`,
		`{"type":"Service","id":"https://a.example/u/1",%s}`,
		`{"type":"Event","id":"https://a.example/e/1","location":{"type":"Place",%s},"attachment":[{"type":"Link",%s}]}`,
		`{"type":"Person","id":"https://a.example/u/1","publicKey":{"id":"https://a.example/u/1#k","publicKeyPem":"P",%s},"endpoints":{%s},"icon":{"type":"Image",%s}}`,
	}
	n := 0
	for _, base := range bases {
		for _, k := range keys {
			for _, v := range values {
				member := fmt.Sprintf("%q:%s", k, v)
				var raw string
				if strings.Count(base, "%s") == 1 {
					raw = fmt.Sprintf(base, member)
				} else {
					args := make([]any, strings.Count(base, "%s"))
					for i := range args {
						args[i] = member
					}
					raw = fmt.Sprintf(base, args...)
				}
				n++
				for _, d := range compareReaders([]byte(raw)) {
					t.Errorf("%s\n%s", raw, d)
				}
			}
		}
	}
	t.Logf("%d documents compared", n)
}
