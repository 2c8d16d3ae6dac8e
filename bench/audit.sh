#!/usr/bin/env bash
# bench/audit.sh: what `nono audit list` costs over a store of many
# sessions. List reads each session.json and the last line of each event
# log (a recording that stopped early is never shown as finished), so its
# time grows with the sessions, not with the size of their logs.
#
#   nono-audit list and list --json over SESSIONS sessions (default 2000)
#   whose logs are LOG_LINES records each (default 1000), median wall time,
#   as a ratio to a trivial static Go binary's start timed in the same run,
#   and per session.
#
# RUNS (default 10) sets the samples per median.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
. bench/timing.sh

runs=${RUNS:-10}
sessions=${SESSIONS:-2000}
log_lines=${LOG_LINES:-1000}
work=$(mktemp -d "${TMPDIR:-/tmp}/nono-audit-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 0700 "$work"
CGO_ENABLED=0 go build -trimpath -o "$work/nono-audit" ./cmd/nono-audit
CGO_ENABLED=0 go build -trimpath -o "$work/gostart" ./bench/gostart

root=$work/audit
mkdir -m 0700 "$root"
# One log, shared by every session through a hard link: list reads only
# its last line, so its size must not matter.
log=$work/log.ndjson
{
	printf '{"sequence":0,"event":{"type":"session_started","started":"2026-04-21T20:00:00Z","command":["make","test"]}}\n'
	for ((i = 1; i < log_lines - 1; i++)); do
		printf '{"sequence":%d,"event":{"type":"url_open","request":{"request_id":"r","url":"https://example.com/%d","child_pid":42,"session_id":"x"},"success":true,"error":null}}\n' "$i" "$i"
	done
	printf '{"sequence":%d,"event":{"type":"session_ended","ended":"2026-04-21T20:00:04Z","exit_code":0}}\n' "$((log_lines - 1))"
} >"$log"
for ((i = 0; i < sessions; i++)); do
	id=$(printf '%016x' "$i")
	mkdir -m 0700 "$root/$id"
	printf '{"session_id":"%s","started":"2026-04-21T20:00:00Z","ended":"2026-04-21T20:00:04Z","command":["make","test"],"executable_identity":null,"tracked_paths":["/home/u/proj%d"],"exit_code":%d,"merkle_roots":[],"network_events":[],"audit_event_count":%d,"snapshot_count":0}\n' \
		"$id" "$((i % 7))" "$((i % 3))" "$log_lines" >"$root/$id/session.json"
	ln "$log" "$root/$id/audit-events.ndjson"
done

export NONO_AUDIT_DIR=$root NONO_ROLLBACK_DIR=$work/rollbacks HOME=$work
# grep reads the whole listing: with -q it would stop at the first match,
# and under pipefail the listing's SIGPIPE would fail the check.
"$work/nono-audit" list | grep ' ok ' >/dev/null || { echo "audit.sh: list shows no finished session" >&2; exit 1; }

x() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }'; }
ms() { awk -v us="$1" 'BEGIN {printf "%8.2f", us / 1000}'; }
echo "nono audit list: $sessions sessions of $log_lines records, median of $runs runs ($(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
go_wall=$(bench_median_us "$runs" "$work/gostart")
list=$(bench_median_us "$runs" "$work/nono-audit" list)
json=$(bench_median_us "$runs" "$work/nono-audit" list --json)
printf '  %-50s %s ms\n' "trivial static Go binary (the reference)" "$(ms "$go_wall")"
printf '  %-50s %s ms = %7sx, %s us a session\n' "nono-audit list" "$(ms "$list")" "$(x "$list" "$go_wall")" "$(x "$list" "$sessions")"
printf '  %-50s %s ms = %7sx, %s us a session\n' "nono-audit list --json" "$(ms "$json")" "$(x "$json" "$go_wall")" "$(x "$json" "$sessions")"
bench_ratio audit "nono audit list, $sessions sessions, wall" "$(x "$list" "$go_wall")" "trivial static Go binary start"
bench_ratio audit "nono audit list --json, $sessions sessions, wall" "$(x "$json" "$go_wall")" "trivial static Go binary start"
