package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCommitAndAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "contacts.csv")
	if err := os.WriteFile(path, []byte("previous"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(f.TempName()), ".contacts.csv.tmp-") {
		t.Errorf("temp name %s", f.TempName())
	}
	f.Write([]byte("half"))
	f.Abort()
	if got, _ := os.ReadFile(path); string(got) != "previous" {
		t.Errorf("after abort the file holds %q", got)
	}
	assertOnly(t, dir, "contacts.csv")

	f, err = Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("new"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // no-op after commit
	if got, _ := os.ReadFile(path); string(got) != "new" {
		t.Errorf("after commit the file holds %q", got)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	assertOnly(t, dir, "contacts.csv")

	if _, err := Create(filepath.Join(dir, "missing", "x.csv")); err == nil || !strings.Contains(err.Error(), "does not exist: create it first") {
		t.Errorf("err = %v for a missing folder", err)
	}
	if _, err := Create(filepath.Join(path, "x.csv")); err == nil || err.Error() != path+" is not a folder" {
		t.Errorf("err = %v for a file as folder", err)
	}
	if _, err := Create(dir); err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("err = %v for a folder", err)
	}
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, names) {
		t.Errorf("folder holds %v, want %v", got, names)
	}
}

func TestPathCause(t *testing.T) {
	t.Parallel()
	_, err := os.Open(filepath.Join(t.TempDir(), "missing"))
	if got := PathCause(err); !errors.Is(got, fs.ErrNotExist) || strings.Contains(got.Error(), "missing") {
		t.Errorf("PathCause(%v) = %v, want the cause without the path", err, got)
	}
	if got := PathCause(fmt.Errorf("read state: %w", err)); !errors.Is(got, fs.ErrNotExist) || strings.Contains(got.Error(), "missing") {
		t.Errorf("PathCause of a wrapped error = %v", got)
	}
	other := errors.New("not about a path")
	if got := PathCause(other); got != other {
		t.Errorf("PathCause(%v) = %v, want it as it is", other, got)
	}
}
