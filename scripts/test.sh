#!/usr/bin/env bash
# Builds and runs every test, each once:
#   asan-ubsan  the whole suite under AddressSanitizer and UndefinedBehaviorSanitizer
#   fuzz        a short run of each libFuzzer target (clang)
#   package     a release build of netadmit alone: the tests that need an executable without
#               sanitizers (the installed tree, the image's runtime libraries), then the Debian
#               package, built and inspected
# Installs missing Debian packages first. Warnings are errors in all of them (the presets set
# NETADMIT_WERROR).
# Usage: scripts/test.sh              (all three)
#        scripts/test.sh debug        (chosen presets: debug, release, asan-ubsan, fuzz, package)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

presets=("$@")
if [ ${#presets[@]} -eq 0 ]; then
  presets=(asan-ubsan fuzz package)
fi

# The package's metadata and files, as a packager would look at them before shipping it.
inspect_package() {
  local deb
  deb="$(ls build/package/netadmit_*_amd64.deb)"
  echo "=== package: $deb"
  dpkg-deb --info "$deb"
  dpkg-deb --contents "$deb"
  local depends names
  depends="$(dpkg-deb --field "$deb" Depends)"
  names=" $(sed 's/ *([^)]*)//g; s/,/ /g' <<<"$depends") "  # the package names alone
  for library in libc6 libstdc++6 libssl3 libyaml-cpp0.7 libprometheus-cpp-core1.0; do
    [[ "$names" == *" $library "* ]] ||
      { echo "package: Depends lacks $library: $depends" >&2; return 1; }
  done
  local contents
  contents="$(dpkg-deb --contents "$deb")"
  for path in ./usr/bin/netadmit "./usr/bin/kubectl-netadmit -> netadmit" \
    ./usr/share/bash-completion/completions/netadmit ./usr/share/zsh/site-functions/_netadmit \
    ./usr/share/man/man1/netadmit.1 ./usr/share/netadmit/manifests/base/kustomization.yaml \
    ./usr/share/doc/netadmit/README.md; do
    [[ "$contents" == *"$path"* ]] || { echo "package: no $path in it" >&2; return 1; }
  done
}

jobs=$(nproc)
for preset in "${presets[@]}"; do
  started=$SECONDS
  echo "=== ${preset}: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "=== ${preset}: test"
  ctest --preset "$preset" -j "$jobs"
  if [ "$preset" = package ]; then
    cpack --preset package >/dev/null
    inspect_package
  fi
  echo "=== ${preset}: $((SECONDS - started)) s"
done
