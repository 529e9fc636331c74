#!/usr/bin/env bash
# Shows that check_manifests.py fails when a property it guards is broken: each case copies
# manifests/, breaks one thing with sed, and expects the check to fail.
# Usage: manifest_mutations.sh KUBECTL PYTHON SOURCE_DIR
set -euo pipefail
kubectl="$1" python="$2" source_dir="$3"

"$python" -c 'import yaml' 2>/dev/null || { echo "PyYAML is not installed: skipped"; exit 77; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# file under manifests/base | sed expression | what it breaks
cases=(
  "webhook.yaml|s/values: \[kube-system, netadmit-system\]/values: [kube-system]/|netadmit-system reviewed"
  "webhook.yaml|s/operations: \[CREATE, UPDATE, DELETE\]/operations: [CREATE, UPDATE]/|policy DELETE not reviewed"
  "webhook.yaml|/timeoutSeconds: 10/d|no explicit timeout"
  "webhook.yaml|s/scope: Cluster/scope: Namespaced/|cluster-scoped policies reviewed as namespaced"
  "webhook.yaml|s/apiVersions: \[v1alpha1, v1alpha2, v1beta1\]/apiVersions: [v1alpha1]/|ClusterNetworkPolicy versions not reviewed"
  "rbac.yaml|s/verbs: \[get, list, watch\]/verbs: [get, list, watch, update]/|write access"
  "rbac.yaml|s/, baselineadminnetworkpolicies, clusternetworkpolicies\]/]/|cluster-scoped policies not watched"
  "deployment.yaml|s/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/|writable root"
  "deployment.yaml|s/drop: \[ALL\]/drop: [NET_RAW]/|capabilities kept"
  "deployment.yaml|s#path: /readyz#path: /ready#|readiness probe on a path netadmit does not serve"
  "deployment.yaml|/fieldPath: metadata.namespace/s/namespace/name/|POD_NAMESPACE wrong"
  "service.yaml|s/targetPort: https/targetPort: 9443/|Service misses the container port"
  "networkpolicies.yaml|s/port: 8443/port: 9443/|ingress on the wrong port"
  "kustomization.yaml|s/netadmit.io\/rule-set: \"true\"/netadmit.io\/rule-set: \"false\"/|rule set unlabeled"
)

failed=0
for case in "${cases[@]}"; do
  IFS='|' read -r file expression what <<<"$case"
  rm -rf "$scratch/manifests"
  cp -r "$source_dir/manifests" "$scratch/manifests"
  sed -i "$expression" "$scratch/manifests/base/$file"
  if cmp -s "$source_dir/manifests/base/$file" "$scratch/manifests/base/$file"; then
    echo "FAILED: the mutation '$what' changed nothing in $file"
    failed=$((failed + 1))
  elif "$python" "$source_dir/tests/deploy/check_manifests.py" "$kubectl" \
      "$scratch/manifests" >"$scratch/out" 2>&1; then
    echo "FAILED: check_manifests.py accepts: $what"
    failed=$((failed + 1))
  else
    echo "caught: $what ($(grep -m1 FAILED "$scratch/out" || tail -1 "$scratch/out"))"
  fi
done
echo "${#cases[@]} mutations: $((${#cases[@]} - failed)) caught, $failed missed"
[[ $failed -eq 0 ]]
