#!/usr/bin/env bash
# Installs the Debian 12 packages netadmit builds and tests with, when any is missing.
# Usage: scripts/install-deps.sh
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git curl openssl ca-certificates
  libboost1.81-dev libssl-dev rapidjson-dev libyaml-cpp-dev libcli11-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev python3-yaml ccache
  dpkg-dev man-db  # cpack's Depends (dpkg-shlibdeps); the install test renders the man page
  etcd-server  # the end-to-end suite runs a real kube-apiserver on it
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
