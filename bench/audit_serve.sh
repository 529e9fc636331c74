#!/usr/bin/env bash
# The audit inside `netadmit serve`, against bench_apiserver (1,000 namespaces, 10,000
# NetworkPolicies, 100,000 Pods, 10,000 Deployments): admission latency at a fixed 1,000
# requests/s with the audit off and with it auditing again and again (--audit-interval 1s), side
# by side, and the memory the audit takes above the process's resident memory without it.
#
# Usage: bench/audit_serve.sh [ROUNDS]     (default 3; each round runs both servers)
# Servers on core 0 (one worker thread, the audit on its own SCHED_IDLE thread), h2load and
# bench_apiserver on core 1, the API server under SCHED_IDLE.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rounds="${1:-3}"

scripts/install-deps.sh
source bench/common.sh
install_tools h2load:nghttp2-client
cmake --preset release >/dev/null
cmake --build --preset release --target netadmit bench_apiserver >/dev/null

start_bench_apiserver 1000 10000 100000 10000
# In a cluster the API server runs elsewhere; here it shares core 1 with h2load, and serving the
# audit's lists would delay the load generator, not netadmit: it gets core 1 only when h2load
# leaves it idle.
for pid in $(pgrep -f build/release/bench/bench_apiserver); do chrt --idle -a -p 0 "$pid"; done
# The default rule set and bench/cluster-rules.yaml (RequirePodSelected), as bench/run.sh uses them.
mkdir -p "$work/rules"
cp policy-rules/default-rules.yaml bench/cluster-rules.yaml "$work/rules/"
port=18446
hwm_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

serve() {  # audit-interval -> sets netadmit_pid, ready (and, auditing, after its first audit)
  start_netadmit build/release/cli/netadmit "$port" "$work/serve.log" \
    --rules "$work/rules" --kubeconfig "$kubeconfig" --leader-elect=false \
    --report-api none --audit-interval "$1"
  wait_ready "$port" "$work/serve.log"
  if [ "$1" != 0 ]; then
    for _ in $(seq 600); do
      grep -q '"event":"audit_complete"' "$work/serve.log" && break
      sleep 0.1
    done
    grep -q '"event":"audit_complete"' "$work/serve.log" ||
      { echo "no audit completed" >&2; tail -5 "$work/serve.log" >&2; exit 1; }
  fi
}

stop() { kill "$netadmit_pid"; wait "$netadmit_pid" || true; }

echo "| round | audit | p50 / p99 / p99.9 (µs) | RSS, MiB | peak RSS, MiB | audits during the run |"
echo "|---|---|---|---|---|---|"
for round in $(seq "$rounds"); do
  for interval in 0 1s; do
    serve "$interval"
    before=$(grep -c '"event":"audit_complete"' "$work/serve.log" || true)
    read -r p50 p99 p999 bad <<<"$(fixed_rate "audit-$interval" "$port" 1000)"
    [ "$bad" = 0 ] || { echo "round $round: $bad non-200 answers" >&2; exit 1; }
    after=$(grep -c '"event":"audit_complete"' "$work/serve.log" || true)
    echo "| $round | ${interval/0/off} | $p50 / $p99 / $p999 | $(( $(rss_kib "$netadmit_pid") / 1024 )) |" \
      "$(( $(hwm_kib "$netadmit_pid") / 1024 )) | $(( after - before )) |"
    grep '"event":"audit_complete"' "$work/serve.log" | tail -1 >"$work/last-audit.txt" || true
    stop
  done
done
echo
echo "last audit: $(cat "$work/last-audit.txt")"
