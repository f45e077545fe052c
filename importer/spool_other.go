//go:build !unix

package importer

import "os"

// processAlive reports whether a process with this pid is running: on
// these systems finding a process fails when there is none.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
