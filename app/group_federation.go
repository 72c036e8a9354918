package app

import (
	"context"
	"database/sql"
	"errors"
	"net/http"

	"convene/app/store"
)

func (a *App) federateGroupUpdate(ctx context.Context, groupID int64) error  { return nil }
func (a *App) federateGroupDelete(ctx context.Context, g *store.Group) error { return nil }
func (a *App) federateInvitationAnswerTx(ctx context.Context, tx *sql.Tx, g *store.Group, m *store.Membership, who *store.Actor, accept bool) error {
	return nil
}
func (a *App) federateLeaveTx(ctx context.Context, tx *sql.Tx, g *store.Group, m *store.Membership, who *store.Actor) error {
	return nil
}
func (a *App) federateInviteTx(ctx context.Context, tx *sql.Tx, g *store.Group, m *store.Membership, by, invitee *store.Actor) error {
	return nil
}
func (a *App) federateDecisionTx(ctx context.Context, tx *sql.Tx, g *store.Group, m *store.Membership, by, subject *store.Actor, decision, newRole string) error {
	return nil
}
func (a *App) federateMessageTx(ctx context.Context, tx *sql.Tx, g *store.Group, d *store.Discussion, m *store.Message, author *store.Actor, first bool) error {
	return nil
}
func (a *App) federateDiscussionDelete(ctx context.Context, g *store.Group, d *store.Discussion, by *store.Actor) error {
	return nil
}
func (a *App) federatePostTx(ctx context.Context, tx *sql.Tx, g *store.Group, p *store.Post, author *store.Actor) error {
	return nil
}
func (a *App) federateResourceTx(ctx context.Context, tx *sql.Tx, g *store.Group, r, parent *store.Resource, by *store.Actor) error {
	return nil
}
func (a *App) federateResourceDeleteTx(ctx context.Context, tx *sql.Tx, g *store.Group, r *store.Resource, by *store.Actor) error {
	return nil
}
func (a *App) resolveRemotePerson(ctx context.Context, handle string) (*store.Actor, error) {
	return nil, errors.New("not yet")
}
func (a *App) joinRemoteGroup(w http.ResponseWriter, r *http.Request, gc *groupCtx, message string) error {
	return errNotFound()
}
func (a *App) showDiscussionJSON(w http.ResponseWriter, r *http.Request) error { return errNotFound() }
func (a *App) showMessageJSON(w http.ResponseWriter, r *http.Request) error    { return errNotFound() }
func (a *App) showPostJSON(w http.ResponseWriter, r *http.Request) error       { return errNotFound() }
func (a *App) showResourceJSON(w http.ResponseWriter, r *http.Request) error   { return errNotFound() }
func (a *App) showMemberJSON(w http.ResponseWriter, r *http.Request) error     { return errNotFound() }
func (a *App) showGroupCollection(which string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error { return errNotFound() }
}
