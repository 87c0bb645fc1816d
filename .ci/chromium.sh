#!/usr/bin/env bash
# Install Debian's chromium + chromium-driver for the approvals page browser tests (idempotent).
# Only the distribution's packages: no browser download by a tool. Takes ~30 s on a fresh machine.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  echo "chromium.sh: $(chromium --version 2>/dev/null | head -1) and chromedriver already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
start=$(date +%s)
$SUDO apt-get update -q
$SUDO apt-get install -y -q chromium chromium-driver
echo "chromium.sh: installed $(chromium --version 2>/dev/null | head -1) in $(( $(date +%s) - start )) s"
