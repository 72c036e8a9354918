package app

import (
	"net/http"
	"strconv"

	"convene/app/store"
	"convene/views"
)

// showMyEvents lists what the account's identities are going to (soonest
// first), what they organise, and what they were told, per identity; or
// for one identity with ?identity=ID.
func (a *App) showMyEvents(w http.ResponseWriter, r *http.Request) error {
	rs := requestStateFrom(r.Context())
	if rs == nil || rs.Account == nil {
		http.Redirect(w, r, "/login?next=/me/events", http.StatusSeeOther)
		return nil
	}
	ctx := r.Context()
	filter, _ := strconv.ParseInt(r.URL.Query().Get("identity"), 10, 64)
	known := false
	for _, id := range rs.Identities {
		known = known || id.ID == filter
	}
	if !known {
		filter = 0
	}
	now := a.now()
	going, err := a.store.ParticipationsOfAccount(ctx, rs.Account.ID, filter, now, false)
	if err != nil {
		return err
	}
	v := views.MyEventsView{Identities: rs.Identities, Filter: filter, Now: a.now()}
	for _, id := range rs.Identities {
		if filter != 0 && id.ID != filter {
			continue
		}
		g := views.MyEventsGroup{Identity: id}
		for _, mp := range going {
			if mp.Participation.ActorID == id.ID {
				g.Going = append(g.Going, mp)
			}
		}
		g.Organising, err = a.store.ListEvents(ctx, store.EventQuery{Now: now, OrganizerID: id.ID, OnePerSeries: true, Limit: 100})
		if err != nil {
			return err
		}
		v.Groups = append(v.Groups, g)
	}
	v.Notifications, err = a.store.NotificationsOfAccount(ctx, rs.Account.ID, filter, 20)
	if err != nil {
		return err
	}
	p := a.page(r, a.printer(r).T("My events"))
	p.NoIndex = true
	w.Header().Set("Cache-Control", "no-store")
	return a.render(w, r, http.StatusOK, views.MyEventsPage(p, v))
}
