#!/usr/bin/env bash
# Load benchmark over real TLS: netadmit against nginx (the physical limit of an HTTPS server on
# this machine), side by side in one run. Each server is pinned to core 0 and the load generator
# to core 1. Prints a Markdown report; docs/PERFORMANCE.md records its output.
#
# Then, unless NETADMIT_BENCH_CLUSTER=0, the same workload against a second netadmit connected to
# bench_apiserver, a generated cluster of 10,000 NetworkPolicies and 100,000 Pods, with the
# stateful rules in the rule set: the figures with the cluster cache full.
#
# Usage: bench/run.sh [SECONDS]        (SECONDS per saturation run, default 20)
# Needs: nginx (nginx-light), wrk, h2load (nghttp2-client) — installed when missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-20}"
cluster="${NETADMIT_BENCH_CLUSTER:-1}"
cluster_namespaces=1000
cluster_policies=10000
cluster_pods=100000

scripts/install-deps.sh
source bench/common.sh
install_tools nginx:nginx-light wrk:wrk h2load:nghttp2-client

cmake --preset release >/dev/null
# Every benchmark program (bench/CMakeLists.txt's `benches`), not only those this run uses: the
# test builds leave them out, and this is where they must still compile.
cmake --build --preset release --target netadmit benches >/dev/null

netadmit_port=18443
nginx_port=18444
pod_body="$fixtures/003-Pod-CREATE-web-2.body.json"

start_netadmit build/release/cli/netadmit "$netadmit_port" "$work/netadmit.log"
# nginx answers with netadmit's own response to the denied request, so both send the same bytes.
response=$(first_answer "$netadmit_port" "$work/netadmit.log")
start_nginx "$nginx_port" "$response"

idle_rss=$(rss_kib "$netadmit_pid")

handshakes() {  # name port -> new TLS connections/s (one request per connection)
  taskset -c 1 wrk -t1 -c16 -d10s -H 'Connection: close' -s bench/mixed.lua \
    "https://127.0.0.1:$2" | awk '/Requests\/sec/ {print $2}'
}

# A benchmark of wrong answers is worthless: what went wrong is listed after the report, and the
# script then fails.
problems=()

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

if [ "$cluster" != 0 ]; then
  # The first netadmit is done; the second one gets core 0 to itself.
  kill "$netadmit_pid"
  wait "$netadmit_pid" || true
  mkdir "$work/cluster-rules"
  start_bench_apiserver "$cluster_namespaces" "$cluster_policies" "$cluster_pods"

  # The default rule set with require-default-deny refusing instead of warning, plus
  # RequirePodSelected (bench/cluster-rules.yaml): Pod CREATE is judged against the cache.
  sed '/kind: RequireDefaultDeny/,/action:/ s/action: warn/action: deny/' \
    policy-rules/default-rules.yaml >"$work/cluster-rules/default-rules.yaml"
  grep -A1 'kind: RequireDefaultDeny' "$work/cluster-rules/default-rules.yaml" | grep -q 'action: deny' ||
    { echo "could not make require-default-deny deny in the default rule set"; exit 1; }
  cp bench/cluster-rules.yaml "$work/cluster-rules/"

  cluster_port=18445
  cluster_start=$(date +%s.%N)
  start_netadmit build/release/cli/netadmit "$cluster_port" "$work/netadmit-cluster.log" \
    --rules "$work/cluster-rules" --kubeconfig "$kubeconfig"
  cluster_pid=$netadmit_pid
  wait_ready "$cluster_port" "$work/netadmit-cluster.log"
  cluster_fill=$(python3 -c "print(f'{$(date +%s.%N) - $cluster_start:.1f}')")
  metrics=$(curl -s --cacert "$work/certs/ca.crt" "https://127.0.0.1:$cluster_port/metrics" || true)
  grep -q '^netadmit_stateful_rules_active 1' <<<"$metrics" ||
    problems+=("the stateful rules are not active in the netadmit with the cluster")
  sleep 2
  cluster_idle_rss=$(rss_kib "$cluster_pid")

  # The recorded Pod CREATE (namespace default, app=web): its namespace has its default-deny and
  # a policy selecting app=web, so it is admitted, with the default set's require-pod-labels
  # warning (no app.kubernetes.io/name) and nothing from the stateful rules.
  pod_decision=$(curl -s --cacert "$work/certs/ca.crt" -H 'Content-Type: application/json' \
    --data-binary @"$pod_body" "https://127.0.0.1:$cluster_port/validate" | python3 -c '
import json, sys
response = json.load(sys.stdin)["response"]
decision = "allowed" if response["allowed"] else "denied: " + response["status"]["message"]
warnings = response.get("warnings", [])
print(decision + ("; warnings: " + " | ".join(warnings) if warnings else ", no warnings"))' || echo "no AdmissionReview answer")
  [ "${pod_decision%%;*}" = allowed ] && ! grep -q 'require-default-deny\|require-pod-selected' <<<"$pod_decision" ||
    problems+=("the recorded Pod CREATE through the cache-full server: $pod_decision")

  cluster_rps=$(saturate cluster $cluster_port)
  cluster_loaded_rss=$(rss_kib "$cluster_pid")
  latency[cluster-1000]=$(fixed_rate cluster $cluster_port 1000)
  latency[cluster-pod-1000]=$(fixed_rate cluster-pod $cluster_port 1000 "$pod_body")
  kill "$cluster_pid"
  wait "$cluster_pid" || true  # the decision log is written out at exit
  # Every namespace of the workload has its default-deny and policies selecting its pods: the
  # cache-full server must give the mixed workload the same decisions as the first one, the
  # stateful rules finding nothing and no evaluation failing.
  decisions=$(python3 - "$work/netadmit.log" "$work/netadmit-cluster.log" <<'PY'
import json, sys
def decisions(path):
    seen, errors = set(), 0
    for line in open(path):
        entry = json.loads(line) if line.startswith("{") else {}
        if entry.get("event") != "admission":
            continue
        errors += "error" in entry
        rules = tuple(sorted(finding["rule"] for finding in entry["findings"]))
        seen.add((entry["kind"], entry["operation"], entry["decision"], rules))
    return seen, errors
plain, plain_errors = decisions(sys.argv[1])
cluster, cluster_errors = decisions(sys.argv[2])
if not plain or not cluster:
    print("a decision log holds no admission")
elif plain_errors or cluster_errors:
    print(f"evaluation errors: {plain_errors} without the cluster, {cluster_errors} with it")
elif plain != cluster:
    print(f"decisions differ: only without the cluster {sorted(plain - cluster)}, "
          f"only with it {sorted(cluster - plain)}")
PY
)
  [ -z "$decisions" ] || problems+=("the mixed workload with the cache full: $decisions")
fi

# Every saturation and fixed-rate run of both parts: any answer but 200 voids the figures.
for run in "$work"/wrk-*.txt; do
  run=$(basename "$run" .txt)
  run=${run#wrk-}
  [ "$(non_200 "$run")" = 0 ] || problems+=("$run at saturation: $(non_200 "$run") non-200 answers or socket errors")
done
for key in "${!latency[@]}"; do
  read -r _ _ _ failed <<<"${latency[$key]}"
  [ "$failed" = 0 ] || problems+=("$key: $failed non-200 answers at a fixed rate")
done

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
thousands() { python3 -c "print(f'{$1:,}')"; }
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
  read -r n50 n99 n999 _ <<<"${latency[netadmit-$rate]}"
  read -r g50 g99 g999 _ <<<"${latency[nginx-$rate]}"
  echo "| latency at $rate requests/s, p50 / p99 / p99.9 (µs) | $n50 / $n99 / $n999 | $g50 / $g99 / $g999 | |"
done
echo "| netadmit resident memory, idle → after load (KiB) | $idle_rss → $loaded_rss | | |"
if [ "$cluster" != 0 ]; then
  in_cache="$(thousands $cluster_policies) policies and $(thousands $cluster_pods) pods in the cache"
  echo "| saturation with $in_cache, requests/s | $cluster_rps | $nginx_rps | $(ratio "$cluster_rps" "$nginx_rps") |"
  read -r c50 c99 c999 _ <<<"${latency[cluster-1000]}"
  echo "| latency at 1000 requests/s with the cache full, NetworkPolicy CREATE, p50 / p99 / p99.9 (µs) | $c50 / $c99 / $c999 | | |"
  read -r c50 c99 c999 _ <<<"${latency[cluster-pod-1000]}"
  echo "| latency at 1000 requests/s with the cache full, Pod CREATE, p50 / p99 / p99.9 (µs) | $c50 / $c99 / $c999 | | |"
  echo "| netadmit resident memory with the cache full, idle → after load (KiB) | $cluster_idle_rss → $cluster_loaded_rss | | |"
  echo "| time from start to /readyz 200 with the cache full (s) | $cluster_fill | | |"
fi
echo
echo "wrk's latency distribution at saturation:"
echo
echo '```'
grep -A4 'Latency Distribution' "$work/wrk-netadmit.txt" | sed 's/^/netadmit /'
grep -A4 'Latency Distribution' "$work/wrk-nginx.txt" | sed 's/^/nginx    /'
grep 'non-200' "$work/wrk-netadmit.txt" | sed 's/^/netadmit /'
if [ "$cluster" != 0 ]; then
  grep -A4 'Latency Distribution' "$work/wrk-cluster.txt" | sed 's/^/cluster  /'
  grep 'non-200' "$work/wrk-cluster.txt" | sed 's/^/cluster  /'
fi
echo '```'
if [ "$cluster" != 0 ]; then
  echo
  echo "The second netadmit: the default rule set with require-default-deny as deny, plus"
  echo "RequirePodSelected as warn (bench/cluster-rules.yaml), connected to bench_apiserver with"
  echo "$(thousands $cluster_namespaces) namespaces. The recorded Pod CREATE through it: $pod_decision."
fi
if [ ${#problems[@]} -gt 0 ]; then
  echo
  echo "Wrong answers — these figures do not count:"
  printf -- '- %s\n' "${problems[@]}"
  exit 1
fi
