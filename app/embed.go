package app

// The embeddable widget: /embed?identity=alice&tag=folk&limit=5 renders the
// upcoming events compactly for an <iframe> on an association's own
// website. It is the one route other sites may frame (see
// securityHeaders); its links open on this instance in a new tab.

import (
	"html"
	"net/http"
	"net/url"
	"strconv"

	"convene/app/store"
	"convene/views"
)

const (
	embedPath         = "/embed"
	embedDefaultLimit = 5
	embedMaxLimit     = 20
)

// embedCSP is the strict policy of every page, except that any site may
// frame this one.
const embedCSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors *"

func (a *App) showEmbed(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := a.page(r, "")
	query := store.EventQuery{Now: a.now(), Listed: true, Limit: embedDefaultLimit}
	more := "/"
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		query.Limit = min(n, embedMaxLimit)
	}
	title := p.T("Upcoming events")
	if username := q.Get("identity"); username != "" {
		actor, err := a.store.LocalActorByUsername(r.Context(), username)
		if err != nil {
			return err
		}
		query.OrganizerID = actor.ID
		title = p.T("Upcoming events by %s", actor.Name())
		more = "/@" + actor.Username
	}
	if tag := q.Get("tag"); tag != "" {
		if validText(nil, tag, 100, false) != "" {
			return errNotFound()
		}
		query.Tag = tag
		if query.OrganizerID == 0 {
			title = p.T("Upcoming events tagged #%s", tag)
			more = "/tags/" + url.PathEscape(tag)
		}
	}
	events, err := a.store.ListEvents(r.Context(), query)
	if err != nil {
		return err
	}
	p.Title = title
	w.Header().Set("Cache-Control", "public, max-age=300")
	return a.render(w, r, http.StatusOK, views.EmbedPage(p, views.EmbedView{
		Title: title, Events: events, MoreURL: a.URL(more), SiteURL: a.URL("/"),
	}))
}

// embedSnippet is the HTML an organiser pastes in their website to show an
// identity's upcoming events.
func (a *App) embedSnippet(actor *store.Actor) string {
	src := a.URL(embedPath + "?identity=" + url.QueryEscape(actor.Username) + "&limit=5")
	return `<iframe src="` + html.EscapeString(src) + `" title="` + html.EscapeString(actor.Name()) +
		`" width="100%" height="420" style="border:0" loading="lazy"></iframe>`
}
