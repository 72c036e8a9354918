package app

import (
	"convene/app/i18n"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// validText explains what is wrong with a free-text field, or returns "".
// Text must be valid UTF-8 without control characters (newlines and tabs
// allowed when multiline) and at most max characters.
func validText(l *i18n.Printer, s string, max int, multiline bool) string {
	if !utf8.ValidString(s) {
		return l.T("This text contains invalid characters.")
	}
	if utf8.RuneCountInString(s) > max {
		return l.T("This text is too long (at most %d characters).", max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return l.T("This text contains invalid characters.")
		}
	}
	return ""
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// cleanSpace trims and collapses inner runs of spaces on one line.
func cleanSpace(s string) string { return strings.Join(strings.Fields(s), " ") }
