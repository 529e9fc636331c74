#!/usr/bin/env bash
# What a Flows judgement that builds the connectivity engine does to the other requests: two
# netadmit binaries side by side, each with one connection thread, the cache full (10,000
# NetworkPolicies, 100,000 Pods from bench_apiserver) and a Flows rule whose entry names nearly
# every pod. h2load offers the denied NetworkPolicy CREATE (outside the entry's scope, judged in
# microseconds) at a fixed rate while a second client sends a Pod CREATE in scope (hundreds of
# milliseconds of engine builds) every 500 ms. Prints, round after round, the rate achieved, the
# latencies and the stalls of the fixed-rate requests, and what the Pod CREATEs took.
#
# Usage: bench/flows_latency.sh BEFORE AFTER [ROUNDS] [RATE]   (default 3 rounds, 1000/s)
#   BEFORE, AFTER: netadmit binaries, e.g. one built in a `git worktree` of the older commit.
# Servers on core 0, both clients on core 1, as in bench/run.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 2 ] || { sed -n '2,12p' "$0"; exit 2; }
before=$(realpath "$1")
after=$(realpath "$2")
rounds="${3:-3}"
rate="${4:-1000}"
cd "$root"
source bench/common.sh
install_tools h2load:nghttp2-client
cmake --preset release >/dev/null
cmake --build --preset release --target bench_apiserver >/dev/null

mkdir "$work/rules"
start_bench_apiserver 1000 10000 100000

# The default rule set and a Flows rule over every generated namespace: the namespaces of the
# recorded requests (default, t1) are left out, so the NetworkPolicy CREATE needs no engine.
cp policy-rules/default-rules.yaml "$work/rules/"
cat >"$work/rules/flows.yaml" <<'EOF'
apiVersion: netadmit.io/v1alpha1
kind: RuleSet
metadata: {name: flows}
spec:
  rules:
    - id: no-team-reaches-team-0
      kind: Flows
      action: deny
      params:
        forbid:
          - from: {namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name,
                     operator: NotIn, values: [default, t1, netadmit-system]}]}}
            to: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: team-0003}},
                 podSelector: {matchLabels: {app: db}}}
            ports: [5432/TCP]
EOF
# A Pod CREATE in team-0005 with labels no pod has: no twin, so the engine judges it.
pod_body="$work/pod-create.json"
python3 - "$fixtures/003-Pod-CREATE-web-2.body.json" "$pod_body" <<'PY'
import json, sys
review = json.load(open(sys.argv[1]))
request = review["request"]
request["namespace"] = request["object"]["metadata"]["namespace"] = "team-0005"
request["name"] = request["object"]["metadata"]["name"] = "probe"
request["object"]["metadata"]["labels"] = {"app": "probe"}
json.dump(review, open(sys.argv[2], "w"))
PY

port=18446
# Pod CREATEs every 500 ms until the file $1.stop appears; each one's HTTP status and seconds, a
# line each, in $1.
probe() {
  while [ ! -e "$1.stop" ]; do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --cacert "$work/certs/ca.crt" \
      -H 'Content-Type: application/json' --data-binary @"$pod_body" \
      "https://127.0.0.1:$port/validate" >>"$1" || true
    sleep 0.5
  done
}

# h2load at a fixed rate, as fixed_rate in common.sh, summed up for stalls: a client waits for
# each answer before its next request, so a stalled server shows less in the percentiles than
# in the rate achieved, the slowest answer and the count of answers slower than 100 ms.
stalls() {  # name -> "achieved/s p50 p99 max slow non200", latencies in µs
  local total=$(( rate * 10 ))
  rm -f "$work/h2load-$1.log"
  taskset -c 1 h2load --h1 -c 10 -n "$total" --rps $(( rate / 10 )) \
    -H 'Content-Type: application/json' -d "$single_body" \
    --log-file "$work/h2load-$1.log" "https://127.0.0.1:$port/validate" >/dev/null
  python3 - "$work/h2load-$1.log" <<'PY'
import sys
rows = [[int(x) for x in line.split()[:3]] for line in open(sys.argv[1]) if line.strip()]
durations = sorted(row[2] for row in rows)
def pct(p):
    return durations[min(len(durations) - 1, int(p / 100 * len(durations)))]
wall = (max(row[0] + row[2] for row in rows) - min(row[0] for row in rows)) / 1e6
slow = sum(1 for d in durations if d > 100_000)
bad = sum(1 for row in rows if row[1] != 200)
print(f"{len(rows) / wall:.0f} {pct(50)} {pct(99)} {durations[-1]} {slow} {bad}")
PY
}

run() {  # name binary -> stalls' figures, then Pod CREATEs answered, median and max ms, non200
  start_netadmit "$2" "$port" "$work/$1.log" --rules "$work/rules" --kubeconfig "$kubeconfig"
  wait_ready "$port" "$work/$1.log"
  rm -f "$work/probe-$1.txt" "$work/probe-$1.txt.stop"
  taskset -c 1 bash -c "$(declare -f probe); work=$work; port=$port; pod_body=$pod_body; probe $work/probe-$1.txt" &
  local probe_pid=$!
  local latency
  latency=$(stalls "$1")
  touch "$work/probe-$1.txt.stop"
  wait "$probe_pid"  # its Pod CREATE under way is answered first
  kill "$netadmit_pid"
  wait "$netadmit_pid" || true
  local pods
  pods=$(python3 - "$work/probe-$1.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
seconds = sorted(float(row[1]) for row in rows if row[0] == "200")
bad = sum(1 for row in rows if row[0] != "200")
print(f"{len(seconds)} {statistics.median(seconds) * 1000:.0f} {max(seconds) * 1000:.0f} {bad}"
      if seconds else f"0 0 0 {bad}")
PY
)
  echo "$latency $pods"
}

echo "| round | binary | achieved of $rate/s | p50 / p99 / max (µs) | answers over 100 ms | Pod CREATEs answered, median / max (ms) |"
echo "|---|---|---|---|---|---|"
for round in $(seq "$rounds"); do
  for name in before after; do
    binary=$before
    [ "$name" = after ] && binary=$after
    read -r achieved p50 p99 max slow bad pods pod_median pod_max pod_bad <<<"$(run "$name" "$binary")"
    [ "$bad" = 0 ] && [ "$pod_bad" = 0 ] ||
      { echo "round $round, $name: non-200 answers ($bad fixed-rate, $pod_bad Pod)" >&2; exit 1; }
    echo "| $round | $name | $achieved | $p50 / $p99 / $max | $slow | $pods, $pod_median / $pod_max |"
  done
done
