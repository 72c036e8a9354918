package store

import (
	"context"
	"database/sql"
	"sync"
)

// One request's reads in one SQLite read transaction. Outside a
// transaction every query takes and drops WAL's read lock (shared-memory
// file locks, fcntl system calls) around itself: a logged-in page of ten
// queries spent about 40 % of its time in those calls. ReadTogether gives
// a context whose reads (QueryContext and QueryRowContext of the store)
// share one deferred read transaction, begun at the second read: a page
// whose caches leave it one query (a member's event page: their own
// participation) would only pay the transaction's BEGIN and ROLLBACK.
//
// It never makes a reader see older data than before:
//   - it ends (and later reads go to the pool, one statement each) as soon
//     as the store counts a write, by this request or any other: the
//     transaction's snapshot is then behind, and a cache keyed by the
//     write generation must not be filled from it (see Generation);
//   - a write through the store with this context (ExecContext, Tx) ends
//     it first, so the write never waits behind the request's own reads
//     and what follows reads what was written;
//   - only readTxSlots requests hold a connection this way at a time, so
//     the pool keeps connections for the others and for a second
//     connection one of them may need; past that, reads go to the pool.
//
// The caller ends it with the function returned, and should end it
// (EndReads) before writing its response.
type readTx struct {
	db   *preparedDB
	mu   sync.Mutex
	tx   *sql.Tx
	gen  uint64 // the write generation when the transaction began
	done bool   // ended: reads go to the pool
	read bool   // a first read went to the pool
}

type readTxKey struct{}

// readTxSlots is how many requests may hold a connection in a read
// transaction at once: half the pool (see Open).
const readTxSlots = 4

// ReadTogether returns ctx carrying one read transaction for the reads
// made with it, begun lazily, and the function ending it.
func (s *Store) ReadTogether(ctx context.Context) (context.Context, func()) {
	rt := &readTx{db: s.db}
	return context.WithValue(ctx, readTxKey{}, rt), rt.end
}

// EndReads ends the read transaction ctx carries, if any: reads made
// with ctx afterwards each run on their own.
func EndReads(ctx context.Context) {
	if rt, _ := ctx.Value(readTxKey{}).(*readTx); rt != nil {
		rt.end()
	}
}

// readTxOf is the transaction ctx's reads should use now, or nil.
func readTxOf(ctx context.Context) *sql.Tx {
	rt, _ := ctx.Value(readTxKey{}).(*readTx)
	if rt == nil {
		return nil
	}
	return rt.current()
}

func (rt *readTx) current() *sql.Tx {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.done {
		return nil
	}
	if rt.tx != nil {
		if rt.db.generation.Load() == rt.gen {
			return rt.tx
		}
		rt.endLocked()
		return nil
	}
	if !rt.read {
		rt.read = true
		return nil
	}
	select {
	case rt.db.readSlots <- struct{}{}:
	default:
		rt.done = true
		return nil
	}
	// Read before the transaction's first statement takes its snapshot:
	// a write counted after this moment ends the transaction.
	rt.gen = rt.db.generation.Load()
	tx, err := rt.db.DB.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		<-rt.db.readSlots
		rt.done = true
		return nil
	}
	rt.tx = tx
	return tx
}

func (rt *readTx) end() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.endLocked()
}

func (rt *readTx) endLocked() {
	rt.done = true
	if rt.tx != nil {
		_ = rt.tx.Rollback()
		rt.tx = nil
		<-rt.db.readSlots
	}
}
