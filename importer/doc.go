// Package importer is filled in by its issue.
package importer
