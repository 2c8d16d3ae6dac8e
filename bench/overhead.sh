#!/usr/bin/env bash
# bench/overhead.sh: what recording a session costs.
#
#  1. Per session: the median wall time of `nono run -- /bin/true` against
#     a bare /bin/true, and of each stage of the default pipeline on its
#     own (plan, the supervisor, nono-run record, nono-redact, nono-chain,
#     the finalisation stages), so the overhead can be attributed.
#  2. Throughput: the whole default pipeline on a session whose supervisor
#     emits 100,000 synthetic events (the nonorun_testhooks build of
#     nono-run, see docs/RUN.md), and each stage alone on those events.
#
# Everything runs in a scratch HOME/XDG tree that is removed at the end.
# RUNS (default 40) sets the samples per median, EVENTS (100000) the size
# of the throughput session.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
. bench/timing.sh

runs=${RUNS:-40}
events=${EVENTS:-100000}
work=$(mktemp -d "${TMPDIR:-/tmp}/nono-overhead.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The tools as `make build` makes them (the wrapper beside them), and a
# second tree whose nono-run honours the test hooks.
bin=$work/bin hooked=$work/hooked static=$work/static
make -s build BINDIR="$bin" >/dev/null
go build -o "$work/measure" ./bench/measure
go build -o "$work/ledgergen" ./bench/ledgergen
CGO_ENABLED=0 go build -trimpath -o "$work/gostart" ./bench/gostart
mkdir -p "$hooked" "$static"
cp "$bin"/nono-* "$hooked/"
go build -trimpath -tags nonorun_testhooks -o "$hooked/nono-run" ./cmd/nono-run
CGO_ENABLED=0 go build -trimpath -o "$static/nono-run" ./cmd/nono-run
wrapper=0
if [[ -f cmd/nono/nono ]]; then
	install -m 0755 cmd/nono/nono "$hooked/nono"
	wrapper=1
fi

export HOME=$work/home XDG_STATE_HOME=$work/state XDG_CONFIG_HOME=$work/config
export NONO_AUDIT_DIR= NONO_ROLLBACK_DIR=
unset NONO_ALLOW NONO_RUN_TEST_EVENTS NONO_RUN_TEST_AFTER_HASH
mkdir -p "$HOME" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME" "$work/scratch"
cd "$work/scratch"

# median_us CMD...: the median wall time of $runs runs (bench_median_us).
median_us() { bench_median_us "$runs" "$@"; }

# cpu_us CMD...: the mean CPU time (user + system, every process) of one
# run of CMD, in microseconds. Unlike wall time it hardly moves with the
# machine's load.
cpu_us() { cpu_total_us "$runs" "$@"; }

# cpu_total_us N CMD...: the mean CPU time of N runs of CMD.
cpu_total_us() {
	"$work/measure" -- bash -c 'for ((i = 0; i < $0; i++)); do "$@" </dev/null >/dev/null 3>/dev/null; done' "$1" "${@:2}" 2>&1 >/dev/null |
		tail -n 1 | sed 's/.*user_s=\([0-9.]*\) sys_s=\([0-9.]*\).*/\1 \2/' |
		awk -v n="$1" '{printf "%d", ($1 + $2) * 1e6 / n}'
}

# cpu_paired_us CMD...: the mean CPU time of the reference and of CMD,
# measured by turns in four batches each: "REF CMD".
cpu_paired_us() {
	local i ref=0 cmd=0 batch=$(((runs + 3) / 4))
	for ((i = 0; i < 4; i++)); do
		ref=$((ref + $(cpu_total_us "$batch" "$work/gostart")))
		cmd=$((cmd + $(cpu_total_us "$batch" "$@")))
	done
	echo "$((ref / 4)) $((cmd / 4))"
}

ms() { awk -v us="$1" 'BEGIN {printf "%7.2f", us / 1000}'; }

# row LABEL CMD...: wall and CPU time of CMD, with the difference from
# the bare command once that is known.
row() {
	local label=$1 wall cpu
	shift
	wall=$(median_us "$@")
	cpu=$(cpu_us "$@")
	if [[ -n ${bare_wall-} ]]; then
		printf '  %-50s %s ms (+%s)   cpu %s ms (+%s)\n' "$label" "$(ms "$wall")" "$(ms $((wall - bare_wall)))" "$(ms "$cpu")" "$(ms $((cpu - bare_cpu)))"
	else
		printf '  %-50s %s ms            cpu %s ms\n' "$label" "$(ms "$wall")" "$(ms "$cpu")"
	fi
}

# A recorded two-event session to feed the stages one at a time.
eval "$("$bin/nono-run" plan --silent -- /bin/true)"
one_dir=$session_dir
"$bin/nono-run" --session-dir "$one_dir" -- /bin/true 3>"$work/one.raw"
"$bin/nono-redact" <"$work/one.raw" >"$work/one.redacted"
"$bin/nono-chain" <"$work/one.redacted" >"$one_dir/audit-events.ndjson"

stage_dir() { # a fresh session holding that log, for the stages that finish one
	(
		eval "$("$bin/nono-run" plan --silent -- /bin/true)"
		"$bin/nono-run" --session-dir "$session_dir" -- /bin/true 3>/dev/null
		cp "$one_dir/audit-events.ndjson" "$session_dir/"
		printf '%s\n' "$session_dir"
	)
}

echo "Recording overhead: median wall time and mean CPU time of $runs runs ($(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
echo
echo "Per session, /bin/true:"
bare_wall=$(median_us /bin/true)
bare_cpu=$(cpu_us /bin/true)
printf '  %-50s %s ms            cpu %s ms\n' "/bin/true (bare)" "$(ms "$bare_wall")" "$(ms "$bare_cpu")"
if ((wrapper)); then
	row "nono run -- /bin/true (the default pipeline)" "$bin/nono" run --silent -- /bin/true
	row "nono run --no-audit -- /bin/true" "$bin/nono" run --silent --no-audit -- /bin/true
fi
echo
echo "As ratios to a trivial static Go binary's start:"
go_wall=$(median_us "$work/gostart")
go_cpu=$(cpu_us "$work/gostart")
printf '  %-50s %s ms            cpu %s ms\n' "trivial static Go binary (the reference)" "$(ms "$go_wall")" "$(ms "$go_cpu")"
echo "  (each row's ratios are to the reference timed by turns with it, in brackets)"
# x A B: A/B to two places.
x() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }
# minus A B: A-B to two places.
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
# against LABEL TARGET_WALL TARGET_CPU CMD...: wall and CPU of CMD over
# the reference's, timed by turns, printed and added to the table; sets
# last_wall_x and last_cpu_x, the two ratios.
against() {
	local label=$1 tw=$2 tc=$3 ref_wall wall ref_cpu cpu
	shift 3
	read -r ref_wall wall < <(bench_paired_us "$runs" "$work/gostart" "$@")
	read -r ref_cpu cpu < <(cpu_paired_us "$@")
	last_wall_x=$(x "$wall" "$ref_wall") last_cpu_x=$(x "$cpu" "$ref_cpu")
	printf '  %-50s %s ms = %5sx   cpu %s ms = %5sx   (%s, %s ms)\n' "$label" "$(ms "$wall")" "$last_wall_x" "$(ms "$cpu")" "$last_cpu_x" "$(ms "$ref_wall" | tr -d ' ')" "$(ms "$ref_cpu" | tr -d ' ')"
	bench_ratio run "$label, wall" "$last_wall_x" "trivial static Go binary start" "$tw"
	bench_ratio run "$label, CPU" "$last_cpu_x" "trivial static Go binary start (CPU)" "$tc"
}
against "/bin/true (bare)" "" "" /bin/true
if ((wrapper)); then
	against "nono run -- /bin/true" "<= 6" "<= 8" "$bin/nono" run --silent -- /bin/true
	def_wall_x=$last_wall_x
	against "nono run --no-audit -- /bin/true" "<= 2" "" "$bin/nono" run --silent --no-audit -- /bin/true
	"$bin/nono-sign" keygen --keyref "file://$work/sign.key" >/dev/null 2>&1
	against "nono run --audit-sign-key -- /bin/true" "" "" "$bin/nono" run --silent --audit-sign-key "file://$work/sign.key" -- /bin/true
	bench_ratio run "--audit-sign-key adds, wall" "$(minus "$last_wall_x" "$def_wall_x")" "trivial static Go binary start" "<= 1"
	mkdir -p "$work/empty"
	against "nono run --audit-integrity (empty dir) -- /bin/true" "" "" "$bin/nono" run --silent --allow "$work/empty" --audit-integrity -- /bin/true
	bench_ratio run "--audit-integrity (empty dir) adds, wall" "$(minus "$last_wall_x" "$def_wall_x")" "trivial static Go binary start" "<= 1"
	# The last stage's ledger append looks for the session in the whole
	# ledger (to refuse a second record with another digest), so a long
	# history costs every session: 100,000 sessions, a busy month or two.
	mkdir -p -m 0700 "$work/long-history"
	"$work/ledgergen" -n 100000 > "$work/long-history/ledger.ndjson"
	chmod 0600 "$work/long-history/ledger.ndjson"
	NONO_AUDIT_DIR=$work/long-history against "nono run, 100,000 sessions in the ledger" "" "" "$bin/nono" run --silent -- /bin/true
	bench_ratio run "a 100,000-session ledger adds, wall" "$(minus "$last_wall_x" "$def_wall_x")" "trivial static Go binary start" ""
fi
echo
echo "  its stages alone:"
row "nono-run --no-audit -- /bin/true" "$bin/nono-run" --no-audit -- /bin/true
row "nono-run record --no-audit -- /bin/true (plans itself)" "$bin/nono-run" record --silent --no-audit -- /bin/true
row "nono-run -- /bin/true (events on fd 3)" "$bin/nono-run" -- /bin/true
row "nono-run --session-dir D -- /bin/true" "$bin/nono-run" --session-dir "$(stage_dir)" -- /bin/true
row "  the same, nono-run built without cgo" "$static/nono-run" --session-dir "$(stage_dir)" -- /bin/true
unset bare_wall
row "nono-run plan (checks, session dir, session.json)" "$bin/nono-run" plan --silent -- /bin/true
row "nono-redact (2 events)" sh -c '"$1" < "$2"' sh "$bin/nono-redact" "$work/one.raw"
row "nono-chain (2 events)" sh -c '"$1" < "$2"' sh "$bin/nono-chain" "$work/one.redacted"
row "nono-merkle session D" "$bin/nono-merkle" session "$(stage_dir)"
row "nono-chain ledger append D" "$bin/nono-chain" ledger append "$(stage_dir)"
echo
echo "Throughput, a session of $events synthetic events (wall, CPU, peak RSS):"
measure() { # measure LABEL CMD...
	local label=$1 out
	shift
	out=$("$work/measure" -- "$@" 2>&1 >/dev/null </dev/null | tail -n 1)
	printf '  %-36s %s\n' "$label" "$out"
}
export NONO_RUN_TEST_EVENTS=$events
if ((wrapper)); then
	measure "nono run (whole default pipeline)" "$hooked/nono" run --silent -- /bin/true
fi
measure "nono-run alone, events to a file" sh -c '"$1" -- /bin/true 3>"$2"' sh "$hooked/nono-run" "$work/many.raw"
unset NONO_RUN_TEST_EVENTS
measure "nono-redact" sh -c '"$1" < "$2" > "$3"' sh "$bin/nono-redact" "$work/many.raw" "$work/many.redacted"
measure "nono-chain" sh -c '"$1" < "$2" > "$3"' sh "$bin/nono-chain" "$work/many.redacted" "$work/many.log"
sd=$(stage_dir)
cp "$work/many.log" "$sd/audit-events.ndjson"
measure "nono-merkle session" "$bin/nono-merkle" session "$sd"
measure "nono-verify (the log)" sh -c '"$1" < "$2"' sh "$bin/nono-verify" "$work/many.log"
lines=$(wc -l <"$work/many.log")
echo "  ($lines records in the log)"
