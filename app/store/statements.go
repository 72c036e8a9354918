package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// maxPreparedStatements bounds the statement cache: queries are written in
// the code, so the distinct texts are few; a query built with a varying
// number of placeholders simply stops being cached past the bound.
const maxPreparedStatements = 256

// preparedDB is the database handle with the reads (QueryContext and
// QueryRowContext) going through prepared statements kept for the life
// of the store. SQLite spent about a third of an event page's time
// parsing the same SQL again on every request. database/sql prepares each
// statement once per pooled connection and picks a free one; writes and
// transactions use the plain handle.
type preparedDB struct {
	*sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt

	// generation counts the writes that went through the store, so that
	// caches of rendered pages know when what they show may have changed.
	generation atomic.Uint64
}

func newPreparedDB(db *sql.DB) *preparedDB {
	return &preparedDB{DB: db, stmts: map[string]*sql.Stmt{}}
}

// statement returns the prepared statement of query, or nil when it
// cannot be cached (the caller then runs the query directly and gets its
// error, if any, from there).
func (db *preparedDB) statement(ctx context.Context, query string) *sql.Stmt {
	db.mu.Lock()
	st, full := db.stmts[query], len(db.stmts) >= maxPreparedStatements
	db.mu.Unlock()
	if st != nil || full {
		return st
	}
	// Prepared outside the lock: parsing is the slow part. A canceled
	// request must not poison the cache, hence WithoutCancel.
	st, err := db.DB.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if other := db.stmts[query]; other != nil {
		st.Close()
		return other
	}
	db.stmts[query] = st
	return st
}

func (db *preparedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := db.statement(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.DB.QueryContext(ctx, query, args...)
}

func (db *preparedDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := db.statement(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return db.DB.QueryRowContext(ctx, query, args...)
}

// Close finalizes the statements, then closes the database.
func (db *preparedDB) Close() error {
	db.mu.Lock()
	for q, st := range db.stmts {
		st.Close()
		delete(db.stmts, q)
	}
	db.mu.Unlock()
	return db.DB.Close()
}

// ExecContext runs a write outside a transaction, then counts it unless
// it changed no row: a logged-in request's "last seen" update, which
// changes nothing most of the time, must not throw away every cache of
// what readers see.
func (db *preparedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := db.DB.ExecContext(ctx, query, args...)
	db.count(res, err)
	return res, err
}

// Exec is ExecContext without a context.
func (db *preparedDB) Exec(query string, args ...any) (sql.Result, error) {
	res, err := db.DB.Exec(query, args...)
	db.count(res, err)
	return res, err
}

// count moves the generation on after a write, unless the write surely
// changed no row (when in doubt, it counts).
func (db *preparedDB) count(res sql.Result, err error) {
	if err == nil && res != nil {
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return
		}
	}
	db.generation.Add(1)
}

// Generation changes after every write made through the store (a
// transaction by Tx, or a single statement). Read it before reading what
// you cache; if it differs later, the cached copy may be stale.
func (s *Store) Generation() uint64 { return s.db.generation.Load() }
