# bench/timing.sh: wall-time helpers for the bash bench scripts (bench/lib.sh
# stays POSIX sh).

# bench_median_us N CMD...: run CMD N times (stdin /dev/null, stdout and
# fd 3 to /dev/null) and print the median wall time in microseconds.
bench_median_us() {
	local n=$1 samples=() i
	shift
	for ((i = 0; i < n; i++)); do
		bench_once "$@"
		samples+=("$bench_us")
	done
	bench_median "${samples[@]}"
}

# bench_paired_us N REF CMD...: run the program REF (no arguments) and CMD
# by turns, N times each, the first of each pair alternating, so that a
# ratio of the two sees one state of the machine rather than two moments
# of it; print both median wall times in microseconds: "REF CMD".
bench_paired_us() {
	local n=$1 ref=$2 refs=() cmds=() i
	shift 2
	for ((i = 0; i < n; i++)); do
		if ((i % 2)); then
			bench_once "$@"
			cmds+=("$bench_us")
			bench_once "$ref"
			refs+=("$bench_us")
		else
			bench_once "$ref"
			refs+=("$bench_us")
			bench_once "$@"
			cmds+=("$bench_us")
		fi
	done
	echo "$(bench_median "${refs[@]}") $(bench_median "${cmds[@]}")"
}

# bench_once CMD...: run CMD once and set bench_us to its wall time in
# microseconds (in this shell: a subshell's fork would be timed too).
bench_once() {
	local s e
	s=${EPOCHREALTIME/./}
	"$@" </dev/null >/dev/null 3>/dev/null
	e=${EPOCHREALTIME/./}
	bench_us=$((e - s))
}

# bench_median N...: the median of the numbers.
bench_median() {
	printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
