package app

import (
	"net/http"
)

// showMyCalendar answers the address of the former "My calendar" page:
// it and "Calendars" are one page now, /me/calendar, which shows the
// upcoming events of the remote actors the account's identities follow
// (those stay off the instance's public lists unless an instance source
// brings them too) and the calendars to subscribe to.
func (a *App) showMyCalendar(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/me/calendar", http.StatusMovedPermanently)
	return nil
}
