package app

// Posts: a group's announcements, written by its moderators. Public ones
// show on the group page and in its posts feed; unlisted ones to whoever
// has the link; members-only ones to members alone.

import (
	"database/sql"
	"net/http"
	"strings"
	"time"

	"convene/app/store"
	"convene/views"

	"github.com/gorilla/feeds"
)

const (
	maxPostTitle = 200
	maxPostBody  = 50000
)

var postVisibilities = []string{store.PostPublic, store.PostUnlisted, store.PostMembers}

func (a *App) showNewPost(w http.ResponseWriter, r *http.Request) error {
	gc, ok, err := a.localGroupFor(w, r, actPost)
	if !ok {
		return err
	}
	if !gc.Group.IsLocal() {
		return errForbidden(a.printer(r).T("This group's posts are published on its own server: write them there."))
	}
	p := a.page(r, a.printer(r).T("New post"))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.PostFormPage(p, gc.Group, groupPath(gc.Group), views.PostForm{Visibility: store.PostPublic}, nil))
}

// readPostForm reads and checks the post form; the banner is read only
// when the rest is right (a picture is not kept across a correction).
func (a *App) readPostForm(r *http.Request, f *views.PostForm) (bannerID int64, errs views.FieldErrors, err error) {
	l := a.printer(r)
	f.Title = cleanSpace(r.PostFormValue("title"))
	f.Body = strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n"))
	f.Visibility = r.PostFormValue("visibility")
	errs = views.FieldErrors{}
	if f.Title == "" {
		errs["title"] = l.T("Give the post a title.")
	} else if m := validText(l, f.Title, maxPostTitle, false); m != "" {
		errs["title"] = m
	}
	if m := validText(l, f.Body, maxPostBody, true); m != "" {
		errs["body"] = m
	}
	if !contains(postVisibilities, f.Visibility) {
		errs["visibility"] = l.T("Choose one of the options in the list.")
	}
	if len(errs) == 0 {
		media, msg, err := a.saveUploadedImage(r, "banner")
		if err != nil {
			return 0, errs, err
		}
		if msg != "" {
			errs["banner"] = msg
		} else if media != nil {
			bannerID = media.ID
		}
	}
	return bannerID, errs, nil
}

func (a *App) createPost(w http.ResponseWriter, r *http.Request) error {
	gc, ok, err := a.localGroupFor(w, r, actPost)
	if !ok {
		return err
	}
	if !gc.Group.IsLocal() {
		return errForbidden(a.printer(r).T("This group's posts are published on its own server: write them there."))
	}
	ctx := r.Context()
	l := a.printer(r)
	g := gc.Group
	var f views.PostForm
	bannerID, errs, err := a.readPostForm(r, &f)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		p := a.page(r, l.T("New post"))
		p.NoIndex = true
		return a.render(w, r, http.StatusUnprocessableEntity, views.PostFormPage(p, g, groupPath(g), f, errs))
	}
	post := &store.Post{GroupID: g.ID, AuthorID: gc.Identity.ID, Title: f.Title, BodyMD: f.Body,
		BodyHTML: renderMarkdown(f.Body), BannerID: bannerID, Visibility: f.Visibility}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.CreatePostTx(ctx, tx, post); err != nil {
			return err
		}
		return a.federatePostTx(ctx, tx, g, post, gc.Identity)
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, groupPath(g)+"/posts/"+post.Slug, l.T("The post is published."))
}

// postToEdit loads the post of the path for a moderator of its (local)
// group.
func (a *App) postToEdit(w http.ResponseWriter, r *http.Request) (*groupCtx, *store.Post, bool, error) {
	gc, ok, err := a.localGroupFor(w, r, actPost)
	if !ok {
		return nil, nil, false, err
	}
	if !gc.Group.IsLocal() {
		return nil, nil, false, errForbidden(a.printer(r).T("This group's posts are published on its own server: write them there."))
	}
	post, err := a.store.PostBySlug(r.Context(), gc.Group.ID, r.PathValue("slug"))
	if err != nil {
		return nil, nil, false, err
	}
	return gc, post, true, nil
}

func (a *App) showEditPost(w http.ResponseWriter, r *http.Request) error {
	gc, post, ok, err := a.postToEdit(w, r)
	if !ok {
		return err
	}
	p := a.page(r, a.printer(r).T("Edit the post"))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.PostFormPage(p, gc.Group, groupPath(gc.Group), views.PostForm{
		Slug: post.Slug, Title: post.Title, Body: post.BodyMD, Visibility: post.Visibility, HasBanner: post.BannerID != 0}, nil))
}

// updatePost saves an edited post and tells those who received it: the
// new version to its (new) audience, and a Delete to the servers that
// received it and may no longer read it.
func (a *App) updatePost(w http.ResponseWriter, r *http.Request) error {
	gc, post, ok, err := a.postToEdit(w, r)
	if !ok {
		return err
	}
	ctx := r.Context()
	l := a.printer(r)
	g := gc.Group
	f := views.PostForm{Slug: post.Slug, HasBanner: post.BannerID != 0}
	bannerID, errs, err := a.readPostForm(r, &f)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		p := a.page(r, l.T("Edit the post"))
		p.NoIndex = true
		return a.render(w, r, http.StatusUnprocessableEntity, views.PostFormPage(p, g, groupPath(g), f, errs))
	}
	before := post.Visibility
	post.Title, post.BodyMD, post.BodyHTML, post.Visibility = f.Title, f.Body, renderMarkdown(f.Body), f.Visibility
	if bannerID != 0 {
		post.BannerID = bannerID
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.UpdatePostTx(ctx, tx, post); err != nil {
			return err
		}
		updated, err := a.store.PostBySlugTx(ctx, tx, g.ID, post.Slug)
		if err != nil {
			return err
		}
		updated.Author, post = post.Author, updated // with its banner's address
		return a.federatePostEditTx(ctx, tx, g, post, before)
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, groupPath(g)+"/posts/"+post.Slug, l.T("The post is saved."))
}

// showPost shows a post to whoever may read it: members-only posts are
// not found for anyone else.
func (a *App) showPost(w http.ResponseWriter, r *http.Request) error {
	gc, err := a.loadGroup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	post, err := a.store.PostBySlug(r.Context(), gc.Group.ID, r.PathValue("slug"))
	if err != nil {
		return err
	}
	if post.Visibility == store.PostMembers && !gc.may(actRead) {
		return errNotFound()
	}
	p := a.page(r, post.Title)
	p.NoIndex = post.Visibility != store.PostPublic
	return a.render(w, r, http.StatusOK, views.PostPage(p, gc.Group, groupPath(gc.Group), post, gc.may(actPost) && gc.Group.IsLocal()))
}

func (a *App) deletePost(w http.ResponseWriter, r *http.Request) error {
	gc, post, ok, err := a.postToEdit(w, r)
	if !ok {
		return err
	}
	ctx := r.Context()
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.DeletePostTx(ctx, tx, post.ID); err != nil {
			return err
		}
		return a.federatePostDeleteTx(ctx, tx, gc.Group, post)
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, groupPage(gc.Group), a.printer(r).T("The post is deleted."))
}

// servePostsFeed writes a group's public posts as RSS or Atom.
func (a *App) servePostsFeed(w http.ResponseWriter, r *http.Request, g *store.Group, format string) error {
	if format != formatRSS && format != formatAtom {
		return errNotFound()
	}
	posts, err := a.store.ListPosts(r.Context(), g.ID, []string{store.PostPublic}, feedItems, 0)
	if err != nil {
		return err
	}
	l := a.feedPrinter(r)
	feed := &feeds.Feed{Title: l.T("Posts of %s", g.Name()), Link: &feeds.Link{Href: a.URL(groupPage(g))},
		Description: firstLine(g.Bio), Id: a.URL("/feeds/groups/" + g.Username + ".posts." + format), Updated: time.Unix(0, 0).UTC()}
	for _, p := range posts {
		link := a.URL(groupPath(g) + "/posts/" + p.Slug)
		feed.Items = append(feed.Items, &feeds.Item{Title: p.Title, Link: &feeds.Link{Href: link}, Id: link,
			Content: p.BodyHTML, Created: p.PublishedAt, Updated: p.UpdatedAt, Author: &feeds.Author{Name: p.Author.Name()}})
		if p.UpdatedAt.After(feed.Updated) {
			feed.Updated = p.UpdatedAt
		}
	}
	w.Header().Set("Cache-Control", feedCacheControl)
	if format == formatAtom {
		w.Header().Set("Content-Type", typeAtom+"; charset=utf-8")
		return feed.WriteAtom(w)
	}
	w.Header().Set("Content-Type", typeRSS+"; charset=utf-8")
	return feed.WriteRss(w)
}
