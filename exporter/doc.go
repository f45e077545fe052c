// Package exporter streams Nexudus ContractContact records to CSV or XLSX:
// page by page in constant memory, in a stable order with no duplicate Id,
// checked against the server's count, and safe to open in a spreadsheet.
// It pages by what the server does (its dir convention, the page size it
// serves, the end of the listing) rather than by what the documents say,
// and refuses, with a *ServerError naming the fix, a server it cannot page
// completely. For nightly runs it keeps a State, selects what changed
// since the last run, and lists the full Id set so that an IDDiff can say
// what was deleted.
package exporter
