package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"convene/app/store"
)

// Backup writes a consistent copy of the database at dataPath to dest,
// while a server may be running on it: the copy is one snapshot, holding
// every write committed before it began. It never overwrites a file, and
// a failed backup leaves no partial file behind. It returns the size of
// the copy.
func Backup(ctx context.Context, dataPath, dest string) (int64, error) {
	if _, err := os.Stat(dataPath); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("there is no database at %s: give its path with --data", dataPath)
		}
		return 0, fmt.Errorf("cannot read the database %s: %v", dataPath, err)
	}
	if _, err := os.Lstat(dest); err == nil {
		return 0, fmt.Errorf("%s already exists: a backup never overwrites a file, choose a new name (for example with the date in it)", dest)
	}
	dir := filepath.Dir(dest)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return 0, fmt.Errorf("the folder %s does not exist: create it first", dir)
	}
	if err := folderWritable(dir); err != nil {
		return 0, fmt.Errorf("cannot write in %s: the folder is not writable for this user", dir)
	}
	abs, err := filepath.Abs(dest)
	if err != nil {
		return 0, err
	}
	in, err := store.Inspect(ctx, dataPath)
	if err != nil {
		return 0, ExplainOpenError(dataPath, err)
	}
	defer in.Close()
	if err := in.CopyInto(ctx, abs); err != nil {
		os.Remove(abs) // only ours: the file did not exist before
		msg := err.Error()
		switch {
		case strings.Contains(msg, "full"):
			return 0, fmt.Errorf("the disk holding %s is full: free some space or write the backup elsewhere (the partial copy was removed)", dir)
		case strings.Contains(msg, "unable to open") || strings.Contains(msg, "readonly"):
			return 0, fmt.Errorf("cannot write the backup to %s: check the folder exists and is writable", dest)
		}
		return 0, fmt.Errorf("the backup failed: %w", ExplainOpenError(dataPath, err))
	}
	// Prove the copy opens and is sound before calling it a backup.
	check, err := store.Inspect(ctx, abs)
	if err != nil {
		return 0, fmt.Errorf("the backup %s does not open: %v", dest, err)
	}
	defer check.Close()
	if res, err := check.QuickCheck(ctx); err != nil || res != "ok" {
		return 0, fmt.Errorf("the backup %s failed its check (%v %s): keep the previous backup", dest, err, res)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
