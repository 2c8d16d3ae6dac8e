#!/usr/bin/env bash
# bench/delivery.sh: shipping sessions to a local MinIO through nono-collect.
#
#  1. N (1,000) small recorded sessions delivered by `nono audit sync`
#     (enrolled, collector on 127.0.0.1, an Object Lock bucket): sessions/s,
#     against PUTting the same envelopes straight into a bucket
#     (bench/s3ref put: no protocol, no collector, no verification) with the
#     same parallelism.
#  2. One session with a BIG_MB (100) MB log: sync bytes/s (of the log),
#     against a straight PUT of its envelope.
#  3. `nono-verify s3` over the N sessions: sessions/s, against GETting
#     the same objects straight back (bench/s3ref get).
#
# Needs ./bin (make build) and the MinIO server of scripts/minio.sh (built
# and cached on first use). Everything runs under a scratch directory that
# is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

N=${N:-1000}
BIG_MB=${BIG_MB:-100}
PARALLEL=${PARALLEL:-8}
for b in nono nono-collect nono-verify nono-ship; do
	[[ -x bin/$b ]] || { echo "delivery.sh: bin/$b missing: run make build" >&2; exit 2; }
done
minio=$(./scripts/minio.sh)
work=$(mktemp -d "${TMPDIR:-/tmp}/nono-delivery.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/s3ref" ./bench/s3ref
go build -o "$work/measure" ./bench/measure
mkdir -p "$work/hooked"
cp bin/nono* "$work/hooked/"
go build -trimpath -tags nonorun_testhooks -o "$work/hooked/nono-run" ./cmd/nono-run

# MinIO on a free loopback port.
export AWS_ACCESS_KEY_ID=nonobench AWS_SECRET_ACCESS_KEY=nonobench-secret-key AWS_REGION=
port() { echo $((20000 + RANDOM % 20000)); }
s3port=$(port)
MINIO_ROOT_USER=$AWS_ACCESS_KEY_ID MINIO_ROOT_PASSWORD=$AWS_SECRET_ACCESS_KEY MINIO_BROWSER=off HOME=$work \
	"$minio" server --quiet --address "127.0.0.1:$s3port" --console-address "127.0.0.1:$(port)" "$work/minio" >"$work/minio.log" 2>&1 &
pids+=($!)
S3=http://127.0.0.1:$s3port
for ((i = 0; i < 300; i++)); do
	bin/nono-collect bucket create --s3 "$S3" --bucket sessions --retention-days 1 >/dev/null 2>&1 && break
	sleep 0.1
done
bin/nono-collect bucket create --s3 "$S3" --bucket reference --retention-days 1 >/dev/null
bin/nono-collect serve --s3 "$S3" --bucket sessions --listen 127.0.0.1:0 --addr-file "$work/addr" 2>"$work/collect.log" &
pids+=($!)
for ((i = 0; i < 300; i++)); do [[ -s $work/addr ]] && break; sleep 0.05; done
URL=http://$(cat "$work/addr")
top=$PWD

# seconds LABEL: the wall time measure recorded for LABEL.
seconds() { tr ' ' '\n' <"$work/$1.m" | sed -n 's/^wall_s=//p' | tail -n 1; }
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# machine NAME: a fresh HOME and state directory, enrolled.
machine() {
	local home=$work/$1
	mkdir -p "$home/home" "$home/state" "$home/ws"
	export HOME=$home/home XDG_STATE_HOME=$home/state XDG_CONFIG_HOME=$home/home NONO_AUDIT_DIR= NONO_ROLLBACK_DIR=
	cd "$home/ws"
	local tok
	tok=$("$top/bin/nono-collect" token create --s3 "$S3" --bucket sessions --tenant bench)
	"$top/bin/nono" platform enroll --url "$URL" --token "$tok" >/dev/null
}

echo "recording $N sessions..."
machine small
# Four at a time, as parallel jobs of one machine would (recording is not timed).
seq "$N" | xargs -P 4 -I{} "$top/bin/nono" run --silent --allow-cwd --no-sync -- true
root=$XDG_STATE_HOME/nono/audit
"$work/measure" -- "$top/bin/nono" audit sync --parallel "$PARALLEL" >"$work/sync.out" 2>"$work/sync.m" || { cat "$work/sync.out" "$work/sync.m" >&2; exit 1; }
grep -q "Audit sync: $N delivered, 0 failed" "$work/sync.out" || { cat "$work/sync.out" >&2; exit 1; }
ref=$("$work/s3ref" put -s3 "$S3" -bucket reference -audit-root "$root" -parallel "$PARALLEL")
sync_s=$(seconds sync) ref_s=$(field wall_s "$ref")
awk -v n="$N" -v s="$sync_s" -v r="$ref_s" 'BEGIN {
	printf "  nono audit sync, %d sessions:        %7.2f s  %7.1f sessions/s\n", n, s, n / s
	printf "  straight PUT of their envelopes:     %7.2f s  %7.1f objects/s\n", r, n / r }'
bench_ratio delivery "sync sessions/s ÷ straight PUTs/s ($N small sessions)" "$(awk -v s="$sync_s" -v r="$ref_s" 'BEGIN {printf "%.2f", r / s}')" "PUT of the same envelopes to MinIO"

"$work/measure" -- "$top/bin/nono-verify" s3 --s3 "$S3" --bucket sessions --prefix bench/ >"$work/verify.out" 2>"$work/verify.m" || { tail -3 "$work/verify.out" >&2; exit 1; }
get=$("$work/s3ref" get -s3 "$S3" -bucket sessions -prefix bench/ -parallel 8)
verify_s=$(seconds verify) get_s=$(field wall_s "$get") objects=$(field objects "$get")
awk -v n="$N" -v s="$verify_s" -v r="$get_s" -v o="$objects" 'BEGIN {
	printf "  nono-verify s3, %d sessions:         %7.2f s  %7.1f sessions/s\n", n, s, n / s
	printf "  straight GET of their %d objects:  %7.2f s\n", o, r }'
bench_ratio delivery "nono-verify s3 sessions/s ÷ straight GETs of all their objects/s" "$(awk -v s="$verify_s" -v r="$get_s" 'BEGIN {printf "%.2f", r / s}')" "GET of the same objects from MinIO"

echo "recording one session with a ${BIG_MB} MB log..."
cd "$top"
machine big
# About 1.2 KB of log per synthetic event.
events=$((BIG_MB * 1000 * 1000 / 1205))
NONO_RUN_TEST_EVENTS=$events "$work/hooked/nono" run --silent --allow-cwd --no-sync -- true
root=$XDG_STATE_HOME/nono/audit
log_bytes=$(cat "$root"/*/audit-events.ndjson | wc -c)
"$work/measure" -- "$top/bin/nono" audit sync >"$work/big.out" 2>"$work/big.m" || { cat "$work/big.out" "$work/big.m" >&2; exit 1; }
grep -q "Audit sync: 1 delivered, 0 failed" "$work/big.out" || { cat "$work/big.out" >&2; exit 1; }
ref=$("$work/s3ref" put -s3 "$S3" -bucket reference -audit-root "$root")
big_s=$(seconds big) ref_s=$(field wall_s "$ref") env_bytes=$(field bytes "$ref")
awk -v b="$log_bytes" -v e="$env_bytes" -v s="$big_s" -v r="$ref_s" 'BEGIN {
	printf "  nono audit sync, one %.0f MB log (%.0f MB envelope): %6.2f s  %6.1f MB/s of log\n", b / 1e6, e / 1e6, s, b / s / 1e6
	printf "  straight PUT of that envelope:                     %6.2f s  %6.1f MB/s of envelope\n", r, e / r / 1e6 }'
bench_ratio delivery "sync of one ${BIG_MB} MB log: bytes/s ÷ a straight PUT of its envelope" "$(awk -v s="$big_s" -v r="$ref_s" 'BEGIN {printf "%.2f", r / s}')" "PUT of the same envelope to MinIO"
