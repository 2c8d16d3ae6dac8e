# bench/timing.sh: wall-time helpers for the bash bench scripts (bench/lib.sh
# stays POSIX sh).

# bench_median_us N CMD...: run CMD N times (stdin /dev/null, stdout and
# fd 3 to /dev/null) and print the median wall time in microseconds.
bench_median_us() {
	local n=$1 samples=() s e i
	shift
	for ((i = 0; i < n; i++)); do
		s=${EPOCHREALTIME/./}
		"$@" </dev/null >/dev/null 3>/dev/null
		e=${EPOCHREALTIME/./}
		samples+=($((e - s)))
	done
	printf '%s\n' "${samples[@]}" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
