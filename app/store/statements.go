package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"
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

	// writer is held by the one write (a transaction or a statement) the
	// store runs at a time; see write.
	writer chan struct{}

	// readSlots counts the requests holding a read transaction (readtx.go).
	readSlots chan struct{}
}

func newPreparedDB(db *sql.DB) *preparedDB {
	return &preparedDB{DB: db, stmts: map[string]*sql.Stmt{}, writer: make(chan struct{}, 1),
		readSlots: make(chan struct{}, readTxSlots)}
}

// writeWait bounds how long a write waits for the others in the store's
// queue before trying its luck with SQLite's own lock, as busy_timeout
// bounds that one: a write the store did not see coming (a transaction
// that writes again through the plain handle) is then slow, not stuck.
const writeWait = 10 * time.Second

// write waits for its turn among the store's writes and returns the
// function ending it. SQLite lets one connection write at a time anyway;
// the others, left to busy_timeout, sleep 1, 2, 5… up to 100 ms between
// tries, so under many writes one waits far longer than the queue ahead
// of it (a join took seconds behind others of a few milliseconds). In
// line here, each starts the moment the previous one ends.
func (db *preparedDB) write(ctx context.Context) (done func()) {
	select {
	case db.writer <- struct{}{}:
		return func() { <-db.writer }
	default:
	}
	t := time.NewTimer(writeWait)
	defer t.Stop()
	select {
	case db.writer <- struct{}{}:
		return func() { <-db.writer }
	case <-ctx.Done():
	case <-t.C:
	}
	return func() {}
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

// uncancelled drops a request's cancellation (not its values) from ctx
// when it has no deadline. With a context that can end, the SQLite driver
// starts a goroutine per statement to interrupt it, and database/sql one
// per result set to close it: two goroutines for a query of a millisecond,
// which under load piled up by thousands waiting for a turn on the CPU
// (2 MB of stacks for each thousand), ahead of the requests they served.
// A read here lasts milliseconds and a visitor who leaves costs only that
// much more; a deadline, asked for explicitly (healthz), still applies.
func uncancelled(ctx context.Context) context.Context {
	if _, ok := ctx.Deadline(); ok {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// Inside a Batch, reads and writes go to the batch's transaction.
func (db *preparedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if b := batchOf(ctx); b != nil {
		if st := db.statement(ctx, query); st != nil {
			return b.tx.StmtContext(ctx, st).QueryContext(uncancelled(ctx), args...)
		}
		return b.tx.QueryContext(ctx, query, args...)
	}
	ctx = uncancelled(ctx)
	tx := readTxOf(ctx)
	if st := db.statement(ctx, query); st != nil {
		if tx != nil {
			st = tx.StmtContext(ctx, st)
		}
		return st.QueryContext(ctx, args...)
	}
	if tx != nil {
		return tx.QueryContext(ctx, query, args...)
	}
	return db.DB.QueryContext(ctx, query, args...)
}

func (db *preparedDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if b := batchOf(ctx); b != nil {
		if st := db.statement(ctx, query); st != nil {
			return b.tx.StmtContext(ctx, st).QueryRowContext(uncancelled(ctx), args...)
		}
		return b.tx.QueryRowContext(ctx, query, args...)
	}
	ctx = uncancelled(ctx)
	tx := readTxOf(ctx)
	if st := db.statement(ctx, query); st != nil {
		if tx != nil {
			st = tx.StmtContext(ctx, st)
		}
		return st.QueryRowContext(ctx, args...)
	}
	if tx != nil {
		return tx.QueryRowContext(ctx, query, args...)
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
	if b := batchOf(ctx); b != nil {
		return b.tx.ExecContext(ctx, query, args...) // counted at the batch's commit
	}
	EndReads(ctx)
	defer db.write(ctx)()
	res, err := db.DB.ExecContext(uncancelled(ctx), query, args...)
	db.count(res, err)
	return res, err
}

// Exec is ExecContext without a context.
func (db *preparedDB) Exec(query string, args ...any) (sql.Result, error) {
	return db.ExecContext(context.Background(), query, args...)
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
