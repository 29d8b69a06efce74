#!/usr/bin/env bash
# Median latency of filtered queries through the reference server's store,
# for tenants of growing size: each filter on an indexed attribute should
# cost the same at every size.
#
# Usage: bench/filters.sh [HOSTS...]        (default: 1000 10000)
#   SCIM_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bench/filters.sh
#
# SQLite runs on a fresh file under $BENCH_DIR (default /dev/shm when it
# exists, so the load is not bound by fsync); PostgreSQL in the database
# named by SCIM_DATABASE_URL (the benchmark tenant is deleted afterwards).
# Results are recorded in docs/benchmarks.md ("Filtered queries").
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000 10000)
cargo build --release -q -p scim-server-example
bin=target/release/scim-server-example
base=${BENCH_DIR:-$([ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")}
for n in "${sizes[@]}"; do
    if [ -n "${SCIM_DATABASE_URL:-}" ]; then
        "$bin" bench-filters --hosts "$n"
    else
        dir=$(mktemp -d "$base/scim-bench-XXXXXX")
        trap 'rm -rf "$dir"' EXIT
        "$bin" --data-dir "$dir" bench-filters --hosts "$n"
        rm -rf "$dir"
        trap - EXIT
    fi
    echo
done
