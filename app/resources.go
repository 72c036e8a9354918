package app

// Resources: folders and links to the tools a group uses (pads,
// spreadsheets, video rooms, chats, calendars, documents). A link shows
// the linked page's own title when it has one, fetched once through the
// federation fetcher, which refuses private and loopback addresses.

import (
	"context"
	"database/sql"
	"html"
	"net/http"
	"regexp"
	"strings"
	"time"

	"convene/app/store"
	"convene/views"
)

const (
	maxResourceTitle       = 200
	maxResourceDescription = 1000
	previewTimeout         = 5 * time.Second
)

// showResources lists a folder (or the root) of a group's resources:
// everything to members, what is marked public to anyone else.
func (a *App) showResources(w http.ResponseWriter, r *http.Request) error {
	gc, err := a.loadGroup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	return a.renderResources(w, r, http.StatusOK, gc, views.ResourceForm{Kind: store.ResourceLink, Tool: "pad"}, nil)
}

func (a *App) renderResources(w http.ResponseWriter, r *http.Request, status int, gc *groupCtx, f views.ResourceForm, errs views.FieldErrors) error {
	ctx := r.Context()
	v := views.ResourcesView{Group: gc.Group, Path: groupPath(gc.Group), CanManage: gc.may(actManageResources)}
	if folder := r.URL.Query().Get("folder"); folder != "" {
		res, err := a.store.ResourceByUUID(ctx, gc.Group.ID, folder)
		if err != nil || res.Kind != store.ResourceFolder || (!v.CanManage && !res.Public) {
			return errNotFound()
		}
		v.Folder = res
		f.Folder = res.UUID
	}
	parent := int64(0)
	if v.Folder != nil {
		parent = v.Folder.ID
	}
	list, err := a.store.ListResources(ctx, gc.Group.ID, parent, !v.CanManage)
	if err != nil {
		return err
	}
	v.Resources = list
	p := a.page(r, a.printer(r).T("Resources of %s", gc.Group.Name()))
	p.NoIndex = true
	return a.render(w, r, status, views.ResourcesPage(p, v, f, errs))
}

// createResource adds a folder or a link.
func (a *App) createResource(w http.ResponseWriter, r *http.Request) error {
	gc, ok, err := a.localGroupFor(w, r, actManageResources)
	if !ok {
		return err
	}
	if !gc.Group.IsLocal() {
		return errForbidden(a.printer(r).T("This group's resources are kept on its own server: add or remove them there."))
	}
	ctx := r.Context()
	l := a.printer(r)
	f := views.ResourceForm{Kind: r.PostFormValue("kind"), Tool: r.PostFormValue("tool"),
		Title: cleanSpace(r.PostFormValue("title")), URL: strings.TrimSpace(r.PostFormValue("url")),
		Description: strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("description"), "\r\n", "\n")),
		Public:      r.PostFormValue("public") != "", Folder: r.PostFormValue("folder")}
	errs := views.FieldErrors{}
	if f.Kind != store.ResourceFolder && f.Kind != store.ResourceLink {
		errs["kind"] = l.T("Choose one of the options in the list.")
	}
	if f.Kind == store.ResourceLink {
		if !contains(store.ResourceTools, f.Tool) {
			errs["tool"] = l.T("Choose one of the options in the list.")
		}
		if f.URL == "" {
			errs["url"] = l.T("Give the address of the link.")
		} else if m := validWebURL(l, f.URL); m != "" {
			errs["url"] = m
		}
	} else {
		f.Tool, f.URL = "other", ""
	}
	if f.Title == "" && f.Kind == store.ResourceFolder {
		errs["title"] = l.T("Give the folder a name.")
	} else if m := validText(l, f.Title, maxResourceTitle, false); m != "" {
		errs["title"] = m
	}
	if m := validText(l, f.Description, maxResourceDescription, true); m != "" {
		errs["description"] = m
	}
	var parent *store.Resource
	if f.Folder != "" {
		parent, err = a.store.ResourceByUUID(ctx, gc.Group.ID, f.Folder)
		if err != nil || parent.Kind != store.ResourceFolder {
			errs["title"] = l.T("This folder no longer exists.")
		}
	}
	if len(errs) > 0 {
		return a.renderResources(w, r, http.StatusUnprocessableEntity, gc, f, errs)
	}
	res := &store.Resource{GroupID: gc.Group.ID, CreatorID: gc.Identity.ID, Kind: f.Kind, Tool: f.Tool,
		Title: f.Title, Description: f.Description, URL: f.URL, Public: f.Public}
	if parent != nil {
		res.ParentID = parent.ID
	}
	if res.Kind == store.ResourceLink {
		res.PreviewTitle = a.linkTitle(ctx, res.URL)
		if res.Title == "" {
			res.Title = clipRunes(res.PreviewTitle, maxResourceTitle)
		}
		if res.Title == "" {
			res.Title = res.URL
		}
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.CreateResourceTx(ctx, tx, res); err != nil {
			return err
		}
		return a.federateResourceTx(ctx, tx, gc.Group, res, parent, gc.Identity)
	})
	if err != nil {
		return err
	}
	to := groupPath(gc.Group) + "/resources"
	if parent != nil {
		to += "?folder=" + parent.UUID
	}
	return a.redirect(w, r, to, l.T("“%s” is added.", res.Title))
}

func (a *App) deleteResource(w http.ResponseWriter, r *http.Request) error {
	gc, ok, err := a.localGroupFor(w, r, actManageResources)
	if !ok {
		return err
	}
	if !gc.Group.IsLocal() {
		return errForbidden(a.printer(r).T("This group's resources are kept on its own server: add or remove them there."))
	}
	ctx := r.Context()
	res, err := a.store.ResourceByUUID(ctx, gc.Group.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.DeleteResourceTx(ctx, tx, res.ID); err != nil {
			return err
		}
		return a.federateResourceDeleteTx(ctx, tx, gc.Group, res, gc.Identity)
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, groupPath(gc.Group)+"/resources", a.printer(r).T("“%s” is deleted.", res.Title))
}

var titlePattern = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// linkTitle is the <title> of the page at u, or "" when it cannot be had
// (the fetcher refuses private addresses, big bodies and slow servers).
func (a *App) linkTitle(ctx context.Context, u string) string {
	ctx, cancel := context.WithTimeout(ctx, previewTimeout)
	defer cancel()
	resp, err := a.fed.fetcher.Fetch(ctx, u, "text/html", nil)
	if err != nil {
		a.log.Info("link preview", "url", u, "err", err)
		return ""
	}
	m := titlePattern.FindSubmatch(resp.Body)
	if m == nil {
		return ""
	}
	return clipRunes(cleanSpace(html.UnescapeString(string(m[1]))), maxResourceTitle)
}
