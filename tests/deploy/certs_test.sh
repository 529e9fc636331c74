#!/usr/bin/env bash
# certs/netadmit-certs.sh, run into a temporary directory, checked with openssl and then served
# by `netadmit serve` to a client that trusts only the generated CA and reaches it by the
# Service's name. The server also picks up a CA rotation by hot reload.
# Usage: certs_test.sh NETADMIT SOURCE_DIR [KUBECTL PYTHON]
#   with KUBECTL and PYTHON, the output directory is also rendered as a kustomize overlay and
#   its CA bundle checked by check_manifests.py.
set -euo pipefail
netadmit="$1" source_dir="$2" kubectl="${3:-}" python="${4:-}"
script="$source_dir/certs/netadmit-certs.sh"
names=(netadmit.netadmit-system.svc netadmit.netadmit-system.svc.cluster.local)
# shellcheck source=tests/deploy/serve_helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/serve_helpers.sh"

scratch="$(mktemp -d)"
trap 'stop_netadmit; rm -rf "$scratch"' EXIT
out="$scratch/certs"
failed=0
check() {  # check DESCRIPTION COMMAND...: runs COMMAND, reports and counts a failure
  local what="$1"
  shift
  if "$@" >"$scratch/check.log" 2>&1; then
    echo "ok: $what"
  else
    echo "FAILED: $what"
    sed 's/^/    /' "$scratch/check.log"
    failed=$((failed + 1))
  fi
}
fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256; }
public_key() { openssl pkey -in "$1" -pubout 2>/dev/null || openssl x509 -in "$1" -noout -pubkey; }

"$script" --out "$out"

# The serving certificate: its names, its chain, its use, its key.
sans="$(openssl x509 -in "$out/tls.crt" -noout -ext subjectAltName | tail -n +2 | tr -d ' ')"
check "SANs are exactly the Service's DNS names ($sans)" \
  test "$sans" = "DNS:${names[0]},DNS:${names[1]}"
for name in "${names[@]}"; do
  check "certificate valid for $name" \
    bash -c "openssl x509 -in '$out/tls.crt' -noout -checkhost '$name' | grep -q 'does match'"
done
check "not valid for another namespace's service" \
  bash -c "openssl x509 -in '$out/tls.crt' -noout -checkhost netadmit.default.svc |
           grep -q 'does NOT match'"
check "chain verifies against the CA for a TLS server" \
  openssl verify -CAfile "$out/ca.crt" -purpose sslserver "$out/tls.crt"
check "extended key usage is serverAuth" \
  bash -c "openssl x509 -in '$out/tls.crt' -noout -ext extendedKeyUsage |
           grep -qx ' *TLS Web Server Authentication'"
check "the CA is a CA" \
  bash -c "openssl x509 -in '$out/ca.crt' -noout -ext basicConstraints | grep -q 'CA:TRUE'"
check "the key matches the certificate" \
  test "$(public_key "$out/tls.key")" = "$(public_key "$out/tls.crt")"
check "keys are private to the owner" \
  test "$(stat -c %a "$out/tls.key") $(stat -c %a "$out/ca.key")" = "600 600"

# What goes to the cluster: the Secret and the CA bundle patch.
ca_base64="$(base64 -w0 <"$out/ca.crt")"
check "the patch gives both webhooks the base64 CA" \
  test "$(grep -c "caBundle: ${ca_base64}$" "$out/webhook-cabundle.yaml")" = 2
check "the Secret holds the certificate" \
  grep -q "tls.crt: $(base64 -w0 <"$out/tls.crt")$" "$out/secret.yaml"
check "the Secret holds the key" \
  grep -q "tls.key: $(base64 -w0 <"$out/tls.key")$" "$out/secret.yaml"
if [[ -n "$kubectl" ]]; then
  status=0
  "$python" "$source_dir/tests/deploy/check_manifests.py" "$kubectl" "$out" --ca-bundle \
    >"$scratch/render.log" 2>&1 || status=$?
  if [[ $status -eq 77 ]]; then
    echo "skipped: the overlay rendering (PyYAML is not installed)"
  else
    check "kubectl apply -k on the output directory installs netadmit with the CA bundle" \
      test $status -eq 0
    [[ $status -eq 0 ]] || cat "$scratch/render.log"
  fi
fi

# Served by netadmit, from a directory laid out as the kubelet mounts a Secret (the files are
# links through ..data to a timestamped directory, and an update swaps ..data at once), to a
# client that trusts the generated CA alone.
volume="$scratch/secret-volume"
mount_secret() {  # mount_secret GENERATION: put the script's tls.crt and tls.key in force
  mkdir -p "$volume/..$1"
  cp "$out/tls.crt" "$out/tls.key" "$volume/..$1/"
  ln -s "..$1" "$volume/..data_tmp"
  mv -T "$volume/..data_tmp" "$volume/..data"
  for file in tls.crt tls.key; do
    [[ -L "$volume/$file" ]] || ln -s "..data/$file" "$volume/$file"
  done
}
mount_secret 1
"$script" --out "$scratch/other" >/dev/null  # an unrelated CA, to be refused
if ! start_netadmit "$scratch/serve.log" "$netadmit" serve --listen 127.0.0.1:0 \
    --tls-cert "$volume/tls.crt" --tls-key "$volume/tls.key" --reload-interval 100ms; then
  echo "FAILED: netadmit serve did not start"
  exit 1
fi
https_get() { https_to_service "$1" "$2" --show-error --fail; }
# The Deployment's probe paths, so that the probes point at endpoints netadmit really serves.
mapfile -t probe_paths < <(grep -o 'path: /[a-z]*' "$source_dir/manifests/base/deployment.yaml" |
  cut -d' ' -f2)
check "the Deployment has two probe paths (${probe_paths[*]})" test ${#probe_paths[@]} -eq 2
for path in "${probe_paths[@]}"; do
  check "GET $path over TLS with only the generated CA trusted" https_get "$out/ca.crt" "$path"
done
refused_by_other_ca=true
https_to_service "$scratch/other/ca.crt" /healthz >/dev/null 2>&1 && refused_by_other_ca=false
check "a client trusting another CA refuses the certificate" $refused_by_other_ca

# Running again keeps a good certificate; a CA rotation bundles both CAs, and the server
# reloads the new certificate without a restart.
before="$(fingerprint "$out/tls.crt")"
"$script" --out "$out" >/dev/null
check "a second run keeps the serving certificate" test "$(fingerprint "$out/tls.crt")" = "$before"
"$script" --out "$out" --rotate-ca >/dev/null
check "a CA rotation issues a new serving certificate" \
  test "$(fingerprint "$out/tls.crt")" != "$before"
check "during the rotation the bundle trusts both CAs" \
  test "$(grep -c 'BEGIN CERTIFICATE' "$out/ca-bundle.crt")" = 2
check "the patch carries the two-CA bundle" \
  grep -q "caBundle: $(base64 -w0 <"$out/ca-bundle.crt")$" "$out/webhook-cabundle.yaml"
https_get "$out/ca.crt" /healthz >/dev/null 2>&1 &&
  { echo "FAILED: the new CA is trusted before the Secret changed"; failed=$((failed + 1)); }
mount_secret 2
reloaded=false
for _ in $(seq 50); do
  if https_get "$out/ca.crt" /healthz >/dev/null 2>&1; then reloaded=true; break; fi
  sleep 0.1
done
check "netadmit serves the rotated certificate, swapped in as the kubelet does, without a restart" \
  $reloaded
check "the server still runs" kill -0 "$server_pid"

echo "certificate checks: $failed failed"
[[ $failed -eq 0 ]]
