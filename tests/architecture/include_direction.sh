#!/usr/bin/env bash
# Checks what may include what (docs/ARCHITECTURE.md). The layers, bottom up: the core
# (include/netadmit/, policy-rules/: model, codec, cluster, then rules and connectivity), files/
# (reading inputs from disk), kube/ (the Kubernetes client), server/ (the webhook), cli/ (the
# command line). Nothing includes a layer above it; the core opens no file and has no transport.
# Usage: include_direction.sh SOURCE_DIR   (exit 0 when every include goes the allowed way)
set -euo pipefail
root="${1:?usage: include_direction.sh SOURCE_DIR}"
cd "$root"

# layer folders, then the include patterns (extended regular expressions) none of their files
# may use
rules=(
  "include/netadmit policy-rules|\"(files|kube|server|cli)/|<(boost/asio|boost/beast|CLI/|prometheus/|fstream>|filesystem>|iostream>)"
  "include/netadmit/model policy-rules/model|\"netadmit/(codec|cluster|rules|connectivity)/"
  "include/netadmit/codec policy-rules/codec|\"netadmit/(cluster|rules|connectivity)/"
  "include/netadmit/cluster policy-rules/cluster|\"netadmit/(rules|connectivity)/"
  "files|\"(kube|server|cli)/|<(boost/asio|boost/beast|CLI/|prometheus/)"
  "kube|\"(files|server|cli)/|<CLI/"
  "server|\"cli/|<CLI/"
)

status=0
for rule in "${rules[@]}"; do
  folders="${rule%%|*}"
  forbidden="${rule#*|}"
  for folder in $folders; do
    [[ -d "$folder" ]] || continue
    while IFS= read -r hit; do
      echo "$hit: $folder may not include this (see docs/ARCHITECTURE.md)" >&2
      status=1
    done < <(grep -rnE --include='*.h' --include='*.cpp' "^[[:space:]]*#[[:space:]]*include[[:space:]]*($forbidden)" "$folder" || true)
  done
done
exit "$status"
