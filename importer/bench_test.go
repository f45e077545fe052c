package importer

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// WriteBenchCSV writes a CSV of n valid rows using every field, the input
// of the dry-run benchmark.
func writeBenchCSV(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "CoworkerContractId,FullName,CoworkerId,Email,DateOfBirth,Address,PostCode,CityName,State,CountryId,PhoneNumber,Notes,ContractContactType")
	types := [...]string{"Director", "CompanyAlias", "NominatedRecipient", "None"}
	for i := range n {
		fmt.Fprintf(w, "%d,Person %d,%d,person%d@example.com,19%02d-%02d-%02d,%d Market Street,EC1A 1BB,London,,826,+44 20 7946 %04d,\"Imported, batch %d\",%s\n",
			1001+i%10, i, 100000+i, i, 50+i%50, 1+i%12, 1+i%28, i%200, i%10000, i/1000, types[i%4])
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// BenchmarkDryRun validates a generated file (BENCH_ROWS rows, default
// 100,000) and reports rows/s and the peak heap in use.
func BenchmarkDryRun(b *testing.B) {
	n := 100_000
	if s := os.Getenv("BENCH_ROWS"); s != "" {
		fmt.Sscan(s, &n)
	}
	path := filepath.Join(b.TempDir(), "bench.csv")
	if err := writeBenchCSV(path, n); err != nil {
		b.Fatal(err)
	}
	in, err := Open(path, nil, ReadOptions{Today: today})
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			default:
			}
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse+ms.StackInuse)
			time.Sleep(5 * time.Millisecond)
		}
	}()
	b.ResetTimer()
	for b.Loop() {
		sum, err := DryRun(context.Background(), in, "", io.Discard)
		if err != nil || sum.Valid != n {
			b.Fatalf("dry run: %+v, %v", sum, err)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
}
