package exporter

import (
	"context"
	"io"
	"testing"
	"time"

	"contactbulk/nexudus"
	"contactbulk/sandbox"
	"contactbulk/sandbox/sandboxtest"
)

// BenchmarkExport exports 10,000 sandbox records through the real client
// (pacing lifted) to io.Discard and reports records per second; run with
// -benchmem to see that allocations per export do not hold the records.
func BenchmarkExport(b *testing.B) {
	const n = 10000
	ts := sandboxtest.New(b, sandbox.Config{})
	ts.Sandbox.Generate(n, 0)
	client, err := nexudus.New(nexudus.Config{
		BaseURL: ts.URL, Token: ts.Token, HTTPClient: ts.Client(),
		Rate: nexudus.Rate{N: 1000000, Per: time.Second}, MinInterval: -1,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	records := 0
	for b.Loop() {
		sum, err := Run(context.Background(), client, io.Discard, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if sum.Records != n {
			b.Fatalf("%d records, want %d", sum.Records, n)
		}
		records += sum.Records
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
