package sandbox

import (
	"bufio"
	"cmp"
	"contactbulk/safefile"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"
	"time"
)

// ErrDataInUse is what New's error Is when another Server, in this process
// or another, holds the data file: two runs on one file would each save
// over the other's records.
var ErrDataInUse = errors.New("another contactbulk run is using this sandbox data")

// dataInUseError says which data file is in use and what to do.
type dataInUseError struct{ path string }

func (e *dataInUseError) Error() string {
	return fmt.Sprintf("sandbox: another contactbulk run is using the sandbox data in %s; wait for it to finish, or use another data file", e.path)
}

func (e *dataInUseError) Is(target error) bool { return target == ErrDataInUse }

// dataVersion is the version of the data files the sandbox writes: 2
// added the contracts' holders and the contracts and coworkers seeded for
// lookups.
const dataVersion = 2

// dataFile is what a DataFile holds.
type dataFile struct {
	Version   int        `json:"Version"` // 0 before version 2
	NextID    int64      `json:"NextId"`
	Contracts []Contract `json:"Contracts"`
	Coworkers []Coworker `json:"Coworkers"`
	Records   []*Record  `json:"Records"`
}

// load reads path into s; it reports false when the file does not exist yet.
func (s *Server) load(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sandbox: open data file: %w", err)
	}
	defer f.Close()
	var d dataFile
	if err := json.NewDecoder(bufio.NewReader(f)).Decode(&d); err != nil {
		return false, fmt.Errorf("sandbox: read data file %s: %w", path, err)
	}
	for _, c := range d.Contracts {
		s.contracts[c.ID] = c
	}
	for _, c := range d.Coworkers {
		s.coworkers[c.ID] = c
	}
	s.records = slices.DeleteFunc(d.Records, func(r *Record) bool { return r == nil })
	for _, r := range s.records {
		r.LocalizationDetails, r.CustomFields = nullIsNil(r.LocalizationDetails), nullIsNil(r.CustomFields)
	}
	slices.SortFunc(s.records, func(a, b *Record) int { return cmp.Compare(a.ID, b.ID) })
	s.records = slices.CompactFunc(s.records, func(a, b *Record) bool { return a.ID == b.ID })
	if d.Version < dataVersion {
		s.upgrade()
	}
	s.nextID = max(d.NextID, firstID)
	if n := len(s.records); n > 0 {
		s.nextID = max(s.nextID, s.records[n-1].ID+1)
	}
	return true, nil
}

// upgrade gives the contracts and coworkers of a data file written before
// version 2 what a fresh sandbox has: the holders, plans and dates of the
// default contracts it holds without them, and the seeds it lacks. Its
// records and anything else it holds are left as they are.
func (s *Server) upgrade() {
	for _, c := range DefaultContracts() {
		old, ok := s.contracts[c.ID]
		switch {
		case !ok:
			s.contracts[c.ID] = c
		case old.CoworkerID == 0 && old.TariffID == 0 && old.StartDate == "":
			old.CoworkerID, old.TariffID, old.StartDate = c.CoworkerID, c.TariffID, c.StartDate
			old.Active, old.MainContract, old.Cancelled, old.CancellationDate = c.Active, c.MainContract, c.Cancelled, c.CancellationDate
			s.contracts[c.ID] = old
		}
	}
	for _, c := range DefaultCoworkers() {
		if _, ok := s.coworkers[c.ID]; !ok {
			s.coworkers[c.ID] = c
		}
	}
}

// save writes everything to path atomically (a 0600 temporary file in the
// same directory, renamed over it).
func (s *Server) save(path string) error {
	s.mu.RLock()
	d := dataFile{
		Version:   dataVersion,
		NextID:    s.nextID,
		Records:   slices.Clone(s.records), // stored records are immutable
		Contracts: byID(s.contracts),
		Coworkers: byID(s.coworkers),
	}
	s.mu.RUnlock()

	f, err := safefile.Create(path)
	if err != nil {
		return fmt.Errorf("sandbox: save data file: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = json.NewEncoder(bw).Encode(d)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		f.Abort()
		return fmt.Errorf("sandbox: save data file: %w", err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("sandbox: save data file: %w", err)
	}
	return nil
}

// saveDelay is how long the saver gathers writes into one save.
const saveDelay = 200 * time.Millisecond

// saver saves the data file in the background after a batch of writes, so
// that a burst of creates costs one save, not one per record.
type saver struct {
	s       *Server
	path    string
	pokes   chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	lastErr error // of the last background save; only loop touches it
}

func newSaver(s *Server) *saver {
	sv := &saver{s: s, path: s.cfg.DataFile, pokes: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go sv.loop()
	return sv
}

func (sv *saver) poke() {
	select {
	case sv.pokes <- struct{}{}:
	default:
	}
}

func (sv *saver) loop() {
	defer close(sv.done)
	for {
		select {
		case <-sv.stop:
			return
		case <-sv.pokes:
		}
		t := time.NewTimer(saveDelay)
		select {
		case <-sv.stop:
			t.Stop()
			return
		case <-t.C:
		}
		sv.report(sv.s.save(sv.path))
	}
}

// report tells Config.Logf of a save that failed, once while it fails
// the same way, and of the first that succeeds after.
func (sv *saver) report(err error) {
	switch {
	case err != nil && (sv.lastErr == nil || sv.lastErr.Error() != err.Error()):
		sv.s.cfg.Logf("%v; the records are kept in memory and saved at the next change, and on exit", err)
	case err == nil && sv.lastErr != nil:
		sv.s.cfg.Logf("sandbox: the data is saved again in %s", sv.path)
	}
	sv.lastErr = err
}

// close stops the background saves and saves one last time.
func (sv *saver) close() error {
	sv.once.Do(func() { close(sv.stop) })
	<-sv.done
	return sv.s.save(sv.path)
}

// nullIsNil turns a decoded JSON null back into a nil RawMessage.
func nullIsNil(m json.RawMessage) json.RawMessage {
	if string(m) == "null" {
		return nil
	}
	return m
}

// lockData takes an exclusive lock on the data file at path for this
// Server, on path+".lock" (the data file itself is replaced by every
// save), released by the system if the process dies. It returns an error
// that Is ErrDataInUse when another process holds it.
func lockData(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sandbox: lock data file: %w", err)
	}
	release, err := safefile.TryLock(f)
	if errors.Is(err, safefile.ErrLocked) {
		f.Close()
		return nil, &dataInUseError{path: path}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox: lock data file %s: %w", path, err)
	}
	return func() {
		release()
		f.Close()
	}, nil
}
