#!/usr/bin/env bash
# make bench: the timed benchmark scripts, one after another. Each times the
# binaries in ./bin on generated data and prints its figures; every ratio
# (against openssl dgst -sha256, a trivial static Go binary's start, cp -a,
# a direct connection, ...) also goes into one table printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
export NONO_BENCH_TABLE=$PWD/bench/out/ratios.tsv
: >"$NONO_BENCH_TABLE"
. bench/lib.sh
for s in bench/*.sh; do
	name=${s#bench/}
	name=${name%.sh}
	case $name in run | lib | timing) continue ;; esac
	if [[ -n ${BENCH_ONLY-} && " $BENCH_ONLY " != *" $name "* ]]; then
		continue
	fi
	printf '\n==== bench/%s.sh\n' "$name"
	bash "$s"
done
printf '\n==== All ratios (measured in this run)\n'
bench_table
