#!/usr/bin/env bash
# make demo: record a real session with the default settings, list it,
# show it and verify it, then verify its log off-device from the records
# and the pinned summary alone.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/bin

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step nono run --allow-cwd -- sh -c 'echo hello from a recorded session; ls | head -3'
errors=$(mktemp)
trap 'rm -f "$errors" "${summary-}"' EXIT
"$bin/nono" run --allow-cwd -- sh -c 'echo hello from a recorded session; ls | head -3' 2>"$errors"
cat "$errors" >&2
# The wrapper's last word: "nono session ID recorded in DIR".
read -r _ _ id _ _ dir < <(grep '^nono session ' "$errors" | tail -n 1)
[[ -n ${id-} && -d ${dir-} ]] || { echo "demo: the session was not recorded" >&2; exit 1; }

step nono audit list --recent 3
"$bin/nono" audit list --recent 3

step nono audit show "$id"
"$bin/nono" audit show "$id"

step nono audit verify "$id"
"$bin/nono" audit verify "$id"

# The same log checked with nothing but the records and a pinned summary,
# as a compliance system holding only those would.
summary=$(mktemp)
step "nono-merkle < $dir/audit-events.ndjson | tee summary.json"
"$bin/nono-merkle" <"$dir/audit-events.ndjson" | tee "$summary"
step "nono-verify --summary summary.json $dir/audit-events.ndjson"
"$bin/nono-verify" --summary "$summary" "$dir/audit-events.ndjson"
echo "exit status $?: the records match the pinned summary"
