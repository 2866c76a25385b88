#!/usr/bin/env bash
# Install Debian's Chromium when it is missing: it prints the PDF reports
# (`service-toolkit report --format pdf`) and runs the browser tests.
# Playwright drives this system browser; nothing downloads a browser of its own.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "Installing Chromium for PDF reports and the browser tests (apt-get install chromium)…" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
