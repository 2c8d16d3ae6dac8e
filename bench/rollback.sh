#!/usr/bin/env bash
# bench/rollback.sh: disk used by repeated rollback sessions on one tree.
#
# SESSIONS (default 10) sessions of `nono-snapshot begin --store` and
# `end`, as `nono run --rollback` makes them, on a tree of FILES (default
# 5000) small source-like files, each session changing 1% of the files.
# The reference is what a copy per session costs: SESSIONS x `cp -a` of
# the tree as it stood. Both are measured with `du` (blocks on disk), and
# the time of a repeated baseline against `cp -a` of the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

files=${FILES:-5000}
sessions=${SESSIONS:-10}
bin=$PWD/bin
if [[ ! -x $bin/nono-snapshot ]]; then
	echo "bench/rollback.sh: $bin/nono-snapshot is missing; run make build" >&2
	exit 1
fi
out=$PWD/bench/out
scratch=$out/rollback-scratch
rm -rf "$scratch"
mkdir -p "$scratch/tree" "$scratch/copies" "$scratch/home"
go build -o "$out/measure" ./bench/measure
measure=$out/measure
wall() {
	local log
	log=$(mktemp)
	"$measure" -- "$@" >/dev/null 2>"$log" || {
		cat "$log" >&2
		rm -f "$log"
		return 1
	}
	sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p' "$log" | tail -1
	rm -f "$log"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "inf" }'; }
kib() { du -sk "$@" | awk '{ s += $1 } END { print s }'; }

# The tree: FILES files of 100-1300 bytes in 50 directories, about 660
# bytes each on average (a source tree's proportions).
tree=$scratch/tree
body=$(for i in $(seq 1 40); do printf 'line %02d of a source file\n' "$i"; done)
for ((i = 0; i < files; i++)); do
	d=$tree/pkg$((i % 50))
	((i < 50)) && mkdir -p "$d"
	printf 'file %d\n%s\n' "$i" "${body:0:$((100 + (i * 7919) % 1200))}" >"$d/f$i.go"
done
content=$(find "$tree" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
sleep 1.1 # past the stat cache's racy window, as a tree edited earlier is

export XDG_STATE_HOME=$scratch/state HOME=$scratch/home NONO_AUDIT_DIR= NONO_ROLLBACK_DIR=
audit=$XDG_STATE_HOME/nono/audit
rollbacks=$XDG_STATE_HOME/nono/rollbacks
changed=$((files / 100))
t_begin=0 t_cp=0
for ((s = 1; s <= sessions; s++)); do
	id=$(printf 'b%015d' "$s")
	mkdir -p "$audit/$id"
	chmod 700 "$audit/$id"
	printf '{"session_id":"%s","started":"%s","ended":null,"command":["bench"],"executable_identity":null,"tracked_paths":["%s"],"snapshot_count":0,"exit_code":null,"merkle_roots":[]}' \
		"$id" "$(date +%Y-%m-%dT%H:%M:%S.%N%:z)" "$(realpath "$tree")" >"$audit/$id/session.json"
	t=$(wall "$bin/nono-snapshot" begin --session-dir "$audit/$id" --store "$rollbacks/$id")
	c=$(wall cp -a "$tree" "$scratch/copies/$s")
	if ((s > 1)); then
		t_begin=$(awk -v a="$t_begin" -v b="$t" 'BEGIN { print a + b }')
		t_cp=$(awk -v a="$t_cp" -v b="$c" 'BEGIN { print a + b }')
	fi
	# The session: 1% of the files changed, a different 1% each time.
	for ((k = 0; k < changed; k++)); do
		i=$(((k * 100 + s * 37) % files))
		printf '// edited in session %d\n' "$s" >>"$tree/pkg$((i % 50))/f$i.go"
	done
	"$bin/nono-snapshot" end --session-dir "$audit/$id" --store "$rollbacks/$id"
	"$bin/nono-snapshot" finish --session-dir "$audit/$id" --store "$rollbacks/$id" --no-prompt --silent
	((s == 1)) && first=$(kib "$rollbacks")
	sleep 1.1 # the next session starts later, as real ones do
done
ours=$(kib "$rollbacks")
copies=$(kib "$scratch/copies")
manifests=$(find "$rollbacks" -path '*/snapshots/*.json' -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s / 1024 }')
objects=$(kib "$rollbacks/.objects")
per=$(awk -v a="$ours" -v b="$first" -v n="$sessions" 'BEGIN { if (n > 1) printf "%d", (a - b) / (n - 1); else print 0 }')

echo "tree: $files files, $content bytes of content, $(kib "$tree") KiB on disk; $changed files changed per session"
echo "$sessions rollback sessions:             ${ours} KiB  (objects ${objects} KiB, manifests ${manifests} KiB)"
echo "  first session:                  ${first} KiB; each later one about ${per} KiB"
echo "$sessions x cp -a:                      ${copies} KiB   (sessions/copies = $(ratio "$ours" "$copies"))"
echo "repeated baseline snapshots:      ${t_begin}s for $((sessions - 1)); cp -a of the tree ${t_cp}s   (ratio $(ratio "$t_begin" "$t_cp"))"
bench_ratio rollback "disk of $sessions sessions, 1% changed each" "$(ratio "$ours" "$copies")" "$sessions x cp -a (du)" "< 0.5"
bench_ratio rollback "repeated baseline snapshot, time" "$(ratio "$t_begin" "$t_cp")" "cp -a" "<= 1"
rm -rf "$scratch"
