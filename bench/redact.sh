#!/bin/sh
# Throughput of nono-redact on generated audit events:
#
#   all      the whole log, Default rules (the nono run default)
#   upstream the whole log, --rules upstream
#   clean    only the lines with nothing to scrub (they pass through
#            byte for byte), Default rules
#
# each against `cat` of the same file, with the CPU time, the MB/s it
# stands for, and the peak RSS. Uses bin/nono-redact (make build). The log
# is bench/out/events.ndjson when present (go run ./bench/gen -n 1000000),
# else bench/out/events-N.ndjson, generated with N events (default
# 1000000, about 500 MB).
set -eu
cd "$(dirname "$0")/.."

N=${N:-1000000}
OUT=bench/out
mkdir -p "$OUT"
. bench/lib.sh
[ -x bin/nono-redact ] || { echo "redact.sh: bin/nono-redact missing: run make build" >&2; exit 2; }

go build -o "$OUT/measure" ./bench/measure
measure=$OUT/measure

events=$OUT/events.ndjson
if [ ! -s "$events" ] || [ "$N" != 1000000 ]; then
	events=$OUT/events-$N.ndjson
	if [ ! -s "$events" ]; then
		go build -o "$OUT/gen" ./bench/gen
		echo "generating $N events into $events"
		"$OUT/gen" -n "$N" > "$events.tmp" && mv "$events.tmp" "$events"
	fi
fi

# The clean subset: the lines nono-redact leaves as they are.
redacted=$OUT/events-redacted.ndjson
clean=$OUT/events-clean.ndjson
bin/nono-redact < "$events" > "$redacted"
awk -v other="$redacted" '{ if ((getline r < other) > 0 && r == $0) print }' "$events" > "$clean"
lines=$(wc -l < "$events")
changed=$((lines - $(wc -l < "$clean")))
# The clean lines really pass through unchanged.
bin/nono-redact < "$clean" | cmp -s - "$clean" || { echo "redact.sh: clean lines changed" >&2; exit 1; }
bin/nono-redact --rules upstream < "$redacted" | cmp -s - "$redacted" || { echo "redact.sh: output is not an upstream fixed point" >&2; exit 1; }
echo "log: $events, $lines events, $changed of them changed by the Default rules"

# field NAME FILE: the value of NAME=… in measure's report.
field() { tr ' ' '\n' < "$2" | sed -n "s/^$1=//p" | tail -n 1; }

# run LABEL FILE CMD...: time CMD with FILE on stdin and stdout discarded.
run() {
	m=$OUT/redact-$1.m in=$2
	shift 2
	"$measure" -- "$@" < "$in" > /dev/null 2> "$m" || { cat "$m" >&2; exit 1; }
}

# report LABEL FILE: the figures of LABEL against cat-LABEL.
report() {
	bytes=$(wc -c < "$2")
	awk -v l="$1" -v b="$bytes" \
		-v w="$(field wall_s "$OUT/redact-$1.m")" -v u="$(field user_s "$OUT/redact-$1.m")" \
		-v s="$(field sys_s "$OUT/redact-$1.m")" -v r="$(field maxrss_mib "$OUT/redact-$1.m")" \
		-v cw="$(field wall_s "$OUT/redact-cat-$1.m")" 'BEGIN{
		c = u + s
		printf "%-9s %7.1f MB  %7.3f s  %7.1f MB/s  cpu %6.3f s = %7.1f MB/s  peak RSS %5.1f MiB  cat %6.3f s = %7.1f MB/s  ratio to cat %6.1fx\n",
			l, b/1e6, w, b/w/1e6, c, b/c/1e6, r, cw, b/cw/1e6, w/cw }'
}

for label in all upstream clean; do
	file=$events
	[ "$label" = clean ] && file=$clean
	run "cat-$label" "$file" cat
	case $label in
	upstream) run "$label" "$file" bin/nono-redact --rules upstream ;;
	*) run "$label" "$file" bin/nono-redact ;;
	esac
	report "$label" "$file"
done
echo "target: at least 300 MB/s on lines with nothing to scrub (the clean row)"
for label in all upstream clean; do
	bench_ratio redact "nono-redact $label lines, throughput" \
		"$(awk -v w="$(field wall_s "$OUT/redact-$label.m")" -v c="$(field wall_s "$OUT/redact-cat-$label.m")" 'BEGIN{printf "%.3f", c/w}')" "cat of the same file"
done
