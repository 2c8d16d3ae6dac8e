#!/bin/sh
# Throughput and memory of the record layer on generated data:
#
#   nono-chain   events -> records   vs  openssl dgst -sha256 over the events
#   nono-verify  records             vs  openssl dgst -sha256 over the records
#   peak RSS at N events (files) and at 10*N events (a pipe, nothing stored)
#
# Uses the binaries in ./bin (make build). N defaults to 1000000 events of
# about 500 bytes (~500 MB of events, ~1.3 GB of records under bench/out/).
# Set N to scale, SKIP_BIG=1 to skip the 10*N pipe.
set -eu
cd "$(dirname "$0")/.."

N=${N:-1000000}
BIG=$((N * 10))
OUT=bench/out
mkdir -p "$OUT"
. bench/lib.sh

for b in nono-chain nono-verify; do
	[ -x "bin/$b" ] || { echo "records.sh: bin/$b missing: run make build" >&2; exit 2; }
done
command -v openssl >/dev/null || { echo "records.sh: openssl not found" >&2; exit 2; }

go build -o "$OUT/gen" ./bench/gen
go build -o "$OUT/measure" ./bench/measure
gen=$OUT/gen
measure=$OUT/measure

events=$OUT/events-$N.ndjson
records=$OUT/records-$N.ndjson
if [ ! -s "$events" ]; then
	echo "generating $N events into $events"
	"$gen" -n "$N" > "$events.tmp" && mv "$events.tmp" "$events"
fi

# field NAME FILE: the value of NAME=… in measure's report.
field() { tr ' ' '\n' < "$2" | sed -n "s/^$1=//p" | tail -n 1; }

# run LABEL BYTES COUNT MEASURE-ARGS...: time a command, keep its report.
run() {
	label=$1; shift
	"$measure" -- "$@" 2> "$OUT/$label.m" || { cat "$OUT/$label.m" >&2; exit 1; }
}

# report LABEL BYTES [BASELINE-LABEL]
report() {
	wall=$(field wall_s "$OUT/$1.m")
	rss=$(field maxrss_mib "$OUT/$1.m")
	cpu=$(awk -v u="$(field user_s "$OUT/$1.m")" -v s="$(field sys_s "$OUT/$1.m")" 'BEGIN{printf "%.2f", u+s}')
	if [ $# -ge 3 ]; then
		base=$(field wall_s "$OUT/$3.m")
		awk -v l="$1" -v b="$2" -v w="$wall" -v n="$N" -v r="$rss" -v c="$cpu" -v o="$base" 'BEGIN{
			printf "%-16s %8.3f s  %10.0f events/s  %7.1f MB/s  cpu %5s s  peak RSS %6.1f MiB  ratio to openssl %.2f\n",
				l, w, n/w, b/w/1e6, c, r, o/w }'
	else
		awk -v l="$1" -v b="$2" -v w="$wall" -v r="$rss" -v c="$cpu" 'BEGIN{
			printf "%-16s %8.3f s  %18s  %7.1f MB/s  cpu %5s s  peak RSS %6.1f MiB\n", l, w, "", b/w/1e6, c, r }'
	fi
}

ev_bytes=$(wc -c < "$events")

# Records are written to a file once (the fsync at the end included);
# the timed nono-chain run writes to /dev/null so that the figure is the
# tool's, not the disk's.
run chain-file sh -c "bin/nono-chain < '$events' > '$records'"
rec_bytes=$(wc -c < "$records")

run openssl-events openssl dgst -sha256 "$events"
run chain sh -c "bin/nono-chain < '$events' > /dev/null"
run openssl-records openssl dgst -sha256 "$records"
run verify bin/nono-verify "$records"

echo
echo "record layer, $N events ($ev_bytes bytes of events, $rec_bytes bytes of records), $(nproc) CPUs"
report openssl-events "$ev_bytes"
report chain "$ev_bytes" openssl-events
report chain-file "$ev_bytes" openssl-events
report openssl-records "$rec_bytes"
report verify "$rec_bytes" openssl-records
echo "targets: nono-chain >= 0.20 and nono-verify >= 0.25 of openssl; peak RSS < 32 MiB"
# ratio A B: wall of B over wall of A (a throughput relative to A's).
speed() { awk -v a="$(field wall_s "$OUT/$1.m")" -v b="$(field wall_s "$OUT/$2.m")" 'BEGIN{printf "%.2f", b/a}'; }
bench_ratio records "nono-chain events->records, throughput" "$(speed chain openssl-events)" "openssl dgst -sha256 (events)" ">= 0.20"
bench_ratio records "nono-chain to an fsynced file, throughput" "$(speed chain-file openssl-events)" "openssl dgst -sha256 (events)"
bench_ratio records "nono-verify records, throughput" "$(speed verify openssl-records)" "openssl dgst -sha256 (records)" ">= 0.25"

if [ "${SKIP_BIG:-}" != 1 ]; then
	echo
	echo "pipe of $BIG events: gen | nono-chain | nono-verify (nothing stored)"
	"$measure" -- sh -c "'$gen' -n $BIG | '$measure' -- bin/nono-chain 2> '$OUT/big-chain.m' | '$measure' -- bin/nono-verify --count $BIG > /dev/null 2> '$OUT/big-verify.m'" 2> "$OUT/big.m"
	for t in chain verify; do
		printf '%-16s %8.3f s  peak RSS %6.1f MiB\n' "$t" "$(field wall_s "$OUT/big-$t.m")" "$(field maxrss_mib "$OUT/big-$t.m")"
		[ "$(field exit "$OUT/big-$t.m")" = 0 ] || { echo "records.sh: $t failed" >&2; exit 1; }
	done
fi
