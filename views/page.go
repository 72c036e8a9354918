// Package views renders Convene's pages with templ. It knows the store's
// types and the translation printer, never the app: handlers hand it
// everything it shows.
package views

import (
	"github.com/a-h/templ"

	"convene/app/i18n"
	"convene/app/store"
)

// Page is what every page's layout needs, gathered once per request.
type Page struct {
	L           *i18n.Printer
	Title       string
	Description string // the meta description of the page
	SiteName    string
	Path        string // the request path, for "log in and come back"
	Account     *store.Account
	Identity    *store.Actor  // the identity acting now
	Identities  []store.Actor // all identities of the account
	Flash       string
	Waiting     int // what waits for the account: the header's badge
	FlashError  bool
	Asset       func(name string) string // checksum URL of a static file
	LogoURL     string                   // the instance's own logo, when its administrators set one
	ThemeURL    string                   // stylesheet with the instance's own colours, when set
	Feeds       []FeedLink               // alternate feeds for <head> and the footer
	NoIndex     bool                     // ask search engines not to index
	// Head is extra <head> content a handler brings (link previews and
	// structured data), rendered by Layout after the page's own head.
	Head templ.Component
	// Map is where the tiles of maps come from (views/maps.templ).
	Map MapTiles
	// DrawnHead and DrawnFoot, when set, are Layout's <head> and footer
	// drawn already (LayoutHead, LayoutFoot), by a handler that keeps
	// them for every reader of the page (the event page).
	DrawnHead, DrawnFoot string
	// DrawnHeader, when set, is LayoutHeader drawn already for a
	// visitor without an account (the event page keeps it).
	DrawnHeader string
}

// FeedLink is an alternate representation of a page (RSS, Atom, iCalendar).
type FeedLink struct {
	Type  string // MIME type
	Title string
	URL   string
}

// T is a shortcut for p.L.T.
func (p Page) T(msg string, args ...any) string { return p.L.T(msg, args...) }

// LoggedIn tells whether someone is logged in.
func (p Page) LoggedIn() bool { return p.Account != nil }

// FieldErrors maps form field names to what is wrong with them.
type FieldErrors map[string]string

// Has tells whether the field has an error.
func (fe FieldErrors) Has(field string) bool { _, ok := fe[field]; return ok }
