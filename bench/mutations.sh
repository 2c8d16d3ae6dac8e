#!/bin/sh
# Tamper detection: random single-byte changes (any position, any value)
# of a small chained log, each verified against the totals pinned from the
# genuine log (as against a session's audit_integrity). Every one must be
# caught; the count is reported as caught / made. M sets how many (10000),
# SEED the random seed (the time by default).
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh

M=${M:-10000}
SEED=${SEED:-$(date +%s)}
out=$(go test -count=1 -run '^TestRandomMutations$' -v ./lib/chain -args -mutations="$M" -mutation-seed="$SEED" 2>&1) || {
	printf '%s\n' "$out" >&2
	echo "mutations.sh: some mutations were accepted (seed $SEED)" >&2
	exit 1
}
line=$(printf '%s\n' "$out" | sed -n 's/.*random single-byte mutations: //p')
echo "$line"
made=$(printf '%s\n' "$line" | tr ' ' '\n' | sed -n 's/^made=//p')
caught=$(printf '%s\n' "$line" | tr ' ' '\n' | sed -n 's/^caught=//p')
bench_ratio records "random single-byte mutations caught / made" \
	"$(awk -v c="$caught" -v m="$made" 'BEGIN{printf "%.4f", c/m}')" "$made mutations made (seed $SEED)" "= 1"
