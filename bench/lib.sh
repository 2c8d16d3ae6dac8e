# bench/lib.sh: sourced (POSIX sh) by every bench script. Each figure that `make bench`
# reports as a ratio is also added to one table, printed at the end of the
# run by bench/run.sh.
#
#   bench_ratio AREA WHAT RATIO REFERENCE [TARGET]
#
# AREA groups rows (records, redact, fs, run, sandbox, proxy, ...); WHAT
# names the measurement; RATIO is a plain number (the measurement divided
# by REFERENCE, or REFERENCE divided by it for throughputs: say which in
# WHAT); REFERENCE names what it was divided by, timed in the same run
# ("openssl dgst -sha256", "trivial static Go binary start", "cp -a && sync",
# "direct connection"); TARGET is the bound, e.g. "<= 6" or ">= 0.8".

: "${NONO_BENCH_TABLE:=${TMPDIR:-/tmp}/nono-bench-ratios.tsv}"
export NONO_BENCH_TABLE

bench_ratio() {
	if [ $# -lt 4 ]; then
		echo "bench_ratio: want AREA WHAT RATIO REFERENCE [TARGET]" >&2
		return 2
	fi
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5-}" >>"$NONO_BENCH_TABLE"
}

# bench_table prints every recorded ratio as one aligned table.
bench_table() {
	[ -s "$NONO_BENCH_TABLE" ] || return 0
	{
		printf 'AREA\tMEASUREMENT\tRATIO\tREFERENCE\tTARGET\n'
		cat "$NONO_BENCH_TABLE"
	} | awk -F'\t' '
		{ for (i = 1; i <= 5; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
		END { for (r = 1; r <= NR; r++) {
			line = ""
			for (i = 1; i <= 5; i++) line = line sprintf("%-" w[i] "s  ", c[r, i])
			sub(/ +$/, "", line); print line } }'
}
