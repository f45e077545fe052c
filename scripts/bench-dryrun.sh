#!/usr/bin/env bash
# bench-dryrun.sh generates a CSV of ROWS rows (default 1,000,000), builds
# contactbulk, dry-runs the file under /usr/bin/time -v and prints rows per
# second and peak memory (maximum resident set size).
set -euo pipefail
ROWS=${ROWS:-1000000}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/contactbulk" .
python3 - "$ROWS" "$work/contacts.csv" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
types = ["Director", "CompanyAlias", "NominatedRecipient", "None"]
with open(path, "w") as f:
    f.write("CoworkerContractId,FullName,CoworkerId,Email,DateOfBirth,Address,PostCode,CityName,State,CountryId,PhoneNumber,Notes,ContractContactType\n")
    for i in range(n):
        f.write(f'{1001+i%10},Person {i},{2001+i%5},person{i}@example.com,19{50+i%50:02d}-{1+i%12:02d}-{1+i%28:02d},{i%200} Market Street,EC1A 1BB,London,,826,+44 20 7946 {i%10000:04d},"Imported, batch {i//1000}",{types[i%4]}\n')
PY
echo "input: $ROWS rows, $(du -h "$work/contacts.csv" | cut -f1)"
if [ -x /usr/bin/time ]; then
	start=$(date +%s.%N)
	/usr/bin/time -v "$work/contactbulk" import --dry-run "$work/contacts.csv" 2>"$work/time.txt" >/dev/null || true
	end=$(date +%s.%N)
	grep -E '^dry run' "$work/time.txt" || true
	peak_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
	awk -v n="$ROWS" -v s="$start" -v e="$end" -v kb="$peak_kb" 'BEGIN {
		printf "rows/second: %.0f\npeak memory: %.1f MB (maximum resident set size)\n", n/(e-s), kb/1024 }'
else
	echo "/usr/bin/time not found: measuring with the Go benchmark instead"
	BENCH_ROWS=$ROWS go test ./importer -run '^$' -bench BenchmarkDryRun -benchtime 1x -cpu "$(nproc)"
fi
