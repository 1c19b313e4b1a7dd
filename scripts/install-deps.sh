#!/usr/bin/env bash
# Installs the Debian packages the SDK builds and tests with, and only those that are missing.
set -euo pipefail
packages=(
  build-essential cmake pkg-config git
  libtbb-dev libboost-dev libboost-program-options-dev libboost-filesystem-dev
  libtomlplusplus-dev googletest libgtest-dev libdnnl-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
