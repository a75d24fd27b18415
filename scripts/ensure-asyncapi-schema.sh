#!/bin/sh
# Make sure the AsyncAPI 3.0 JSON schema is at .cache/asyncapi/3.0.0.json for
# tests/e2e/test_asyncapi.py. The AsyncAPI initiative ships it in the npm package
# @asyncapi/specs (no PyPI package does); npm fetches that package, nothing runs from it.
set -eu

VERSION=6.11.1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST="$ROOT/.cache/asyncapi"
SCHEMA="$DEST/3.0.0.json"

if [ -s "$SCHEMA" ] && [ "$(cat "$DEST/version" 2>/dev/null)" = "$VERSION" ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "ensure-asyncapi-schema: npm is missing: install it (apt-get install -y npm)" >&2
    exit 1
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "@asyncapi/specs@$VERSION" >/dev/null)
tar -xzf "$WORK"/asyncapi-specs-*.tgz -C "$WORK" 'package/schemas/3.0.0-without-$id.json'
mkdir -p "$DEST"
cp "$WORK/package/schemas/3.0.0-without-\$id.json" "$SCHEMA"
echo "$VERSION" > "$DEST/version"
echo "ensure-asyncapi-schema: @asyncapi/specs $VERSION's 3.0.0 schema is at $SCHEMA" >&2
