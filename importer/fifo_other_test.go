//go:build !unix

package importer

import "errors"

// mkfifo says there are no named pipes on this system: the tests that
// need one skip.
func mkfifo(string) error { return errors.New("no named pipes on this system") }
