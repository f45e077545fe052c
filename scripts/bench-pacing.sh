#!/usr/bin/env bash
# bench-pacing.sh: how close the client's pacing comes to Nexudus's
# documented limits, for imports of 20, 300 and 3,000 rows and exports of
# 10,000, 100,000 and 1,000,000 records, against the sandbox enforcing
# sandbox.DocumentedLimits (120 requests a minute, 5,000 an hour, one per
# 100 ms, 60 writes a minute; 5,000 writes a day). For each it prints the
# least time those limits allow for its requests, the time the client
# took, the first as a share of the second, and the throttles met.
#
# The figures are in virtual time: one fake clock drives the sandbox and
# the client (see BenchmarkPacing in nexudus/pace_bench_test.go), so 3,000
# writes at 60 a minute take seconds of real time, not 50 minutes. The
# 1,000,000-record export needs about 1.3 GB of memory for the sandbox.
#
#   scripts/bench-pacing.sh                  # every size
#   SIZES='import-20|export-10k' scripts/bench-pacing.sh
set -euo pipefail

cd "$(dirname "$0")/.."
SIZES=${SIZES:-"import-20|import-300|import-3000|export-10k|export-100k|export-1M"}

out=$(go test -run '^$' -bench "^BenchmarkPacing/($SIZES)\$" -benchtime 1x ./nexudus)
echo "Pacing against the sandbox's documented limits, in VIRTUAL TIME (a fake clock"
echo "drives the sandbox and the client; real time is not what is measured):"
echo
printf '%-28s %9s %12s %12s %8s %10s\n' job requests "least time" "paced time" share throttles
echo "$out" | awk '
	/^BenchmarkPacing\// {
		name = $1; sub(/^BenchmarkPacing\//, "", name); sub(/-[0-9]+$/, "", name)
		for (i = 3; i < NF; i++) v[$(i + 1)] = $i
		split(name, p, "-")
		size = p[2]; sub(/k$/, ",000", size); sub(/M$/, ",000,000", size)
		if (size == "3000") size = "3,000"
		job = (p[1] == "import") ? "import of " size " rows" : "export of " size " records"
		printf "%-28s %9d %11.1fs %11.1fs %7.1f%% %10d\n", job, v["requests"], v["least-s"], v["paced-s"], int(v["%limit"] * 10) / 10, v["throttles"]
		n++
	}
	END { if (n == 0) { print "no benchmark ran" > "/dev/stderr"; exit 1 } }'
echo
echo "share: the least time the limits allow as a share of the time taken (goal: 95% or more, 0 throttles)."
echo "An import sends one create per row; an export one listing page per 1,000 records."
