package app

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"time"

	"convene/app/i18n"
	"convene/app/store"
	"convene/views"
)

// Reminders are looked for in events starting within this window: it
// holds "the day before at 9:00" of any event.
const reminderWindow = 48 * time.Hour

// reminderHour is when, in the event's zone, day-before reminders go.
const reminderHour = 9

// reminderDue is when a participant asked to be reminded of an event.
func reminderDue(e *store.Event, choice string) time.Time {
	if choice == store.ReminderHour {
		return e.StartsAt.Add(-time.Hour)
	}
	local := e.StartsAt.In(e.Location())
	y, m, d := local.Date()
	return time.Date(y, m, d-1, reminderHour, 0, 0, 0, e.Location())
}

// SendReminders queues the reminders that are due, each once: the mail
// and the mark that it was sent commit together, and an event that has
// started gets none (a clock jumping forward does not send stale
// reminders; one going back sends nothing twice).
func (a *App) SendReminders(ctx context.Context) error {
	if a.mailer == nil {
		return nil
	}
	now := a.now()
	candidates, err := a.store.ReminderCandidates(ctx, now, now.Add(reminderWindow))
	if err != nil {
		return err
	}
	queued := false
	events := map[int64]*store.Event{}
	for _, c := range candidates {
		e, ok := events[c.EventID]
		if !ok {
			if e, err = a.store.EventByID(ctx, c.EventID); err != nil {
				return err
			}
			events[c.EventID] = e
		}
		if reminderDue(e, c.Choice).After(now) {
			continue
		}
		err := a.store.Tx(ctx, func(tx *sql.Tx) error {
			var cancelSecret, cancelHash string
			if c.Anonymous {
				cancelSecret = store.NewSecret()
				cancelHash = store.HashSecret(cancelSecret)
			}
			claimed, err := a.store.MarkReminderSentTx(ctx, tx, c.ParticipationID, cancelHash)
			if err != nil || !claimed {
				return err
			}
			queued = true
			return a.queueMail(ctx, tx, c.Email, a.reminderMail(ctx, e, c, cancelSecret))
		})
		if err != nil {
			return err
		}
	}
	if queued {
		a.mailQueued()
	}
	return nil
}

// reminderMail is the reminder itself: the event, its online address
// (the participant is confirmed, so entitled to it), and how to cancel.
func (a *App) reminderMail(ctx context.Context, e *store.Event, c store.ReminderCandidate, cancelSecret string) views.Mail {
	l := a.mailPrinter(ctx, e)
	if c.Locale != "" {
		l = i18n.For(i18n.Negotiate(a.setting(ctx, SettingLanguage), c.Locale))
	}
	m := views.Mail{Lang: l.Lang, Event: a.mailEvent(l, e)}
	if c.Choice == store.ReminderHour {
		m.Subject = l.T("In an hour: %s", e.Title)
	} else {
		m.Subject = l.T("Tomorrow: %s", e.Title)
	}
	m.Paragraphs = []string{l.T("A reminder: you are coming to this event.")}
	if e.OnlineURL != "" {
		m.Action = views.MailLink{Label: l.T("Join online"), URL: e.OnlineURL}
	}
	if cancelSecret != "" {
		m.Links = append(m.Links, views.MailLink{Label: l.T("Cannot come after all? Cancel your participation"), URL: a.URL("/participations/cancel/" + cancelSecret)})
	} else {
		m.Links = append(m.Links, views.MailLink{Label: l.T("Cannot come after all? Cancel on the event's page"), URL: a.URL("/events/" + e.UUID)})
		m.Links = append(m.Links, views.MailLink{Label: l.T("Change when you are reminded"), URL: a.URL("/events/" + e.UUID + "/reminder")})
	}
	return m
}

// setReminderChoice records when the acting identity wants to be reminded
// of an event it takes part in: none, the day before, or an hour before.
func (a *App) setReminderChoice(w http.ResponseWriter, r *http.Request) error {
	e, err := a.loadVisibleEvent(r)
	if err != nil {
		return err
	}
	id, err := participationIdentity(r)
	if err != nil {
		return err
	}
	choice := r.PostFormValue("reminder")
	if choice != store.ReminderNone && choice != store.ReminderDay && choice != store.ReminderHour {
		return errBadRequest("Choose one of the options in the list.")
	}
	p, err := a.store.ParticipationOf(r.Context(), e.ID, id.ID)
	if errors.Is(err, store.ErrNotFound) {
		return a.redirect(w, r, "/events/"+e.UUID, a.printer(r).T("You do not take part in this event."))
	}
	if err != nil {
		return err
	}
	if err := a.store.SetReminderChoice(r.Context(), p.ID, choice); err != nil {
		return err
	}
	return a.redirect(w, r, "/events/"+e.UUID, a.printer(r).T("Your reminder choice is saved."))
}

// showReminderChoice is the form to choose when to be reminded of an
// event the acting identity takes part in.
func (a *App) showReminderChoice(w http.ResponseWriter, r *http.Request) error {
	e, err := a.loadVisibleEvent(r)
	if err != nil {
		return err
	}
	id, err := participationIdentity(r)
	if err != nil {
		return err
	}
	p, err := a.store.ParticipationOf(r.Context(), e.ID, id.ID)
	if errors.Is(err, store.ErrNotFound) {
		return a.redirect(w, r, "/events/"+e.UUID, a.printer(r).T("You do not take part in this event."))
	}
	if err != nil {
		return err
	}
	choice, err := a.store.ReminderChoice(r.Context(), p.ID)
	if err != nil {
		return err
	}
	pg := a.page(r, a.printer(r).T("Reminder"))
	pg.NoIndex = true
	return a.render(w, r, http.StatusOK, views.ReminderChoicePage(pg, e, choice))
}
