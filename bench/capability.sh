#!/usr/bin/env bash
# bench/capability.sh: what the capability notifier (--approve) adds to
# an open() the grants allow. A static Go program opens and closes a
# granted file N times (default 100,000) in the sandbox, with the
# notifier (--approve deny: every open goes to the supervisor, which lets
# it continue) and without; the best of ROUNDS (default 3) of each.
# Reported: microseconds per open() both ways, the difference, and the
# ratio of the two (the reference is the open() without the notifier,
# timed in the same run). Target: under 20 µs added per open.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

n=${OPENS:-100000}
rounds=${ROUNDS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/nono-capability-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
go build -trimpath -o "$work/nono-run" ./cmd/nono-run
CGO_ENABLED=0 go build -trimpath -o "$work/opens" ./bench/opens

export HOME=$work/home XDG_STATE_HOME=$work/state XDG_CONFIG_HOME=$work/config
export NONO_AUDIT_DIR= NONO_ROLLBACK_DIR=
unset NONO_ALLOW NONO_TEST_NO_LANDLOCK NONO_TEST_NO_SECCOMP_NOTIFY
mkdir -p "$HOME" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME" "$work/scratch"
echo data >"$work/scratch/file"
cd "$work/scratch"

# best_ns FLAGS...: the fastest of $rounds runs, in ns for all $n opens.
best_ns() {
	local best=0 t
	for _ in $(seq "$rounds"); do
		t=$("$work/nono-run" --allow "$work/scratch" "$@" -- "$work/opens" "$work/scratch/file" "$n" 3>/dev/null)
		if [ "$best" -eq 0 ] || [ "$t" -lt "$best" ]; then best=$t; fi
	done
	echo "$best"
}

echo "Capability notifier: $n opens of a granted file, best of $rounds ($(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
without=$(best_ns)
with=$(best_ns --approve deny)
us() { awk -v ns="$1" -v n="$n" 'BEGIN {printf "%.2f", ns / n / 1000}'; }
added=$(awk -v a="$with" -v b="$without" -v n="$n" 'BEGIN {printf "%.2f", (a - b) / n / 1000}')
ratio=$(awk -v a="$with" -v b="$without" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }')
printf '  %-52s %8s µs\n' "open() without the notifier (the reference)" "$(us "$without")"
printf '  %-52s %8s µs = %sx\n' "open() under the notifier, let through" "$(us "$with")" "$ratio"
printf '  %-52s %8s µs (target < 20)\n' "added per open()" "$added"
bench_ratio capability "open() of a granted path under the notifier (+$added µs per call)" "$ratio" "open() without the notifier" "added < 20 µs"
