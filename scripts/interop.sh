#!/usr/bin/env bash
# Interoperability check of nono's attestation bundles with cosign (run by
# `make interop`, not part of `make test`; the sigstore-go check is
# `cd tests/interop && go test ./...`).
#
# It records a small session with nono's own tools (nono-chain record,
# nono-merkle session), makes a key (nono-sign keygen --pem), signs the
# session (nono-sign session), verifies the bundle off-device with
# nono-verify --bundle, and then with cosign verify-blob-attestation: the
# bare PEM key, an empty trusted root, no transparency log, the session's
# Merkle root as the artifact digest. The spec's example bundle is checked
# the same way, and a wrong digest must be refused.
#
# cosign is built once from the Go module proxy into a cache directory
# ($NONO_INTEROP_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/nono-interop),
# never onto $PATH.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cosign_version=v2.6.5
cache=${NONO_INTEROP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nono-interop}
cosign=$cache/bin/cosign
alpha=https://nono.sh/attestation/audit-session/alpha

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$work/bin

step() { printf '== %s\n' "$*" >&2; }

step "building nono tools"
(cd "$repo" && go build -o "$bin/" ./cmd/nono-chain ./cmd/nono-merkle ./cmd/nono-sign ./cmd/nono-verify)

if ! "$cosign" version 2>/dev/null | grep -Eq "GitVersion:[[:space:]]+$cosign_version\$"; then
	step "building cosign $cosign_version into $cache/bin (takes a few minutes the first time)"
	mkdir -p "$cache/bin"
	start=$SECONDS
	(cd "$work" && GOBIN="$cache/bin" GOFLAGS=-mod=mod go install "github.com/sigstore/cosign/v2/cmd/cosign@$cosign_version")
	step "cosign built in $((SECONDS - start))s"
fi

# An empty trusted root: cosign needs one offline; with a bare key and
# --insecure-ignore-tlog nothing in it is used.
trusted_root=$work/trusted_root.json
printf '%s' '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[],"certificateAuthorities":[],"ctlogs":[],"timestampAuthorities":[]}' >"$trusted_root"

cosign_verify() { # BUNDLE PEM ROOT
	"$cosign" verify-blob-attestation --new-bundle-format --bundle "$1" --key "$2" \
		--type "$alpha" --digest "$3" --digestAlg sha256 \
		--insecure-ignore-tlog=true --trusted-root "$trusted_root"
}

step "recording a session with nono-chain and nono-merkle"
s=$work/session
mkdir -m 0700 "$s"
printf '%s\n' \
	'{"type":"session_started","started":"2026-04-21T20:00:00.123456789+00:00","command":["curl","--private-token=[REDACTED]","https://example.com/callback?state=visible&token=[REDACTED]"],"redaction_policy":{"added_flags":["--private-token"],"removed_query_keys":["state"]}}' \
	'{"type":"session_ended","ended":"2026-04-21T20:00:01.987654321+00:00","exit_code":0}' |
	"$bin/nono-chain" record >"$s/audit-events.ndjson"
cat >"$s/session.json" <<'JSON'
{
  "session_id": "0123456789abcdef",
  "started": "2026-04-21T20:00:00.123456789+00:00",
  "ended": "2026-04-21T20:00:01.987654321+00:00",
  "command": [
    "curl",
    "--private-token=[REDACTED]",
    "https://example.com/callback?state=visible&token=[REDACTED]"
  ],
  "executable_identity": null,
  "tracked_paths": [],
  "snapshot_count": 0,
  "exit_code": 0,
  "merkle_roots": [],
  "network_events": [],
  "audit_event_count": 0,
  "audit_integrity": null,
  "audit_attestation": null
}
JSON
"$bin/nono-merkle" session "$s"
root=$(sed -n 's/^ *"merkle_root": "\([0-9a-f]\{64\}\)".*/\1/p' "$s/session.json")
[[ -n $root ]] || { echo "interop: no merkle_root in $s/session.json" >&2; exit 1; }

step "signing it with nono-sign"
"$bin/nono-sign" keygen --keyref "file://$work/keys/audit.key" --pem >"$work/audit.pem" 2>/dev/null
"$bin/nono-sign" session "$s" --key "file://$work/keys/audit.key"
"$bin/nono-verify" --bundle "$s/audit-attestation.bundle" --root "$root" --session-id 0123456789abcdef \
	--public-key-file "$work/keys/audit.key.pub" --count 2

step "cosign verify-blob-attestation: the fresh bundle (root $root)"
cosign_verify "$s/audit-attestation.bundle" "$work/audit.pem" "$root"

step "cosign verify-blob-attestation: the spec's example bundle"
examples=$repo/testdata/vectors
cosign_verify "$examples/attestation-example.bundle" "$examples/attestation-example.pub.pem" \
	2222222222222222222222222222222222222222222222222222222222222222

step "cosign refuses a wrong digest"
if cosign_verify "$s/audit-attestation.bundle" "$work/audit.pem" \
	3333333333333333333333333333333333333333333333333333333333333333 >"$work/wrong.log" 2>&1; then
	echo "interop: cosign accepted a wrong digest" >&2
	exit 1
fi
grep -q 'provided artifact digest does not match any digest in statement' "$work/wrong.log" || {
	cat "$work/wrong.log" >&2
	exit 1
}

step "interop OK: cosign $cosign_version verifies nono's bundles"
