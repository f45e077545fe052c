//go:build unix

package importer

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with this pid is running (or
// cannot be told: then its spool is left alone).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return !errors.Is(err, syscall.ESRCH)
}
