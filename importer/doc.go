// Package importer turns a spreadsheet of contract contacts into records in
// a Nexudus space, exactly once, and can take them out again (Undo).
//
// Reading (input.go, scan.go, spool.go, source.go, xlsx.go). Open takes a
// CSV or XLSX file; what cannot be read twice (stdin, a pipe, a device) is
// first spooled to a 0600 temp file named with the pid, so that a later
// run clears a killed run's spools. One quick survey of a CSV decides its
// encoding from the whole file (never switched for one bad byte), its
// delimiter (or a sep= line), its line ends and the order its dates prove,
// and bounds what it may be (lines, rows; a workbook's unpacked size).
// Open maps the header with package mapping (a title row above it is
// skipped). Input.Rows starts a fresh pass: one goroutine reads records,
// mappers on every core turn them into Rows (contact, problems, the fields
// given), and the repeat check runs in order, in constant memory.
// DryRun checks every row with no network and groups the problems it
// reports; ReadOptions.Raw reads a results file back as it is.
//
// Who a row is. A row is a person, not a line of text: its contract, its
// contact type, and either its CoworkerId or its name compared as
// mapping.NameKey (case, spacing and Unicode form aside). A row with an Id
// column (an export fed back) is that record. Two rows of one sheet with
// one identity are invalid ("repeats row N").
//
// Run, in passes:
//  1. load: read the whole input, keeping the valid rows (a few hundred
//     bytes each); then look up (lookup.go) the Ids rows name by a lookup
//     value (mapping.Lookup: the contract by its holder, the coworker by
//     email, the country by name or code), reading each list needed once,
//     whole, and matching exactly; a value that names no record, several,
//     or one other than the row's Id makes the row invalid.
//  2. read the space (space.go): every record of the sheet's contracts,
//     per contract or the whole space, whichever needs fewer reads.
//  3. classify (plan.go): new (no record), exists, differs (naming the
//     fields, compared after what a server may normalise) or ambiguous
//     (several records: never guess). --plan stops here.
//  4. write (write.go): create the new rows, update the differing ones
//     with --update (the full record read, only given fields changed, the
//     whole record sent), on a paced pool of workers.
//  5. settle (settle.go): a write of unknown outcome is looked for once
//     the server had LandingWait to store it, and a create is sent again
//     only when a read Settle after it still does not find it.
//  6. verify (verify.go): read the touched contracts again; each done row
//     must map to one record. --repair deletes duplicates this import made.
//  7. write the results file: one line per input row, in input order.
//
// The journal (journal.go), beside the results file, is what makes a kill
// safe: a begin line is synced before every write is sent and an end line
// after its answer. A row's journal key is its identity. States per key:
// a create, update or delete in flight (begun, no end: its outcome is
// unknown and is settled by reading the space before anything else), and
// records created, updated or deleted, each with a fingerprint of what was
// written. The journal does not say what the space holds: the space is
// read for that, so a sheet edited, fed back or imported under two results
// files never creates a row twice.
//
// Contexts. Run's ctx is the first Ctrl-C: no new write starts, the read
// and settle waits stop. Options.Abandon is the second: writes already
// sent are abandoned (their outcome stays unknown; the next run settles
// them). Each write's own context (sendContext) ends with ctx only until
// its request has been written.
package importer
