// Package i18n translates every user-facing string. Messages are written in
// English in the code; each other language has a catalogue (JSON, embedded)
// from the English text to its own. A missing entry falls back to English.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"golang.org/x/text/language"
)

//go:embed catalog/*.json
var catalogFiles embed.FS

// Languages are the languages Convene speaks, English first.
var Languages = []string{"en", "fr"}

var (
	catalogs = map[string]map[string]string{}
	matcher  language.Matcher
)

func init() {
	tags := make([]language.Tag, len(Languages))
	for i, l := range Languages {
		tags[i] = language.Make(l)
		if l == "en" {
			continue
		}
		b, err := catalogFiles.ReadFile(path.Join("catalog", l+".json"))
		if err != nil {
			panic("i18n: missing catalogue for " + l)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic("i18n: bad catalogue " + l + ": " + err.Error())
		}
		catalogs[l] = m
	}
	matcher = language.NewMatcher(tags)
}

// Catalog returns the catalogue of one language (nil for English).
func Catalog(lang string) map[string]string { return catalogs[lang] }

// Negotiate picks the best language: the first of prefs that Convene
// speaks (an account setting, then Accept-Language), else def.
func Negotiate(def string, prefs ...string) string {
	for _, p := range prefs {
		if p == "" {
			continue
		}
		tags, _, err := language.ParseAcceptLanguage(p)
		if err != nil || len(tags) == 0 {
			continue
		}
		if _, idx, conf := matcher.Match(tags...); conf > language.No {
			return Languages[idx]
		}
	}
	for _, l := range Languages {
		if l == def {
			return def
		}
	}
	return "en"
}

// Printer translates into one language.
type Printer struct {
	Lang string
	cat  map[string]string
}

// For returns the printer of a language Convene speaks (English otherwise).
func For(lang string) *Printer {
	if _, ok := catalogs[lang]; !ok {
		lang = "en"
	}
	return &Printer{Lang: lang, cat: catalogs[lang]}
}

// T translates msg and, when args are given, formats it like fmt.Sprintf.
func (p *Printer) T(msg string, args ...any) string {
	if p != nil {
		if tr, ok := p.cat[msg]; ok && tr != "" {
			msg = tr
		}
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// N chooses between a singular and a plural message by n, then formats
// with n as the first argument.
func (p *Printer) N(n int, one, many string, args ...any) string {
	msg := many
	if n == 1 || (p != nil && p.Lang == "fr" && n == 0) {
		msg = one
	}
	return p.T(msg, append([]any{n}, args...)...)
}

var (
	weekdaysFR = []string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	monthsFR   = []string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
)

// Date formats a day the way the language writes it ("Saturday 14 March
// 2026", "samedi 14 mars 2026").
func (p *Printer) Date(t time.Time) string {
	if p != nil && p.Lang == "fr" {
		return fmt.Sprintf("%s %d %s %d", weekdaysFR[t.Weekday()], t.Day(), monthsFR[t.Month()-1], t.Year())
	}
	return t.Format("Monday 2 January 2006")
}

// ShortDate is a compact day for cards ("Sat 14 Mar", "sam. 14 mars").
func (p *Printer) ShortDate(t time.Time) string {
	if p != nil && p.Lang == "fr" {
		return fmt.Sprintf("%s. %d %s", weekdaysFR[t.Weekday()][:3], t.Day(), monthsFR[t.Month()-1])
	}
	return t.Format("Mon 2 Jan")
}

// MonthAbbr is a month in the few letters a date block has room for
// ("Dec", "déc."): French months abbreviate as the language does.
func (p *Printer) MonthAbbr(t time.Time) string {
	if p != nil && p.Lang == "fr" {
		return monthsAbbrFR[t.Month()-1]
	}
	return t.Format("Jan")
}

// WeekdayAbbr is a weekday's short name ("Sat", "sam.").
func (p *Printer) WeekdayAbbr(t time.Time) string {
	if p != nil && p.Lang == "fr" {
		return weekdaysFR[t.Weekday()][:3] + "."
	}
	return t.Format("Mon")
}

var monthsAbbrFR = []string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}

// Time formats a time of day (24-hour clock in both languages so far).
// French writes "18 h 30" with no-break spaces, so it never breaks
// across lines.
func (p *Printer) Time(t time.Time) string {
	if p != nil && p.Lang == "fr" {
		return strings.Replace(t.Format("15:04"), ":", "\u00a0h\u00a0", 1)
	}
	return t.Format("15:04")
}

// Number formats an integer with the language's grouping.
func (p *Printer) Number(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := ","
	if p != nil && p.Lang == "fr" {
		sep = "\u202f"
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// MonthYear names a month of a year ("January 2027", "janvier 2027").
func (p *Printer) MonthYear(t time.Time) string {
	if p != nil && p.Lang == "fr" {
		return fmt.Sprintf("%s %d", monthsFR[t.Month()-1], t.Year())
	}
	return t.Format("January 2006")
}

// Weekday is a day's short name, for a calendar's column heads ("Mon",
// "lun.").
func (p *Printer) Weekday(t time.Time) string {
	if p != nil && p.Lang == "fr" {
		return weekdaysFR[t.Weekday()][:3] + "."
	}
	return t.Format("Mon")
}
