package app

// Comments on events: written here by identities, or received from the
// fediverse as a Note whose inReplyTo is one of our events or of their
// comments. The event's comment moderation option decides what happens:
// allow_all shows them, moderated holds them for the organisers, closed
// refuses them (nothing is stored).

import (
	"context"
	"database/sql"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"convene/app/ap"
	"convene/app/store"
	"convene/views"

	"github.com/a-h/templ"
	"github.com/microcosm-cc/bluemonday"
)

const (
	// maxCommentRunes caps a comment typed here.
	maxCommentRunes = 5000
	// maxCommentHTML caps a federated comment once sanitised; a longer
	// one is refused rather than cut (cutting HTML can break it).
	maxCommentHTML = 20000
)

// commentPolicy keeps the markup people use in replies (paragraphs, line
// breaks, emphasis, links, lists, quotes, Mastodon's mention spans) and
// nothing else: no script, style, event attribute, image or class.
var commentPolicy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "strong", "em", "b", "i", "u", "s", "del", "ul", "ol", "li", "blockquote", "code", "pre", "span")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^` + linkRel + `$`)).OnElements("a")
	p.AllowURLSchemes("http", "https")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	return p
})

// sanitizeComment makes federated HTML safe to put in a page.
func sanitizeComment(html string) string {
	return strings.TrimSpace(commentPolicy().Sanitize(strings.ToValidUTF8(html, "\uFFFD")))
}

// commentHTML turns what someone typed into HTML the way every other
// text here is: Markdown, sanitised (pictures become links). A comment is
// written like a message, so what looks like a tag stays text (Markdown
// would drop it as raw HTML) and each line break is kept.
func commentHTML(text string) string {
	text = strings.ReplaceAll(strings.TrimSpace(text), "\r\n", "\n")
	text = strings.ReplaceAll(text, "<", "&lt;")
	text = strings.ReplaceAll(text, "\n", "  \n")
	return renderMarkdown(text)
}

// chainedHandler is an inbox handler that says: handled (the
// activity was its business, whatever it did with it) or not.
type chainedHandler func(a *App, ctx context.Context, in *incoming) (handled bool, err error)

// chainInboxHandler puts h in front of whatever handles key, which gets
// the activities h leaves. Features add their handlers this way from
// their own files, so the map in inbox.go stays the core's.
func chainInboxHandler(key string, h chainedHandler) {
	next := inboxHandlers[key]
	inboxHandlers[key] = func(a *App, ctx context.Context, in *incoming) error {
		handled, err := h(a, ctx, in)
		if handled || err != nil || next == nil {
			return err
		}
		return next(a, ctx, in)
	}
}

func init() {
	chainInboxHandler("Create Note", (*App).receiveComment)
	chainInboxHandler("Update Note", (*App).receiveComment)
	chainInboxHandler("Delete", (*App).receiveCommentDelete)
}

// commentURI is a local comment's id (and address).
func (a *App) commentURI(c *store.Comment) string {
	if c.URI != "" {
		return c.URI
	}
	return a.URL("/comments/" + c.UUID)
}

// replyTarget finds what a Note answers: one of our events (published,
// not private) or a visible comment on one. ErrNotFound when it is not
// ours to take.
func (a *App) replyTarget(ctx context.Context, inReplyTo string) (*store.Event, *store.Comment, error) {
	var parent *store.Comment
	var err error
	if ap.SameHost(inReplyTo, a.cfg.BaseURL) {
		u, perr := url.Parse(inReplyTo)
		if perr != nil {
			return nil, nil, store.ErrNotFound
		}
		p := strings.TrimSuffix(u.Path, "/")
		switch {
		case strings.HasPrefix(p, "/events/"):
			e, err := a.store.EventByUUID(ctx, strings.TrimPrefix(p, "/events/"))
			if err != nil {
				return nil, nil, err
			}
			if !a.eventServable(e) {
				return nil, nil, store.ErrNotFound
			}
			return e, nil, nil
		case strings.HasPrefix(p, "/comments/"):
			parent, err = a.store.CommentByUUID(ctx, strings.TrimPrefix(p, "/comments/"))
		default:
			return nil, nil, store.ErrNotFound
		}
	} else {
		parent, err = a.store.CommentByURI(ctx, inReplyTo)
	}
	if err != nil {
		return nil, nil, err
	}
	if parent.State != store.CommentVisible {
		return nil, nil, store.ErrNotFound
	}
	e, err := a.store.EventByID(ctx, parent.EventID)
	if err != nil {
		return nil, nil, err
	}
	if !a.eventServable(e) {
		return nil, nil, store.ErrNotFound
	}
	return e, parent, nil
}

// runReplyTarget is replyTarget, with the events a run of activities
// answers looked up once for the run.
func (a *App) runReplyTarget(ctx context.Context, run *inboxRun, inReplyTo string) (*store.Event, *store.Comment, error) {
	if run == nil {
		return a.replyTarget(ctx, inReplyTo)
	}
	if e, ok := run.events[inReplyTo]; ok {
		if !a.eventServable(e) {
			return nil, nil, store.ErrNotFound
		}
		return e, nil, nil
	}
	e, parent, err := a.replyTarget(ctx, inReplyTo)
	if err == nil && parent == nil {
		if run.events == nil {
			run.events = map[string]*store.Event{}
		}
		run.events[inReplyTo] = e
	}
	return e, parent, err
}

// receiveComment takes a Create or Update of a Note replying to one of
// ours. Only the Note's author may create or change it.
func (a *App) receiveComment(ctx context.Context, in *incoming) (bool, error) {
	note, err := in.Object.object()
	if err != nil {
		return false, err
	}
	existing, err := a.store.CommentByURI(ctx, note.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return true, err
	}
	if existing == nil && note.InReplyTo == "" {
		return false, nil
	}
	var e *store.Event
	var parent *store.Comment
	if existing == nil {
		e, parent, err = a.runReplyTarget(ctx, in.run, note.InReplyTo)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return true, err
		}
	}
	// Servers send a Note's Create and Update as its author; a Note
	// attributed to someone else is not theirs to speak for.
	if len(note.AttributedTo) > 0 && !ap.SameURL(note.AttributedTo[0], in.Actor.URI) {
		a.log.Info("comment: note attributed to another actor", "note", note.ID, "actor", in.Actor.URI)
		return true, nil
	}
	content := sanitizeComment(note.Content)
	if content == "" || len(content) > maxCommentHTML {
		a.log.Info("comment: empty or too long", "note", note.ID, "bytes", len(content))
		return true, nil
	}
	if existing != nil {
		if existing.AuthorID != in.Actor.ID {
			a.log.Info("comment: update by someone other than its author", "note", note.ID, "actor", in.Actor.URI)
			return true, nil
		}
		if existing.State == store.CommentRejected || existing.ContentHTML == content {
			return true, nil
		}
		return true, a.store.UpdateCommentContent(ctx, existing.ID, content)
	}
	state := store.CommentVisible
	switch e.CommentModeration {
	case store.CommentsClosed:
		a.log.Info("comment: comments are closed", "note", note.ID, "event", e.UUID)
		return true, nil
	case store.CommentsModerated:
		state = store.CommentHeld
	}
	c := &store.Comment{URI: note.ID, EventID: e.ID, AuthorID: in.Actor.ID, ContentHTML: content, State: state}
	if parent != nil {
		c.InReplyToID = parent.ID
	}
	if !note.Published.IsZero() && note.Published.Before(a.now()) {
		c.CreatedAt = note.Published.UTC().Truncate(time.Second)
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error { return a.store.InsertCommentTx(ctx, tx, c) })
	if errors.Is(err, store.ErrConflict) {
		return true, nil // the same Note, arrived twice at once
	}
	return true, err
}

// receiveCommentDelete removes a comment when its author deletes its Note;
// anyone else's Delete of it changes nothing.
func (a *App) receiveCommentDelete(ctx context.Context, in *incoming) (bool, error) {
	c, err := a.store.CommentByURI(ctx, in.Activity.Object.ID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if c.AuthorID != in.Actor.ID {
		a.log.Info("comment: delete by someone other than its author", "note", c.URI, "actor", in.Actor.URI)
		return true, nil
	}
	return true, a.store.DeleteComment(ctx, c.ID)
}

// commentsComponent is the comments section of an event page, with the
// likes and announces; nil for events that are not ours.
func (a *App) commentsComponent(r *http.Request, p views.Page, e *store.Event) templ.Component {
	v, err := a.commentsView(r, e)
	if err != nil {
		a.log.Error("comments section", "event", e.UUID, "err", err)
		return nil
	}
	return views.CommentsSection(p, v)
}

func (a *App) commentsView(r *http.Request, e *store.Event) (views.CommentsView, error) {
	ctx := r.Context()
	v := views.CommentsView{Event: e, Organiser: a.organises(r, e)}
	var err error
	if v.Comments, v.Reactions, err = a.publicComments(ctx, e); err != nil {
		return v, err
	}
	if v.Organiser {
		if v.Held, err = a.store.CountComments(ctx, e.ID, store.CommentHeld); err != nil {
			return v, err
		}
	}
	if rs := requestStateFrom(ctx); rs != nil && rs.Account != nil {
		v.LoggedIn = true
		v.Identity = rs.Identity
		v.Deletable = map[int64]bool{}
		for _, c := range v.Comments {
			if v.Organiser || (c.Author.IsLocal() && c.Author.AccountID == rs.Account.ID) {
				v.Deletable[c.ID] = true
			}
		}
	}
	return v, nil
}

// eventComments are what everyone sees under an event: its visible
// comments and the counts of reactions.
type eventComments struct {
	comments  []*store.Comment
	reactions store.ReactionCounts
}

// publicComments reads e's visible comments and reactions, through
// a.comments when e is an event anyone may read in full (readableByAll):
// then they are the same for everyone, and kept until the next write.
func (a *App) publicComments(ctx context.Context, e *store.Event) ([]*store.Comment, store.ReactionCounts, error) {
	generation, now := a.store.Generation(), a.now()
	shared := readableByAll(e, now)
	if shared {
		if c, ok := a.comments.Get(e.UUID, generation, now); ok {
			return c.comments, c.reactions, nil
		}
	}
	var c eventComments
	var err error
	if c.comments, err = a.store.ListComments(ctx, e.ID, store.CommentVisible); err != nil {
		return nil, c.reactions, err
	}
	if c.reactions, err = a.store.CountReactions(ctx, e.ID); err != nil {
		return nil, c.reactions, err
	}
	if shared {
		a.comments.Put(e.UUID, generation, now, c)
	}
	return c.comments, c.reactions, nil
}

// postComment: a logged-in identity comments on an event.
func (a *App) postComment(w http.ResponseWriter, r *http.Request) error {
	e, err := a.loadVisibleEvent(r)
	if err != nil {
		return err
	}
	id, err := participationIdentity(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	l := a.printer(r)
	if e.CommentModeration == store.CommentsClosed {
		return a.refusalPage(w, r, e, http.StatusConflict, "Comments are closed for this event.")
	}
	text := strings.TrimSpace(r.PostFormValue("comment"))
	fail := func(msg string) error {
		v, err := a.commentsView(r, e)
		if err != nil {
			return err
		}
		v.Form, v.Errs = text, views.FieldErrors{"comment": msg}
		p := a.page(r, l.T("Comment on “%s”", e.Title))
		p.NoIndex = true
		return a.render(w, r, http.StatusUnprocessableEntity, views.CommentFormPage(p, v))
	}
	if text == "" {
		return fail(l.T("Write something first."))
	}
	if msg := validText(l, text, maxCommentRunes, true); msg != "" {
		return fail(msg)
	}
	if !a.limits.allow("comment:"+itoa(id.ID), 10*time.Second, 6) {
		return fail(l.T("Too many attempts; wait a minute and try again."))
	}
	var parent *store.Comment
	if ref := r.PostFormValue("reply_to"); ref != "" {
		parent, err = a.store.CommentByUUID(ctx, ref)
		if err != nil || parent.EventID != e.ID || parent.State != store.CommentVisible {
			return errBadRequest("The comment you answer is no longer there.")
		}
	}
	c := &store.Comment{EventID: e.ID, AuthorID: id.ID, Author: id, ContentHTML: commentHTML(text), State: store.CommentVisible}
	if parent != nil {
		c.InReplyToID = parent.ID
	}
	if e.CommentModeration == store.CommentsModerated && !a.organises(r, e) {
		c.State = store.CommentHeld
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.InsertCommentTx(ctx, tx, c); err != nil {
			return err
		}
		if c.State != store.CommentVisible {
			return nil
		}
		return a.enqueueCommentTx(ctx, tx, e, c, parent, VerbCreate)
	})
	if err != nil {
		return err
	}
	if c.State == store.CommentHeld {
		return a.redirect(w, r, "/events/"+e.UUID+"#comments", l.T("Thank you: your comment will appear once the organisers approve it."))
	}
	return a.redirect(w, r, "/events/"+e.UUID+"#comment-"+c.UUID, l.T("Your comment is published."))
}

// commentAudience is who a local comment goes to: the public (for a
// public event) and the followers of its author and of the organiser,
// with the author of the comment it answers.
func (a *App) commentAudience(ctx context.Context, tx *sql.Tx, e *store.Event, author *store.Actor, parent *store.Comment) (to, cc []string, inboxes []store.Inbox, err error) {
	organizer := e.Organizer
	if organizer == nil || organizer.ID != e.OrganizerID {
		if organizer, err = a.store.ActorByID(ctx, e.OrganizerID); err != nil {
			return nil, nil, nil, err
		}
	}
	followers := []string{a.followersURI(author)}
	if organizer.ID != author.ID {
		followers = append(followers, a.followersURI(organizer))
	}
	if e.Visibility == store.VisibilityPublic {
		to, cc = []string{ap.Public}, followers
	} else {
		to = followers
	}
	seen := map[string]bool{}
	add := func(list []store.Inbox) {
		for _, in := range list {
			if !seen[in.URL] {
				seen[in.URL] = true
				inboxes = append(inboxes, in)
			}
		}
	}
	for _, act := range []*store.Actor{author, organizer} {
		list, err := a.store.FollowerInboxesTx(ctx, tx, act.ID)
		if err != nil {
			return nil, nil, nil, err
		}
		add(list)
	}
	if parent != nil && parent.Author != nil && !parent.Author.IsLocal() {
		cc = append(cc, parent.Author.URI)
		add(inboxOf(parent.Author))
	}
	return to, cc, inboxes, nil
}

// commentNote is a local comment as peers read it.
func (a *App) commentNote(e *store.Event, c *store.Comment, author *store.Actor, parent *store.Comment, to, cc []string) *ap.Note {
	inReplyTo := a.eventURI(e)
	if parent != nil {
		inReplyTo = a.commentURI(parent)
	}
	content := c.ContentHTML
	var tags []ap.Tag
	if parent != nil && parent.Author != nil && !parent.Author.IsLocal() {
		// A reply mentions the author it answers, as Mastodon's do: their
		// server notifies them for a Mention tag naming them, not for the
		// reply alone. The mention also opens the text, as people expect.
		who := parent.Author
		tags = append(tags, ap.NewMention(who.URI, who.Handle()))
		content = `<p><span class="h-card"><a href="` + html.EscapeString(who.URI) + `" class="u-url mention">@<span>` +
			html.EscapeString(who.Username) + `</span></a></span></p>` + content
		if !slices.Contains(cc, who.URI) {
			cc = append(slices.Clip(cc), who.URI)
		}
	}
	note := ap.NewNote(a.commentURI(c), a.actorURI(author), inReplyTo, content, c.CreatedAt, to, cc)
	note.Tag = tags
	return note
}

// enqueueCommentTx queues the Create (or Delete) of a local comment,
// inside the transaction that makes the change. Comments on events that
// were never announced (private, drafts) stay home.
func (a *App) enqueueCommentTx(ctx context.Context, tx *sql.Tx, e *store.Event, c *store.Comment, parent *store.Comment, verb string) error {
	if !announced(e) {
		return nil
	}
	author := c.Author
	if author == nil || !author.IsLocal() {
		return nil
	}
	to, cc, inboxes, err := a.commentAudience(ctx, tx, e, author, parent)
	if err != nil || len(inboxes) == 0 {
		return err
	}
	id := a.newActivityURI()
	var act *ap.Activity
	if verb == VerbDelete {
		act = ap.NewDelete(id, a.actorURI(author), a.commentURI(c), ap.TypeNote, to, cc)
	} else {
		act = ap.NewCreate(id, a.actorURI(author), a.commentNote(e, c, author, parent, to, cc), to, cc)
	}
	return a.enqueueActivity(ctx, tx, author, id, act, inboxes, time.Time{})
}

// showComment serves a local comment to peers as a Note; people are
// sent to it on its event's page.
func (a *App) showComment(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := a.store.CommentByUUID(ctx, r.PathValue("uuid"))
	var e *store.Event
	if err == nil {
		e, err = a.store.EventByID(ctx, c.EventID)
	}
	visible := err == nil && c.State == store.CommentVisible && a.eventServable(e)
	if !wantsActivityJSON(r) {
		if !visible {
			return errNotFound()
		}
		http.Redirect(w, r, "/events/"+e.UUID+"#comment-"+c.UUID, http.StatusFound)
		return nil
	}
	w.Header().Add("Vary", "Accept")
	if !visible || c.URI != "" {
		return jsonError(w, http.StatusNotFound, "no such comment")
	}
	var parent *store.Comment
	if c.InReplyToID != 0 {
		if parent, err = a.commentByID(ctx, e, c.InReplyToID); err != nil {
			return err
		}
	}
	followers := []string{a.followersURI(c.Author)}
	to, cc := followers, []string(nil)
	if e.Visibility == store.VisibilityPublic {
		to, cc = []string{ap.Public}, followers
	}
	return activityJSON(w, a.commentNote(e, c, c.Author, parent, to, cc))
}

// commentByID finds one comment of an event (nil when it is gone).
func (a *App) commentByID(ctx context.Context, e *store.Event, id int64) (*store.Comment, error) {
	list, err := a.store.ListComments(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	for _, c := range list {
		if c.ID == id {
			return c, nil
		}
	}
	return nil, nil
}

// showHeldComments lists the comments waiting for the organisers.
func (a *App) showHeldComments(w http.ResponseWriter, r *http.Request) error {
	e, err := a.loadOrganisedEvent(r)
	if err != nil {
		return err
	}
	held, err := a.store.ListComments(r.Context(), e.ID, store.CommentHeld)
	if err != nil {
		return err
	}
	p := a.page(r, a.printer(r).T("Comments waiting for approval"))
	p.NoIndex = true
	w.Header().Set("Cache-Control", "no-store")
	return a.render(w, r, http.StatusOK, views.HeldCommentsPage(p, views.CommentsView{Event: e, Comments: held, Organiser: true}))
}

// decideComment: an organiser approves or rejects a held comment, or
// removes a published one.
func (a *App) decideComment(w http.ResponseWriter, r *http.Request) error {
	e, err := a.loadOrganisedEvent(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	l := a.printer(r)
	decision := r.PathValue("decision")
	if decision != "approve" && decision != "reject" {
		return errNotFound()
	}
	c, err := a.store.CommentByUUID(ctx, r.PathValue("comment"))
	if err != nil || c.EventID != e.ID {
		return errNotFound()
	}
	back := "/events/" + e.UUID + "/comments"
	if decision == "approve" && c.State == store.CommentVisible || decision == "reject" && c.State == store.CommentRejected {
		return a.redirect(w, r, back, "") // already done: a double click changes nothing
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if decision == "reject" {
			if c.Author.IsLocal() {
				if c.State == store.CommentVisible {
					if err := a.enqueueCommentTx(ctx, tx, e, c, nil, VerbDelete); err != nil {
						return err
					}
				}
				return a.store.DeleteCommentTx(ctx, tx, c.ID)
			}
			// A remote comment is kept as rejected, so that its author's
			// later Update cannot bring it back.
			return a.store.SetCommentStateTx(ctx, tx, c.ID, store.CommentRejected)
		}
		if err := a.store.SetCommentStateTx(ctx, tx, c.ID, store.CommentVisible); err != nil {
			return err
		}
		var parent *store.Comment
		if c.InReplyToID != 0 {
			var err error
			if parent, err = a.commentByID(ctx, e, c.InReplyToID); err != nil {
				return err
			}
		}
		return a.enqueueCommentTx(ctx, tx, e, c, parent, VerbCreate)
	})
	if err != nil {
		return err
	}
	if decision == "approve" {
		return a.redirect(w, r, back, l.T("The comment is published."))
	}
	return a.redirect(w, r, back, l.T("The comment is removed."))
}

// deleteComment: the author of a local comment (or an organiser) removes it.
func (a *App) deleteComment(w http.ResponseWriter, r *http.Request) error {
	acc := currentAccount(r)
	if acc == nil {
		return errForbidden("Log in to do this.")
	}
	ctx := r.Context()
	c, err := a.store.CommentByUUID(ctx, r.PathValue("uuid"))
	if err != nil {
		return errNotFound()
	}
	e, err := a.store.EventByID(ctx, c.EventID)
	if err != nil {
		return err
	}
	organiser := a.organises(r, e)
	if !organiser && !(c.Author.IsLocal() && c.Author.AccountID == acc.ID) {
		return errNotFound()
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if !c.Author.IsLocal() {
			return a.store.SetCommentStateTx(ctx, tx, c.ID, store.CommentRejected)
		}
		if c.State == store.CommentVisible {
			if err := a.enqueueCommentTx(ctx, tx, e, c, nil, VerbDelete); err != nil {
				return err
			}
		}
		return a.store.DeleteCommentTx(ctx, tx, c.ID)
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/events/"+e.UUID+"#comments", a.printer(r).T("The comment is removed."))
}
