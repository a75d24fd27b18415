#!/bin/sh
# Make sure a container engine can build and run the image for `make image-test` (tests/image).
# A Docker engine that answers `docker info` is used as it is. Otherwise podman: Debian's
# podman and runc, debootstrap for the stand-in base image when no registry can be reached
# (tests/image/base_image.py), and the cgroupfs manager (no systemd to ask for cgroups).
set -eu

CONF=/etc/containers/containers.conf

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    SUDO="missing"
fi

MISSING=""
for tool in podman runc debootstrap; do
    if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
        MISSING="$MISSING $tool"
    fi
done
if [ -n "$MISSING" ]; then
    echo "ensure-container-engine: no Docker engine answers and$MISSING missing; installing Debian's packages" >&2
    if [ "$SUDO" = missing ]; then
        echo "ensure-container-engine: not root and no sudo: install them yourself with" >&2
        echo "    apt-get update && apt-get install -y podman runc debootstrap" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update
    # shellcheck disable=SC2086 # the names are words
    $SUDO apt-get install -y --no-install-recommends $MISSING
fi

if [ ! -e "$CONF" ]; then
    if [ "$SUDO" = missing ]; then
        echo "ensure-container-engine: $CONF is missing: write it with [engine] cgroup_manager = \"cgroupfs\"" >&2
        exit 1
    fi
    echo "ensure-container-engine: writing $CONF (cgroup_manager = cgroupfs)" >&2
    $SUDO mkdir -p "$(dirname "$CONF")"
    printf '[engine]\ncgroup_manager = "cgroupfs"\n' | $SUDO tee "$CONF" >/dev/null
fi
