package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"contactbulk/safefile"
)

// ErrJournalMismatch marks a journal written for another input or another
// space: applying it would settle the wrong rows, so the import refuses to
// start.
var ErrJournalMismatch = errors.New("journal belongs to a different input")

// journalVersion is the format of new journals. Version 1 journals (rows
// keyed by content) are still read: their created Ids count, and their
// requests in flight are waited out before the space is read.
const journalVersion = 2

// JournalPath returns where the import keeps the journal of a results file:
// beside it, with ".journal" appended.
func JournalPath(results string) string { return results + ".journal" }

// journalLine is one line of the journal file, JSON encoded. Ops:
//
//	begin         a create of row Key is about to be sent (At)
//	done          row Key was created as record ID (sent, or found after an unknown outcome)
//	unsent        the begun create was never sent
//	update-begin  record ID is about to be replaced with row Key (At)
//	updated       record ID was replaced with row Key
//	delete-begin  record ID (created for row Key) is about to be deleted (At)
//	deleted       record ID is gone
//
// Version 1 journals also hold exists and failed lines, which say nothing
// a run needs now: the space is read instead.
type journalLine struct {
	Op  string `json:"op"`
	Key string `json:"key"`
	Row int    `json:"row"`
	ID  int64  `json:"id,omitempty"`
	Msg string `json:"msg,omitempty"`
	At  int64  `json:"at,omitempty"` // begin lines: Unix milliseconds when written
	// Above, on a create's begin line, is the highest record Id the run
	// had read in the space before sending it: a record the create made
	// has a higher Id, so no older record is ever taken for it.
	Above *int64 `json:"above,omitempty"`
	FP    string `json:"fp,omitempty"` // done and updated lines: the fingerprint of what was written
}

// journalHeader is the first line of a journal file.
type journalHeader struct {
	Journal string `json:"journal"`
	Version int    `json:"version"`
	Input   string `json:"input"`
	Target  string `json:"target,omitempty"` // where its rows were created: a base URL, or "embedded sandbox"
}

const journalMagic = "contactbulk import"

// inFlight is a write whose outcome the journal does not know: begun, and
// neither finished nor known unsent.
type inFlight struct {
	Key   string
	Row   int
	ID    int64     // the record, for updates and deletes
	Since time.Time // when it was last about to be sent
	Above int64     // creates: a record it made has an Id above this (-1: unknown)
}

// journal is the durable, append-only record of every write: a begin line
// is fsync'd before a request is sent and an end line after its answer, so
// that a crash at any point leaves enough to never create a row twice. It
// does not say what the space holds (the space is read for that); it says
// which writes may still land, and which records this import created.
type journal struct {
	mu      sync.Mutex
	f       *os.File
	unlock  func() // releases the lock taken by openJournal
	path    string
	input   string              // the input named in the header
	target  string              // where its rows were created ("" unknown)
	creates map[string]inFlight // row key -> create in flight
	updates map[string]inFlight // row key -> update in flight
	deletes map[int64]inFlight  // record Id -> delete in flight
	created map[int64]string    // record Id -> row key: records this import created
	byKey   map[string]int64    // row key -> the record last created for it
	above   map[string]int64    // row key -> the lowest Above of its creates (when known): records above it with its identity are this import's
	deleted map[int64]bool      // records this import deleted
	upd     map[int64]bool      // records this import updated
	prints  map[int64]string    // record Id -> fingerprint of what this import last wrote to it
	ver     int                 // the file's format version
	rows    int                 // distinct row keys in the file when opened
	settled int                 // of which created or in flight when opened: what resuming depends on
	written time.Time           // the file's modification time when opened: the time of begin lines without one
	now     func() time.Time    // the clock of begin lines
}

// openJournal opens the journal at path, creating it (0600) for input and
// target when it does not exist, and holds it exclusively until close: a
// second import on the same results file gets an error saying another one
// is running. A journal of imports into another target is refused: its
// rows were created there, not in target. A last line torn by a crash is
// dropped; any other damage is an error.
func openJournal(path, input, target string) (*journal, error) {
	j := &journal{
		path:    path,
		input:   input,
		target:  target,
		creates: make(map[string]inFlight),
		updates: make(map[string]inFlight),
		deletes: make(map[int64]inFlight),
		created: make(map[int64]string),
		byKey:   make(map[string]int64),
		above:   make(map[string]int64),
		upd:     make(map[int64]bool),
		prints:  make(map[int64]string),
		ver:     journalVersion,
		deleted: make(map[int64]bool),
		now:     time.Now,
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	unlock, err := safefile.TryLock(f)
	if errors.Is(err, safefile.ErrLocked) {
		f.Close()
		return nil, fmt.Errorf("another import is running with the journal %s (the same results file); wait for it to finish, or choose another --results path", path)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock journal: %w", err)
	}
	j.f, j.unlock = f, unlock
	if st, err := f.Stat(); err == nil {
		j.written = st.ModTime()
	}
	data, err := io.ReadAll(f)
	if err != nil {
		j.close()
		return nil, fmt.Errorf("read journal %s: %w", path, err)
	}
	// Keep only whole lines: a crash may have torn the last one.
	whole := data[:bytes.LastIndexByte(data, '\n')+1]
	if len(whole) < len(data) {
		if err := f.Truncate(int64(len(whole))); err != nil {
			j.close()
			return nil, fmt.Errorf("repair journal %s: %w", path, err)
		}
	}
	if _, err := f.Seek(int64(len(whole)), io.SeekStart); err != nil {
		j.close()
		return nil, fmt.Errorf("seek journal %s: %w", path, err)
	}
	if len(whole) == 0 {
		if err := j.writeHeader(); err != nil {
			j.close()
			return nil, err
		}
		return j, nil
	}
	if err := j.load(whole); err != nil {
		j.close()
		return nil, err
	}
	return j, nil
}

func (j *journal) writeHeader() error {
	b, err := json.Marshal(journalHeader{Journal: journalMagic, Version: journalVersion, Input: j.input, Target: j.target})
	if err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	if err := j.append(b); err != nil {
		return err
	}
	// Make the new file's name durable too.
	if d, err := os.Open(filepath.Dir(j.path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// isJournal reports whether the file at path starts like a journal.
func isJournal(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, 256)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, err
	}
	if n == 0 {
		return true, nil // created and killed before its header: ours
	}
	return bytes.HasPrefix(head[:n], []byte(`{"journal":"`+journalMagic+`"`)), nil
}

// load replays the journal's lines; the latest line about a write wins.
func (j *journal) load(data []byte) error {
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	var h journalHeader
	if err := json.Unmarshal([]byte(lines[0]), &h); err != nil || h.Journal != journalMagic {
		return fmt.Errorf("%s is not a contactbulk journal; delete it or choose another --results path", j.path)
	}
	if h.Version < 1 || h.Version > journalVersion {
		return fmt.Errorf("journal %s has format version %d, this contactbulk reads versions 1 to %d", j.path, h.Version, journalVersion)
	}
	if h.Target != "" && j.target != "" && h.Target != j.target {
		return fmt.Errorf("%w: %s records imports into %s, not %s; choose another --results path for this import (its rows were created there, not here)",
			ErrJournalMismatch, j.path, h.Target, j.target)
	}
	j.input, j.ver = h.Input, h.Version
	keys := make(map[string]bool)
	for n, line := range lines[1:] {
		var l journalLine
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.Key == "" && l.ID == 0 {
			return fmt.Errorf("journal %s is damaged at line %d; it cannot be trusted to prevent duplicates, so check the space before deleting it", j.path, n+2)
		}
		j.apply(l)
		keys[l.Key] = true
	}
	j.rows = len(keys)
	settled := make(map[string]bool)
	for _, key := range j.created {
		settled[key] = true
	}
	for key := range j.creates {
		settled[key] = true
	}
	j.settled = len(settled)
	return nil
}

// apply records l in memory. The caller holds mu, or is loading.
func (j *journal) apply(l journalLine) {
	since := time.UnixMilli(l.At)
	if l.At == 0 {
		since = j.written
	}
	switch l.Op {
	case "begin":
		w := inFlight{Key: l.Key, Row: l.Row, Since: since, Above: -1}
		if l.Above != nil {
			w.Above = *l.Above
		}
		if old, ok := j.creates[l.Key]; ok && old.Above >= 0 && (w.Above < 0 || old.Above < w.Above) {
			w.Above = old.Above // a create sent again: its first send may land too
		}
		j.creates[l.Key] = w
		if a, known := j.above[l.Key]; w.Above >= 0 && (!known || w.Above < a) {
			j.above[l.Key] = w.Above
		}
	case "done":
		delete(j.creates, l.Key)
		j.created[l.ID] = l.Key
		j.byKey[l.Key] = l.ID
		j.prints[l.ID] = l.FP
	case "stray":
		// A second record a create of row Key made (sent again, and both
		// landed): this import's, for undo and --repair.
		j.created[l.ID] = l.Key
	case "unsent":
		delete(j.creates, l.Key)
	case "update-begin":
		j.updates[l.Key] = inFlight{Key: l.Key, Row: l.Row, ID: l.ID, Since: since}
	case "updated":
		delete(j.updates, l.Key)
		j.upd[l.ID] = true
		j.prints[l.ID] = l.FP
	case "update-unsent":
		delete(j.updates, l.Key)
	case "delete-begin":
		j.deletes[l.ID] = inFlight{Key: l.Key, Row: l.Row, ID: l.ID, Since: since}
	case "deleted":
		delete(j.deletes, l.ID)
		j.deleted[l.ID] = true
	case "delete-unsent":
		delete(j.deletes, l.ID)
	case "exists", "failed":
		// Version 1: the end of a create that created nothing.
		delete(j.creates, l.Key)
	}
}

// append writes one line and fsyncs it. The caller holds mu, or is opening.
func (j *journal) append(b []byte) error {
	b = append(b, '\n')
	if _, err := j.f.Write(b); err != nil {
		return fmt.Errorf("write journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("sync journal %s: %w", j.path, err)
	}
	return nil
}

func (j *journal) record(l journalLine) error {
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.append(b); err != nil {
		return err
	}
	j.apply(l)
	return nil
}

// begin durably records, with the time, that a create of row key is about
// to be sent (above: the highest Id the run read in the space); it is
// written just before each attempt goes out, so the last begin of a row
// tells from when a request of a killed run may still land, and a create
// never sent leaves no begin.
func (j *journal) begin(key string, row int, above int64) error {
	return j.record(journalLine{Op: "begin", Key: key, Row: row, At: j.now().UnixMilli(), Above: &above})
}

// stray durably records that record id is a second record a create of row
// key made: this import's, for undo and --repair.
func (j *journal) stray(key string, row int, id int64) error {
	return j.record(journalLine{Op: "stray", Key: key, Row: row, ID: id})
}

// madeAbove returns the Id above which a record with row key's identity is
// one this import's creates made, and whether it is known.
func (j *journal) madeAbove(key string) (int64, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	a, ok := j.above[key]
	return a, ok
}

// done durably records that row key was created as record id (sent now, or
// found after an unknown outcome), with the fingerprint of what was sent.
func (j *journal) done(key string, row int, id int64, fp string) error {
	return j.record(journalLine{Op: "done", Key: key, Row: row, ID: id, FP: fp})
}

// unsent durably records that row key's begun create was never sent.
func (j *journal) unsent(key string, row int) error {
	return j.record(journalLine{Op: "unsent", Key: key, Row: row})
}

// beginUpdate durably records that record id is about to be replaced with
// row key.
func (j *journal) beginUpdate(key string, row int, id int64) error {
	return j.record(journalLine{Op: "update-begin", Key: key, Row: row, ID: id, At: j.now().UnixMilli()})
}

// updated durably records the end of row key's update: sent and answered
// (ok, with the fingerprint of what was sent), or not sent at all.
func (j *journal) updated(key string, row int, id int64, ok bool, fp string) error {
	if !ok {
		return j.record(journalLine{Op: "update-unsent", Key: key, Row: row, ID: id})
	}
	return j.record(journalLine{Op: "updated", Key: key, Row: row, ID: id, FP: fp})
}

// lastWritten returns the fingerprint of what this import last wrote to
// record id, "" when unknown (a version 1 journal).
func (j *journal) lastWritten(id int64) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.prints[id]
}

// beginDelete durably records that record id (row key's) is about to be
// deleted.
func (j *journal) beginDelete(key string, row int, id int64) error {
	return j.record(journalLine{Op: "delete-begin", Key: key, Row: row, ID: id, At: j.now().UnixMilli()})
}

// deletedRecord durably records the end of a delete of record id: gone
// (ok), or not sent at all.
func (j *journal) deletedRecord(key string, row int, id int64, ok bool) error {
	op := "deleted"
	if !ok {
		op = "delete-unsent"
	}
	return j.record(journalLine{Op: op, Key: key, Row: row, ID: id})
}

// createInFlight returns the create of row key whose outcome is unknown.
func (j *journal) createInFlight(key string) (inFlight, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	w, ok := j.creates[key]
	return w, ok
}

// createsInFlight returns every create whose outcome is unknown.
func (j *journal) createsInFlight() []inFlight {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Collect(maps.Values(j.creates))
}

// updateInFlight returns the update of row key whose outcome is unknown.
func (j *journal) updateInFlight(key string) (inFlight, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	w, ok := j.updates[key]
	return w, ok
}

// updatesInFlight returns every update whose outcome is unknown.
func (j *journal) updatesInFlight() []inFlight {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Collect(maps.Values(j.updates))
}

// wasUpdated reports whether this import updated record id.
func (j *journal) wasUpdated(id int64) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.upd[id]
}

// version returns the journal's format version.
func (j *journal) version() int { return j.ver }

// createdFor returns the record this import last created for row key, or 0.
func (j *journal) createdFor(key string) int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.byKey[key]
}

// createdBy returns the row key of the import that created record id, and
// whether this import created it.
func (j *journal) createdBy(id int64) (string, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	key, ok := j.created[id]
	return key, ok
}

// createdIDs returns every record this import created, deleted since or
// not, with the row key it was created for.
func (j *journal) createdIDs() map[int64]string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return maps.Clone(j.created)
}

// wasDeleted reports whether this import deleted record id.
func (j *journal) wasDeleted(id int64) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.deleted[id]
}

// loadedRows returns how many rows the journal knew when it was opened.
func (j *journal) loadedRows() int { return j.rows }

// mattersForResume reports whether the journal, as opened, holds rows
// created or in flight: applying it to the wrong input would settle rows
// that are not the ones it recorded.
func (j *journal) mattersForResume() bool { return j.settled > 0 }

// knows reports whether the journal holds anything about row key.
func (j *journal) knows(key string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, ok := j.creates[key]; ok {
		return true
	}
	if _, ok := j.updates[key]; ok {
		return true
	}
	_, ok := j.byKey[key]
	return ok
}

// close releases the journal's lock and closes it.
func (j *journal) close() error {
	j.unlock()
	if err := j.f.Close(); err != nil {
		return fmt.Errorf("close journal %s: %w", j.path, err)
	}
	return nil
}
