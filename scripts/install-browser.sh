#!/bin/sh
# Headless Chromium and its driver from Debian, for the dashboard's browser tests (tests/dashboard).
# No browser or driver is downloaded from anywhere else; the tests use /usr/bin/chromium and
# /usr/bin/chromedriver and skip, saying why, when they are missing.
set -eu
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    echo "chromium and chromedriver already installed"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium chromium-driver
