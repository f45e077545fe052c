//go:build !unix

package importer

import "os"

// lockJournal takes an exclusive lock on the open journal f with a lock
// file beside it (see createLockFile).
func lockJournal(f *os.File) (unlock func(), err error) {
	return createLockFile(f.Name() + ".lock")
}
