#!/usr/bin/env bash
# Makes a development CA and a serving certificate for netadmit in DIR (default .dev/certs), with
# certs/netadmit-certs.sh:
#   ca.crt ca.key      the CA (ECDSA P-256, 10 years); give ca.crt to clients and as caBundle
#   tls.crt tls.key    the serving certificate (ECDSA P-256, 1 year) signed by the CA, for
#                      localhost, 127.0.0.1, ::1, netadmit.netadmit-system.svc and
#                      netadmit.netadmit-system.svc.cluster.local
# (and the Secret and kustomization netadmit-certs.sh writes beside them). Idempotent: files that
# exist are kept, unless the serving certificate no longer verifies against the CA, lacks a name
# or expires within 30 days, in which case it is made again. For development only.
# Usage: scripts/dev-certs.sh [DIR]
set -euo pipefail

dir="${1:-.dev/certs}"
exec "$(dirname "${BASH_SOURCE[0]}")/../certs/netadmit-certs.sh" --out "$dir" \
  --dns localhost --ip 127.0.0.1 --ip ::1
