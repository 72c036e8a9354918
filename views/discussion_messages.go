package views

import (
	"context"
	"io"
	"strconv"
	"time"

	"convene/app/store"

	"github.com/a-h/templ"
)

// discussionMessages draws the <li> of each message of a discussion page,
// the same bytes the template wrote, straight into the page's buffer. In
// the template, a page of 50 messages spent most of its drawing in templ's
// helpers (every text through fmt.Sprint, every class list parsed again,
// the same words translated and the same author's handle escaped on every
// row); here what is the same on every row is worked out once per page and
// once per author, and nothing is copied that need not be.
func discussionMessages(p Page, v DiscussionView) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		mw := messageWriter{w: w}
		if sw, ok := w.(io.StringWriter); ok {
			mw.sw = sw
		}
		deleted, edited, edit, report := p.T("deleted account"), p.T("edited"), p.T("Edit"), p.T("Report")
		editPrefix := v.Path + "/discussions/" + v.Discussion.Slug + "/messages/"
		var authors []messageAuthor
		// Messages of a page are mostly of the same few days.
		type date struct {
			y, d int
			m    time.Month
			loc  *time.Location
		}
		var lastDay date
		var day string
		shortDate := func(t time.Time) string {
			y, m, d := t.Date()
			if k := (date{y, d, m, t.Location()}); day == "" || k != lastDay {
				lastDay, day = k, p.L.ShortDate(t)
			}
			return day
		}
		scratch := make([]byte, 0, 64)
		for _, m := range v.Messages {
			a := authorOf(&authors, m.Author)
			scratch = strconv.AppendInt(append(scratch[:0], `<li id="m`...), m.ID, 10)
			mw.bytes(append(scratch, `" class="message">`...))
			if m.Author.AvatarUUID != "" {
				mw.str(`<img class="avatar " src="`)
				mw.escaped("/media/" + m.Author.AvatarUUID)
				mw.str(`" alt="" width="40" height="40" loading="lazy">`)
			} else {
				mw.str(`<span class="avatar initials " aria-hidden="true">`)
				mw.escaped(a.initials)
				mw.str(`</span>`)
			}
			mw.str(`<p class="muted message-meta">`)
			if a.deleted {
				mw.str(`<strong class="author">`)
				mw.escaped(deleted)
				mw.str(`</strong> · <time datetime="`)
			} else {
				mw.str(`<strong class="author">`)
				mw.escaped(a.name)
				mw.str(`</strong> `)
				mw.escaped(a.handle)
				mw.str(` · <time datetime="`)
			}
			mw.bytes(m.CreatedAt.AppendFormat(scratch[:0], "2006-01-02T15:04:05Z07:00"))
			mw.str(`">`)
			mw.escaped(shortDate(m.CreatedAt))
			mw.str(" ")
			mw.escaped(p.L.Time(m.CreatedAt))
			mw.str(`</time> `)
			if !m.EditedAt.IsZero() {
				mw.str(`· <span class="edited" title="`)
				mw.escaped(p.L.ShortDate(m.EditedAt) + " " + p.L.Time(m.EditedAt))
				mw.str(`">`)
				mw.escaped(edited)
				mw.str(`</span> `)
			}
			if v.Editable(m) {
				mw.str(`· <a href="`)
				mw.escaped(editPrefix)
				mw.bytes(strconv.AppendInt(scratch[:0], m.ID, 10))
				mw.str(`/edit">`)
				mw.escaped(edit)
				mw.str(`</a>`)
			} else if !a.deleted {
				mw.str(`· <a class="report" href="`)
				mw.escaped(a.reportURL)
				mw.str(`" rel="nofollow">`)
				mw.escaped(report)
				mw.str(`</a>`)
			}
			mw.str(`</p><div class="message-body">`)
			mw.str(m.BodyHTML) // sanitised when written
			mw.str(`</div></li>`)
		}
		return mw.err
	})
}

// messageAuthor is what the rows of one author share.
type messageAuthor struct {
	actor                             *store.Actor
	deleted                           bool
	name, handle, reportURL, initials string
}

// authorOf finds or adds a's entry: a page is a few people talking, so a
// short list searched in order.
func authorOf(list *[]messageAuthor, a *store.Actor) *messageAuthor {
	for i := range *list {
		if (*list)[i].actor == a {
			return &(*list)[i]
		}
	}
	ma := messageAuthor{actor: a, deleted: a.IsDeletedAuthor(), name: a.Name(), handle: a.Handle()}
	ma.reportURL = "/report?actor=" + queryEscape(ma.handle)
	if a.AvatarUUID == "" {
		ma.initials = nameInitials(a.Name())
	}
	*list = append(*list, ma)
	return &(*list)[len(*list)-1]
}

// messageWriter writes strings without copying them when it can, and
// keeps the first error.
type messageWriter struct {
	w   io.Writer
	sw  io.StringWriter
	err error
}

func (mw *messageWriter) str(s string) {
	if mw.err != nil || s == "" {
		return
	}
	if mw.sw != nil {
		_, mw.err = mw.sw.WriteString(s)
	} else {
		_, mw.err = io.WriteString(mw.w, s)
	}
}

func (mw *messageWriter) bytes(b []byte) {
	if mw.err == nil {
		_, mw.err = mw.w.Write(b)
	}
}

// escaped writes s escaped as html.EscapeString (and so templ) does, in
// pieces between the characters it replaces.
func (mw *messageWriter) escaped(s string) {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '&':
			esc = "&amp;"
		case '\'':
			esc = "&#39;"
		case '"':
			esc = "&#34;"
		default:
			continue
		}
		mw.str(s[start:i])
		mw.str(esc)
		start = i + 1
	}
	mw.str(s[start:])
}
