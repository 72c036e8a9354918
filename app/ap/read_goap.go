package ap

// go-ap's side of the reader (parse.go says what each side reads).
//
// A doc is one JSON object seen two ways: f, encoding/json's reading into
// raw fields, which the tolerant reader walks; g, fastjson's parse of the
// same bytes, which go-ap's JSONGet* readers take. go-ap's readers are
// called field by field on g rather than through JSONLoadObject: loading a
// whole vocab.Object materialises every nested item (replies, likes,
// source, the full embedded object of an activity) that we never use, and
// costs more than the whole tolerant reading. Field by field, the go-ap
// pass is one fastjson parse (a few times cheaper than encoding/json's)
// plus the reads.

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	vocab "github.com/go-ap/activitypub"
	"github.com/valyala/fastjson"
)

var fastParsers fastjson.ParserPool

// doc is one JSON object: the tolerant reading f and go-ap's view g (nil
// where go-ap must stand aside).
type doc struct {
	f fields
	g *fastjson.Value
}

// parseDoc decodes raw for both readers and runs read on it. The error
// decisions are encoding/json's, as they always were; go-ap only reads
// documents encoding/json has accepted. If go-ap panics, raw is read again
// without it.
func parseDoc[T any](raw []byte, read func(doc) (T, error)) (out T, err error) {
	f, err := decodeFields(raw)
	if err != nil {
		return out, err
	}
	p := fastParsers.Get()
	defer fastParsers.Put(p)
	d := doc{f: f}
	if goapReadsAsJSONDoes(raw) {
		if v, err := p.ParseBytes(raw); err == nil {
			d.g = goObject(v)
		}
	}
	if d.g == nil {
		return read(d)
	}
	func() {
		defer func() {
			if recover() != nil {
				d.g = nil
			}
		}()
		out, err = read(d)
	}()
	if d.g == nil {
		return read(d)
	}
	return out, err
}

// goapReadsAsJSONDoes reports whether fastjson (go-ap's parser) reads every
// string of raw as encoding/json does. They part on invalid UTF-8 (kept
// as is / replaced by U+FFFD byte by byte) and on broken surrogate
// escapes; any \uD8xx-\uDFxx escape sends the document to the tolerant
// reader alone, which is conservative (a well-formed pair would agree).
func goapReadsAsJSONDoes(raw []byte) bool {
	if !utf8.Valid(raw) {
		return false
	}
	for i := 0; ; {
		j := bytes.Index(raw[i:], []byte(`\u`))
		if j < 0 {
			return true
		}
		i += j + 2
		if i < len(raw) && (raw[i] == 'd' || raw[i] == 'D') && i+1 < len(raw) && strings.IndexByte("89abcdefABCDEF", raw[i+1]) >= 0 {
			return false
		}
	}
}

// goObject returns v when it is an object go-ap may read: one that sends
// no key twice (fastjson would read the first, encoding/json the last).
func goObject(v *fastjson.Value) *fastjson.Value {
	if v == nil || v.Type() != fastjson.TypeObject {
		return nil
	}
	o := v.GetObject()
	n := o.Len()
	dup := false
	if n <= 16 {
		var keys [16]string
		i := 0
		o.Visit(func(k []byte, _ *fastjson.Value) {
			for _, seen := range keys[:i] {
				if seen == string(k) {
					dup = true
				}
			}
			keys[i] = string(k)
			i++
		})
	} else {
		seen := make(map[string]struct{}, n)
		o.Visit(func(k []byte, _ *fastjson.Value) {
			if _, ok := seen[string(k)]; ok {
				dup = true
			}
			seen[string(k)] = struct{}{}
		})
	}
	if dup {
		return nil
	}
	return v
}

// item is one entry of a list value, as both readers see it.
type item struct {
	raw json.RawMessage
	g   *fastjson.Value // nil when go-ap stands aside
}

// doc returns the item as an object, when it is one.
func (it item) doc() (doc, bool) {
	f, err := decodeFields(it.raw)
	if err != nil {
		return doc{}, false
	}
	return doc{f: f, g: goObject(it.g)}, true
}

// items returns the entries of a list (or the single value as a list of
// one), nulls skipped, at most max: the tolerant reader's list, each entry
// paired with fastjson's reading of it.
func (d doc) items(key string, max int) []item {
	raws := d.f.list(key, max)
	if len(raws) == 0 {
		return nil
	}
	out := make([]item, len(raws))
	for i, r := range raws {
		out[i].raw = r
	}
	v := d.gv(key)
	if v == nil {
		return out
	}
	var gs []*fastjson.Value
	if v.Type() == fastjson.TypeArray {
		for _, x := range v.GetArray() {
			if x.Type() != fastjson.TypeNull {
				gs = append(gs, x)
				if len(gs) == max {
					break
				}
			}
		}
	} else {
		gs = []*fastjson.Value{v}
	}
	if len(gs) == len(out) {
		for i := range out {
			out[i].g = gs[i]
		}
	}
	return out
}

// gv is go-ap's view of one field, nil when absent, null or unavailable.
func (d doc) gv(key string) *fastjson.Value {
	if d.g == nil {
		return nil
	}
	v := d.g.Get(key)
	if v == nil || v.Type() == fastjson.TypeNull {
		return nil
	}
	return v
}

// gstr is the field's text when it was sent as a JSON string.
func (d doc) gstr(key string) (string, bool) {
	v := d.gv(key)
	if v == nil || v.Type() != fastjson.TypeString {
		return "", false
	}
	return string(v.GetStringBytes()), true
}

// types: go-ap's type when the peer sent one string; the tolerant reader
// for an array of types (go-ap reads it as none).
func (d doc) types() []string {
	if d.g != nil {
		if t := vocab.JSONGetType(d.g); t != "" {
			return []string{clip(string(t), 100)}
		}
	}
	return d.f.types()
}

// goRef is go-ap's reading of one reference: an IRI, or an object's id (a
// Link's href when it has no id). "" when go-ap cannot tell.
func goRef(g *fastjson.Value) string {
	if g == nil {
		return ""
	}
	switch g.Type() {
	case fastjson.TypeString:
		it := vocab.JSONUnmarshalToItem(g) // go-ap's IRI test
		if it == nil || !it.IsLink() {
			return ""
		}
		s := string(it.GetLink())
		// go-ap takes an IRI from the re-escaped string: one holding a
		// quote, a backslash or a control character is not the text sent.
		if strings.ContainsAny(s, "\\\"") {
			return ""
		}
		return refString(s)
	case fastjson.TypeObject:
		o := goObject(g)
		if o == nil {
			return ""
		}
		if id := keepURL(string(vocab.JSONGetID(o))); id != "" {
			return id
		}
		// An id sent in another shape (an array, a number) is the tolerant
		// reader's; so is an href that is not a plain string.
		if v := o.Get("id"); v != nil && v.Type() != fastjson.TypeNull && v.Type() != fastjson.TypeString {
			return ""
		}
		if v := o.Get("href"); v != nil && v.Type() == fastjson.TypeString {
			if h := vocab.JSONGetURIItem(o, "href"); h != nil {
				return keepURL(string(h.GetLink()))
			}
		}
	}
	return ""
}

// ref reads a reference: the first entry that gives an id, go-ap's reading
// of each entry first.
func (d doc) ref(key string) string {
	for _, it := range d.items(key, maxListScan) {
		id := goRef(it.g)
		if id == "" {
			id = refID(it.raw)
		}
		if id != "" {
			return id
		}
	}
	return ""
}

// refs reads a list of references, up to max, without repeats.
func (d doc) refs(key string, max int) []string {
	var out []string
	for _, it := range d.items(key, maxListScan) {
		id := goRef(it.g)
		if id == "" {
			id = refID(it.raw)
		}
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
			if len(out) == max {
				break
			}
		}
	}
	return out
}

// url reads a URL-valued reference.
func (d doc) url(key string) string { return keepURL(d.ref(key)) }

// text reads a plain-language property (name, content, summary,
// preferredUsername) through go-ap's NaturalLanguageValues when the peer sent
// a string and go-ap kept it as sent; else the tolerant reader.
func (d doc) text(key string, max int) string {
	if s, ok := d.goText(key); ok {
		return clip(s, max)
	}
	return d.f.text(key, max)
}

// mapped is text with the tolerant reader's fallback on the language map
// ("nameMap"), which go-ap does not read.
func (d doc) mapped(key string, max int) string {
	if s, ok := d.goText(key); ok {
		return clip(s, max)
	}
	return d.f.mapped(key, max)
}

func (d doc) goText(key string) (string, bool) {
	sent, ok := d.gstr(key)
	if !ok || sent == "" {
		return "", false
	}
	nl := vocab.JSONGetNaturalLanguageField(d.g, key)
	if len(nl) != 1 || nl[0].Ref != vocab.NilLangRef || string(nl[0].Value) != sent {
		return "", false // go-ap changed it (see parse.go)
	}
	return string(nl[0].Value), true
}

// mediaType reads a MIME type through go-ap.
func (d doc) mediaType() string {
	if d.g != nil {
		if m := vocab.JSONGetMimeType(d.g, "mediaType"); m != "" {
			return clip(string(m), MaxTextRunes)
		}
	}
	return d.f.text("mediaType", MaxTextRunes)
}

// linkURL reads "url": go-ap's IRI when the peer sent one string; a Link, or
// a list to choose the HTML one from, is the tolerant reader's.
func (d doc) linkURL(key string) string {
	if _, ok := d.gstr(key); ok {
		if it := vocab.JSONGetURIItem(d.g, key); it != nil {
			if u := keepURL(strings.TrimSpace(string(it.GetLink()))); u != "" {
				return u
			}
		}
	}
	return linkURL(d.f.raw(key))
}

// imageURL reads an icon or image: go-ap's reading of an Image whose url is
// a string, else the tolerant reader.
func (d doc) imageURL(key string) string {
	for _, it := range d.items(key, maxListScan) {
		if s, ok := asString(it.raw); ok {
			if u := keepURL(s); u != "" {
				return u
			}
			continue
		}
		if img, ok := it.doc(); ok {
			if u := img.linkURL("url"); u != "" {
				return u
			}
		}
	}
	return ""
}

// time reads a timestamp: go-ap's instant, in the offset the peer wrote
// (go-ap returns UTC). A time go-ap cannot read (no offset, another
// layout) is the tolerant reader's, in zone.
func (d doc) time(key string, zone *time.Location) time.Time {
	if s, ok := d.gstr(key); ok && len(s) <= 64 && s == strings.TrimSpace(s) {
		if t := vocab.JSONGetTime(d.g, key); !t.IsZero() {
			if off, ok := offsetAsSent(s); ok {
				return t.In(time.FixedZone("", off))
			}
		}
	}
	return d.f.time(key, zone)
}

// offsetAsSent reads the UTC offset at the end of an RFC 3339 timestamp.
func offsetAsSent(s string) (int, bool) {
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		return 0, true
	}
	if len(s) < 6 {
		return 0, false
	}
	z := s[len(s)-6:]
	if (z[0] != '+' && z[0] != '-') || z[3] != ':' {
		return 0, false
	}
	num := func(a, b byte) (int, bool) {
		if a < '0' || a > '9' || b < '0' || b > '9' {
			return 0, false
		}
		return int(a-'0')*10 + int(b-'0'), true
	}
	h, ok1 := num(z[1], z[2])
	m, ok2 := num(z[4], z[5])
	if !ok1 || !ok2 {
		return 0, false
	}
	off := h*3600 + m*60
	if z[0] == '-' {
		off = -off
	}
	return off, true
}

// coordinate reads a latitude or longitude through go-ap when the peer sent
// a plain number; a numeric string is the tolerant reader's.
func (d doc) coordinate(key string) *float64 {
	if v := d.gv(key); v != nil && v.Type() == fastjson.TypeNumber {
		n := vocab.JSONGetFloat(d.g, key)
		// fastfloat and strconv agree on every number strconv reads
		// without a range error; a huge exponent is the tolerant
		// reader's to refuse.
		if n == n && n-n == 0 && (n != 0 || isZeroNumber(v)) {
			return &n
		}
	}
	return d.f.float(key)
}

func isZeroNumber(v *fastjson.Value) bool {
	s := string(v.MarshalTo(nil))
	return strings.Trim(s, "-0.eE+") == ""
}

// publicKey reads one key through go-ap's JSONLoadPublicKey.
func (d doc) publicKey() PublicKey {
	var k vocab.PublicKey
	if d.g != nil {
		_ = vocab.JSONLoadPublicKey(d.g, &k)
	}
	key := PublicKey{ID: d.url("id")}
	if _, ok := d.gstr("owner"); ok {
		key.Owner = keepURL(refString(string(k.Owner)))
	}
	if key.Owner == "" {
		key.Owner = d.f.url("owner")
	}
	if s, ok := d.gstr("publicKeyPem"); ok && s == k.PublicKeyPem {
		key.PublicKeyPEM = clip(k.PublicKeyPem, 16*1024)
	} else {
		key.PublicKeyPEM = d.f.text("publicKeyPem", 16*1024)
	}
	return key
}
