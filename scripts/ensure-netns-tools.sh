#!/bin/sh
# Make sure `ip` (iproute2) and `nft` (nftables) are there for `make faults`: the partition
# tests put NATS and PostgreSQL in network namespaces of their own and cut their links by
# dropping packets with nftables. Without root the tests skip (they say so); nothing to install.
set -eu

if command -v ip >/dev/null 2>&1 && command -v nft >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-netns-tools: not root: the partition tests will skip (they need root for namespaces)" >&2
    exit 0
fi

echo "ensure-netns-tools: installing Debian's iproute2 and nftables" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends iproute2 nftables

if ! command -v ip >/dev/null 2>&1 || ! command -v nft >/dev/null 2>&1; then
    echo "ensure-netns-tools: apt-get finished but ip or nft is still missing" >&2
    exit 1
fi
