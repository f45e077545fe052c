package importer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"contactbulk/mapping"
)

// ErrJournalMismatch marks a journal written for another input: applying it
// would skip or reconcile the wrong rows, so the import refuses to start.
var ErrJournalMismatch = errors.New("journal belongs to a different input")

// journalVersion is the format of the journal's lines; a journal of another
// version is refused rather than guessed at.
const journalVersion = 1

// JournalPath returns where the import keeps the journal of a results file:
// beside it, with ".journal" appended.
func JournalPath(results string) string { return results + ".journal" }

// rowState is what the journal knows about one row.
type rowState int

const (
	stateNone     rowState = iota // never sent, or sent and known not to have been (unsent)
	stateInFlight                 // begin written, no end: outcome unknown
	stateDone                     // created or found existing, with an Id
	stateFailed                   // the API refused it
)

// journalEntry is the latest state of one row, keyed by its content key.
type journalEntry struct {
	Row    int       // spreadsheet row when last written, for messages
	State  rowState  //
	Status Status    // Created or Exists when State is stateDone
	ID     int64     // when State is stateDone
	Msg    string    // the API's message when State is stateFailed
	Since  time.Time // when State is stateInFlight: when the create was last about to be sent
	fresh  bool      // written by this process
}

// journalLine is one line of the journal file, JSON encoded.
type journalLine struct {
	Op  string `json:"op"` // begin, done, exists, failed, unsent
	Key string `json:"key"`
	Row int    `json:"row"`
	ID  int64  `json:"id,omitempty"`
	Msg string `json:"msg,omitempty"`
	At  int64  `json:"at,omitempty"` // begin: Unix milliseconds when written
}

// journalHeader is the first line of a journal file.
type journalHeader struct {
	Journal string `json:"journal"`
	Version int    `json:"version"`
	Input   string `json:"input"`
	Target  string `json:"target,omitempty"` // where its rows were created: a base URL, or "embedded sandbox"
}

const journalMagic = "contactbulk import"

// journal is the durable, append-only record of every create: a begin line
// is fsync'd before a create is sent and an end line after its answer, so a
// crash at any point leaves enough to never create a row twice.
type journal struct {
	mu      sync.Mutex
	f       *os.File
	unlock  func() // releases the lock taken by lockJournal
	path    string
	input   string // the input named in the header
	target  string // where its rows were created ("" unknown)
	entries map[string]*journalEntry
	claimed map[int64]string // Id -> key of the row that owns it
	rows    int              // row keys present in the file when opened
	settled int              // of which done or in flight: what resuming depends on
	written time.Time        // the file's modification time when opened: the time of begin lines without one
	now     func() time.Time // the clock of begin lines
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
		entries: make(map[string]*journalEntry),
		claimed: make(map[int64]string),
		now:     time.Now,
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	unlock, err := lockJournal(f)
	if err != nil {
		f.Close()
		return nil, err
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

// load replays the journal's lines; the latest line about a row wins.
func (j *journal) load(data []byte) error {
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	var h journalHeader
	if err := json.Unmarshal([]byte(lines[0]), &h); err != nil || h.Journal != journalMagic {
		return fmt.Errorf("%s is not a contactbulk journal; delete it or choose another --results path", j.path)
	}
	if h.Version != journalVersion {
		return fmt.Errorf("journal %s has format version %d, this contactbulk reads version %d", j.path, h.Version, journalVersion)
	}
	if h.Target != "" && j.target != "" && h.Target != j.target {
		return fmt.Errorf("%w: %s records imports into %s, not %s; choose another --results path for this import (its rows were created there, not here)",
			ErrJournalMismatch, j.path, h.Target, j.target)
	}
	j.input = h.Input
	for n, line := range lines[1:] {
		var l journalLine
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.Key == "" {
			return fmt.Errorf("journal %s is damaged at line %d; it cannot be trusted to prevent duplicates, so check the space before deleting it", j.path, n+2)
		}
		j.apply(l, false)
	}
	j.rows = len(j.entries)
	for _, e := range j.entries {
		if e.State == stateDone || e.State == stateInFlight {
			j.settled++
		}
	}
	return nil
}

// apply records l in memory. The caller holds mu, or is loading.
func (j *journal) apply(l journalLine, fresh bool) {
	e := j.entries[l.Key]
	if e == nil {
		e = &journalEntry{}
		j.entries[l.Key] = e
	}
	e.Row = l.Row
	e.fresh = fresh
	e.Since = time.Time{}
	switch l.Op {
	case "begin":
		e.State = stateInFlight
		e.Since = time.UnixMilli(l.At)
		if l.At == 0 {
			e.Since = j.written
		}
	case "done", "exists":
		e.State, e.ID, e.Msg = stateDone, l.ID, l.Msg
		e.Status = Created
		if l.Op == "exists" {
			e.Status = Exists
		}
		j.claimed[l.ID] = l.Key
	case "failed":
		e.State, e.Msg = stateFailed, l.Msg
	case "unsent":
		e.State = stateNone
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
	j.apply(l, true)
	return nil
}

// begin durably records, with the time, that row key is about to be sent;
// it is written again before each attempt, so the last begin of a row tells
// from when a request of a killed run may still land.
func (j *journal) begin(key string, row int) error {
	return j.record(journalLine{Op: "begin", Key: key, Row: row, At: j.now().UnixMilli()})
}

// done durably records that row key was created (or found) with id; note
// says how, when it is worth telling ("found after an unknown outcome").
func (j *journal) done(key string, row int, status Status, id int64, note string) error {
	op := "done"
	if status == Exists {
		op = "exists"
	}
	return j.record(journalLine{Op: op, Key: key, Row: row, ID: id, Msg: note})
}

// failed durably records that the API refused row key with msg.
func (j *journal) failed(key string, row int, msg string) error {
	return j.record(journalLine{Op: "failed", Key: key, Row: row, Msg: msg})
}

// unsent durably records that row key's begun create was never sent.
func (j *journal) unsent(key string, row int) error {
	return j.record(journalLine{Op: "unsent", Key: key, Row: row})
}

// lookup returns a copy of what the journal knows about key.
func (j *journal) lookup(key string) (journalEntry, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	e, ok := j.entries[key]
	if !ok {
		return journalEntry{}, false
	}
	return *e, true
}

// claimedBy returns the key of the row that owns id, or "".
func (j *journal) claimedBy(id int64) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.claimed[id]
}

// loadedRows returns how many rows the journal knew when it was opened.
func (j *journal) loadedRows() int { return j.rows }

// mattersForResume reports whether the journal, as opened, holds rows
// created or in flight: applying it to the wrong input would skip or
// reconcile rows that are not the ones it recorded.
func (j *journal) mattersForResume() bool { return j.settled > 0 }

// close releases the journal's lock and closes it.
func (j *journal) close() error {
	j.unlock()
	if err := j.f.Close(); err != nil {
		return fmt.Errorf("close journal %s: %w", j.path, err)
	}
	return nil
}

// keyer gives each valid row its content key: a hash of the normalised
// contact plus its occurrence number among identical contacts of the pass,
// so edited or reordered sheets keep their rows' identities.
type keyer struct {
	seen map[[16]byte]int32
}

func newKeyer() *keyer { return &keyer{seen: make(map[[16]byte]int32)} }

// key returns the content key of the next row holding c.
func (k *keyer) key(c mapping.Contact) string {
	h := contactHash(c)
	n := k.seen[h]
	k.seen[h] = n + 1
	return hex.EncodeToString(h[:]) + "-" + strconv.Itoa(int(n))
}

// contactHash hashes the fields a create sends, with the email's case and
// the name's inner spacing folded.
func contactHash(c mapping.Contact) [16]byte {
	c.Email = strings.ToLower(c.Email)
	c.FullName = strings.Join(strings.Fields(c.FullName), " ")
	b, _ := json.Marshal(c) // a struct of strings and numbers always marshals
	sum := sha256.Sum256(b)
	var h [16]byte
	copy(h[:], sum[:])
	return h
}
