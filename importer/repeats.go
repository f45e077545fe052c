package importer

import "math/bits"

// rowSet maps the repeat keys of the rows seen to the first row with each,
// in 12 bytes a row: an open-addressing table of the keys (hashes, never
// 0) beside their rows, kept under 70% full. A million rows take 17 MB,
// where a map would take twice that and more while it grows.
type rowSet struct {
	keys []uint64
	rows []int32
	n    int
}

// newRowSet returns a set sized for about hint rows (0: unknown).
func newRowSet(hint int) *rowSet {
	s := &rowSet{}
	s.resize(max(1024, hint*10/7+1))
	return s
}

func (s *rowSet) resize(size int) {
	keys, rows := s.keys, s.rows
	s.keys, s.rows, s.n = make([]uint64, size), make([]int32, size), 0
	for i, k := range keys {
		if k != 0 {
			s.firstOr(k, rows[i])
		}
	}
}

// firstOr returns the row stored with key, or stores row with it and
// returns row.
func (s *rowSet) firstOr(key uint64, row int32) int32 {
	if key == 0 {
		key = 1 // 0 marks a free slot
	}
	if (s.n+1)*10 > len(s.keys)*7 {
		s.resize(2 * len(s.keys))
	}
	size := uint64(len(s.keys))
	i := mulHigh(key, size)
	for {
		switch s.keys[i] {
		case key:
			return s.rows[i]
		case 0:
			s.keys[i], s.rows[i] = key, row
			s.n++
			return row
		}
		if i++; i == size {
			i = 0
		}
	}
}

// mulHigh maps a hash onto [0, n) by the high half of their product.
func mulHigh(h, n uint64) uint64 {
	hi, _ := bits.Mul64(h, n)
	return hi
}
