#!/bin/sh
# Make sure promtool is on the PATH for tests/deploy/test_observability.py, which
# checks the alert rules with `promtool check rules`. Debian's prometheus package
# ships it (the Prometheus server it also installs is not started by the tests).
set -eu

if command -v promtool >/dev/null 2>&1; then
    exit 0
fi

echo "ensure-promtool: promtool is missing; installing Debian's prometheus package" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "ensure-promtool: not root and no sudo: install it yourself with" >&2
    echo "    apt-get update && apt-get install -y prometheus" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends prometheus

if ! command -v promtool >/dev/null 2>&1; then
    echo "ensure-promtool: apt-get finished but promtool is still missing" >&2
    exit 1
fi
