#!/usr/bin/env bash
# Builds and runs every test: first a debug build, then the same suite under AddressSanitizer and
# UndefinedBehaviorSanitizer. Installs missing Debian packages first.
# Usage: scripts/test.sh            (both builds)
#        scripts/test.sh debug      (one preset: debug, release or asan-ubsan)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

presets=("$@")
if [ ${#presets[@]} -eq 0 ]; then
  presets=(debug asan-ubsan)
fi

jobs=$(nproc)
for preset in "${presets[@]}"; do
  echo "=== ${preset}: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "=== ${preset}: test"
  ctest --preset "$preset" -j "$jobs"
done
