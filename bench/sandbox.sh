#!/usr/bin/env bash
# bench/sandbox.sh: what the Landlock sandbox adds to starting a command.
#
#  1. `nono-run -- /bin/true` (no session, events to /dev/null) with the
#     sandbox and without it (NONO_TEST_NO_LANDLOCK=1 --allow-unsandboxed),
#     median wall time, each as a ratio to a trivial static Go binary's
#     start timed in the same run.
#  2. The sandbox's own share: building the policy and the ruleset and
#     confining a fresh thread (lib/sandbox BenchmarkConfine), as a ratio
#     to the same reference.
#
# RUNS (default 40) sets the samples per median.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
. bench/timing.sh

runs=${RUNS:-40}
work=$(mktemp -d "${TMPDIR:-/tmp}/nono-sandbox-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
# As `make build` makes it, with its confining copy beside it.
make -s build BINDIR="$work/bin" >/dev/null
CGO_ENABLED=0 go build -trimpath -o "$work/gostart" ./bench/gostart
# Before HOME moves: go test needs the module cache.
share_ns=$(go test -run '^$' -bench '^BenchmarkConfine$' -benchtime "${runs}x" ./lib/sandbox | awk '/^BenchmarkConfine/ {print $3}')

export HOME=$work/home XDG_STATE_HOME=$work/state XDG_CONFIG_HOME=$work/config
export NONO_AUDIT_DIR= NONO_ROLLBACK_DIR=
unset NONO_ALLOW NONO_TEST_NO_LANDLOCK
mkdir -p "$HOME" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME" "$work/scratch"
cd "$work/scratch"

# median_us CMD...: the median wall time of $runs runs (bench_median_us).
median_us() { bench_median_us "$runs" "$@"; }
ms() { awk -v us="$1" 'BEGIN {printf "%7.3f", us / 1000}'; }
x() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }

echo "Sandbox cost: median wall time of $runs runs ($(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
go_wall=$(median_us "$work/gostart")
with=$(median_us "$work/bin/nono-run" -- /bin/true)
without=$(median_us env NONO_TEST_NO_LANDLOCK=1 "$work/bin/nono-run" --allow-unsandboxed -- /bin/true)
env_wall=$(median_us env "$work/gostart")
# The unsandboxed run goes through env(1): take env's own cost back out.
without=$((without - (env_wall - go_wall)))
share=$((share_ns / 1000))

printf '  %-58s %s ms\n' "trivial static Go binary (the reference)" "$(ms "$go_wall")"
printf '  %-58s %s ms = %5sx\n' "nono-run -- /bin/true, sandboxed" "$(ms "$with")" "$(x "$with" "$go_wall")"
printf '  %-58s %s ms = %5sx\n' "nono-run -- /bin/true, unsandboxed" "$(ms "$without")" "$(x "$without" "$go_wall")"
printf '  %-58s %s ms = %5sx\n' "sandbox setup (policy, ruleset, confine a thread)" "$(ms "$share")" "$(x "$share" "$go_wall")"
bench_ratio sandbox "nono-run -- /bin/true sandboxed, wall" "$(x "$with" "$go_wall")" "trivial static Go binary start"
bench_ratio sandbox "nono-run -- /bin/true unsandboxed, wall" "$(x "$without" "$go_wall")" "trivial static Go binary start"
bench_ratio sandbox "sandbox setup per session (policy, ruleset, restrict_self)" "$(x "$share" "$go_wall")" "trivial static Go binary start"
