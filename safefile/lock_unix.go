//go:build unix

package safefile

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Lock takes an exclusive lock on the file at path, creating it (0600)
// when missing, and waits while another process holds it. The lock is
// flock(2): it holds across processes and the kernel releases it when the
// process ends, however it ends. unlock releases it.
func Lock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := flock(f, syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		_ = flock(f, syscall.LOCK_UN)
		f.Close()
	}, nil
}

// TryLock takes an exclusive lock on the open file f without waiting. It
// returns an error wrapping ErrLocked when another process holds it; the
// kernel releases the lock when the process ends. unlock releases it and
// leaves f open.
func TryLock(f *os.File) (unlock func(), err error) {
	err = flock(f, syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case errors.Is(err, syscall.EWOULDBLOCK):
		return nil, fmt.Errorf("%s is %w", f.Name(), ErrLocked)
	case err != nil:
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return func() { _ = flock(f, syscall.LOCK_UN) }, nil
}

// flock is flock(2), tried again when a signal interrupts it.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
