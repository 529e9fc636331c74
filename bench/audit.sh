#!/usr/bin/env bash
# The audit at cluster scale: `netadmit audit --kubeconfig` against bench_apiserver holding 1,000
# namespaces, 10,000 NetworkPolicies, 100,000 Pods and 10,000 Deployments (every pod judged:
# generated pods have no owner), with the default rule set and bench/cluster-rules.yaml. Prints
# the wall time and the peak resident memory of each run (GNU time), and the results' summary of
# the last.
#
# Usage: bench/audit.sh [RUNS]     (default 3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${1:-3}"

scripts/install-deps.sh
source bench/common.sh
install_tools time:time

cmake --preset release >/dev/null
cmake --build --preset release --target netadmit bench_apiserver >/dev/null

start_bench_apiserver 1000 10000 100000 10000
# The default rule set and bench/cluster-rules.yaml (RequirePodSelected), as bench/run.sh uses them.
mkdir -p "$work/rules"
cp policy-rules/default-rules.yaml bench/cluster-rules.yaml "$work/rules/"
echo "| run | wall, s | peak RSS, MiB |"
echo "|---|---|---|"
for run in $(seq "$runs"); do
  # Exit status 1 (a fail result) is the expected answer here.
  /usr/bin/time -f "%e %M" -o "$work/time.txt" taskset -c 0 build/release/cli/netadmit audit \
    --kubeconfig "$kubeconfig" --rules "$work/rules" -o json >"$work/audit.json" || true
  read -r wall kib <"$work/time.txt"
  echo "| $run | $wall | $((kib / 1024)) |"
done
python3 -c 'import json,sys; print("summary:", json.load(open(sys.argv[1]))["summary"])' \
  "$work/audit.json"
