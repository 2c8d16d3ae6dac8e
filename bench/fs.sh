#!/usr/bin/env bash
# bench/fs.sh: filesystem integrity and rollback on a generated tree.
#
#   1. `nono-merkle fs` (the full hash) against `find | xargs -0
#      sha256sum` and against `openssl dgst -sha256` over the same files
#      (one process at a time), with every file in the page cache.
#   2. End-of-session rescan (`nono-snapshot end`) with 1% of the files
#      changed, against the full hash, for --audit-integrity alone.
#   3. Baseline snapshot (`nono-snapshot begin --store`) with --no-sync
#      against `cp -a` of the same tree (neither waits for the disk), and
#      the default snapshot, which syncs its objects before writing the
#      manifest, against `cp -a` followed by `sync`.
#   4. The rescan with a rollback store (changed files copied and synced).
#
# FILES (default 20000) and MB (default 1024) size the tree; it is made
# once under bench/out/fs-tree and reused. Uses the binaries in ./bin
# (`make build`) and bench/measure.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

files=${FILES:-20000}
mb=${MB:-1024}
out=$PWD/bench/out
tree=$out/fs-tree
scratch=$out/fs-scratch
bin=$PWD/bin
for t in nono-snapshot nono-merkle; do
	if [[ ! -x $bin/$t ]]; then
		echo "bench/fs.sh: $bin/$t is missing; run make build" >&2
		exit 1
	fi
done
mkdir -p "$out"
go build -o "$out/measure" ./bench/measure
measure=$out/measure

# wall COMMAND...: run under measure, print the wall seconds.
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
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }
rate() { awk -v bytes="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f MB/s", bytes / s / 1e6; else print "inf" }'; }

# The tree: FILES files in 20x10 directories, 99.5% of them small
# (1-64 KiB) and the rest large, MB MiB in all, pseudo-random content.
marker=$tree/.generated-$files-$mb
if [[ ! -e $marker ]]; then
	rm -rf "$tree"
	mkdir -p "$out/fsgen"
	cat >"$out/fsgen/main.go" <<'EOF'
package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

func main() {
	dir := os.Args[1]
	files, _ := strconv.Atoi(os.Args[2])
	mb, _ := strconv.Atoi(os.Args[3])
	total := int64(mb) << 20
	large := max(files/200, 1)
	r := rand.New(rand.NewPCG(1, 2))
	sizes := make([]int64, files)
	var small int64
	for i := large; i < files; i++ {
		sizes[i] = 1024 + r.Int64N(63*1024)
		small += sizes[i]
	}
	for i := 0; i < large; i++ {
		sizes[i] = max((total-small)/int64(large), 0)
	}
	buf := make([]byte, 1<<20)
	for i, size := range sizes {
		p := filepath.Join(dir, fmt.Sprintf("d%02d", i%20), fmt.Sprintf("s%d", i/20%10), fmt.Sprintf("f%05d.bin", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			panic(err)
		}
		f, err := os.Create(p)
		if err != nil {
			panic(err)
		}
		for size > 0 {
			n := min(size, int64(len(buf)))
			for k := 0; k < int(n); k += 8 {
				v := r.Uint64()
				for b := 0; b < 8 && k+b < int(n); b++ {
					buf[k+b] = byte(v >> (8 * b))
				}
			}
			f.Write(buf[:n])
			size -= n
		}
		f.Close()
	}
}
EOF
	echo "generating $files files, $mb MiB under $tree" >&2
	go run "$out/fsgen/main.go" "$tree" "$files" "$mb"
	touch "$marker"
	sleep 1.1 # past the stat cache's racy window
fi
bytes=$(find "$tree" -type f -name '*.bin' -printf '%s\n' | awk '{ s += $1 } END { print s }')
nfiles=$(find "$tree" -type f -name '*.bin' | wc -l)
find "$tree" -type f -print0 | xargs -0 cat >/dev/null # warm the page cache

# A scratch state tree and a session tracking the generated tree.
rm -rf "$scratch"
mkdir -p "$scratch"
export XDG_STATE_HOME=$scratch/state HOME=$scratch/home NONO_AUDIT_DIR= NONO_ROLLBACK_DIR=
id=bbbbbbbbbbbbbbbb
session=$XDG_STATE_HOME/nono/audit/$id
store=$XDG_STATE_HOME/nono/rollbacks/$id
mkdir -p "$session" "$HOME"
chmod 700 "$session"
printf '{"session_id":"%s","started":"%s","ended":null,"command":["bench"],"executable_identity":null,"tracked_paths":["%s"],"snapshot_count":0,"exit_code":null,"merkle_roots":[]}' \
	"$id" "$(date +%Y-%m-%dT%H:%M:%S.%N%:z)" "$(realpath "$tree")" >"$session/session.json"

echo "tree: $nfiles files, $bytes bytes; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# median3 COMMAND...: the median wall time of three runs.
median3() {
	local a b c
	a=$(wall "$@") b=$(wall "$@") c=$(wall "$@")
	printf '%s\n%s\n%s\n' "$a" "$b" "$c" | sort -n | sed -n 2p
}
# touch_files OFFSET: change 1% of the files (in place, same size), the
# OFFSET-th of every hundred.
changed=$((nfiles / 100))
touch_files() {
	local stamp
	stamp=$(date +%s%N)
	find "$tree" -type f -name '*.bin' | sort | awk -v n="$nfiles" -v k="$changed" -v o="$1" 'NR % int(n / k) == o' | head -n "$changed" |
		while read -r f; do printf 'changed %s' "$stamp" | dd of="$f" bs=1 seek=0 conv=notrunc status=none; done
}

# 1. Full hash against sha256sum and openssl: read-only, page-cached,
# before anything below writes a gigabyte.
find "$tree" -type f -print0 | xargs -0 cat >/dev/null
t_full=$(median3 "$bin/nono-merkle" fs "$tree")
t_sum=$(wall sh -c 'find "$1" -type f -print0 | xargs -0 sha256sum >/dev/null' sh "$tree")
t_ssl=$(median3 sh -c 'find "$1" -type f -print0 | xargs -0 openssl dgst -sha256 >/dev/null' sh "$tree")
echo "nono-merkle fs (full hash):             ${t_full}s  $(rate "$bytes" "$t_full")"
echo "find | xargs sha256sum:                 ${t_sum}s  $(rate "$bytes" "$t_sum")   (ours is $(ratio "$t_sum" "$t_full")x faster)"
echo "find | xargs openssl dgst -sha256:      ${t_ssl}s  $(rate "$bytes" "$t_ssl")   (ours is $(ratio "$t_ssl" "$t_full")x its rate, target >= 1.5)"
echo

# 2. End-of-session rescan with 1% changed, --audit-integrity alone (no
# store): only the changed files are read.
isession=$XDG_STATE_HOME/nono/audit/cccccccccccccccc
mkdir -p "$isession"
sed "s/$id/cccccccccccccccc/" "$session/session.json" >"$isession/session.json"
"$bin/nono-snapshot" begin --session-dir "$isession"
sleep 1.1 # past the stat cache's racy window, as a real session is
touch_files 1
t_iend=$(wall "$bin/nono-snapshot" end --session-dir "$isession")
echo "rescan, $changed changed, integrity only:   ${t_iend}s   (rescan/full hash = $(ratio "$t_iend" "$t_full"), target < 0.10)"
grep -c '"change_type"' "$isession/changes/001.json" | sed 's/^/  changes recorded: /'
echo

# 3. Baseline snapshot against cp -a (neither waits for the disk), and
# the default, durable snapshot against cp -a && sync. The disk is idle
# (synced) before each.
sync
t_cp=$(wall cp -a "$tree" "$scratch/cp-copy")
rm -rf "$scratch/cp-copy"
sync
t_fast=$(wall "$bin/nono-snapshot" begin --session-dir "$session" --store "$store" --no-sync)
rm -rf "$store" "$XDG_STATE_HOME/nono/rollbacks/.objects" # the next baseline must store everything again
sync
t_cpsync=$(wall sh -c 'cp -a "$1" "$2" && sync' sh "$tree" "$scratch/cp-copy")
rm -rf "$scratch/cp-copy"
sync
t_begin=$(wall "$bin/nono-snapshot" begin --session-dir "$session" --store "$store")
echo "baseline snapshot --no-sync:            ${t_fast}s   (snapshot/cp -a = $(ratio "$t_fast" "$t_cp"), target <= 1)"
echo "cp -a:                                  ${t_cp}s"
echo "baseline snapshot (objects synced):     ${t_begin}s   (snapshot/cp -a+sync = $(ratio "$t_begin" "$t_cpsync"))"
echo "cp -a && sync:                          ${t_cpsync}s"
echo

# 4. The rescan with a rollback store: the changed files are also copied
# and synced.
sync
sleep 1.1
touch_files 0
t_end=$(wall "$bin/nono-snapshot" end --session-dir "$session" --store "$store")
echo "rescan, $changed changed, rollback store:   ${t_end}s   (rescan/full hash = $(ratio "$t_end" "$t_full"); rescan/baseline = $(ratio "$t_end" "$t_begin"))"
grep -c '"change_type"' "$session/changes/001.json" | sed 's/^/  changes recorded: /'
echo
bench_ratio fs "nono-merkle fs full hash, throughput" "$(ratio "$t_ssl" "$t_full")" "find | xargs openssl dgst -sha256" ">= 1.5"
bench_ratio fs "rescan 1% changed, integrity only, time" "$(ratio "$t_iend" "$t_full")" "nono-merkle fs full hash" "< 0.10"
bench_ratio fs "baseline snapshot --no-sync, time" "$(ratio "$t_fast" "$t_cp")" "cp -a" "<= 1"
bench_ratio fs "baseline snapshot (synced), time" "$(ratio "$t_begin" "$t_cpsync")" "cp -a && sync" "<= 1"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) (figures are wall times; other work on the machine inflates them)"
rm -rf "$scratch"
