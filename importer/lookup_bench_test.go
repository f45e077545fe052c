package importer

import (
	"context"
	"fmt"
	"testing"

	"contactbulk/mapping"
	"contactbulk/nexudus"
	"contactbulk/sandbox"
	"contactbulk/sandbox/sandboxtest"
)

// BenchmarkLookups looks up the contracts and countries of 100,000 rows
// in a space of 20,000 contracts (holders' emails, half of them asked
// for) and reports rows/s and the requests made, which follow the lists'
// size, not the rows'.
func BenchmarkLookups(b *testing.B) {
	const contracts, rows = 20_000, 100_000
	s := sandboxtest.New(b, sandbox.Config{})
	for i := range contracts {
		id := int64(3000 + i)
		s.Sandbox.AddCoworker(sandbox.Coworker{ID: 100000 + id, FullName: fmt.Sprint("Holder ", i), Email: fmt.Sprintf("holder%d@example.com", i), Active: true})
		s.Sandbox.AddContract(sandbox.Contract{ID: id, CoworkerID: 100000 + id, TariffName: "Virtual Office", Active: true})
	}
	c, err := nexudus.New(testClientConfig(s.URL, s.Token, 0, b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	countries := []string{"United Kingdom", "es", "France", "JP"}
	values := make([]mapping.LookupValues, rows)
	for i := range values {
		values[i][mapping.LookupHolderEmail] = fmt.Sprintf("Holder%d@example.com", i%(contracts/2))
		values[i][mapping.LookupCountry] = countries[i%len(countries)]
	}
	b.ResetTimer()
	reads := 0
	for range b.N {
		l := newLookups(c, false)
		for i := range values {
			l.want(&values[i], &mapping.Contact{})
		}
		if err := l.read(context.Background()); err != nil {
			b.Fatal(err)
		}
		for i := range values {
			var ct mapping.Contact
			var given [mapping.NumFields]bool
			if ps := l.resolve(&values[i], &ct, &given); len(ps) > 0 {
				b.Fatalf("row %d: %v", i, ps)
			}
		}
		reads = l.totalReads()
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(reads), "requests")
}
