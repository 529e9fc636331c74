#!/usr/bin/env bash
# Latency at a fixed offered rate, netadmit and nginx alternately, round after round: the tail at
# a low rate moves with this VM's mood far more than with either server, so only runs side by
# side compare. Prints p50 / p99 / p99.9 (µs) of every run, then the median p99 of each server.
#
# Usage: bench/latency.sh [ROUNDS] [RATE]     (default 6 rounds at 1000 requests/s)
# Same setup as bench/run.sh: servers on core 0, h2load on core 1, the denied NetworkPolicy CREATE.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-6}"
rate="${2:-1000}"
cd "$root"
source bench/common.sh
install_tools nginx:nginx-light h2load:nghttp2-client
cmake --preset release >/dev/null
cmake --build --preset release --target netadmit >/dev/null

netadmit_port=18443
nginx_port=18444

start_netadmit build/release/cli/netadmit "$netadmit_port" "$work/netadmit.log"
start_nginx "$nginx_port" "$(first_answer "$netadmit_port" "$work/netadmit.log")"

echo "| round | netadmit p50 / p99 / p99.9 (µs) | nginx p50 / p99 / p99.9 (µs) |"
echo "|---|---|---|"
netadmit_p99=()
nginx_p99=()
for round in $(seq "$rounds"); do
  read -r n50 n99 n999 n_bad <<<"$(fixed_rate netadmit "$netadmit_port" "$rate")"
  read -r g50 g99 g999 g_bad <<<"$(fixed_rate nginx "$nginx_port" "$rate")"
  [ "$n_bad" = 0 ] && [ "$g_bad" = 0 ] ||
    { echo "round $round: non-200 answers (netadmit $n_bad, nginx $g_bad)" >&2; exit 1; }
  echo "| $round | $n50 / $n99 / $n999 | $g50 / $g99 / $g999 |"
  netadmit_p99+=("$n99")
  nginx_p99+=("$g99")
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
echo
echo "median p99 at $rate requests/s: netadmit $(median "${netadmit_p99[@]}") µs, nginx $(median "${nginx_p99[@]}") µs"
