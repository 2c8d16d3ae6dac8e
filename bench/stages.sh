#!/usr/bin/env bash
# bench/stages.sh: where the time of one `nono run -- /bin/true` goes,
# program by program, from the kernel's own trace (perf's sched events:
# each exec and each exit) and a sample for every page fault (on a
# virtual machine each costs tens of microseconds, and together they are
# most of a short session's CPU time).
#
# For every program the session starts (the wrapper, nono-run, the three
# recorder stages, the confining copy, the command, the watchdog, and the
# shell's forks before they exec) it prints when it was exec'd and when
# it ended, counted from the wrapper's exec, and the page faults it took:
# medians of RUNS (default 15) sessions, and all as ratios to a trivial
# static Go binary's start (wall time and page faults) measured in the
# same run. Needs perf (Debian: linux-perf, installed when apt-get can);
# without it the script says so and measures nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
. bench/timing.sh

runs=${RUNS:-15}
if ! command -v perf >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
	apt-get install -y -qq linux-perf >/dev/null 2>&1 || true
fi
if ! command -v perf >/dev/null 2>&1 || ! perf stat -e page-faults true >/dev/null 2>&1; then
	echo "perf is missing or not permitted here: no stage-by-stage figures"
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/nono-stages.XXXXXX")
trap 'rm -rf "$work"' EXIT
bin=$work/bin
make -s build BINDIR="$bin" >/dev/null
CGO_ENABLED=0 go build -trimpath -o "$work/gostart" ./bench/gostart
export HOME=$work/home XDG_STATE_HOME=$work/state XDG_CONFIG_HOME=$work/config
export NONO_AUDIT_DIR='' NONO_ROLLBACK_DIR=''
mkdir -p "$HOME" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME" "$work/scratch"
cd "$work/scratch"

# The reference: a trivial static Go binary's wall time and page faults.
go_wall=$(bench_median_us "$runs" "$work/gostart")
go_faults=$(perf stat -x, -r "$runs" -e page-faults "$work/gostart" 2>&1 >/dev/null | awk -F, '/page-faults/ {printf "%d", $1}')

# trace CMD...: one perf trace of CMD, as lines "TIME PID EVENT DETAIL".
trace() {
	perf record -q -o "$work/perf.data" -e sched:sched_process_exec -e sched:sched_process_exit \
		-e page-faults -c 1 -- "$@" >/dev/null 2>&1 </dev/null || true
	perf script -i "$work/perf.data" -F pid,time,event,trace 2>/dev/null |
		sed -E 's/^ *([0-9]+) +([0-9.]+): +([a-z_-]+(:[a-z_]+)?): *(.*)$/\2 \1 \3 \5/'
}

for ((i = 0; i < runs; i++)); do
	trace "$bin/nono" run --silent -- /bin/true
done | awk -v runs="$runs" -v bin="$bin/" '
	# One program per (pid, exec): a pid that execs again starts a new
	# program; its faults before its first exec belong to the fork it
	# was (a shell fork, say) and are labelled so.
	BEGIN {
		forks = "shell forks before their exec"
		n = split("nono (the wrapper, sh)|" forks "|nono-run|nono-redact|nono-chain|nono-merkle|confining copy (nono-run-confine)|the command (/bin/true)|watchdog (/bin/sh)", known, "|")
		for (i = 1; i <= n; i++) order[known[i]] = i
	}
	function label(file) {
		if (file == "/proc/self/exe" || file ~ /\/nono-run-confine$/) return "confining copy (nono-run-confine)"
		if (file == "/bin/true") return "the command (/bin/true)"
		if (file == "/bin/sh") return "watchdog (/bin/sh)"
		sub(".*/", "", file)
		sub(/-stage$/, "", file) # a stage program is its tool'"'"'s stage
		if (file == "nono") return "nono (the wrapper, sh)"
		return file
	}
	$3 == "sched:sched_process_exec" {
		file = $4; sub(/^filename=/, "", file)
		if (file == bin "nono") {
			# A new session; the faults before this exec are perf'"'"'s own.
			if ($2 in cur) { delete name[cur[$2]]; delete cur[$2] }
			run++; t0[run] = $1
		}
		if ($2 in cur) end[cur[$2]] = $1 # the program it was ends here
		key = run SUBSEP $2 SUBSEP (++execs[run, $2])
		cur[$2] = key; name[key] = label(file); start[key] = $1
		next
	}
	$3 == "page-faults" {
		if (!($2 in cur)) { key = run SUBSEP $2 SUBSEP 0; cur[$2] = key; name[key] = forks; start[key] = $1 }
		faults[cur[$2]]++
		next
	}
	$3 == "sched:sched_process_exit" && $0 ~ /group_dead=true/ {
		if ($2 in cur) { end[cur[$2]] = $1; delete cur[$2] }
		next
	}
	END {
		for (k in name) {
			split(k, p, SUBSEP); r = p[1]; n = name[k]
			tot[r, n] += faults[k]
			if (!(n in order)) order[n] = 50 + length(order)
			if (n != forks) {
				s[r, n] = (start[k] - t0[r]) * 1e6
				if (k in end) e[r, n] = (end[k] - t0[r]) * 1e6
			}
			if (r > runs_seen) runs_seen = r
			last = (k in end) ? end[k] : start[k]
			if (last > fin[r]) fin[r] = last
		}
		for (n in order) for (r = 1; r <= runs_seen; r++) if ((r, n) in tot) {
			printf "%s\t%d\t%s\t%s\t%d\n", n, order[n], ((r, n) in s) ? s[r, n] : "", ((r, n) in e) ? e[r, n] : "", tot[r, n]
		}
		for (r = 1; r <= runs_seen; r++) printf "%s\t%d\t\t%s\t%d\n", "(the whole session)", 999, (fin[r] - t0[r]) * 1e6, 0
	}' >"$work/stages.tsv"

# Medians per program, as ratios.
echo "Where one \`nono run --silent -- /bin/true\` spends its time: medians of $runs sessions"
printf '(times from the wrapper'"'"'s exec; ratios to a trivial static Go binary: %.2f ms to start, %d page faults)\n\n' \
	"$(awk -v u="$go_wall" 'BEGIN {print u / 1000}')" "$go_faults"
printf '  %-32s %10s %10s %12s\n' "program" "exec'd at" "ended at" "page faults"
sort -t$'\t' -k2,2n "$work/stages.tsv" | awk -F'\t' -v gw="$go_wall" -v gf="$go_faults" '
	function median(list,    n, a, i, j, t) {
		n = split(list, a, " ")
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		if (n == 0) return ""
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{
		if (!($1 in seen)) { seen[$1] = 1; names[++k] = $1 }
		if ($3 != "") st[$1] = st[$1] " " $3
		if ($4 != "") en[$1] = en[$1] " " $4
		fa[$1] = fa[$1] " " $5
	}
	END {
		for (i = 1; i <= k; i++) {
			n = names[i]; ms = median(st[n]); me = median(en[n]); mf = median(fa[n])
			printf "  %-32s %10s %10s %12s\n", n,
				(ms == "") ? "" : sprintf("%.2fx", ms / gw),
				(me == "") ? "" : sprintf("%.2fx", me / gw),
				(mf == 0) ? "" : sprintf("%.2fx", mf / gf)
			if (n == "the command (/bin/true)") cmd = ms
			if (n == "(the whole session)") whole = me
			if (n != "(the whole session)") total += mf
		}
		printf "  %-32s %10s %10s %12s\n", "(all programs)", "", "", sprintf("%.2fx", total / gf)
		printf "%s\t%s\t%s\n", cmd / gw, whole / gw, total / gf > "/dev/stderr"
	}' 2>"$work/summary"
read -r to_cmd whole faults <"$work/summary"
bench_ratio run "nono run: the command is exec'd at, wall" "$(printf '%.2f' "$to_cmd")" "trivial static Go binary start"
bench_ratio run "nono run: the session ends at, wall (traced)" "$(printf '%.2f' "$whole")" "trivial static Go binary start"
bench_ratio run "nono run: page faults, all programs" "$(printf '%.2f' "$faults")" "trivial static Go binary start (page faults)"
