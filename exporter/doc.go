// Package exporter is filled in by its issue.
package exporter
