package app

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"convene/app/ap"
	"convene/app/store"
)

// writeJSON answers with a JSON document of the given media type. Documents
// peers read are public: any origin may read them (as Mastodon allows).
func serveJSON(w http.ResponseWriter, status int, contentType string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}

// jsonError answers a machine with a short JSON error instead of a page.
func jsonError(w http.ResponseWriter, status int, msg string) error {
	return serveJSON(w, status, "application/json", map[string]string{"error": msg})
}

// webfinger answers /.well-known/webfinger for acct:user@host and for the
// URL of any local actor.
func (a *App) webfinger(w http.ResponseWriter, r *http.Request) error {
	resource := strings.TrimSpace(r.URL.Query().Get("resource"))
	if resource == "" {
		return jsonError(w, http.StatusBadRequest, "resource is required")
	}
	return a.servePublicDocument(w, r, "webfinger "+resource, "application/jrd+json; charset=utf-8", "no such account here",
		func(ctx context.Context) (any, error) { return a.webfingerAnswer(ctx, resource) })
}

// webfingerAnswer is the JRD of the local actor resource names, or
// store.ErrNotFound.
func (a *App) webfingerAnswer(ctx context.Context, resource string) (*ap.JRD, error) {
	var act *store.Actor
	var err error
	if rest, ok := strings.CutPrefix(resource, "acct:"); ok {
		rest = strings.TrimPrefix(rest, "@")
		user, host, found := strings.Cut(rest, "@")
		if !found || !strings.EqualFold(host, a.Host()) {
			return nil, store.ErrNotFound
		}
		user = strings.ToLower(user)
		act, err = a.store.LocalActorByUsername(ctx, user)
		if err == nil && act.Kind == store.KindApplication {
			act, err = a.instanceActor(ctx)
		}
	} else {
		act, err = a.localActorByURI(ctx, resource)
		if errors.Is(err, store.ErrNotFound) {
			// /actors/{username} is where an identity's collections live;
			// accept it as a name of the identity too.
			if u, perr := url.Parse(resource); perr == nil && ap.SameHost(resource, a.cfg.BaseURL) {
				if name, ok := strings.CutPrefix(u.Path, "/actors/"); ok {
					act, err = a.localActorByURI(ctx, a.URL("/@"+name))
				}
			}
		}
	}
	if err != nil {
		return nil, err
	}
	id := a.actorURI(act)
	jrd := &ap.JRD{
		Subject: "acct:" + act.Username + "@" + a.Host(),
		Aliases: []string{id},
		Links: []ap.JRDLink{
			{Rel: ap.RelSelf, Type: ap.ContentTypeActivityJSON, Href: id},
		},
	}
	if act.Kind != store.KindApplication {
		jrd.Links = append(jrd.Links,
			ap.JRDLink{Rel: ap.RelProfilePage, Type: "text/html", Href: id})
	}
	jrd.Links = append(jrd.Links,
		ap.JRDLink{Rel: ap.RelSubscribe, Template: a.URL("/authorize_interaction?uri={uri}")})
	return jrd, nil
}

// hostMeta points old-style clients at WebFinger.
func (a *App) hostMeta(w http.ResponseWriter, r *http.Request) error {
	type link struct {
		Rel      string `xml:"rel,attr"`
		Type     string `xml:"type,attr,omitempty"`
		Template string `xml:"template,attr"`
	}
	doc := struct {
		XMLName xml.Name `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 XRD"`
		Link    link     `xml:"Link"`
	}{Link: link{Rel: "lrdd", Type: "application/jrd+json", Template: a.URL("/.well-known/webfinger?resource={uri}")}}
	b, err := xml.Marshal(doc)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xrd+xml; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
	return nil
}

// authorizeInteraction is the target of the subscribe template: someone
// whose home is here asked their server to follow {uri}.
func (a *App) authorizeInteraction(w http.ResponseWriter, r *http.Request) error {
	uri := r.URL.Query().Get("uri")
	return a.redirect(w, r, "/me/following?follow="+url.QueryEscape(uri), "")
}
