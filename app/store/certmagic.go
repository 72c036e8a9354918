package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
)

// Certificate locks expire so that a process that crashed while holding one
// (in the middle of an ACME order) does not block renewals forever; a live
// holder pushes the expiry forward while it works.
const (
	certLockTTL     = time.Minute
	certLockRefresh = 20 * time.Second
	certLockPoll    = 500 * time.Millisecond
)

// CertStorage keeps certmagic's certificates, private keys and ACME account
// in the instance database, so that the one SQLite file is the whole
// instance (and one backup holds the TLS identity too). Keys are
// slash-separated paths; a "directory" is any prefix followed by a slash.
type CertStorage struct {
	s *Store

	mu    sync.Mutex
	held  map[string]heldLock
	sleep func(ctx context.Context, d time.Duration) error
}

type heldLock struct {
	token string
	stop  chan struct{}
	done  chan struct{}
}

var _ certmagic.Storage = (*CertStorage)(nil)

// CertStorage returns the certmagic storage backed by this database. Use
// one per process: it remembers the locks it holds.
func (s *Store) CertStorage() *CertStorage {
	return &CertStorage{s: s, held: map[string]heldLock{}, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// prefixRange gives the bounds of the keys under dir: every key starting
// with "dir/" sorts in ["dir/", "dir0") since '0' follows '/' in ASCII.
// Unlike LIKE it has no wildcard characters to escape.
func prefixRange(dir string) (lo, hi string) {
	dir = strings.TrimSuffix(dir, "/")
	return dir + "/", dir + "0"
}

// Store writes value at key, replacing what was there.
func (c *CertStorage) Store(ctx context.Context, key string, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	_, err := c.s.db.ExecContext(ctx,
		`INSERT INTO certmagic_data (key, value, modified_at) VALUES (?, ?, ?)
		 ON CONFLICT (key) DO UPDATE SET value = excluded.value, modified_at = excluded.modified_at`,
		key, value, c.s.now().UnixNano())
	if err != nil {
		return fmt.Errorf("store certificate data %s: %w", key, err)
	}
	return nil
}

// Load returns the value at key, or an error wrapping fs.ErrNotExist.
func (c *CertStorage) Load(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := c.s.db.QueryRowContext(ctx, `SELECT value FROM certmagic_data WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", key, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("load certificate data %s: %w", key, err)
	}
	return v, nil
}

// Delete removes key and, as for a directory, everything under it.
func (c *CertStorage) Delete(ctx context.Context, key string) error {
	lo, hi := prefixRange(key)
	_, err := c.s.db.ExecContext(ctx,
		`DELETE FROM certmagic_data WHERE key = ? OR (key >= ? AND key < ?)`, key, lo, hi)
	if err != nil {
		return fmt.Errorf("delete certificate data %s: %w", key, err)
	}
	return nil
}

// Exists tells whether key is a value or a directory.
func (c *CertStorage) Exists(ctx context.Context, key string) bool {
	_, err := c.Stat(ctx, key)
	return err == nil
}

// List returns the keys under dir: every one when recursive, else only the
// direct children (files and subdirectories, each once).
func (c *CertStorage) List(ctx context.Context, dir string, recursive bool) ([]string, error) {
	lo, hi := prefixRange(dir)
	rows, err := c.s.db.QueryContext(ctx,
		`SELECT key FROM certmagic_data WHERE key >= ? AND key < ? ORDER BY key`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("list certificate data %s: %w", dir, err)
	}
	defer rows.Close()
	var out []string
	seen := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		if !recursive {
			rest := strings.TrimPrefix(k, lo)
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				k = lo + rest[:i]
			}
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w", dir, fs.ErrNotExist)
	}
	return out, nil
}

// Stat describes key: a value (terminal) or a directory.
func (c *CertStorage) Stat(ctx context.Context, key string) (certmagic.KeyInfo, error) {
	var size, modified int64
	err := c.s.db.QueryRowContext(ctx,
		`SELECT length(value), modified_at FROM certmagic_data WHERE key = ?`, key).Scan(&size, &modified)
	if err == nil {
		return certmagic.KeyInfo{Key: key, Modified: time.Unix(0, modified), Size: size, IsTerminal: true}, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return certmagic.KeyInfo{}, fmt.Errorf("stat certificate data %s: %w", key, err)
	}
	lo, hi := prefixRange(key)
	err = c.s.db.QueryRowContext(ctx,
		`SELECT max(modified_at) FROM certmagic_data WHERE key >= ? AND key < ? HAVING count(*) > 0`, lo, hi).Scan(&modified)
	if errors.Is(err, sql.ErrNoRows) {
		return certmagic.KeyInfo{}, fmt.Errorf("%s: %w", key, fs.ErrNotExist)
	}
	if err != nil {
		return certmagic.KeyInfo{}, fmt.Errorf("stat certificate data %s: %w", key, err)
	}
	return certmagic.KeyInfo{Key: key, Modified: time.Unix(0, modified), IsTerminal: false}, nil
}

// Lock takes the named lock, waiting (until ctx ends) while someone else
// holds an unexpired one. Other processes on the same database file see it
// too, so two instances never order the same certificate at once.
func (c *CertStorage) Lock(ctx context.Context, name string) error {
	token, err := randomToken()
	if err != nil {
		return err
	}
	for {
		ok, err := c.tryLock(ctx, name, token)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		if err := c.sleep(ctx, certLockPoll); err != nil {
			return fmt.Errorf("waiting for lock %s: %w", name, err)
		}
	}
	h := heldLock{token: token, stop: make(chan struct{}), done: make(chan struct{})}
	c.mu.Lock()
	c.held[name] = h
	c.mu.Unlock()
	go c.keepFresh(name, h)
	return nil
}

func (c *CertStorage) tryLock(ctx context.Context, name, token string) (bool, error) {
	var taken bool
	err := c.s.Tx(ctx, func(tx *sql.Tx) error {
		now := c.s.now()
		if _, err := tx.ExecContext(ctx, `DELETE FROM certmagic_locks WHERE name = ? AND expires_at <= ?`, name, now.UnixNano()); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO certmagic_locks (name, token, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			name, token, now.Add(certLockTTL).UnixNano())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		taken = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("take lock %s: %w", name, err)
	}
	return taken, nil
}

// keepFresh pushes the lock's expiry forward until it is released.
func (c *CertStorage) keepFresh(name string, h heldLock) {
	defer close(h.done)
	t := time.NewTicker(certLockRefresh)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			_, _ = c.s.db.Exec(`UPDATE certmagic_locks SET expires_at = ? WHERE name = ? AND token = ?`,
				c.s.now().Add(certLockTTL).UnixNano(), name, h.token)
		}
	}
}

// Unlock releases a lock this process holds. A lock that expired and was
// taken by someone else in the meantime is left alone.
func (c *CertStorage) Unlock(ctx context.Context, name string) error {
	c.mu.Lock()
	h, ok := c.held[name]
	delete(c.held, name)
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("unlock %s: this process does not hold it", name)
	}
	close(h.stop)
	<-h.done
	_, err := c.s.db.ExecContext(ctx, `DELETE FROM certmagic_locks WHERE name = ? AND token = ?`, name, h.token)
	if err != nil {
		return fmt.Errorf("unlock %s: %w", name, err)
	}
	return nil
}

func randomToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
