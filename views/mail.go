package views

import (
	"strings"
)

// Mail is the content of one email, already translated; MailHTML and
// MailText render its two parts.
type Mail struct {
	Lang       string
	Subject    string
	Greeting   string
	Paragraphs []string
	Quote      string     // a message from the organiser, shown apart
	Event      *MailEvent // the event the mail is about
	Action     MailLink   // the one thing to do, as a button
	Links      []MailLink // secondary links, such as "cancel"
	Footer     string
	Accent     string // the instance's colour (#rrggbb), for the button; a default when empty
}

// DefaultAccent is the instance colour until its administrators choose one.
const DefaultAccent = "#2f6f5e"

// accent is the button colour: the instance's, checked when it was saved.
func (m Mail) accent() string {
	if m.Accent == "" {
		return DefaultAccent
	}
	return m.Accent
}

// MailEvent is the short summary of an event in an email.
type MailEvent struct {
	Title string
	When  string
	Place string
	URL   string
}

// MailLink is a labelled link in an email.
type MailLink struct {
	Label string
	URL   string
}

// MailText is the plain-text part of an email: the same content, readable
// in any client, with links written out in full.
func MailText(m Mail) string {
	var b strings.Builder
	para := func(s string) {
		b.WriteString(s)
		b.WriteString("\n\n")
	}
	if m.Greeting != "" {
		para(m.Greeting)
	}
	for _, p := range m.Paragraphs {
		para(p)
	}
	if m.Quote != "" {
		lines := strings.Split(strings.ReplaceAll(m.Quote, "\r\n", "\n"), "\n")
		para("> " + strings.Join(lines, "\n> "))
	}
	if m.Event != nil {
		b.WriteString(m.Event.Title + "\n" + m.Event.When + "\n")
		if m.Event.Place != "" {
			b.WriteString(m.Event.Place + "\n")
		}
		para(m.Event.URL)
	}
	if m.Action.URL != "" {
		para(m.Action.Label + ":\n" + m.Action.URL)
	}
	for _, l := range m.Links {
		para(l.Label + "\n" + l.URL)
	}
	if m.Footer != "" {
		b.WriteString("-- \n" + m.Footer + "\n")
	}
	return b.String()
}
