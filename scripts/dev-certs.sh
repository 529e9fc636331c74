#!/usr/bin/env bash
# Makes a development CA and a serving certificate for netadmit in DIR (default .dev/certs):
#   ca.crt ca.key      the CA (ECDSA P-256, 10 years); give ca.crt to clients and as caBundle
#   tls.crt tls.key    the serving certificate (ECDSA P-256, 1 year) signed by the CA, for
#                      localhost, 127.0.0.1, ::1, netadmit.netadmit-system.svc and
#                      netadmit.netadmit-system.svc.cluster.local
# Idempotent: files that exist are kept, unless the serving certificate no longer verifies
# against the CA or expires within 30 days, in which case it is made again. For development only.
set -euo pipefail

dir="${1:-.dev/certs}"
service="${NETADMIT_SERVICE:-netadmit}"
namespace="${NETADMIT_NAMESPACE:-netadmit-system}"

command -v openssl >/dev/null || { echo "dev-certs: openssl is required" >&2; exit 1; }
mkdir -p "$dir"
umask 077

if [[ ! -s "$dir/ca.crt" || ! -s "$dir/ca.key" ]]; then
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
    -days 3650 -subj "/CN=netadmit development CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  rm -f "$dir/tls.crt" "$dir/tls.key"  # signed by a CA that is gone
  echo "dev-certs: made $dir/ca.crt"
fi

valid_serving_cert() {
  [[ -s "$dir/tls.crt" && -s "$dir/tls.key" ]] &&
    openssl verify -CAfile "$dir/ca.crt" "$dir/tls.crt" >/dev/null 2>&1 &&
    openssl x509 -in "$dir/tls.crt" -noout -checkend $((30 * 24 * 3600)) >/dev/null 2>&1
}

if ! valid_serving_cert; then
  sans="DNS:localhost,IP:127.0.0.1,IP:::1,DNS:${service}.${namespace}.svc"
  sans+=",DNS:${service}.${namespace}.svc.cluster.local"
  csr="$(mktemp)"
  ext="$(mktemp)"
  trap 'rm -f "$csr" "$ext"' EXIT
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
    -subj "/CN=${service}.${namespace}.svc" -keyout "$dir/tls.key" -out "$csr" 2>/dev/null
  cat >"$ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=${sans}
EOF
  openssl x509 -req -in "$csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -CAserial "$dir/ca.srl" -days 365 -sha256 -extfile "$ext" -out "$dir/tls.crt" 2>/dev/null
  echo "dev-certs: made $dir/tls.crt for ${sans//DNS:/}"
fi

chmod 600 "$dir/ca.key" "$dir/tls.key"
chmod 644 "$dir/ca.crt" "$dir/tls.crt"
