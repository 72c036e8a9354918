package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"convene/app/store"
	"convene/views"
)

// logModeration appends one row to the moderation log inside the
// action's transaction, so an action and its record commit together.
// snapshot is what the target was (marshalled to JSON); mod is nil for
// what the instance did on its own.
func (a *App) logModeration(ctx context.Context, tx *sql.Tx, mod *store.Account, action, targetType, targetID string, reportID int64, snapshot any) error {
	e := store.ModerationEntry{Action: action, TargetType: targetType, TargetID: targetID, ReportID: reportID, Moderator: "instance"}
	if mod != nil {
		e.ModeratorID, e.Moderator = mod.ID, mod.Email
	}
	if snapshot != nil {
		if b, err := json.Marshal(snapshot); err == nil {
			e.Snapshot = string(b)
		}
	}
	return a.store.AppendModerationLogTx(ctx, tx, e)
}

// showAdminReports lists reports, open ones by default.
func (a *App) showAdminReports(w http.ResponseWriter, r *http.Request) error {
	status := r.URL.Query().Get("status")
	if status != "all" && !slices.Contains([]string{store.ReportOpen, store.ReportResolved, store.ReportClosed}, status) {
		status = store.ReportOpen
	}
	filter := status
	if filter == "all" {
		filter = ""
	}
	reports, err := a.store.Reports(r.Context(), filter, 100, 0)
	if err != nil {
		return err
	}
	held, err := a.store.HeldEvents(r.Context())
	if err != nil {
		return err
	}
	p := a.adminPage(r, "Reports")
	return a.render(w, r, http.StatusOK, views.AdminReportsPage(p, views.AdminReportsView{Status: status, Reports: reports, Held: held}))
}

func (a *App) adminReportView(ctx context.Context, id int64) (views.AdminReportView, error) {
	rep, err := a.store.ReportByID(ctx, id)
	if err != nil {
		return views.AdminReportView{}, errNotFound()
	}
	v := views.AdminReportView{Report: rep}
	if rep.TargetEventID != 0 {
		if e, err := a.store.EventByID(ctx, rep.TargetEventID); err == nil {
			v.Event = e
			if e.URI != "" {
				v.Remote, _ = a.store.RemoteEventByID(ctx, e.ID)
			}
		}
	}
	if rep.TargetActorID != 0 {
		v.Actor, _ = a.store.ActorByID(ctx, rep.TargetActorID)
	}
	if v.Actor != nil && !v.Actor.IsLocal() {
		v.Domain = hostName(v.Actor.Domain)
	}
	rules, _ := a.store.Rules(ctx)
	for _, id := range strings.Split(rep.RuleIDs, ",") {
		for _, ru := range rules {
			if strconv.FormatInt(ru.ID, 10) == id {
				v.Rules = append(v.Rules, ru)
			}
		}
	}
	return v, nil
}

func (a *App) showAdminReport(w http.ResponseWriter, r *http.Request) error {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	v, err := a.adminReportView(r.Context(), id)
	if err != nil {
		return err
	}
	p := a.adminPage(r, "Report")
	return a.render(w, r, http.StatusOK, views.AdminReportPage(p, v, nil))
}

// confirmReportAction asks before an action that cannot be undone
// (deleting an event, suspending an account or a server).
func (a *App) confirmReportAction(w http.ResponseWriter, r *http.Request) error {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	v, err := a.adminReportView(r.Context(), id)
	if err != nil {
		return err
	}
	l := a.printer(r)
	var title, target, consequence string
	switch action := r.PathValue("action"); {
	case action == "delete" && v.Event != nil && v.Event.URI == "":
		title, target = l.T("Delete the event"), v.Event.Title
		consequence = l.T("The event, its participants and its comments are deleted for everyone, here and on the servers that follow it. This cannot be undone.")
	case action == "suspend-actor" && v.Actor != nil:
		title, target = l.T("Suspend %s", v.Actor.Handle()), v.Actor.Name()+" ("+v.Actor.Handle()+")"
		consequence = l.T("They can no longer log in or publish, and their events leave the lists. Undoing it takes an administrator's action.")
	case action == "suspend-domain" && v.Domain != "":
		title, target = l.T("Suspend %s", v.Domain), v.Domain
		consequence = l.T("Nothing more is exchanged with this server: its events, comments and participants are no longer received, and it receives nothing.")
	default:
		return errNotFound()
	}
	p := a.adminPage(r, title)
	p.Title = title
	return a.render(w, r, http.StatusOK, views.ConfirmReportActionPage(p, v.Report.ID, r.PathValue("action"), target, consequence))
}

// actOnReport carries out one moderation action from a report's page;
// each writes one row of the log in its own transaction.
func (a *App) actOnReport(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	l := a.printer(r)
	mod := currentAccount(r)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	v, err := a.adminReportView(ctx, id)
	if err != nil {
		return err
	}
	rep := v.Report
	note := strings.TrimSpace(r.PostFormValue("note"))
	if msg := validText(l, note, 2000, true); msg != "" {
		p := a.adminPage(r, "Report")
		return a.render(w, r, http.StatusUnprocessableEntity, views.AdminReportPage(p, v, views.FieldErrors{"note": msg}))
	}
	back := "/admin/reports/" + strconv.FormatInt(rep.ID, 10)
	if action := r.PathValue("action"); views.DestructiveReportAction(action) && r.PostFormValue("confirmed") != "1" {
		// Only the confirmation page's button carries "confirmed".
		return a.redirect(w, r, back+"/confirm/"+action, "")
	}
	var flash string
	switch action := r.PathValue("action"); action {
	case "resolve", "close", "reopen":
		status := map[string]string{"resolve": store.ReportResolved, "close": store.ReportClosed, "reopen": store.ReportOpen}[action]
		err = a.store.Tx(ctx, func(tx *sql.Tx) error {
			if err := a.store.SetReportStatusTx(ctx, tx, rep.ID, status, mod.ID, note); err != nil {
				return err
			}
			return a.logModeration(ctx, tx, mod, "report."+action, "report", strconv.FormatInt(rep.ID, 10), rep.ID, map[string]string{"note": note})
		})
		flash = l.T("The report is now %s.", l.T(status))
	case "hide", "show":
		if v.Remote == nil {
			return errBadRequest("Only events from other servers can be hidden.")
		}
		err = a.setRemoteEventHidden(ctx, mod, v.Event, action == "hide", rep.ID)
		flash = l.T("Done.")
	case "unpublish", "delete":
		if v.Event == nil || v.Event.URI != "" {
			return errBadRequest("Only events of this instance can be unpublished or deleted.")
		}
		err = a.moderateLocalEvent(ctx, mod, v.Event, action, rep.ID)
		flash = l.T("Done.")
		if action == "delete" {
			back = "/admin/reports/" + strconv.FormatInt(rep.ID, 10)
		}
	case "forward":
		if v.Actor == nil || v.Actor.IsLocal() || !rep.Local {
			return errBadRequest(l.T("Only a report made here about another server's content can be forwarded."))
		}
		if rep.ForwardedTo != "" {
			return errBadRequest(l.T("This report was already forwarded to %s.", hostName(rep.ForwardedTo)))
		}
		err = a.forwardReport(ctx, mod, v)
		flash = l.T("The report is forwarded to %s.", v.Domain)
	case "suspend-actor":
		if v.Actor == nil {
			return errBadRequest("Nobody to suspend.")
		}
		err = a.suspendActor(ctx, mod, v.Actor, rep.ID)
		flash = l.T("%s is suspended.", v.Actor.Handle())
	case "silence-domain", "suspend-domain":
		if v.Domain == "" {
			return errBadRequest("This report is about this instance's own content.")
		}
		sev := store.SeveritySilence
		if action == "suspend-domain" {
			sev = store.SeveritySuspend
		}
		err = a.applyDomainPolicy(ctx, mod, store.DomainPolicy{Domain: v.Domain, Kind: store.PolicyBlock, Severity: sev, PrivateComment: note})
		flash = l.T("%s is now limited.", v.Domain)
	default:
		return errNotFound()
	}
	if err != nil {
		return err
	}
	return a.redirect(w, r, back, flash)
}

// forwardReport sends a report made here to the server of what it is
// about, as a moderator decided; the moderation log keeps who did.
func (a *App) forwardReport(ctx context.Context, mod *store.Account, v views.AdminReportView) error {
	inst, err := a.instanceActor(ctx)
	if err != nil {
		return err
	}
	t := &reportTarget{Event: v.Event, Actor: v.Actor, Domain: v.Actor.Domain}
	if t.Event != nil && t.Event.URI == "" {
		t.Event = nil // only the remote event is the peer's business
	}
	rep := v.Report
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.forwardFlagTx(ctx, tx, inst, rep, t); err != nil {
			return err
		}
		return a.logModeration(ctx, tx, mod, "report.forward", "report", strconv.FormatInt(rep.ID, 10), rep.ID, map[string]string{"to": t.Domain})
	})
}

// setRemoteEventHidden takes a remote event off (or back on) the public
// calendar.
func (a *App) setRemoteEventHidden(ctx context.Context, mod *store.Account, e *store.Event, hidden bool, reportID int64) error {
	action := "event.hide"
	if !hidden {
		action = "event.show"
	}
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.SetRemoteEventHiddenTx(ctx, tx, e.ID, hidden); err != nil {
			return err
		}
		if err := a.store.RelistRemoteEventsTx(ctx, tx, e.ID, a.silencedDomains()); err != nil {
			return err
		}
		return a.logModeration(ctx, tx, mod, action, "event", e.URI, reportID, map[string]string{"title": e.Title, "uri": e.URI})
	})
}

// moderateLocalEvent unpublishes (back to draft, peers get a Delete) or
// deletes (peers get a Delete) one of our events.
func (a *App) moderateLocalEvent(ctx context.Context, mod *store.Account, e *store.Event, action string, reportID int64) error {
	snapshot := map[string]string{"title": e.Title, "uuid": e.UUID, "organizer": e.Organizer.Handle()}
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.enqueueEventActivity(ctx, tx, e, VerbDelete); err != nil {
			return err
		}
		if action == "delete" {
			if err := a.store.DeleteEventTx(ctx, tx, e.ID); err != nil {
				return err
			}
		} else {
			e.Draft = true
			if err := a.store.UpdateEventTx(ctx, tx, e); err != nil {
				return err
			}
		}
		return a.logModeration(ctx, tx, mod, "event."+action, "event", a.URL("/events/"+e.UUID), reportID, snapshot)
	})
}

// suspendActor suspends a remote actor (its events go, its inbox POSTs
// get 403) or a local identity's account (it can no longer log in).
func (a *App) suspendActor(ctx context.Context, mod *store.Account, act *store.Actor, reportID int64) error {
	snapshot := map[string]string{"handle": act.Handle(), "name": act.Name()}
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		if act.IsLocal() {
			if act.AccountID == 0 {
				return errBadRequest("This actor has no account.")
			}
			if err := a.store.SuspendAccountTx(ctx, tx, act.AccountID); err != nil {
				return err
			}
			return a.logModeration(ctx, tx, mod, "account.suspend", "account", strconv.FormatInt(act.AccountID, 10), reportID, snapshot)
		}
		if err := a.store.SuspendRemoteActorTx(ctx, tx, act.ID, act.URI); err != nil {
			return err
		}
		return a.logModeration(ctx, tx, mod, "actor.suspend", "actor", act.URI, reportID, snapshot)
	})
}

// showModerationLog is the append-only log, newest first.
func (a *App) showModerationLog(w http.ResponseWriter, r *http.Request) error {
	entries, err := a.store.ModerationLog(r.Context(), 200, 0)
	if err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, views.ModerationLogPage(a.adminPage(r, "Moderation log"), entries))
}

// showAdminRules edits the ordered list of instance rules.
func (a *App) showAdminRules(w http.ResponseWriter, r *http.Request) error {
	return a.renderAdminRules(w, r, http.StatusOK, "", "", nil)
}

func (a *App) renderAdminRules(w http.ResponseWriter, r *http.Request, status int, text, hint string, errs views.FieldErrors) error {
	rules, err := a.store.Rules(r.Context())
	if err != nil {
		return err
	}
	return a.render(w, r, status, views.AdminRulesPage(a.adminPage(r, "Rules"), rules, text, hint, errs))
}

func (a *App) addRule(w http.ResponseWriter, r *http.Request) error {
	l := a.printer(r)
	text := strings.TrimSpace(r.PostFormValue("text"))
	hint := strings.TrimSpace(r.PostFormValue("hint"))
	errs := views.FieldErrors{}
	if text == "" {
		errs["text"] = l.T("Write the rule.")
	} else if msg := validText(l, text, 300, false); msg != "" {
		errs["text"] = msg
	}
	if msg := validText(l, hint, 1000, true); msg != "" {
		errs["hint"] = msg
	}
	if len(errs) > 0 {
		return a.renderAdminRules(w, r, http.StatusUnprocessableEntity, text, hint, errs)
	}
	if _, err := a.store.AddRule(r.Context(), text, hint); err != nil {
		return err
	}
	return a.redirect(w, r, "/admin/rules", l.T("Rule added."))
}

func (a *App) changeRule(w http.ResponseWriter, r *http.Request) error {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var err error
	switch r.PathValue("action") {
	case "up", "down":
		err = a.store.MoveRule(r.Context(), id, r.PathValue("action") == "up")
	case "delete":
		err = a.store.DeleteRule(r.Context(), id)
	default:
		return errNotFound()
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return a.redirect(w, r, "/admin/rules", "")
}
