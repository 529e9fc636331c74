#!/usr/bin/env bash
# Checks what may include what (docs/ARCHITECTURE.md): the core library (include/netadmit/,
# policy-rules/) has no transport in it and knows nothing of the layers built on it; the
# Kubernetes client (kube/) knows the core but not the server.
# Usage: include_direction.sh SOURCE_DIR   (exit 0 when every include goes the allowed way)
set -euo pipefail
root="${1:?usage: include_direction.sh SOURCE_DIR}"
cd "$root"

# layer folders, then the include patterns (extended regular expressions) none of their files
# may use
rules=(
  "include/netadmit policy-rules|\"(server|kube|cli)/|<(boost/asio|boost/beast|CLI|prometheus)"
  "kube|\"(server|cli)/|<CLI/"
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
