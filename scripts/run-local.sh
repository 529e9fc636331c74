#!/usr/bin/env bash
# Runs netadmit locally over HTTPS with the embedded default rule set: installs missing build
# dependencies, builds the netadmit executable alone with the release preset, makes development
# certificates in .dev/certs, prints a curl command that sends a recorded API server request, and
# serves on 127.0.0.1:8443.
# Usage: scripts/run-local.sh [extra `netadmit serve` flags, e.g. --rules policy-rules/]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --target netadmit
scripts/dev-certs.sh .dev/certs

listen="127.0.0.1:8443"
fixture="tests/fixtures/apiserver-v1.28/001-NetworkPolicy-CREATE-bad-allow-everything.body.json"
cat <<EOF

netadmit serves on https://${listen} (Ctrl-C stops it). From another shell in ${root}:

  curl --cacert .dev/certs/ca.crt -H 'Content-Type: application/json' --data @${fixture} https://${listen}/validate

  curl --cacert .dev/certs/ca.crt https://${listen}/metrics

EOF

exec build/release/cli/netadmit serve --listen "$listen" \
  --tls-cert .dev/certs/tls.crt --tls-key .dev/certs/tls.key "$@"
