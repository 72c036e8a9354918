package app

import "context"

// syncImportsDue re-checks the imported calendars kept in sync.
func (a *App) syncImportsDue(ctx context.Context) {}
