package importer

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// createLockFile creates path exclusively, holding this process's id, for
// systems without flock. A lock file left by a killed process stays until
// the user removes it, which the error says.
func createLockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		pid := "unknown"
		if b, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(b)) > 0 {
			pid = string(bytes.TrimSpace(b))
		}
		return nil, fmt.Errorf("another import is running (pid %s) with the same results file; if not, remove %s", pid, path)
	}
	if err != nil {
		return nil, fmt.Errorf("lock journal: %w", err)
	}
	_, werr := f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return nil, fmt.Errorf("lock journal: %w", werr)
	}
	return func() { os.Remove(path) }, nil
}
