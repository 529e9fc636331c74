#!/usr/bin/env bash
# `netadmit serve` runs with the very arguments of manifests/base/deployment.yaml: every flag
# exists and parses, the liveness probe's path answers 200, and the readiness probe's path
# answers 503 while the API server cannot be reached (here, a kubeconfig naming a closed port on
# loopback stands in for the in-cluster configuration). SIGTERM then ends it cleanly.
# Usage: deployment_args_test.sh NETADMIT SOURCE_DIR PYTHON
set -euo pipefail
netadmit="$1" source_dir="$2" python="$3"
"$python" -c 'import yaml' 2>/dev/null || { echo "PyYAML is not installed: skipped"; exit 77; }
# shellcheck source=tests/deploy/serve_helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/serve_helpers.sh"

scratch="$(mktemp -d)"
trap 'stop_netadmit; rm -rf "$scratch"' EXIT

# The container's arguments and probe paths, one per line.
"$python" - "$source_dir/manifests/base/deployment.yaml" >"$scratch/manifest" <<'EOF'
import sys, yaml
container = yaml.safe_load(open(sys.argv[1]))["spec"]["template"]["spec"]["containers"][0]
print("\n".join(container["args"]))
print("liveness", container["livenessProbe"]["httpGet"]["path"])
print("readiness", container["readinessProbe"]["httpGet"]["path"])
EOF
liveness="$(sed -n 's/^liveness //p' "$scratch/manifest")"
readiness="$(sed -n 's/^readiness //p' "$scratch/manifest")"

"$source_dir/certs/netadmit-certs.sh" --out "$scratch/certs" >/dev/null
# Only where the files and the cluster are differs from the pod: the listen address, the
# certificate paths, and the cluster connection.
args=()
while IFS= read -r arg; do
  case "$arg" in
    liveness* | readiness*) ;;
    --listen=*) args+=(--listen=127.0.0.1:0) ;;
    --tls-cert=*) args+=(--tls-cert="$scratch/certs/tls.crt") ;;
    --tls-key=*) args+=(--tls-key="$scratch/certs/tls.key") ;;
    *) args+=("$arg") ;;
  esac
done <"$scratch/manifest"
cat >"$scratch/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: unreachable
    cluster: {server: "https://127.0.0.1:1", certificate-authority: "$scratch/certs/ca.crt"}
users: [{name: netadmit, user: {token: not-used}}]
contexts: [{name: unreachable, context: {cluster: unreachable, user: netadmit}}]
current-context: unreachable
EOF
echo "netadmit ${args[*]}"
if ! start_netadmit "$scratch/serve.log" env POD_NAMESPACE=netadmit-system "$netadmit" \
    "${args[@]}" --kubeconfig "$scratch/kubeconfig"; then
  echo "FAILED: netadmit serve did not start with the Deployment's arguments"
  exit 1
fi
status_of() {
  https_to_service "$scratch/certs/ca.crt" "$1" --output /dev/null --write-out '%{http_code}'
}
failed=0
liveness_status="$(status_of "$liveness")"
readiness_status="$(status_of "$readiness")"
echo "liveness $liveness: $liveness_status, readiness $readiness: $readiness_status"
[[ "$liveness_status" == 200 ]] || { echo "FAILED: liveness must answer 200"; failed=1; }
[[ "$readiness_status" == 503 ]] ||
  { echo "FAILED: readiness must answer 503 before the cluster is listed"; failed=1; }

kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
[[ $status -eq 0 ]] || { echo "FAILED: exit status $status after SIGTERM"; failed=1; }
if [[ $failed -ne 0 ]]; then
  cat "$scratch/serve.log"
fi
exit $failed
