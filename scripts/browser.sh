#!/usr/bin/env bash
# Installs Debian's chromium and chromium-driver when either is missing: the Build Scan tests
# open the HTML report in headless Chromium (/usr/bin/chromium), and the scan server's browser
# test drives it through ChromeDriver (/usr/bin/chromedriver). Called by .ci/run; harmless
# when both are present.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium chromium-driver
