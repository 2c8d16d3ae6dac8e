#!/bin/sh
# scripts/minio.sh [--path]: print the path of the MinIO server the S3 tests
# and benchmarks run against, building it first if it is not cached.
#
# The server is built from the Go module proxy at a pinned version that
# builds with this Go, once per machine, into
# ${XDG_CACHE_HOME:-~/.cache}/nono-test/ (a cold build takes about 12
# minutes on 2 cores; .ci/run does it before `make test`). With --path it
# only prints where the binary is or would be, and fails if it is missing.
set -eu
version=v0.0.0-20260212201848-7aac2a2c5b7c
cache=${NONO_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nono-test}
dir=$cache/minio-${version##*-}
bin=$dir/minio
if [ "${1-}" = --path ]; then
	echo "$bin"
	[ -x "$bin" ]
	exit
fi
if [ ! -x "$bin" ]; then
	echo "scripts/minio.sh: building the MinIO server $version into $dir (once per machine)..." >&2
	start=$(date +%s)
	tmp=$(mktemp -d "$cache.build.XXXXXX" 2>/dev/null || { mkdir -p "$cache" && mktemp -d "$cache.build.XXXXXX"; })
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && GOBIN=$tmp/bin CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local \
		go install -trimpath "github.com/minio/minio@$version") >&2
	mkdir -p "$dir"
	mv "$tmp/bin/minio" "$bin"
	echo "scripts/minio.sh: built in $(($(date +%s) - start)) s" >&2
fi
echo "$bin"
