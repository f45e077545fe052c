package exporter

import (
	"slices"
	"sync"
)

// idSet is a compact set of record Ids: a sorted slice (8 bytes an Id) that
// Ids arriving in ascending order extend directly, plus a small map for
// the others, merged into the slice when it grows. It is safe for
// concurrent use.
type idSet struct {
	mu     sync.RWMutex
	sorted []int64
	recent map[int64]struct{}
}

// mergeAt is how many out-of-order Ids are held in the map before merging.
const mergeAt = 4096

func (s *idSet) has(id int64) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.recent[id]; ok {
		return true
	}
	_, ok := slices.BinarySearch(s.sorted, id)
	return ok
}

// add adds id and reports whether it was new.
func (s *idSet) add(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.sorted)
	if len(s.recent) == 0 && (n == 0 || id > s.sorted[n-1]) {
		s.sorted = append(s.sorted, id)
		return true
	}
	if _, ok := s.recent[id]; ok {
		return false
	}
	if _, ok := slices.BinarySearch(s.sorted, id); ok {
		return false
	}
	if s.recent == nil {
		s.recent = make(map[int64]struct{})
	}
	s.recent[id] = struct{}{}
	if len(s.recent) >= mergeAt {
		s.merge()
	}
	return true
}

func (s *idSet) merge() {
	for id := range s.recent {
		s.sorted = append(s.sorted, id)
	}
	slices.Sort(s.sorted)
	clear(s.recent)
}

func (s *idSet) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sorted) + len(s.recent)
}

// all returns every Id in the set, ascending.
func (s *idSet) all() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.merge()
	return s.sorted
}
