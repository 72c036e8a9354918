package app

import (
	"net/http"

	"convene/views"
)

// showMyCalendar is the account's own calendar: upcoming events of the
// remote actors its identities follow. Those events stay off the
// instance's public lists unless an instance source brings them too.
func (a *App) showMyCalendar(w http.ResponseWriter, r *http.Request) error {
	rs := requestStateFrom(r.Context())
	if rs == nil || rs.Account == nil {
		http.Redirect(w, r, "/login?next=/me/calendar-sources", http.StatusSeeOther)
		return nil
	}
	events, err := a.store.EventsFollowedByAccount(r.Context(), rs.Account.ID, a.now(), 200)
	if err != nil {
		return err
	}
	p := a.page(r, a.printer(r).T("My calendar"))
	p.NoIndex = true
	w.Header().Set("Cache-Control", "no-store")
	return a.render(w, r, http.StatusOK, views.MyCalendarPage(p, events))
}
