package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// A batch is one transaction shared by many small units of work (the
// inbox's activities), each in its own savepoint: committing once for
// all of them is what makes them cheap, and a unit that fails undoes only
// what it wrote. The transaction rides in the context: every store call
// made with the batch's context (reads included, so that a unit sees what
// the ones before it wrote) runs in it, and Tx inside it is a savepoint.
//
// Only work that does nothing but database writes belongs in a batch:
// the batch holds the store's write turn until it commits, so a unit that
// waited on the network would hold every other write; and a mail sent or
// a worker woken by a unit would act before its row is committed (or
// after it is rolled back).

type batchKey struct{}

type batchTx struct {
	tx *sql.Tx
}

func batchOf(ctx context.Context) *batchTx {
	b, _ := ctx.Value(batchKey{}).(*batchTx)
	return b
}

// Batch runs fn in one immediate transaction carried by the context it
// is given, committed when fn returns nil and rolled back otherwise.
// Readers outside see everything the batch wrote at once, at its commit.
func (s *Store) Batch(ctx context.Context, fn func(ctx context.Context) error) error {
	if batchOf(ctx) != nil {
		return fn(ctx) // already in one: a part of it
	}
	defer s.db.generation.Add(1) // after the commit (see Tx)
	defer s.db.write(ctx)()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(context.WithValue(ctx, batchKey{}, &batchTx{tx: tx})); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Savepoint runs fn in a savepoint of the batch ctx carries (fn alone
// when there is none): when fn fails, what it wrote is undone and the
// rest of the batch stands. An error from the savepoint itself (the
// transaction is gone: SQLite rolled it back whole) is returned wrapped
// in ErrBatchBroken, after which the batch must be given up.
func (s *Store) Savepoint(ctx context.Context, fn func(ctx context.Context) error) error {
	b := batchOf(ctx)
	if b == nil {
		return fn(ctx)
	}
	// Savepoints nest as calls do, so one name serves them all: ROLLBACK
	// TO and RELEASE act on the innermost of that name. The statements
	// are always the same, hence prepared once.
	if _, err := s.batchExec(ctx, b, "SAVEPOINT unit"); err != nil {
		return fmt.Errorf("%w: %v", ErrBatchBroken, err)
	}
	err := fn(ctx)
	if err != nil {
		if _, rbErr := s.batchExec(ctx, b, "ROLLBACK TO unit"); rbErr != nil {
			return fmt.Errorf("%w: %v (after %v)", ErrBatchBroken, rbErr, err)
		}
	}
	if _, relErr := s.batchExec(ctx, b, "RELEASE unit"); relErr != nil {
		return fmt.Errorf("%w: %v", ErrBatchBroken, relErr)
	}
	return err
}

// batchExec runs one of the batch's own statements, prepared.
func (s *Store) batchExec(ctx context.Context, b *batchTx, query string) (sql.Result, error) {
	if st := s.db.statement(ctx, query); st != nil {
		return b.tx.StmtContext(ctx, st).ExecContext(uncancelled(ctx))
	}
	return b.tx.ExecContext(ctx, query)
}

// ErrBatchBroken says a batch's transaction can no longer be used.
var ErrBatchBroken = errors.New("batch transaction lost")
