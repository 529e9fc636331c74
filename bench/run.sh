#!/usr/bin/env bash
# Load benchmark over real TLS: netadmit against nginx (the physical limit of an HTTPS server on
# this machine), side by side in one run. Each server is pinned to core 0 and the load generator
# to core 1. Prints a Markdown report; docs/PERFORMANCE.md records its output.
#
# Usage: bench/run.sh [SECONDS]        (SECONDS per saturation run, default 20)
# Needs: nginx (nginx-light), wrk, h2load (nghttp2-client) — installed when missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-20}"

scripts/install-deps.sh
for tool in nginx:nginx-light wrk:wrk h2load:nghttp2-client; do
  command -v "${tool%%:*}" >/dev/null || (apt-get install -y -qq "${tool##*:}" >/dev/null)
done

cmake --preset release >/dev/null
cmake --build --preset release --target netadmit hot_path_bench >/dev/null

work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
scripts/dev-certs.sh "$work/certs" >/dev/null
netadmit_port=18443
nginx_port=18444
fixtures=tests/fixtures/apiserver-v1.28
bodies="$fixtures/001-NetworkPolicy-CREATE-bad-allow-everything.body.json
$fixtures/002-NetworkPolicy-CREATE-good-second.body.json
$fixtures/003-Pod-CREATE-web-2.body.json
$fixtures/004-NetworkPolicy-UPDATE-good-second.body.json
$fixtures/005-NetworkPolicy-DELETE-good-second.body.json
bench/requests/deployment-create.json"
export NETADMIT_BENCH_BODIES="$(echo $bodies)"
single_body="$fixtures/001-NetworkPolicy-CREATE-bad-allow-everything.body.json"

taskset -c 0 build/release/server/netadmit serve --listen "127.0.0.1:$netadmit_port" --threads 1 \
  --tls-cert "$work/certs/tls.crt" --tls-key "$work/certs/tls.key" >"$work/netadmit.log" 2>&1 &
netadmit_pid=$!

# nginx answers with netadmit's own response to the denied request, so both send the same bytes.
for _ in $(seq 50); do
  response=$(curl -sf --cacert "$work/certs/ca.crt" -H 'Content-Type: application/json' \
    --data-binary @"$single_body" "https://127.0.0.1:$netadmit_port/validate" || true)
  [ -n "$response" ] && break
  sleep 0.1
done
[ -n "$response" ] || { echo "netadmit did not start"; cat "$work/netadmit.log"; exit 1; }
escaped=$(printf '%s' "$response" | sed -e "s/[\\/&]/\\\\&/g" -e "s/'/\\\\'/g")
sed -e "s|@DIR@|$work|g" -e "s|@PORT@|$nginx_port|g" bench/nginx.conf.in |
  sed -e "s/@RESPONSE@/$escaped/" >"$work/nginx.conf"
taskset -c 0 nginx -c "$work/nginx.conf" -e "$work/nginx-error.log" &
sleep 1

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
idle_rss=$(rss_kib "$netadmit_pid")

saturate() {  # name port -> requests/s
  local out
  out=$(taskset -c 1 wrk -t1 -c32 -d"${seconds}s" --latency -s bench/mixed.lua "https://127.0.0.1:$2")
  echo "$out" >"$work/wrk-$1.txt"
  echo "$out" | awk '/Requests\/sec/ {print $2}'
}

handshakes() {  # name port -> new TLS connections/s (one request per connection)
  taskset -c 1 wrk -t1 -c16 -d10s -H 'Connection: close' -s bench/mixed.lua \
    "https://127.0.0.1:$2" | awk '/Requests\/sec/ {print $2}'
}

fixed_rate() {  # name port rate -> "p50 p99 p99.9" in microseconds
  local clients=10 total
  total=$(( $3 * 10 ))
  rm -f "$work/h2load-$1-$3.log"
  taskset -c 1 h2load --h1 -c "$clients" -n "$total" --rps $(( $3 / clients )) \
    -H 'Content-Type: application/json' -d "$single_body" \
    --log-file "$work/h2load-$1-$3.log" "https://127.0.0.1:$2/validate" >/dev/null
  python3 - "$work/h2load-$1-$3.log" <<'PY'
import sys
durations = sorted(int(line.split()[2]) for line in open(sys.argv[1]) if line.strip())
def pct(p):
    return durations[min(len(durations) - 1, int(p / 100 * len(durations)))]
print(f"{pct(50)} {pct(99)} {pct(99.9)}")
PY
}

netadmit_rps=$(saturate netadmit $netadmit_port)
nginx_rps=$(saturate nginx $nginx_port)
loaded_rss=$(rss_kib "$netadmit_pid")
netadmit_hs=$(handshakes netadmit $netadmit_port)
nginx_hs=$(handshakes nginx $nginx_port)
declare -A latency
for rate in 1000 5000; do
  latency[netadmit-$rate]=$(fixed_rate netadmit $netadmit_port $rate)
  latency[nginx-$rate]=$(fixed_rate nginx $nginx_port $rate)
done

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
echo "## Load over TLS ($(date -u +%Y-%m-%d), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo
echo "Command: \`bench/run.sh $seconds\`. Servers on core 0, load generator on core 1; TLS 1.3,"
echo "keep-alive; the mixed workload cycles NetworkPolicy CREATE/UPDATE/DELETE, Pod CREATE and"
echo "Deployment CREATE (recorded AdmissionReviews, some denied) with the default rule set."
echo
echo "| measure | netadmit | nginx (static answer) | ratio |"
echo "|---|---|---|---|"
echo "| saturation, 32 connections, requests/s | $netadmit_rps | $nginx_rps | $(ratio "$netadmit_rps" "$nginx_rps") |"
echo "| new TLS connections/s (one request each) | $netadmit_hs | $nginx_hs | $(ratio "$netadmit_hs" "$nginx_hs") |"
for rate in 1000 5000; do
  read -r n50 n99 n999 <<<"${latency[netadmit-$rate]}"
  read -r g50 g99 g999 <<<"${latency[nginx-$rate]}"
  echo "| latency at $rate requests/s, p50 / p99 / p99.9 (µs) | $n50 / $n99 / $n999 | $g50 / $g99 / $g999 | |"
done
echo "| netadmit resident memory, idle → after load (KiB) | $idle_rss → $loaded_rss | | |"
echo
echo "wrk's latency distribution at saturation:"
echo
echo '```'
grep -A4 'Latency Distribution' "$work/wrk-netadmit.txt" | sed 's/^/netadmit /'
grep -A4 'Latency Distribution' "$work/wrk-nginx.txt" | sed 's/^/nginx    /'
grep 'non-200' "$work/wrk-netadmit.txt" | sed 's/^/netadmit /'
echo '```'
