package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"convene/app/store"
)

// sqliteHeader starts every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// CheckDataFile looks at the database file before anything opens it for
// writing, so that a file we cannot use stops the program with one line
// saying what to do, and is left exactly as it was. A missing file is fine
// when its folder takes new files.
func CheckDataFile(ctx context.Context, path string) error {
	dir := filepath.Dir(path)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("the folder %s for the database does not exist: create it or choose another --data", dir)
		}
		if err := folderWritable(dir); err != nil {
			return fmt.Errorf("cannot create the database in %s: the folder is not writable for this user (fix its owner or permissions, or choose another --data)", dir)
		}
		return nil
	}
	if err != nil {
		if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) {
			return fmt.Errorf("the database %s is read-only for this user: make it writable (chown/chmod) or run convene as its owner; nothing was changed", path)
		}
		if st, serr := os.Stat(path); serr == nil && st.IsDir() {
			return fmt.Errorf("the database path %s is a folder: give a file name, like %s", path, filepath.Join(path, "convene.db"))
		}
		return fmt.Errorf("cannot open the database %s: %v", path, err)
	}
	head := make([]byte, len(sqliteHeader))
	n, err := io.ReadFull(f, head)
	f.Close()
	if n == 0 && (err == io.EOF || err == nil) {
		return nil // an empty file: SQLite makes a database of it
	}
	if !bytes.Equal(head[:n], sqliteHeader) {
		return fmt.Errorf("%s is not a Convene database (not an SQLite file): check --data, or restore the file from a backup; nothing was changed", path)
	}
	// SQLite keeps its journal beside the file: the folder must take writes.
	if _, err := os.Stat(path + "-wal"); errors.Is(err, os.ErrNotExist) {
		if err := folderWritable(dir); err != nil {
			return fmt.Errorf("the folder %s is not writable, and SQLite keeps its journal there: fix its owner or permissions", dir)
		}
	}
	in, err := store.Inspect(ctx, path)
	if err != nil {
		return explainSQLiteError(path, err)
	}
	defer in.Close()
	res, err := in.QuickCheck(ctx)
	if err != nil {
		return explainSQLiteError(path, err)
	}
	if res != "ok" {
		res = strings.Join(strings.Fields(strings.ReplaceAll(res, "*** in database main ***", "")), " ")
		return fmt.Errorf("the database %s is damaged (SQLite says: %s): restore it from a backup (see README, Backups); nothing was changed", path, res)
	}
	if v, err := in.SchemaVersion(ctx); err == nil && v > store.SchemaVersion() {
		return fmt.Errorf("the database %s is at schema version %d, newer than this program (%d): run a newer convene", path, v, store.SchemaVersion())
	}
	return nil
}

// ExplainOpenError turns an error from opening the database into one line
// saying what to do.
func ExplainOpenError(path string, err error) error {
	if err == nil {
		return nil
	}
	return explainSQLiteError(path, err)
}

func explainSQLiteError(path string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "malformed") || strings.Contains(msg, "not a database") || strings.Contains(msg, "corrupt"):
		return fmt.Errorf("the database %s is damaged (%s): restore it from a backup (see README, Backups); nothing was changed", path, sqliteReason(msg))
	case strings.Contains(msg, "readonly") || strings.Contains(msg, "read-only") || strings.Contains(msg, "attempt to write"):
		return fmt.Errorf("the database %s is read-only for this user: make it and its folder writable, or run convene as their owner", path)
	case strings.Contains(msg, "disk is full") || strings.Contains(msg, "SQLITE_FULL"):
		return fmt.Errorf("the disk holding %s is full: free some space and start again", path)
	case strings.Contains(msg, "unable to open"):
		return fmt.Errorf("cannot open the database %s: check that the path and its folder exist and are writable", path)
	case strings.Contains(msg, "locked") || strings.Contains(msg, "busy"):
		return fmt.Errorf("the database %s is locked by another program: is another convene running on it?", path)
	}
	return err
}

// sqliteReason keeps the last part of a driver error, which is SQLite's
// own words.
func sqliteReason(msg string) string {
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

func folderWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".convene-write-test-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
