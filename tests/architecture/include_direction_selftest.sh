#!/usr/bin/env bash
# The include-direction check fails when a core file includes a server header: run it on a copy
# of the source tree whose rule engine includes the server's request handler.
# Usage: include_direction_selftest.sh SOURCE_DIR
set -euo pipefail
root="$(cd "${1:?usage: include_direction_selftest.sh SOURCE_DIR}" && pwd)"
copy="$(mktemp -d)"
trap 'rm -rf "$copy"' EXIT
cp -r "$root/include" "$root/policy-rules" "$root/files" "$root/kube" "$root/server" "$root/cli" "$copy/"
"$root/tests/architecture/include_direction.sh" "$copy" || {
  echo "the unchanged copy should pass" >&2
  exit 1
}
engine="$(find "$copy/policy-rules" -name engine.cpp | head -n 1)"
echo '#include "server/handler.h"' >>"$engine"
if output="$("$root/tests/architecture/include_direction.sh" "$copy" 2>&1)"; then
  echo "a core file including server/handler.h passed the check" >&2
  exit 1
fi
grep -q "engine.cpp:.*server/handler.h.*may not include" <<<"$output" || {
  echo "the failure does not name the file and the include: $output" >&2
  exit 1
}
