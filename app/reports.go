package app

// Reports: anyone may report an event or an identity; reports about
// remote content can be forwarded to its server as a Flag from the
// instance actor (never naming the reporter); Flags from other servers
// become reports here. Administrators are emailed once per target while
// a report on it is open.
//
// A signed Flag speaks for this instance, so a visitor without an account
// cannot make us send one: their wish to forward is kept with the report,
// and a moderator forwards it from the report's page (or not). Accounts
// forward their own reports at once, as on Mastodon. Both are
// rate-limited: visitors per network address, accounts per account.

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"convene/app/ap"
	"convene/app/store"
	"convene/views"
)

const (
	maxReportComment = 1000
	// Reports: Gancio's limit, 6 per 5 minutes per address (visitors) or
	// per account.
	reportPerIPEvery = 50 * time.Second
	reportPerIPBurst = 6
	// Incoming Flags: 20 per domain per hour.
	flagPerDomainEvery = 3 * time.Minute
	flagPerDomainBurst = 20
)

// reportTarget is what a report is about, as the form names it.
type reportTarget struct {
	Event  *store.Event // nil when an identity is reported
	Actor  *store.Actor // the event's organiser, or the reported identity
	Domain string       // the remote host, "" for local content
	// Comment is the comment reported, when the report is about one (its
	// writer is then Actor).
	Comment *store.Comment
}

// resolveReportTarget reads ?event=<uuid> or ?actor=<handle>.
func (a *App) resolveReportTarget(ctx context.Context, q url.Values) (*reportTarget, error) {
	if id := q.Get("event"); id != "" {
		e, err := a.store.EventByUUID(ctx, id)
		if err != nil || (!e.IsListed(a.now()) && e.Visibility != store.VisibilityUnlisted) {
			return nil, errNotFound()
		}
		t := &reportTarget{Event: e, Actor: e.Organizer}
		if e.URI != "" {
			t.Domain = e.Organizer.Domain
		}
		if id := q.Get("comment_uuid"); id != "" {
			// A comment: its writer is the one reported, on this event.
			c, err := a.store.CommentByUUID(ctx, id)
			if err != nil || c.EventID != e.ID || c.Author == nil || c.State != store.CommentVisible {
				return nil, errNotFound()
			}
			t.Comment, t.Actor, t.Domain = c, c.Author, c.Author.Domain
		}
		return t, nil
	}
	handle := strings.TrimPrefix(strings.TrimSpace(q.Get("actor")), "@")
	if handle == "" {
		return nil, errNotFound()
	}
	user, host, _ := strings.Cut(handle, "@")
	act, err := a.store.ActorByHandle(ctx, strings.ToLower(user), strings.ToLower(host))
	if err != nil || act.Kind == store.KindApplication {
		return nil, errNotFound()
	}
	return &reportTarget{Actor: act, Domain: act.Domain}, nil
}

func (a *App) reportFormView(r *http.Request, t *reportTarget) (views.ReportForm, error) {
	rules, err := a.store.Rules(r.Context())
	return views.ReportForm{Event: t.Event, Actor: t.Actor, Domain: t.Domain, ReportedComment: t.Comment, Rules: rules, Category: store.ReportOther}, err
}

// showReportForm: "Report this event / identity".
func (a *App) showReportForm(w http.ResponseWriter, r *http.Request) error {
	t, err := a.resolveReportTarget(r.Context(), r.URL.Query())
	if err != nil {
		return err
	}
	f, err := a.reportFormView(r, t)
	if err != nil {
		return err
	}
	p := a.page(r, a.printer(r).T("Report"))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.ReportFormPage(p, f, nil))
}

// submitReport records a report from a signed-in user or, rate-limited,
// from a visitor.
func (a *App) submitReport(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	l := a.printer(r)
	if err := r.ParseForm(); err != nil {
		return errBadRequest("The form could not be read.")
	}
	t, err := a.resolveReportTarget(ctx, r.PostForm)
	if err != nil {
		return err
	}
	f, err := a.reportFormView(r, t)
	if err != nil {
		return err
	}
	f.Category = r.PostFormValue("category")
	f.Comment = strings.TrimSpace(r.PostFormValue("comment"))
	f.Forward = r.PostFormValue("forward") == "1" && t.Domain != ""
	f.RuleIDs = r.PostForm["rule"]
	p := a.page(r, l.T("Report"))
	p.NoIndex = true
	errs := views.FieldErrors{}
	acc := currentAccount(r)
	if r.PostFormValue("website") != "" {
		errs["comment"] = l.T("This form could not be accepted. If you are a person, leave the field “Leave this field empty” empty and send it again.")
	} else if acc == nil && !a.limits.allow("report-ip:"+clientIP(r), reportPerIPEvery, reportPerIPBurst) {
		errs["comment"] = l.T("Too many reports were sent from your network. Wait a few minutes and try again.")
	} else if acc != nil && !a.limits.allow("report-account:"+strconv.FormatInt(acc.ID, 10), reportPerIPEvery, reportPerIPBurst) {
		errs["comment"] = l.T("You sent too many reports in a short time. Wait a few minutes and try again.")
	}
	if !slices.Contains(store.ReportCategories, f.Category) {
		errs["category"] = l.T("Choose what is wrong.")
	}
	var ruleIDs []string
	for _, id := range f.RuleIDs {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || !slices.ContainsFunc(f.Rules, func(rule store.Rule) bool { return rule.ID == n }) {
			errs["rule"] = l.T("Choose rules from the list.")
			break
		}
		ruleIDs = append(ruleIDs, id)
	}
	if f.Category == store.ReportViolation && len(ruleIDs) == 0 && len(f.Rules) > 0 {
		errs["rule"] = l.T("Say which rule is broken.")
	}
	if msg := validText(l, f.Comment, maxReportComment, true); msg != "" {
		errs["comment"] = msg
	}
	if len(errs) > 0 {
		return a.render(w, r, http.StatusUnprocessableEntity, views.ReportFormPage(p, f, errs))
	}
	rep := &store.Report{Local: true, Comment: f.Comment, Category: f.Category, RuleIDs: strings.Join(ruleIDs, ","),
		Forward: f.Forward, TargetActorID: t.Actor.ID, TargetActorURI: a.actorURI(t.Actor), TargetTitle: t.Actor.Handle()}
	rep.TargetKey = rep.TargetActorURI
	switch {
	case t.Comment != nil:
		// About a comment: its writer is the target (the event is not at
		// fault), and the moderators read what was written.
		rep.TargetTitle = l.T("Comment by %s on “%s”", t.Actor.Handle(), t.Event.Title)
		rep.Comment = clipRunes("«"+plainText(t.Comment.ContentHTML)+"»\n\n"+f.Comment, maxReportComment)
	case t.Event != nil:
		rep.TargetEventID, rep.TargetEventURI, rep.TargetTitle = t.Event.ID, a.eventURI(t.Event), t.Event.Title
		rep.TargetKey = rep.TargetEventURI
	}
	if acc != nil {
		rep.ReporterAccountID = acc.ID
	}
	// Forward says what the reporter asked for; only an account's report
	// is forwarded without a moderator.
	if err := a.fileReport(ctx, rep, t, acc != nil); err != nil {
		return err
	}
	back := "/"
	if t.Event != nil {
		back = "/events/" + t.Event.UUID
	}
	return a.redirect(w, r, back, l.T("Thank you. The moderators of this instance will look at your report."))
}

// fileReport stores a report, forwards it when asked and forwardNow (a
// moderator forwards the others), and emails the administrators unless a
// report on the same target is already open.
func (a *App) fileReport(ctx context.Context, rep *store.Report, t *reportTarget, forwardNow bool) error {
	// Read before the transaction: a read outside it would wait for it.
	admins, err := a.store.AdminEmails(ctx)
	if err != nil {
		return err
	}
	inst, err := a.instanceActor(ctx)
	if err != nil {
		return err
	}
	var already bool
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if already, err = a.store.CreateReportTx(ctx, tx, rep); err != nil {
			return err
		}
		if forwardNow && rep.Forward && t != nil && t.Domain != "" && t.Actor != nil {
			if err := a.forwardFlagTx(ctx, tx, inst, rep, t); err != nil {
				return err
			}
		}
		if already {
			return nil
		}
		return a.mailAdminsTx(ctx, tx, admins, rep)
	})
	if err != nil {
		return err
	}
	if !already {
		a.mailQueued()
	}
	return nil
}

// forwardFlagTx sends the report to the remote server as Mastodon and
// Mobilizon expect it: from our instance actor, the organiser first among
// the objects, the comment as content, to the organiser's inbox, without
// a Create around it and without who reported.
func (a *App) forwardFlagTx(ctx context.Context, tx *sql.Tx, inst *store.Actor, rep *store.Report, t *reportTarget) error {
	objects := []string{t.Actor.URI}
	if t.Event != nil {
		objects = append(objects, t.Event.URI)
	}
	id := a.URL("/reports/" + strconv.FormatInt(rep.ID, 10))
	flag := ap.NewFlag(id, a.actorURI(inst), objects, rep.Comment, t.Actor.URI)
	inbox := inboxOf(t.Actor)
	if t.Actor.SharedInboxURL != "" {
		inbox = []store.Inbox{{URL: t.Actor.SharedInboxURL, Host: t.Actor.Domain}}
	}
	if err := a.enqueueActivity(ctx, tx, inst, id, flag, inbox, time.Time{}); err != nil {
		return err
	}
	return a.store.SetReportForwardedTx(ctx, tx, rep.ID, t.Domain)
}

// mailAdminsTx queues "new report" to every administrator.
func (a *App) mailAdminsTx(ctx context.Context, tx *sql.Tx, emails []string, rep *store.Report) error {
	l := a.mailPrinter(ctx, nil)
	for _, to := range emails {
		m := views.Mail{
			Lang:       a.setting(ctx, SettingLanguage),
			Subject:    l.T("New report: %s", rep.TargetTitle),
			Paragraphs: []string{l.T("Someone reported “%s” (%s).", rep.TargetTitle, l.T(reportCategoryLabel(rep.Category)))},
			Quote:      rep.Comment,
			Action:     views.MailLink{Label: l.T("Open the report"), URL: a.URL("/admin/reports/" + strconv.FormatInt(rep.ID, 10))},
		}
		if err := a.queueMail(ctx, tx, to, m); err != nil {
			return err
		}
	}
	return nil
}

// reportCategoryLabel is the English label of a category, translated
// where shown.
func reportCategoryLabel(c string) string {
	switch c {
	case store.ReportSpam:
		return "Spam"
	case store.ReportLegal:
		return "Illegal content"
	case store.ReportViolation:
		return "Breaks a rule of this instance"
	}
	return "Something else"
}

var urlInText = regexp.MustCompile(`https?://[^\s"<>]+`)

// receiveFlag turns another server's Flag into a report about our own
// content. Flags from domains whose reports we reject are dropped, as
// are Flags past the per-domain limit and Flags naming nothing of ours.
func (a *App) receiveFlag(ctx context.Context, in *incoming) error {
	if a.federationPolicy(in.Actor.URI).RejectReports {
		return nil
	}
	if !a.limits.allow("flag:"+in.Actor.Domain, flagPerDomainEvery, flagPerDomainBurst) {
		a.log.Info("flag: rate limited", "domain", in.Actor.Domain)
		return nil
	}
	var ids []string
	for _, o := range in.Activity.Objects {
		ids = append(ids, o.ID)
	}
	ids = append(ids, urlInText.FindAllString(in.Activity.Content, 10)...)
	rep := &store.Report{Category: store.ReportOther, ReporterActor: in.Actor.URI,
		Comment: clipRunes(strings.TrimSpace(stripHTML.Sanitize(in.Activity.Content)), maxReportComment)}
	for _, id := range ids {
		if !ap.SameHost(id, a.cfg.BaseURL) {
			continue
		}
		if rep.TargetEventID == 0 {
			if e, err := a.localEventByURI(ctx, id); err == nil {
				rep.TargetEventID, rep.TargetEventURI, rep.TargetTitle = e.ID, a.eventURI(e), e.Title
				if rep.TargetActorID == 0 {
					rep.TargetActorID, rep.TargetActorURI = e.Organizer.ID, a.actorURI(e.Organizer)
				}
				continue
			}
		}
		if act, err := a.localActorByURI(ctx, id); err == nil && act.Kind != store.KindApplication && rep.TargetActorID == 0 {
			rep.TargetActorID, rep.TargetActorURI = act.ID, a.actorURI(act)
			if rep.TargetTitle == "" {
				rep.TargetTitle = act.Handle()
			}
		}
	}
	switch {
	case rep.TargetEventURI != "":
		rep.TargetKey = rep.TargetEventURI
	case rep.TargetActorURI != "":
		rep.TargetKey = rep.TargetActorURI
	default:
		return nil // nothing of ours
	}
	rep.URI = in.Activity.ID
	err := a.fileReport(ctx, rep, nil, false)
	if errors.Is(err, store.ErrConflict) {
		return nil // the same Flag again
	}
	return err
}

// localEventByURI finds a local event from its id (/events/{uuid}).
func (a *App) localEventByURI(ctx context.Context, uri string) (*store.Event, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, store.ErrNotFound
	}
	id, ok := strings.CutPrefix(strings.TrimSuffix(u.Path, "/"), "/events/")
	if !ok || strings.Contains(id, "/") {
		return nil, store.ErrNotFound
	}
	e, err := a.store.EventByUUID(ctx, id)
	if err != nil || e.URI != "" {
		return nil, store.ErrNotFound
	}
	return e, nil
}

// instanceRules serves the rules in Mastodon's shape.
func (a *App) instanceRulesAPI(w http.ResponseWriter, r *http.Request) error {
	rules, err := a.store.Rules(r.Context())
	if err != nil {
		return err
	}
	type rule struct {
		ID   string `json:"id"`
		Text string `json:"text"`
		Hint string `json:"hint"`
	}
	out := make([]rule, 0, len(rules))
	for _, ru := range rules {
		out = append(out, rule{ID: strconv.FormatInt(ru.ID, 10), Text: ru.Text, Hint: ru.Hint})
	}
	return serveJSON(w, http.StatusOK, "application/json; charset=utf-8", out)
}
