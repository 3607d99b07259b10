#!/usr/bin/env bash
# Installs Debian's chromium when it is missing: the Build Scan tests open the HTML report in
# headless Chromium (/usr/bin/chromium). Called by .ci/run; harmless when it is present.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium
