#!/usr/bin/env bash
# netadmit-system's own NetworkPolicies and Deployment pass the default rule set on their merits:
# checked as if they lived in an ordinary namespace, since the rule set excludes netadmit-system
# and would otherwise skip them. Then the same policies with the API server's range opened to
# 0.0.0.0/0 must be refused, so that a pass cannot come from the objects being skipped.
# Usage: netadmit_system_policies.sh NETADMIT SOURCE_DIR
set -euo pipefail
netadmit="$1" source_dir="$2"
rules="$source_dir/policy-rules/default-rules.yaml"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# --namespace only applies to objects that name none, and these name netadmit-system.
for file in networkpolicies.yaml deployment.yaml; do
  sed 's/namespace: netadmit-system$/namespace: tenant-a/' "$source_dir/manifests/base/$file" \
    >"$scratch/$file"
done
if grep -q "namespace: netadmit-system" "$scratch"/*.yaml; then
  echo "FAILED: netadmit-system is still named in the copies"; exit 1
fi

status=0
"$netadmit" check -f "$scratch/networkpolicies.yaml" -f "$scratch/deployment.yaml" \
  --rules "$rules" >"$scratch/report" 2>&1 || status=$?
cat "$scratch/report"
# A clean report is its summary line alone: any finding, even audit, prints lines above it.
expected="5 objects checked: 0 denied, 0 with warnings, 0 skipped"
if [[ $status -ne 0 || "$(cat "$scratch/report")" != "$expected" ]]; then
  echo "FAILED: expected exit 0 and only '$expected'"; exit 1
fi

sed -i 's#cidr: 10.0.0.0/8#cidr: 0.0.0.0/0#' "$scratch/networkpolicies.yaml"
status=0
"$netadmit" check -f "$scratch/networkpolicies.yaml" --rules "$rules" >"$scratch/report" 2>&1 ||
  status=$?
if [[ $status -ne 1 ]] || ! grep -q '2 denied' "$scratch/report"; then
  cat "$scratch/report"
  echo "FAILED: policies opened to 0.0.0.0/0 were not refused (exit $status)"; exit 1
fi
echo "opened to 0.0.0.0/0, both API server policies are refused, as they must be"
