#!/usr/bin/env bash
# Makes the TLS material netadmit needs in a cluster, without cert-manager: a CA and a serving
# certificate for the Service's names, the Secret that holds them, and the CA bundle the API
# server must trust, ready for `kubectl apply -k`.
#
# Usage: certs/netadmit-certs.sh [--out DIR] [--base DIR] [--days N] [--renew] [--rotate-ca]
#                                [--dns NAME]... [--ip ADDRESS]... [--apply]
#   --out DIR     where to write (default: netadmit-certs); DIR then holds
#                   ca.crt ca.key          the CA (ECDSA P-256, 10 years)
#                   tls.crt tls.key        the serving certificate (ECDSA P-256, --days), for
#                                          netadmit.netadmit-system.svc[.cluster.local]
#                   ca-bundle.crt          the CAs the API server trusts: ca.crt, and
#                                          ca-previous.crt while a CA rotation is under way
#                   secret.yaml            the Secret netadmit-tls (kubernetes.io/tls)
#                   webhook-cabundle.yaml  a patch that sets caBundle on both webhooks
#                   kustomization.yaml     an overlay of --base with the two above, so that
#                                          `kubectl apply -k DIR` installs netadmit whole
#   --base DIR    the kustomization to build on (default: manifests/base beside this script)
#   --days N      validity of the serving certificate (default: 365)
#   --renew       make a new serving certificate even if the present one is still good
#   --rotate-ca   make a new CA (the old one becomes ca-previous.crt and stays in the bundle)
#   --dns NAME    another DNS name for the serving certificate (repeatable), e.g. localhost
#   --ip ADDRESS  an IP address for the serving certificate (repeatable), e.g. 127.0.0.1, for a
#                 netadmit the API server calls by address (development, tests)
#   --apply       also apply the Secret and patch the webhook configuration with kubectl
#
# Running it again keeps what is still good: the CA, and the serving certificate unless it no
# longer verifies, lacks a name, or expires within 30 days. netadmit reloads a changed Secret
# without a restart. The CA key never leaves DIR: keep DIR private (it is written 0700).
set -euo pipefail

service="netadmit"
namespace="netadmit-system"
secret_name="netadmit-tls"
webhook_configuration="netadmit"
webhooks=(validate.netadmit.io rule-sets.netadmit.io)
dns_names=("${service}.${namespace}.svc" "${service}.${namespace}.svc.cluster.local")
ip_addresses=()
renew_within_seconds=$((30 * 24 * 3600))

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="netadmit-certs"
base="${script_dir}/../manifests/base"
days=365
renew=false
rotate_ca=false
apply=false

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    --base) base="${2:?--base needs a directory}"; shift 2 ;;
    --days) days="${2:?--days needs a number}"; shift 2 ;;
    --renew) renew=true; shift ;;
    --rotate-ca) rotate_ca=true; renew=true; shift ;;
    --dns) dns_names+=("${2:?--dns needs a name}"); shift 2 ;;
    --ip) ip_addresses+=("${2:?--ip needs an address}"); shift 2 ;;
    --apply) apply=true; shift ;;
    -h | --help) usage ;;
    *) echo "netadmit-certs: unknown argument: $1" >&2; usage ;;
  esac
done

if [[ ! "$days" =~ ^[1-9][0-9]*$ ]]; then
  echo "netadmit-certs: --days takes a whole number" >&2
  exit 2
fi
command -v openssl >/dev/null || { echo "netadmit-certs: openssl is required" >&2; exit 1; }
if $apply && ! command -v kubectl >/dev/null; then
  echo "netadmit-certs: --apply needs kubectl; without it, use: kubectl apply -k $out" >&2
  exit 1
fi
[[ -f "$base/kustomization.yaml" ]] || {
  echo "netadmit-certs: no kustomization.yaml in --base $base" >&2
  exit 1
}

umask 077
mkdir -p "$out"
chmod 700 "$out"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

say() { echo "netadmit-certs: $*"; }

make_ca() {
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
    -days 3650 -subj "/CN=netadmit CA $(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$out/ca.key" -out "$out/ca.crt" 2>"$scratch/openssl.log" ||
    { cat "$scratch/openssl.log" >&2; exit 1; }
  say "made a CA: $out/ca.crt"
}

# True when tls.crt is signed by the current CA, names every DNS name and IP address, and is not
# about to expire.
serving_cert_is_good() {
  [[ -s "$out/tls.crt" && -s "$out/tls.key" ]] || return 1
  openssl verify -CAfile "$out/ca.crt" "$out/tls.crt" >/dev/null 2>&1 || return 1
  openssl x509 -in "$out/tls.crt" -noout -checkend "$renew_within_seconds" >/dev/null 2>&1 ||
    return 1
  local name
  for name in "${dns_names[@]}"; do
    openssl x509 -in "$out/tls.crt" -noout -checkhost "$name" 2>/dev/null |
      grep -q 'does match' || return 1
  done
  local address
  for address in "${ip_addresses[@]}"; do
    openssl x509 -in "$out/tls.crt" -noout -checkip "$address" 2>/dev/null |
      grep -q 'does match' || return 1
  done
}

make_serving_cert() {
  local sans=""
  local name
  for name in "${dns_names[@]}"; do
    sans+="${sans:+,}DNS:${name}"
  done
  for name in "${ip_addresses[@]}"; do
    sans+=",IP:${name}"
  done
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
    -subj "/CN=${dns_names[0]}" -keyout "$scratch/tls.key" -out "$scratch/tls.csr" \
    2>"$scratch/openssl.log" || { cat "$scratch/openssl.log" >&2; exit 1; }
  cat >"$scratch/serving.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=${sans}
EOF
  openssl x509 -req -in "$scratch/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
    -CAcreateserial -CAserial "$out/ca.srl" -days "$days" -sha256 \
    -extfile "$scratch/serving.ext" -out "$scratch/tls.crt" 2>"$scratch/openssl.log" ||
    { cat "$scratch/openssl.log" >&2; exit 1; }
  # Key and certificate are replaced together, so that a reader never sees a mismatched pair.
  mv "$scratch/tls.key" "$out/tls.key"
  mv "$scratch/tls.crt" "$out/tls.crt"
  say "made a serving certificate for ${dns_names[*]} ${ip_addresses[*]}, valid ${days} days:" \
    "$out/tls.crt"
}

if $rotate_ca && [[ -s "$out/ca.crt" ]]; then
  # The old CA stays trusted until the new serving certificate is in use everywhere.
  mv "$out/ca.crt" "$out/ca-previous.crt"
  rm -f "$out/ca.key" "$out/ca.srl"
fi
if [[ ! -s "$out/ca.crt" || ! -s "$out/ca.key" ]]; then
  make_ca
  renew=true
fi
if $renew || ! serving_cert_is_good; then
  make_serving_cert
else
  say "kept the serving certificate in $out/tls.crt"
fi

# The bundle the API server trusts: the current CA, plus the previous one during a rotation
# (while it has not expired), so that the certificate in use verifies before and after the
# kubelet swaps the Secret.
cp "$out/ca.crt" "$out/ca-bundle.crt"
if [[ -s "$out/ca-previous.crt" ]]; then
  if openssl x509 -in "$out/ca-previous.crt" -noout -checkend 0 >/dev/null 2>&1; then
    cat "$out/ca-previous.crt" >>"$out/ca-bundle.crt"
    say "the bundle also trusts $out/ca-previous.crt; delete it and run again once every" \
      "replica serves the new certificate"
  else
    rm -f "$out/ca-previous.crt"
  fi
fi

base64_of() { base64 -w0 <"$1"; }

cat >"$out/secret.yaml" <<EOF
# The serving certificate of netadmit; made by certs/netadmit-certs.sh. Contains a private key.
apiVersion: v1
kind: Secret
metadata:
  name: ${secret_name}
  namespace: ${namespace}
  labels:
    app.kubernetes.io/name: ${service}
type: kubernetes.io/tls
data:
  tls.crt: $(base64_of "$out/tls.crt")
  tls.key: $(base64_of "$out/tls.key")
  ca.crt: $(base64_of "$out/ca.crt")
EOF

{
  echo "# The CAs the API server trusts when it calls netadmit; made by certs/netadmit-certs.sh."
  echo "apiVersion: admissionregistration.k8s.io/v1"
  echo "kind: ValidatingWebhookConfiguration"
  echo "metadata:"
  echo "  name: ${webhook_configuration}"
  echo "webhooks:"
  for webhook in "${webhooks[@]}"; do
    echo "  - name: ${webhook}"
    echo "    clientConfig:"
    echo "      caBundle: $(base64_of "$out/ca-bundle.crt")"
  done
} >"$out/webhook-cabundle.yaml"

relative_base="$(realpath --relative-to="$out" "$base")"
cat >"$out/kustomization.yaml" <<EOF
# netadmit with the certificate of this folder: kubectl apply -k $out
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ${relative_base}
  - secret.yaml
patches:
  - path: webhook-cabundle.yaml
EOF

chmod 600 "$out"/*.key "$out/secret.yaml"
chmod 644 "$out"/*.crt "$out/webhook-cabundle.yaml" "$out/kustomization.yaml"

if $apply; then
  kubectl create namespace "$namespace" --dry-run=client -o yaml | kubectl apply -f -
  kubectl apply -f "$out/secret.yaml"
  if kubectl get validatingwebhookconfiguration "$webhook_configuration" >/dev/null 2>&1; then
    kubectl patch validatingwebhookconfiguration "$webhook_configuration" \
      --patch-file "$out/webhook-cabundle.yaml"
  else
    say "the webhook configuration is not installed yet: kubectl apply -k $out installs it" \
      "with the CA bundle"
  fi
else
  say "install or update with: kubectl apply -k $out"
fi
