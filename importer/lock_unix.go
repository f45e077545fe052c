//go:build unix

package importer

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockJournal takes an exclusive lock on the open journal f, or says that
// another import holds it. The system releases the lock when the process
// ends, however it ends, so a killed import never leaves it behind.
func lockJournal(f *os.File) (unlock func(), err error) {
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case errors.Is(err, syscall.EWOULDBLOCK):
		return nil, fmt.Errorf("another import is running with the journal %s (the same results file); wait for it to finish, or choose another --results path", f.Name())
	case err != nil:
		return nil, fmt.Errorf("lock journal %s: %w", f.Name(), err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }, nil
}
