#!/usr/bin/env bash
# bench/proxy.sh: what the filtering proxy adds, against a direct
# connection to the same local server measured in the same run. Three
# processes, as in a session: the client, the proxy (lib/proxy, its
# events written out as a supervisor's are), the server.
#
#  1. Added latency per request: N (default 1000) sequential small plain
#     HTTP requests over kept-alive connections, direct and proxied
#     alternately; median and p99. Also a fresh CONNECT tunnel per request
#     against a fresh direct connection.
#  2. Throughput of one download of BYTES (default 200 MB) through a
#     CONNECT tunnel, as a ratio to the same download direct (best of 3).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

n=${N:-1000}
bytes=${BYTES:-209715200}
work=$(mktemp -d "${TMPDIR:-/tmp}/nono-proxy-bench.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/proxyload" ./bench/proxyload
load=$work/proxyload

# Each server prints its port; wait for it.
"$load" origin >"$work/origin.port" &
pids+=($!)
"$load" proxy >/dev/null 2>"$work/proxy.port" &
pids+=($!)
for f in origin.port proxy.port; do
	for ((i = 0; i < 100; i++)); do
		[[ -s $work/$f ]] && break
		sleep 0.05
	done
done
origin=$(head -n 1 "$work/origin.port")
proxy=$(head -n 1 "$work/proxy.port")

get() { sed -n "s/.*\\b$1=\\([0-9.]*\\).*/\\1/p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

lat=$("$load" latency -origin "$origin" -proxy "$proxy" -n "$n")
dm=$(get direct_median_us "$lat") dp=$(get direct_p99_us "$lat")
pm=$(get proxy_median_us "$lat") pp=$(get proxy_p99_us "$lat")
cdm=$(get connect_direct_median_us "$lat") cdp=$(get connect_direct_p99_us "$lat")
cpm=$(get connect_proxy_median_us "$lat") cpp=$(get connect_proxy_p99_us "$lat")
added() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", a - b}'; }
echo "$n sequential small requests (µs)        direct     proxied    added"
printf '  plain HTTP, kept alive   median  %9s  %9s  %7s\n' "$dm" "$pm" "$(added "$pm" "$dm")"
printf '                           p99     %9s  %9s  %7s\n' "$dp" "$pp" "$(added "$pp" "$dp")"
printf '  new connection/tunnel    median  %9s  %9s  %7s\n' "$cdm" "$cpm" "$(added "$cpm" "$cdm")"
printf '                           p99     %9s  %9s  %7s\n' "$cdp" "$cpp" "$(added "$cpp" "$cdp")"
bench_ratio proxy "request latency, median, proxied/direct (+$(added "$pm" "$dm") µs)" "$(ratio "$pm" "$dm")" "direct connection"
bench_ratio proxy "request latency, p99, proxied/direct (+$(added "$pp" "$dp") µs)" "$(ratio "$pp" "$dp")" "direct connection"
bench_ratio proxy "new tunnel + request, median, proxied/direct (+$(added "$cpm" "$cdm") µs)" "$(ratio "$cpm" "$cdm")" "direct connection"

dl=$("$load" download -origin "$origin" -proxy "$proxy" -bytes "$bytes")
d=$(get direct_mb_s "$dl") t=$(get tunnel_mb_s "$dl")
echo "one $((bytes / 1048576)) MiB download: direct $d MB/s, through a CONNECT tunnel $t MB/s"
bench_ratio proxy "CONNECT tunnel download throughput, tunnel/direct" "$(ratio "$t" "$d")" "direct connection" ">= 0.8"
