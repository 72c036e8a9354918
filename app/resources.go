package app

// Resources: folders and links to the tools a group uses (pads,
// spreadsheets, video rooms, chats, calendars, documents). A link shows
// the linked page's own title when it has one, fetched once through the
// federation fetcher, which refuses private and loopback addresses.

import (
	"context"
	"database/sql"
	"errors"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"convene/app/i18n"
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
	v := views.ResourcesView{Group: gc.Group, Path: groupPath(gc.Group), CanManage: gc.may(actManageResources),
		MayDelete: func(res *store.Resource) bool { return gc.mayRemove(res.CreatorID) }}
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
		checkResourceFields(l, f.Kind, f.Tool, f.URL, f.Title, f.Description, errs)
	} else {
		f.Tool, f.URL = "other", ""
		checkResourceFields(l, f.Kind, "", "", f.Title, f.Description, errs)
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
	if !gc.mayRemove(res.CreatorID) {
		return errForbidden(a.printer(r).T("Only the one who added it and the group's moderators and administrators can delete a resource."))
	}
	// A folder takes what it holds with it: others' resources in one's own
	// folder are not one's own to delete.
	if res.Kind == store.ResourceFolder && !moderatesContent(gc.Membership) {
		if others, err := a.store.ResourceHoldsOthers(ctx, res.ID, gc.Identity.ID); err != nil {
			return err
		} else if others {
			return errForbidden(a.printer(r).T("This folder holds resources others added: only the group's moderators and administrators can delete it."))
		}
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.deleteResourceTx(ctx, tx, res, gc.Identity.ID); err != nil {
			return err
		}
		return a.federateResourceDeleteTx(ctx, tx, gc.Group, res, gc.Identity)
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, groupPath(gc.Group)+"/resources", a.printer(r).T("“%s” is deleted.", res.Title))
}

// deleteResourceTx deletes res (a folder with what it holds) and writes
// in its group's log who did it.
func (a *App) deleteResourceTx(ctx context.Context, tx *sql.Tx, res *store.Resource, by int64) error {
	if err := a.store.DeleteResourceTx(ctx, tx, res.ID); err != nil {
		return err
	}
	return logTx(ctx, a, tx, res.GroupID, by, res.CreatorID, logResourceDeleted, res.Title)
}

// logResourceChangeTx writes in the group's log a rename (old is the
// title before) or a move (to the folder named by the resource's parent)
// of res.
func (a *App) logResourceChangeTx(ctx context.Context, tx *sql.Tx, res *store.Resource, old *store.Resource, by int64) error {
	if res.Title != old.Title {
		if err := logTx(ctx, a, tx, res.GroupID, by, res.CreatorID, logResourceRenamed, logChange(old.Title, res.Title)); err != nil {
			return err
		}
	}
	if res.ParentID == old.ParentID {
		return nil
	}
	folder := ""
	if res.ParentID != 0 {
		if f, err := a.store.ResourceByID(ctx, res.ParentID); err == nil {
			folder = f.Title
		}
	}
	return logTx(ctx, a, tx, res.GroupID, by, res.CreatorID, logResourceMoved, logChange(res.Title, folder))
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

// resourceToChange loads the resource named in the path for a member who
// may change it; a remote group's resources are changed on its server.
func (a *App) resourceToChange(w http.ResponseWriter, r *http.Request) (*groupCtx, *store.Resource, bool, error) {
	gc, ok, err := a.localGroupFor(w, r, actManageResources)
	if !ok {
		return nil, nil, false, err
	}
	if !gc.Group.IsLocal() {
		return nil, nil, false, errForbidden(a.printer(r).T("This group's resources are kept on its own server: add or remove them there."))
	}
	res, err := a.store.ResourceByUUID(r.Context(), gc.Group.ID, r.PathValue("id"))
	if err != nil {
		return nil, nil, false, err
	}
	return gc, res, true, nil
}

func (a *App) showEditResource(w http.ResponseWriter, r *http.Request) error {
	gc, res, ok, err := a.resourceToChange(w, r)
	if !ok {
		return err
	}
	f := views.ResourceEditForm{Title: res.Title, Description: res.Description, URL: res.URL, Tool: res.Tool, Public: res.Public}
	if res.ParentID != 0 {
		if parent, err := a.store.ResourceByID(r.Context(), res.ParentID); err == nil {
			f.Folder = parent.UUID
		}
	}
	return a.renderEditResource(w, r, http.StatusOK, gc, res, f, nil)
}

func (a *App) renderEditResource(w http.ResponseWriter, r *http.Request, status int, gc *groupCtx, res *store.Resource, f views.ResourceEditForm, errs views.FieldErrors) error {
	l := a.printer(r)
	folders, err := a.store.ResourceFolders(r.Context(), gc.Group.ID)
	if err != nil {
		return err
	}
	v := views.ResourceEditView{Group: gc.Group, Path: groupPath(gc.Group), Resource: res,
		Back: groupPath(gc.Group) + "/resources", Folders: moveChoices(l, folders, res)}
	for _, folder := range folders {
		if folder.ID == res.ParentID {
			v.Back += "?folder=" + folder.UUID
		}
	}
	p := a.page(r, l.T("Edit “%s”", res.Title))
	p.NoIndex = true
	return a.render(w, r, status, views.ResourceEditPage(p, v, f, errs))
}

// moveChoices are the places res may go: the root, then every folder
// named by its path, leaving out res itself and what it holds.
func moveChoices(l *i18n.Printer, folders []*store.Resource, res *store.Resource) []views.Choice {
	byID := make(map[int64]*store.Resource, len(folders))
	for _, f := range folders {
		byID[f.ID] = f
	}
	choices := []views.Choice{{Value: "", Label: l.T("All resources (no folder)")}}
	for _, f := range folders {
		var names []string
		inside := false
		// Bounded by the number of folders, should a loop ever be stored.
		for cur, n := f, 0; cur != nil && n <= len(folders); cur, n = byID[cur.ParentID], n+1 {
			if cur.ID == res.ID {
				inside = true
				break
			}
			names = append([]string{cur.Title}, names...)
		}
		if !inside {
			choices = append(choices, views.Choice{Value: f.UUID, Label: strings.Join(names, " / ")})
		}
	}
	slices.SortStableFunc(choices[1:], func(x, y views.Choice) int {
		return strings.Compare(strings.ToLower(x.Label), strings.ToLower(y.Label))
	})
	return choices
}

// updateResource renames a resource (and re-addresses a link); the
// group's remote members get an Update.
func (a *App) updateResource(w http.ResponseWriter, r *http.Request) error {
	gc, res, ok, err := a.resourceToChange(w, r)
	if !ok {
		return err
	}
	ctx := r.Context()
	l := a.printer(r)
	f := views.ResourceEditForm{Title: cleanSpace(r.PostFormValue("title")), URL: strings.TrimSpace(r.PostFormValue("url")),
		Description: strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("description"), "\r\n", "\n")),
		Tool:        r.PostFormValue("tool"), Public: r.PostFormValue("public") != ""}
	if res.ParentID != 0 {
		if parent, err := a.store.ResourceByID(ctx, res.ParentID); err == nil {
			f.Folder = parent.UUID
		}
	}
	errs := views.FieldErrors{}
	if res.Kind != store.ResourceLink {
		f.Tool, f.URL = res.Tool, ""
	}
	checkResourceFields(l, res.Kind, f.Tool, f.URL, f.Title, f.Description, errs)
	if len(errs) > 0 {
		return a.renderEditResource(w, r, http.StatusUnprocessableEntity, gc, res, f, errs)
	}
	changed := *res
	changed.Title, changed.Description, changed.Tool, changed.Public = f.Title, f.Description, f.Tool, f.Public
	if res.Kind == store.ResourceLink {
		changed.URL = f.URL
		if changed.URL != res.URL {
			changed.PreviewTitle = a.linkTitle(ctx, changed.URL)
		}
		if changed.Title == "" {
			changed.Title = clipRunes(changed.PreviewTitle, maxResourceTitle)
		}
		if changed.Title == "" {
			changed.Title = changed.URL
		}
	}
	// Members elsewhere see the title, description and address only.
	federate := changed.Title != res.Title || changed.Description != res.Description || changed.URL != res.URL
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.UpdateResourceTx(ctx, tx, &changed); err != nil {
			return err
		}
		if err := a.logResourceChangeTx(ctx, tx, &changed, res, gc.Identity.ID); err != nil {
			return err
		}
		if !federate {
			return nil
		}
		return a.federateResourceUpdateTx(ctx, tx, gc.Group, &changed, gc.Identity)
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, a.resourceFolderPath(ctx, gc.Group, changed.ParentID), l.T("“%s” is saved.", changed.Title))
}

// moveResource puts a resource into another folder or back at the root;
// the group's remote members get a Move.
func (a *App) moveResource(w http.ResponseWriter, r *http.Request) error {
	gc, res, ok, err := a.resourceToChange(w, r)
	if !ok {
		return err
	}
	ctx := r.Context()
	l := a.printer(r)
	f := views.ResourceEditForm{Title: res.Title, Description: res.Description, URL: res.URL, Tool: res.Tool,
		Public: res.Public, Folder: r.PostFormValue("folder")}
	errs := views.FieldErrors{}
	var target *store.Resource
	if f.Folder != "" {
		target, err = a.store.ResourceByUUID(ctx, gc.Group.ID, f.Folder)
		if err != nil || target.Kind != store.ResourceFolder {
			errs["folder"] = l.T("This folder no longer exists.")
		}
	}
	if len(errs) > 0 {
		return a.renderEditResource(w, r, http.StatusUnprocessableEntity, gc, res, f, errs)
	}
	newParent := int64(0)
	if target != nil {
		newParent = target.ID
	}
	if newParent == res.ParentID {
		return a.redirect(w, r, a.resourceFolderPath(ctx, gc.Group, newParent), l.T("“%s” is already there.", res.Title))
	}
	errLoop := errors.New("folder into itself")
	moved := *res
	moved.ParentID = newParent
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if target != nil {
			// Checked here, in the writing transaction: two crossed moves
			// could otherwise each pass and make a loop.
			if inside, err := a.store.ResourceWithinTx(ctx, tx, target.ID, res.ID); err != nil {
				return err
			} else if inside {
				return errLoop
			}
		}
		if err := a.store.UpdateResourceTx(ctx, tx, &moved); err != nil {
			return err
		}
		if err := a.logResourceChangeTx(ctx, tx, &moved, res, gc.Identity.ID); err != nil {
			return err
		}
		return a.federateResourceMoveTx(ctx, tx, gc.Group, &moved, res.ParentID, gc.Identity)
	})
	if errors.Is(err, errLoop) {
		errs["folder"] = l.T("A folder cannot go into itself or into one of its own folders.")
		return a.renderEditResource(w, r, http.StatusUnprocessableEntity, gc, res, f, errs)
	}
	if err != nil {
		return err
	}
	to := l.T("All resources")
	if target != nil {
		to = target.Title
	}
	return a.redirect(w, r, a.resourceFolderPath(ctx, gc.Group, newParent), l.T("“%s” is moved to “%s”.", res.Title, to))
}

// resourceFolderPath is the page listing a folder (0: the root).
func (a *App) resourceFolderPath(ctx context.Context, g *store.Group, folder int64) string {
	to := groupPath(g) + "/resources"
	if folder != 0 {
		if f, err := a.store.ResourceByID(ctx, folder); err == nil {
			to += "?folder=" + f.UUID
		}
	}
	return to
}

// checkResourceFields checks what a resource form says of a resource of
// kind (a link needs a known tool and a web address; a folder a name)
// and writes what is wrong into errs.
func checkResourceFields(l *i18n.Printer, kind, tool, url, title, description string, errs views.FieldErrors) {
	if kind == store.ResourceLink {
		if !contains(store.ResourceTools, tool) {
			errs["tool"] = l.T("Choose one of the options in the list.")
		}
		if url == "" {
			errs["url"] = l.T("Give the address of the link.")
		} else if m := validWebURL(l, url); m != "" {
			errs["url"] = m
		}
	}
	if title == "" && kind == store.ResourceFolder {
		errs["title"] = l.T("Give the folder a name.")
	} else if m := validText(l, title, maxResourceTitle, false); m != "" {
		errs["title"] = m
	}
	if m := validText(l, description, maxResourceDescription, true); m != "" {
		errs["description"] = m
	}
}
