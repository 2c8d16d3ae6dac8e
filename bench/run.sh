#!/usr/bin/env bash
# make bench: the timed benchmark scripts, one after another. Each times the
# binaries in ./bin on generated data and prints its figures and ratios
# (against openssl dgst -sha256, cat, cp -a or the bare command).
set -euo pipefail
cd "$(dirname "$0")/.."
for s in records redact fs overhead; do
	if [[ -f bench/$s.sh ]]; then
		printf '\n==== bench/%s.sh\n' "$s"
		bash "bench/$s.sh"
	fi
done
