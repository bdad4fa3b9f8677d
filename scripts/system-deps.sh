#!/usr/bin/env bash
# Install the Debian packages the test suite drives: Chromium for browser tests,
# LibreOffice Calc to recalculate and print the Excel templates,
# poppler-utils (pdftotext, pdftoppm, pdfinfo, pdffonts) to read the printed forms back.
# Runs apt-get only when something is missing; needs root (CI runs as root).
set -euo pipefail
packages=(chromium poppler-utils libreoffice-calc-nogui)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
