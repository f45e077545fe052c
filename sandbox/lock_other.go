//go:build !unix

package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// lockData takes the data file at path for this Server by creating
// path+".lock" exclusively, holding this process's id, on systems without
// flock. A lock file left by a killed process stays until the user
// removes it, which the error says. The error Is ErrDataInUse when
// another holds it.
func lockData(path string) (unlock func(), err error) {
	lock := path + ".lock"
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		pid := "unknown"
		if b, err := os.ReadFile(lock); err == nil && len(bytes.TrimSpace(b)) > 0 {
			pid = string(bytes.TrimSpace(b))
		}
		return nil, &dataInUseError{path: path, hint: fmt.Sprintf(" (process %s; if it is gone, remove %s)", pid, lock)}
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox: lock data file: %w", err)
	}
	_, werr := f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(lock)
		return nil, fmt.Errorf("sandbox: lock data file: %w", werr)
	}
	return func() { os.Remove(lock) }, nil
}
