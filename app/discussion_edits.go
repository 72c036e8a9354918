package app

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"convene/app/ap"
	"convene/app/store"
	"convene/views"
)

// Editing discussions. As in Mobilizon, any member may rename a thread;
// a message's text is changed only by its author. On the wire both are
// an Update of the Note: of the thread's opening Note (which carries the
// thread's name) for a rename. A group relays what it accepts to its
// members' servers with an Announce of the changed Note, as it relays new
// messages.

// renameDiscussion gives a thread a new title.
func (a *App) renameDiscussion(w http.ResponseWriter, r *http.Request) error {
	gc, d, ok, err := a.loadDiscussion(w, r, actDiscuss)
	if !ok {
		return err
	}
	ctx := r.Context()
	l := a.printer(r)
	title := cleanSpace(r.PostFormValue("title"))
	errs := views.FieldErrors{}
	if title == "" {
		errs["title"] = l.T("Give the discussion a title.")
	} else if m := validText(l, title, maxDiscussionTitle, false); m != "" {
		errs["title"] = m
	}
	if len(errs) > 0 {
		return a.renderDiscussion(w, r, http.StatusUnprocessableEntity, gc, d, "", title, errs)
	}
	first, err := a.store.Messages(ctx, d.ID, 0, 1)
	if err != nil || len(first) == 0 {
		return err
	}
	g := gc.Group
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.renameDiscussionTx(ctx, tx, d, title, gc.Identity.ID); err != nil {
			return err
		}
		return a.federateNoteEditTx(ctx, tx, g, d, first[0], true, gc.Identity)
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, groupPath(g)+"/discussions/"+d.Slug, l.T("The discussion is renamed."))
}

// renameDiscussionTx renames d and writes in its group's log who did it,
// from what to what.
func (a *App) renameDiscussionTx(ctx context.Context, tx *sql.Tx, d *store.Discussion, title string, by int64) error {
	if err := a.store.RenameDiscussionTx(ctx, tx, d.ID, title); err != nil {
		return err
	}
	old := d.Title
	d.Title = title
	return logTx(ctx, a, tx, d.GroupID, by, d.AuthorID, logDiscussionRenamed, logChange(old, title))
}

// federateNoteEditTx tells the group's other servers that a discussion
// Note changed: a local group relays the new Note to its remote members;
// for a remote group, its server hears the Update and relays it.
func (a *App) federateNoteEditTx(ctx context.Context, tx *sql.Tx, g *store.Group, d *store.Discussion, m *store.Message, first bool, by *store.Actor) error {
	note := a.messageNote(g, d, m, m.Author, first, "")
	if !g.IsLocal() {
		// Mobilizon reuses the object's id for its activities; ours are
		// fresh so that a Create and its Updates are never taken for
		// replays of each other.
		update := ap.NewDiscussionUpdate(a.URL("/activities/"+uuid.NewString()), a.actorURI(by), a.groupURI(g), note)
		return a.sendTx(ctx, tx, by, update, inboxOf(g.Actor))
	}
	members, err := a.store.MemberInboxesTx(ctx, tx, g.ID)
	if err != nil || len(members) == 0 {
		return err
	}
	return a.enqueueAnnounceTx(ctx, tx, g, note, []string{a.groupCollectionURI(g, "members")}, members)
}

// applyDiscussionEdit takes a changed discussion Note from another
// server: a new name renames the thread, new content replaces the
// message's. byGroup is true when the group's own server relays it (it
// decided who could change what); otherwise editor must be a member
// (checked by the caller) and only the author's content changes are
// kept. A Note we do not have changes nothing.
func (a *App) applyDiscussionEdit(ctx context.Context, g *store.Group, note *ap.RemoteObject, editor *store.Actor, byGroup bool) error {
	d, err := a.discussionByURI(ctx, g, note.ID)
	var m *store.Message
	opening := err == nil
	if opening {
		first, err := a.store.Messages(ctx, d.ID, 0, 1)
		if err != nil || len(first) == 0 {
			return err
		}
		m = first[0]
	} else {
		if m, err = a.messageOf(ctx, g, note.ID); err != nil {
			return nil
		}
		if d, err = a.store.DiscussionByID(ctx, m.DiscussionID); err != nil {
			return err
		}
	}
	title := clipRunes(cleanSpace(note.Name), maxDiscussionTitle)
	rename := opening && title != "" && title != d.Title
	body := sanitizeHTML(note.Content)
	edit := strings.TrimSpace(note.Content) != "" && body != m.BodyHTML
	if edit && !byGroup && m.AuthorID != editor.ID {
		if !rename {
			return errors.New("discussion message changed by someone else than its author")
		}
		edit = false // a rename by another member carries the text as they have it
	}
	if !rename && !edit {
		return nil
	}
	// Who renamed: the member, or the group itself when its server relays
	// a change it accepted from someone it does not name.
	by := g.ID
	if editor != nil {
		by = editor.ID
	}
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		if rename {
			if err := a.renameDiscussionTx(ctx, tx, d, title, by); err != nil {
				return err
			}
		}
		if edit {
			if err := a.store.EditMessageTx(ctx, tx, m.ID, body, ""); err != nil {
				return err
			}
			m.BodyHTML = body
		}
		if !g.IsLocal() {
			return nil
		}
		return a.federateNoteEditTx(ctx, tx, g, d, m, opening, editor)
	})
}

// messageOf finds a message of g by its id: a remote one's, or the
// address of one written here.
func (a *App) messageOf(ctx context.Context, g *store.Group, uri string) (*store.Message, error) {
	m, err := a.store.MessageByURI(ctx, uri)
	if errors.Is(err, store.ErrNotFound) {
		id, ok := strings.CutPrefix(uri, a.URL(groupPath(g)+"/messages/"))
		if !ok {
			return nil, err
		}
		n, perr := parseID(id)
		if perr != nil {
			return nil, err
		}
		m, err = a.store.MessageByID(ctx, n)
	}
	if err != nil {
		return nil, err
	}
	d, err := a.store.DiscussionByID(ctx, m.DiscussionID)
	if err != nil || d.GroupID != g.ID {
		return nil, store.ErrNotFound
	}
	if m.Author == nil {
		if m.Author, err = a.store.ActorByID(ctx, m.AuthorID); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Editing one's own message happens on a page of its own (the form holds
// the Markdown as typed), so it works on a phone without JavaScript. Only
// its author edits a message, and only one written on this server: the
// others are changed where they were written.

// loadOwnMessage reads the message of the path for its author.
func (a *App) loadOwnMessage(w http.ResponseWriter, r *http.Request) (*groupCtx, *store.Discussion, *store.Message, bool, error) {
	gc, d, ok, err := a.loadDiscussion(w, r, actDiscuss)
	if !ok {
		return nil, nil, nil, false, err
	}
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return nil, nil, nil, false, errNotFound()
	}
	m, err := a.store.MessageByID(r.Context(), id)
	if err != nil || m.DiscussionID != d.ID {
		return nil, nil, nil, false, errNotFound()
	}
	l := a.printer(r)
	if m.AuthorID != gc.Identity.ID || m.URI != "" {
		return nil, nil, nil, false, errForbidden(l.T("Only its author can change a message."))
	}
	if !m.HasSource {
		return nil, nil, nil, false, errForbidden(l.T("This message was written before messages could be changed, and stays as it is."))
	}
	m.Author = gc.Identity
	return gc, d, m, true, nil
}

func (a *App) showMessageEdit(w http.ResponseWriter, r *http.Request) error {
	gc, d, m, ok, err := a.loadOwnMessage(w, r)
	if !ok {
		return err
	}
	return a.renderMessageEdit(w, r, http.StatusOK, gc, d, m, m.Source, nil)
}

func (a *App) renderMessageEdit(w http.ResponseWriter, r *http.Request, status int, gc *groupCtx, d *store.Discussion, m *store.Message, body string, errs views.FieldErrors) error {
	p := a.page(r, a.printer(r).T("Change your message"))
	p.NoIndex = true
	w.Header().Set("Cache-Control", "private, no-store")
	return a.render(w, r, status, views.MessageEditPage(p, views.MessageEditView{Group: gc.Group, Path: groupPath(gc.Group),
		Discussion: d, Message: m, Body: body}, errs))
}

// saveMessage changes the author's message and tells the group's other
// servers with an Update of its Note.
func (a *App) saveMessage(w http.ResponseWriter, r *http.Request) error {
	gc, d, m, ok, err := a.loadOwnMessage(w, r)
	if !ok {
		return err
	}
	ctx := r.Context()
	l := a.printer(r)
	errs := views.FieldErrors{}
	body := a.readMessage(r, gc.Identity, errs)
	if len(errs) > 0 {
		return a.renderMessageEdit(w, r, http.StatusUnprocessableEntity, gc, d, m, body, errs)
	}
	g := gc.Group
	back := groupPath(g) + "/discussions/" + d.Slug + "?after=" + itoa(m.ID-1) + "#m" + itoa(m.ID)
	if body == m.Source {
		return a.redirect(w, r, back, "")
	}
	first, err := a.store.Messages(ctx, d.ID, 0, 1)
	if err != nil || len(first) == 0 {
		return err
	}
	m.BodyHTML, m.Source, m.EditedAt = renderMarkdown(body), body, a.now()
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.EditMessageTx(ctx, tx, m.ID, m.BodyHTML, m.Source); err != nil {
			return err
		}
		return a.federateNoteEditTx(ctx, tx, g, d, m, first[0].ID == m.ID, gc.Identity)
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, back, l.T("Your message is changed."))
}
