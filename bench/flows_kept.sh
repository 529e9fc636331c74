#!/usr/bin/env bash
# Judged Flows requests beside the others, as a busy webhook sees them: two netadmit binaries
# side by side, each with one connection thread on core 0 and the cache full from bench_apiserver
# (1,000 namespaces taking turns as env dev, staging and prod, 2,000 NetworkPolicies, 10,000
# pods, the cluster DNS in kube-system), with the entries "every pod reaches kube-dns on 53/UDP"
# and "nothing in env=dev reaches env=prod" (all ports). For 10 s, h2load offers at once:
#   - 1,000 requests/s the Flows kind does not judge (a Pod UPDATE, as status changes come);
#   - 25 judged Pod CREATEs/s (a workload no pod there resembles, in a dev namespace);
#   - 25 judged NetworkPolicy CREATEs/s (ingress from staging to an app of a prod namespace).
# Prints per round and binary each stream's achieved rate and latencies (p50, p99, max in µs).
#
# Arrivals: by default each stream's clients start evenly apart (h2load --rate), so that the
# requests of a stream arrive evenly spread, as from independent clients, and the judged ones
# alternate Pod, NetworkPolicy every 20 ms. ARRIVALS=lockstep starts every client at once, so that
# each stream comes in bursts (the 10 judged requests of a 200 ms period at the same instant): the
# worst case for the judged ones, which take turns on one engine.
#
# JUDGED=0 offers the others alone: the floor the machine and the load generator set for them.
#
# Usage: [ARRIVALS=even|lockstep] [JUDGED=0] bench/flows_kept.sh BEFORE AFTER [ROUNDS]
#   (default 3 rounds)
#   BEFORE, AFTER: netadmit binaries, e.g. one built in a `git worktree` of the older commit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 2 ] || { sed -n '2,15p' "$0"; exit 2; }
before=$(realpath "$1")
after=$(realpath "$2")
rounds="${3:-3}"
cd "$root"
source bench/common.sh
install_tools h2load:nghttp2-client
cmake --preset release >/dev/null
cmake --build --preset release --target bench_apiserver >/dev/null

mkdir "$work/rules"
start_bench_apiserver 1000 2000 10000
cp policy-rules/default-rules.yaml "$work/rules/"
cat >"$work/rules/flows.yaml" <<'EOF'
apiVersion: netadmit.io/v1alpha1
kind: RuleSet
metadata: {name: flows}
spec:
  rules:
    - id: flows
      kind: Flows
      action: deny
      params:
        forbid:
          - from: {namespaceSelector: {matchLabels: {env: dev}}}
            to: {namespaceSelector: {matchLabels: {env: prod}}}
            ports: [all]
        require:
          - from: {}
            to: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}},
                 podSelector: {matchLabels: {k8s-app: kube-dns}}}
            ports: [53/UDP]
EOF
# The three bodies, from the recorded requests: team-0000 is a dev namespace, team-0002 prod.
python3 - "$fixtures" "$work" <<'PY'
import copy, json, sys
fixtures, work = sys.argv[1], sys.argv[2]
pod = json.load(open(f"{fixtures}/003-Pod-CREATE-web-2.body.json"))
update = copy.deepcopy(pod)
update["request"]["operation"] = "UPDATE"
update["request"]["oldObject"] = copy.deepcopy(update["request"]["object"])
json.dump(update, open(f"{work}/other.json", "w"))
request = pod["request"]
request["namespace"] = request["object"]["metadata"]["namespace"] = "team-0000"
request["name"] = request["object"]["metadata"]["name"] = "probe"
request["object"]["metadata"]["labels"] = {"app": "probe"}
json.dump(pod, open(f"{work}/pod.json", "w"))
policy = json.load(open(f"{fixtures}/002-NetworkPolicy-CREATE-good-second.body.json"))
request = policy["request"]
request["namespace"] = request["object"]["metadata"]["namespace"] = "team-0002"
request["name"] = request["object"]["metadata"]["name"] = "from-staging"
request["object"]["spec"] = {
    "podSelector": {"matchLabels": {"app": "web"}},
    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"env": "staging"}}}],
                 "ports": [{"protocol": "TCP", "port": 8080}]}]}
json.dump(policy, open(f"{work}/policy.json", "w"))
PY

port=18447
arrivals="${ARRIVALS:-even}"
[ "$arrivals" = even ] || [ "$arrivals" = lockstep ] || { echo "ARRIVALS: even or lockstep" >&2; exit 2; }
# h2load on core 1 for 10 s: clients, requests/s per client, body -> its log file. With even
# arrivals the clients start one period / clients apart, one connection at a time.
offer() {  # name clients rate_per_client body
  local total=$(( $2 * $3 * 10 ))
  local stagger=()
  if [ "$arrivals" = even ]; then
    stagger=(-r 1 --rate-period "$(python3 -c "print(f'{1000 / ($2 * $3):.0f}ms')")")
  fi
  taskset -c 1 h2load --h1 -c "$2" -n "$total" --rps "$3" "${stagger[@]}" \
    -H 'Content-Type: application/json' -d "$4" \
    --log-file "$work/h2load-$1.log" "https://127.0.0.1:$port/validate" >/dev/null
}
summary() {  # log -> "achieved/s p50 p99 max non200"
  python3 - "$1" <<'PY'
import sys
rows = [[int(x) for x in line.split()[:3]] for line in open(sys.argv[1]) if line.strip()]
durations = sorted(row[2] for row in rows)
def pct(p):
    return durations[min(len(durations) - 1, int(p / 100 * len(durations)))]
wall = (max(row[0] + row[2] for row in rows) - min(row[0] for row in rows)) / 1e6
print(f"{len(rows) / wall:.0f} {pct(50)} {pct(99)} {durations[-1]} "
      f"{sum(1 for row in rows if row[1] != 200)}")
PY
}

echo "| round | binary | stream | achieved/s | p50 / p99 / max (µs) |"
echo "|---|---|---|---|---|"
for round in $(seq "$rounds"); do
  for name in before after; do
    binary=$before
    [ "$name" = after ] && binary=$after
    start_netadmit "$binary" "$port" "$work/$name.log" --rules "$work/rules" \
      --kubeconfig "$kubeconfig"
    wait_ready "$port" "$work/$name.log"
    # One judged request first, as a webhook's first minute would: the kept engine is built.
    curl -s -o /dev/null --cacert "$work/certs/ca.crt" -H 'Content-Type: application/json' \
      --data-binary @"$work/pod.json" "https://127.0.0.1:$port/validate"
    rm -f "$work"/h2load-*.log
    offer other 10 100 "$work/other.json" &
    offers=($!)
    streams=(other)
    if [ "${JUDGED:-1}" != 0 ]; then
      streams+=(pod policy)
      offer pod 5 5 "$work/pod.json" &
      offers+=($!)
      [ "$arrivals" = even ] && sleep 0.02  # between two judged Pods
      offer policy 5 5 "$work/policy.json" &
      offers+=($!)
    fi
    wait "${offers[@]}"
    # A binary still judging a backlog is stopped rather than waited for.
    kill "$netadmit_pid"
    for _ in $(seq 50); do kill -0 "$netadmit_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$netadmit_pid" 2>/dev/null || true
    wait "$netadmit_pid" 2>/dev/null || true
    for stream in "${streams[@]}"; do
      read -r achieved p50 p99 max bad <<<"$(summary "$work/h2load-$stream.log")"
      [ "$bad" = 0 ] || { echo "round $round, $name, $stream: $bad non-200 answers" >&2; exit 1; }
      echo "| $round | $name | $stream | $achieved | $p50 / $p99 / $max |"
    done
  done
done
