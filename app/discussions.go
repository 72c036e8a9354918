package app

// Discussions: titled, flat threads that only members read and write.
// Members hear of new threads and replies by default (each message, or a
// daily digest, or not at all: their choice), so nobody misses what was
// said because they were not @-mentioned.

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"convene/app/i18n"
	"convene/app/store"
	"convene/views"
)

const (
	maxDiscussionTitle = 200
	maxMessageChars    = 20000
	// messagesPerPage bounds what one discussion page holds, whatever the
	// length of the thread.
	messagesPerPage = 50
)

func (a *App) showDiscussions(w http.ResponseWriter, r *http.Request) error {
	gc, ok, err := a.localGroupFor(w, r, actRead)
	if !ok {
		return err
	}
	page := pageNumber(r)
	list, err := a.store.ListDiscussions(r.Context(), gc.Group.ID, 51, (page-1)*50)
	if err != nil {
		return err
	}
	more := len(list) > 50
	if more {
		list = list[:50]
	}
	p := a.page(r, a.printer(r).T("Discussions of %s", gc.Group.Name()))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.DiscussionsPage(p, views.DiscussionsView{
		Group: gc.Group, Path: groupPath(gc.Group), Discussions: list, Page: page, More: more}, views.DiscussionForm{}, nil))
}

// readMessage reads the message typed in a discussion form, checks it,
// and, when the form holds no other error, counts it against its
// writer's pace (a burst of 20, then one every 2 s).
func (a *App) readMessage(r *http.Request, writer *store.Actor, errs views.FieldErrors) string {
	l := a.printer(r)
	body := strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n"))
	if body == "" {
		errs["body"] = l.T("Write a message.")
	} else if m := validText(l, body, maxMessageChars, true); m != "" {
		errs["body"] = m
	} else if len(errs) == 0 && !a.limits.allow("discuss:"+itoa(writer.ID), 2*time.Second, 20) {
		errs["body"] = l.T("Too many attempts; wait a minute and try again.")
	}
	return body
}

// createDiscussion starts a thread with its first message.
func (a *App) createDiscussion(w http.ResponseWriter, r *http.Request) error {
	gc, ok, err := a.localGroupFor(w, r, actDiscuss)
	if !ok {
		return err
	}
	ctx := r.Context()
	l := a.printer(r)
	g := gc.Group
	f := views.DiscussionForm{Title: cleanSpace(r.PostFormValue("title"))}
	errs := views.FieldErrors{}
	if f.Title == "" {
		errs["title"] = l.T("Give the discussion a title.")
	} else if m := validText(l, f.Title, maxDiscussionTitle, false); m != "" {
		errs["title"] = m
	}
	f.Body = a.readMessage(r, gc.Identity, errs)
	if len(errs) > 0 {
		list, err := a.store.ListDiscussions(ctx, g.ID, 50, 0)
		if err != nil {
			return err
		}
		p := a.page(r, l.T("Discussions of %s", g.Name()))
		p.NoIndex = true
		return a.render(w, r, http.StatusUnprocessableEntity, views.DiscussionsPage(p, views.DiscussionsView{
			Group: g, Path: groupPath(g), Discussions: list, Page: 1}, f, errs))
	}
	d := &store.Discussion{GroupID: g.ID, AuthorID: gc.Identity.ID, Title: f.Title}
	first := &store.Message{BodyHTML: renderMarkdown(f.Body), Source: f.Body}
	err = a.changeMembership(ctx, func(tx *sql.Tx) error {
		if err := a.store.CreateDiscussionTx(ctx, tx, d, first); err != nil {
			return err
		}
		link := groupPath(g) + "/discussions/" + d.Slug
		if err := a.tellMembersTx(ctx, tx, g, gc.Identity.ID, link, func(l *i18n.Printer) string {
			return l.T("%s started a discussion in %s: “%s”", gc.Identity.Name(), g.Name(), d.Title)
		}); err != nil {
			return err
		}
		return a.federateMessageTx(ctx, tx, g, d, first, gc.Identity, true)
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, groupPath(g)+"/discussions/"+d.Slug, "")
}

// tellMembersTx tells the group's local members of new discussion content,
// each as they chose.
func (a *App) tellMembersTx(ctx context.Context, tx *sql.Tx, g *store.Group, authorID int64, link string, msg func(l *i18n.Printer) string) error {
	members, err := a.store.LocalMembersToTell(ctx, tx, g.ID, authorID)
	if err != nil {
		return err
	}
	for _, m := range members {
		if err := a.tellTx(ctx, tx, g, m.ActorID, link, m.Notify == store.NotifyDigest, msg); err != nil {
			return err
		}
	}
	return nil
}

// loadDiscussion reads the discussion of the path for a member.
func (a *App) loadDiscussion(w http.ResponseWriter, r *http.Request, act groupAction) (*groupCtx, *store.Discussion, bool, error) {
	gc, ok, err := a.localGroupFor(w, r, act)
	if !ok {
		return nil, nil, false, err
	}
	d, err := a.store.DiscussionBySlug(r.Context(), gc.Group.ID, r.PathValue("slug"))
	if err != nil {
		return nil, nil, false, err
	}
	return gc, d, true, nil
}

// showDiscussion shows one page of a thread: from its start, after a
// message (?after=id), or its last page (?last=1). One page holds at most
// messagesPerPage messages, so even a very long thread is read in slices
// of bounded size.
func (a *App) showDiscussion(w http.ResponseWriter, r *http.Request) error {
	gc, d, ok, err := a.loadDiscussion(w, r, actRead)
	if !ok {
		return err
	}
	return a.renderDiscussion(w, r, http.StatusOK, gc, d, "", "", nil)
}

// renderDiscussion shows a page of a thread, with what was typed in the
// reply (body) or rename (title) form when it is shown again.
func (a *App) renderDiscussion(w http.ResponseWriter, r *http.Request, status int, gc *groupCtx, d *store.Discussion, body, title string, errs views.FieldErrors) error {
	ctx := r.Context()
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	var msgs []*store.Message
	var err error
	if r.URL.Query().Get("last") != "" || status != http.StatusOK {
		msgs, err = a.store.LastMessages(ctx, d.ID, messagesPerPage)
	} else {
		msgs, err = a.store.Messages(ctx, d.ID, max(after, 0), messagesPerPage+1)
	}
	if err != nil {
		return err
	}
	v := views.DiscussionView{Group: gc.Group, Path: groupPath(gc.Group), Discussion: d, Body: body,
		CanRename: gc.may(actDiscuss), CanDelete: gc.mayRemove(d.AuthorID), Title: title, Me: gc.Identity.ID}
	if title == "" {
		v.Title = d.Title
	}
	if len(msgs) > messagesPerPage {
		msgs = msgs[:messagesPerPage]
		v.Next = msgs[len(msgs)-1].ID
	}
	v.Messages = msgs
	v.Earlier = len(msgs) > 0 && msgs[0].ID > 0 && d.MessageCount > len(msgs) && (after > 0 || r.URL.Query().Get("last") != "")
	p := a.page(r, d.Title)
	p.NoIndex = true
	w.Header().Set("Cache-Control", "private, no-store")
	return a.render(w, r, status, views.DiscussionPage(p, v, errs))
}

// replyToDiscussion appends a message.
func (a *App) replyToDiscussion(w http.ResponseWriter, r *http.Request) error {
	gc, d, ok, err := a.loadDiscussion(w, r, actDiscuss)
	if !ok {
		return err
	}
	ctx := r.Context()
	errs := views.FieldErrors{}
	body := a.readMessage(r, gc.Identity, errs)
	if len(errs) > 0 {
		return a.renderDiscussion(w, r, http.StatusUnprocessableEntity, gc, d, body, "", errs)
	}
	g := gc.Group
	m := &store.Message{DiscussionID: d.ID, AuthorID: gc.Identity.ID, BodyHTML: renderMarkdown(body), Source: body}
	err = a.changeMembership(ctx, func(tx *sql.Tx) error {
		if err := a.store.AddMessageTx(ctx, tx, m); err != nil {
			return err
		}
		link := groupPath(g) + "/discussions/" + d.Slug + "?last=1"
		if err := a.tellMembersTx(ctx, tx, g, gc.Identity.ID, link, func(l *i18n.Printer) string {
			return l.T("%s replied in “%s” (%s).", gc.Identity.Name(), d.Title, g.Name())
		}); err != nil {
			return err
		}
		return a.federateMessageTx(ctx, tx, g, d, m, gc.Identity, false)
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, groupPath(g)+"/discussions/"+d.Slug+"?last=1#m"+itoa(m.ID), "")
}

// deleteDiscussion deletes a thread with all its messages: for its author
// and the group's moderators and administrators, and written in the
// group's log.
func (a *App) deleteDiscussion(w http.ResponseWriter, r *http.Request) error {
	gc, d, ok, err := a.loadDiscussion(w, r, actDiscuss)
	if !ok {
		return err
	}
	l := a.printer(r)
	if !gc.mayRemove(d.AuthorID) {
		return errForbidden(l.T("Only the discussion's author and the group's moderators and administrators can delete it."))
	}
	ctx := r.Context()
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.federateDiscussionDeleteTx(ctx, tx, gc.Group, d, gc.Identity); err != nil {
			return err
		}
		return a.deleteDiscussionTx(ctx, tx, d, gc.Identity.ID)
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, groupPath(gc.Group)+"/discussions", l.T("The discussion is deleted."))
}

// deleteDiscussionTx deletes d and writes in its group's log who did it.
func (a *App) deleteDiscussionTx(ctx context.Context, tx *sql.Tx, d *store.Discussion, by int64) error {
	if err := a.store.DeleteDiscussionTx(ctx, tx, d.ID); err != nil {
		return err
	}
	return logTx(ctx, a, tx, d.GroupID, by, d.AuthorID, logDiscussionDeleted, d.Title)
}

// SendGroupDigests mails each account one message gathering the group
// news it asked to receive daily, once the oldest of that news is a day
// old, and returns how many were sent. So nobody gets more than one a
// day, no news waits much more than a day, and a restart changes
// neither. The worker calls it every hour; tests call it directly.
func (a *App) SendGroupDigests(ctx context.Context) (int, error) {
	if !a.MailEnabled() {
		return 0, nil
	}
	items, err := a.store.PendingDigests(ctx, a.now())
	if err != nil {
		return 0, err
	}
	sent := 0
	for len(items) > 0 {
		n := 1
		for n < len(items) && items[n].Email == items[0].Email {
			n++
		}
		batch := items[:n]
		items = items[n:]
		if a.now().Sub(batch[0].CreatedAt) < digestEvery {
			continue // the oldest news comes first: not a day old yet
		}
		l := i18n.For(a.setting(ctx, SettingLanguage))
		var paras []string
		var ids []int64
		for _, it := range batch {
			paras = append(paras, it.Body+"\n"+a.URL(it.Link))
			ids = append(ids, it.ID)
		}
		err := a.store.Tx(ctx, func(tx *sql.Tx) error {
			if err := a.queueMail(ctx, tx, batch[0].Email, views.Mail{Lang: l.Lang,
				Subject:    l.T("Your groups today"),
				Paragraphs: paras}); err != nil {
				return err
			}
			return a.store.MarkDigestedTx(ctx, tx, ids)
		})
		if err != nil {
			return sent, err
		}
		sent++
	}
	if sent > 0 {
		a.mailQueued()
	}
	return sent, nil
}

const digestEvery = 24 * time.Hour

// groupDigestWorker sends the daily digests that are due.
func (a *App) groupDigestWorker(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := a.SendGroupDigests(ctx); err != nil && !errors.Is(err, context.Canceled) {
				a.log.Error("group digests", "err", err)
			}
		}
	}
}
