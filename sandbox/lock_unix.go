//go:build unix

package sandbox

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockData takes an exclusive lock on the data file at path for this
// Server: flock(2) on path+".lock" (created 0600; the data file itself is
// replaced by every save), released by the kernel if the process dies. It
// returns an error that Is ErrDataInUse when another holds it.
func lockData(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sandbox: lock data file: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	switch {
	case errors.Is(err, syscall.EWOULDBLOCK):
		f.Close()
		return nil, &dataInUseError{path: path}
	case err != nil:
		f.Close()
		return nil, fmt.Errorf("sandbox: lock data file %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
