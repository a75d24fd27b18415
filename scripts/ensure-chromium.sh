#!/bin/sh
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser tests
# (tests/e2e/test_browser.py and docs/screenshots.py). Playwright drives it;
# no browser is ever downloaded by Playwright itself.
set -eu

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

echo "ensure-chromium: $CHROMIUM is missing; installing Debian's chromium package" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "ensure-chromium: not root and no sudo: install it yourself with" >&2
    echo "    apt-get update && apt-get install -y chromium" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core

if [ ! -x "$CHROMIUM" ]; then
    echo "ensure-chromium: apt-get finished but $CHROMIUM is still missing" >&2
    exit 1
fi
