package app

import (
	"net/http"

	"convene/app/ap"
)

// nodeInfoLinks is /.well-known/nodeinfo: where the NodeInfo documents
// are, and the instance actor (FEP-2677), so peers can find the actor that
// signs our fetches.
func (a *App) nodeInfoLinks(w http.ResponseWriter, r *http.Request) error {
	return serveJSON(w, http.StatusOK, "application/json", ap.JRD{Links: []ap.JRDLink{
		{Rel: ap.RelNodeInfo20, Href: a.URL("/nodeinfo/2.0")},
		{Rel: ap.RelNodeInfo21, Href: a.URL("/nodeinfo/2.1")},
		{Rel: "https://www.w3.org/ns/activitystreams#Application", Href: a.URL("/actor")},
	}})
}

func (a *App) nodeInfo20(w http.ResponseWriter, r *http.Request) error {
	return a.nodeInfo(w, r, "2.0")
}
func (a *App) nodeInfo21(w http.ResponseWriter, r *http.Request) error {
	return a.nodeInfo(w, r, "2.1")
}

// nodeInfo describes the instance the way fediverse directories read it.
func (a *App) nodeInfo(w http.ResponseWriter, r *http.Request, version string) error {
	ctx := r.Context()
	users, err := a.store.CountAccounts(ctx)
	if err != nil {
		return err
	}
	events, err := a.store.CountLocalEvents(ctx)
	if err != nil {
		return err
	}
	doc := ap.NodeInfo{
		Version:           version,
		Software:          ap.NodeInfoSoftware{Name: "convene", Version: Version},
		Protocols:         []string{"activitypub"},
		Services:          ap.NodeInfoServices{Inbound: []string{}, Outbound: []string{}},
		OpenRegistrations: a.setting(ctx, SettingRegistrations) == "open",
		Usage:             ap.NodeInfoUsage{Users: ap.NodeInfoUsers{Total: users}, LocalPosts: events},
		Metadata: map[string]any{
			"nodeName":        a.setting(ctx, SettingName),
			"nodeDescription": a.setting(ctx, SettingDescription),
			"instanceActor":   a.URL("/actor"),
			"localEvents":     events,
		},
	}
	if version == "2.1" {
		doc.Software.Homepage = a.cfg.BaseURL
	}
	w.Header().Set("Cache-Control", "public, max-age=1800")
	return serveJSON(w, http.StatusOK,
		`application/json; profile="http://nodeinfo.diaspora.software/ns/schema/`+version+`#"`, doc)
}
