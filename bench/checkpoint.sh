#!/usr/bin/env bash
# Signed checkpoints of the ledger, on a generated ledger of N records
# (default 200000):
#
#   nono audit checkpoint --full   reads, checks and hashes the whole ledger
#                                  vs openssl dgst -sha256 over the ledger file
#   nono audit checkpoint          after one more record (what each nono run
#                                  pays with a note key configured)
#   nono audit prove ID            vs a trivial static Go binary's start
#   nono-verify checkpoint --proof vs a trivial static Go binary's start
#
# Uses the binaries in ./bin (make build).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
. bench/timing.sh

N=${N:-200000}
OUT=bench/out
for b in nono-chain nono-sign nono-verify; do
	[[ -x bin/$b ]] || { echo "checkpoint.sh: bin/$b missing: run make build" >&2; exit 2; }
done
command -v openssl >/dev/null || { echo "checkpoint.sh: openssl not found" >&2; exit 2; }

work=$OUT/checkpoint
rm -rf "$work"
mkdir -p -m 0700 "$work" "$work/audit"
work=$(cd "$work" && pwd)
root=$work/audit
go build -o "$work/ledgergen" ./bench/ledgergen
CGO_ENABLED=0 go build -trimpath -o "$work/gostart" ./bench/gostart

# N+5 records: N in the ledger, 5 appended one at a time.
"$work/ledgergen" -n $((N + 5)) > "$work/all.ndjson"
head -n "$N" "$work/all.ndjson" > "$root/ledger.ndjson"
chmod 0600 "$root/ledger.ndjson"
bin/nono-sign keygen --note --name bench --keyref "file://$work/note.key" > "$work/vkey" 2>/dev/null
key=file://$work/note.key
chain() { bin/nono-chain ledger "$@" --audit-root "$root"; }

ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

full_us=$(bench_median_us 3 chain checkpoint --key "$key" --full)
sha_us=$(bench_median_us 3 openssl dgst -sha256 "$root/ledger.ndjson")
bytes=$(wc -c < "$root/ledger.ndjson")

# One record more, five times: the incremental update reads only it.
samples=()
for i in 1 2 3 4 5; do
	sed -n "$((N + i))p" "$work/all.ndjson" >> "$root/ledger.ndjson"
	s=${EPOCHREALTIME/./}
	chain checkpoint --key "$key" > /dev/null
	e=${EPOCHREALTIME/./}
	samples+=($((e - s)))
done
incr_us=$(printf '%s\n' "${samples[@]}" | sort -n | awk '{v[NR] = $1} END {print v[3]}')

id=bench-$(printf '%012d' $((N / 2)))
chain prove "$id" > "$work/proof.json"
prove_us=$(bench_median_us 5 chain prove "$id")
verify_us=$(bench_median_us 5 bin/nono-verify checkpoint --proof "$work/proof.json" --key "$work/vkey")
go_us=$(bench_median_us 21 "$work/gostart")

printf 'ledger of %d records (%d bytes)\n' "$N" "$bytes"
printf '  checkpoint --full            %8s ms   openssl dgst -sha256 %s ms\n' "$(ms "$full_us")" "$(ms "$sha_us")"
printf '  checkpoint, one record more  %8s ms\n' "$(ms "$incr_us")"
printf '  prove ID                     %8s ms\n' "$(ms "$prove_us")"
printf '  nono-verify checkpoint --proof %6s ms   trivial Go binary start %s ms\n' "$(ms "$verify_us")" "$(ms "$go_us")"

bench_ratio checkpoint "checkpoint --full of $N records / openssl over the ledger" "$(ratio "$full_us" "$sha_us")" "openssl dgst -sha256"
bench_ratio checkpoint "checkpoint after one more record (N=$N)" "$(ratio "$incr_us" "$go_us")" "trivial static Go binary start"
bench_ratio checkpoint "prove ID (N=$N)" "$(ratio "$prove_us" "$go_us")" "trivial static Go binary start"
bench_ratio checkpoint "nono-verify checkpoint --proof" "$(ratio "$verify_us" "$go_us")" "trivial static Go binary start"
