// Package exporter streams Nexudus ContractContact records to CSV: page by
// page in constant memory, in a stable order with no duplicate Id, checked
// against the server's count, and safe to open in a spreadsheet.
package exporter
