#!/usr/bin/env bash
# Memory over a long run: netadmit under saturating load (the mixed workload of run.sh) for
# MINUTES minutes, its resident memory sampled every 30 seconds. Flat is the goal: growth means
# a leak or an unbounded cache. Prints a Markdown table; docs/PERFORMANCE.md records its output.
#
# Usage: bench/soak.sh [MINUTES]        (default 10)
# Needs: wrk (installed when missing).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
minutes="${1:-10}"

scripts/install-deps.sh
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null

cmake --preset release >/dev/null
cmake --build --preset release --target netadmit >/dev/null

work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
scripts/dev-certs.sh "$work/certs" >/dev/null
port=18445
fixtures=tests/fixtures/apiserver-v1.28
export NETADMIT_BENCH_BODIES="$fixtures/001-NetworkPolicy-CREATE-bad-allow-everything.body.json \
$fixtures/002-NetworkPolicy-CREATE-good-second.body.json $fixtures/003-Pod-CREATE-web-2.body.json \
$fixtures/004-NetworkPolicy-UPDATE-good-second.body.json \
$fixtures/005-NetworkPolicy-DELETE-good-second.body.json bench/requests/deployment-create.json"

# The decision log goes to /dev/null: a file that grows for ten minutes would be measured too.
taskset -c 0 build/release/server/netadmit serve --listen "127.0.0.1:$port" --threads 1 \
  --tls-cert "$work/certs/tls.crt" --tls-key "$work/certs/tls.key" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 50); do
  curl -sf --cacert "$work/certs/ca.crt" "https://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
seconds=$((minutes * 60))
taskset -c 1 wrk -t1 -c32 -d"${seconds}s" -s bench/mixed.lua "https://127.0.0.1:$port" \
  >"$work/wrk.txt" &
load=$!

echo "## Memory over $minutes minutes under load ($(date -u +%Y-%m-%d))"
echo
echo "Command: \`bench/soak.sh $minutes\`. netadmit on core 0 with one thread, wrk on core 1 with"
echo "32 keep-alive connections sending the mixed workload as fast as netadmit answers."
echo
echo "| minute | resident memory (KiB) |"
echo "|---|---|"
echo "| 0 (idle) | $(rss_kib) |"
for ((elapsed = 30; elapsed <= seconds; elapsed += 30)); do
  sleep 30
  echo "| $(python3 -c "print(f'{$elapsed / 60:g}')") | $(rss_kib) |"
done
wait "$load"
echo
echo "wrk: $(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt") requests/s;" \
  "$(awk '/requests in/ {print $1}' "$work/wrk.txt") requests in all."
