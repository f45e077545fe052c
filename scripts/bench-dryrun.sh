#!/usr/bin/env bash
# bench-dryrun.sh generates a CSV of ROWS rows (default 1,000,000), builds
# contactbulk, and measures under /usr/bin/time -v, on the same file:
#   - import --dry-run: rows per second and peak memory (maximum RSS);
#   - a bare encoding/csv pass (read every record, nothing else): rows per
#     second and peak memory;
# then prints how many times the bare pass's time the dry run takes. The
# dry run uses every core (the bare pass one): on a busy machine its time
# suffers more, so the script says how loaded the machine was.
set -euo pipefail
ROWS=${ROWS:-1000000}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/contactbulk" .
mkdir "$work/bare"
cat > "$work/bare/main.go" <<'GO'
// bare reads every record of a CSV with encoding/csv and does nothing else.
package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
)

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		panic(err)
	}
	r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	r.ReuseRecord = true
	r.FieldsPerRecord = -1
	n := 0
	for {
		if _, err := r.Read(); err == io.EOF {
			break
		} else if err != nil {
			panic(err)
		}
		n++
	}
	fmt.Println(n, "records")
}
GO
(cd "$work/bare" && GO111MODULE=off go build -o "$work/bare-csv" main.go)
python3 - "$ROWS" "$work/contacts.csv" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
types = ["Director", "CompanyAlias", "NominatedRecipient", "None"]
with open(path, "w") as f:
    f.write("CoworkerContractId,FullName,CoworkerId,Email,DateOfBirth,Address,PostCode,CityName,State,CountryId,PhoneNumber,Notes,ContractContactType\n")
    for i in range(n):
        f.write(f'{1001+i%10},Person {i},{100000+i},person{i}@example.com,19{50+i%50:02d}-{1+i%12:02d}-{1+i%28:02d},{i%200} Market Street,EC1A 1BB,London,,826,+44 20 7946 {i%10000:04d},"Imported, batch {i//1000}",{types[i%4]}\n')
PY
echo "input: $ROWS rows, $(du -h "$work/contacts.csv" | cut -f1)"
cat "$work/contacts.csv" > /dev/null # into the page cache for both

# measure NAME COMMAND...: runs COMMAND under /usr/bin/time -v and prints
# its rows/s and peak memory; sets $seconds.
measure() {
	local name=$1
	shift
	local start end
	start=$(date +%s.%N)
	/usr/bin/time -v "$@" 2>"$work/time.txt" >/dev/null || true
	end=$(date +%s.%N)
	seconds=$(awk -v s="$start" -v e="$end" 'BEGIN { print e-s }')
	local kb cpu
	kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
	cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$work/time.txt")
	awk -v name="$name" -v n="$ROWS" -v t="$seconds" -v kb="$kb" -v cpu="$cpu" 'BEGIN {
		printf "%-24s %9.0f rows/s  %5.2f s (%5.2f s of CPU)  peak %5.1f MB (maximum RSS)\n", name, n/t, t, cpu, kb/1024 }'
}

if [ ! -x /usr/bin/time ]; then
	echo "/usr/bin/time not found (apt-get install time): measuring with the Go benchmark instead"
	BENCH_ROWS=$ROWS go test ./importer -run '^$' -bench BenchmarkDryRun -benchtime 1x -cpu "$(nproc)"
	exit 0
fi
echo "cores: $(nproc), load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
measure "bare encoding/csv pass" "$work/bare-csv" "$work/contacts.csv"
bare=$seconds
measure "import --dry-run" "$work/contactbulk" import --dry-run "$work/contacts.csv"
grep -E '^dry run' "$work/time.txt" || true
awk -v d="$seconds" -v b="$bare" 'BEGIN { printf "dry run / bare pass: %.2f times\n", d/b }'
