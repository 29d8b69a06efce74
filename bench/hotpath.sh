#!/usr/bin/env bash
# Entra ID's hot path on the reference server, against a bare hyper server.
#
# Builds release, starts `bare_hyper` (examples/src/bin/bare_hyper.rs, an
# unpublished bin answering fixed JSON the size of the real answer) and
# `scim-server-example` on a fresh data directory (the default embedded
# SQLite store, request logs at the default level written to a file),
# provisions --hosts hosts through the SCIM API (bench/provision.py), then
# runs `wrk -t2 -c16 -d10s` against each in turn, --rounds times, with
# random `GET /Users?filter=userName eq "…"` lookups among the provisioned
# userNames (bench/lookup.lua). Prints req/s, p50 and p99 latency per run
# and the ratio server/bare per round.
#
# Usage: bench/hotpath.sh [--hosts N] [--rounds R] [--duration 10s]
#                         [--threads 2] [--connections 16] [--no-build]
#                         [--perf FILE] [--compare BIN]
#   --perf FILE  also record the server with `perf record -e cpu-clock -g`
#                during one extra run and write `perf report` to FILE
#                (the recording itself to FILE.data).
#   --compare BIN  also run another build of scim-server-example (say, the
#                one before a change) on the same database, in every round
#                right after the current one, so both see the same load.
# Needs: cargo, wrk, python3, curl (and perf for --perf). Takes about
# 20 s per round plus provisioning. Both servers and wrk share this
# machine's cores: compare the ratio, not the absolute numbers, and rerun
# to see the variance. See docs/benchmarks.md.
set -euo pipefail

hosts=2000 rounds=2 duration=10s threads=2 connections=16 build=1 perf_out="" compare=""
while [ $# -gt 0 ]; do
  case "$1" in
    --hosts) hosts="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --perf) perf_out="$2"; shift 2 ;;
    --compare) compare="$2"; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
bench="$root/bench"
target="${CARGO_TARGET_DIR:-$root/target}/release"
for tool in wrk python3 curl; do
  command -v "$tool" >/dev/null || { echo "hotpath.sh needs $tool (apt-get install $tool)" >&2; exit 1; }
done

if [ "$build" = 1 ]; then
  (cd "$root" && cargo build --release -q -p scim-server-example -p scim-examples --bin scim-server-example --bin bare_hyper)
fi

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Waits for a line matching $2 in file $1 and prints the first URL in it.
wait_for_url() {
  for _ in $(seq 1 200); do
    if grep -q "$2" "$1" 2>/dev/null; then
      grep -m1 -o 'http://[0-9.:]*' "$1"
      return 0
    fi
    sleep 0.05
  done
  echo "timed out waiting for '$2' in $1:" >&2
  cat "$1" >&2
  return 1
}

token="bench-token-$(date +%s)-0123456789abcdefghij"
SCIM_BOOTSTRAP_TOKEN="$token" "$target/scim-server-example" --data-dir "$work/data" \
  serve --listen 127.0.0.1:0 >"$work/server.out" 2>"$work/server.log" &
pids+=($!)
server_pid=$!
server="$(wait_for_url "$work/server.out" '^Storage:')"
echo "server: $server (SQLite in $work/data), provisioning $hosts hosts…"
started=$(date +%s.%N)
python3 "$bench/provision.py" "$server/scim/v2" "$token" "$hosts"
echo "provisioned in $(echo "$(date +%s.%N) - $started" | bc) s"

# One real answer, for the bare server's body and as a check.
curl -fsS -H "Authorization: Bearer $token" \
  "$server/scim/v2/Users?filter=userName+eq+%22host-000001%40bench.example%22" >"$work/answer.json"
grep -q '"totalResults":1' "$work/answer.json" || { echo "lookup did not find host-000001:" >&2; cat "$work/answer.json" >&2; exit 1; }

"$target/bare_hyper" 127.0.0.1:0 "$work/answer.json" >"$work/bare.out" 2>&1 &
pids+=($!)
bare="$(wait_for_url "$work/bare.out" 'bare hyper')"
echo "bare hyper: $bare answering $(wc -c <"$work/answer.json") bytes"

if [ -n "$compare" ]; then
  # The same database file: SQLite lets several processes share it.
  "$compare" --data-dir "$work/data" serve --listen 127.0.0.1:0 \
    >"$work/compare.out" 2>"$work/compare.log" &
  pids+=($!)
  other="$(wait_for_url "$work/compare.out" '^Storage:')"
  echo "compared build: $other ($compare)"
fi

# Runs wrk against $1 and prints its RESULT line.
run() {
  wrk -t"$threads" -c"$connections" -d"$duration" -s "$bench/lookup.lua" "$1" -- "$hosts" "$token" /scim/v2 |
    grep '^RESULT'
}
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"; }

# Warm both up (page cache, statement caches, connection pools).
wrk -t"$threads" -c"$connections" -d2s -s "$bench/lookup.lua" "$server" -- "$hosts" "$token" /scim/v2 >/dev/null
wrk -t"$threads" -c"$connections" -d2s -s "$bench/lookup.lua" "$bare" -- "$hosts" "$token" /scim/v2 >/dev/null
if [ -n "$compare" ]; then
  wrk -t"$threads" -c"$connections" -d2s -s "$bench/lookup.lua" "$other" -- "$hosts" "$token" /scim/v2 >/dev/null
fi

echo "wrk -t$threads -c$connections -d$duration, $hosts hosts, random userName lookups"
printf '%-6s %-7s %10s %9s %9s %8s\n' round target req/s p50_us p99_us non2xx
for r in $(seq 1 "$rounds"); do
  b="$(run "$bare")"
  s="$(run "$server")"
  printf '%-6s %-7s %10s %9s %9s %8s\n' "$r" bare "$(field req_s "$b")" "$(field p50_us "$b")" "$(field p99_us "$b")" "$(field non2xx "$b")"
  printf '%-6s %-7s %10s %9s %9s %8s\n' "$r" server "$(field req_s "$s")" "$(field p50_us "$s")" "$(field p99_us "$s")" "$(field non2xx "$s")"
  [ "$(field non2xx "$s")" = 0 ] || echo "warning: the server answered non-2xx" >&2
  echo "round $r ratio server/bare: $(echo "scale=3; $(field req_s "$s") / $(field req_s "$b")" | bc)"
  if [ -n "$compare" ]; then
    c="$(run "$other")"
    printf '%-6s %-7s %10s %9s %9s %8s\n' "$r" compare "$(field req_s "$c")" "$(field p50_us "$c")" "$(field p99_us "$c")" "$(field non2xx "$c")"
    echo "round $r ratio compare/bare: $(echo "scale=3; $(field req_s "$c") / $(field req_s "$b")" | bc)"
  fi
done

if [ -n "$perf_out" ]; then
  command -v perf >/dev/null || { echo "--perf needs perf (apt-get install linux-perf)" >&2; exit 1; }
  perf record -q -e cpu-clock -g -p "$server_pid" -o "$work/perf.data" -- sleep 8 2>/dev/null &
  perf_pid=$!
  run "$server" >/dev/null
  wait "$perf_pid" || true
  perf report -i "$work/perf.data" --no-children --percent-limit 0.7 --stdio 2>/dev/null \
    | grep -v '^$' >"$perf_out"
  {
    echo "# By shared object (self time):"
    perf report -i "$work/perf.data" --no-children --sort dso --percent-limit 0.5 --stdio -g none 2>/dev/null \
      | grep -E '^ +[0-9]'
    echo "# Flat, by symbol (self time):"
    perf report -i "$work/perf.data" --no-children --sort sym --percent-limit 0.4 --stdio -g none 2>/dev/null \
      | grep -E '^ +[0-9]'
  } >>"$perf_out"
  mv "$work/perf.data" "$perf_out.data"
  echo "perf report (self time) written to $perf_out"
fi
