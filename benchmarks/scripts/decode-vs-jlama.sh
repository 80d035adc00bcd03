#!/usr/bin/env bash
# Batch-1 decoding side by side with Jlama (com.github.tjake:jlama-core 0.8.4, a pure-Java engine
# on the Vector API) on the same checkpoint: the Qwen2.5-0.5B shape of tools/qwen-shape-checkpoint.sh
# (bfloat16 weights). research4j keeps the weights in bfloat16 (--weights bf16: float32
# activations and accumulation); Jlama loads them as stored with float32 working memory and,
# by default, float32 working quantization (JLAMA_WORKING=BF16 rounds activations to bf16 too).
# Each side: a prompt of PROMPT tokens, then NEW tokens at temperature 1, REPEATS runs after a
# warm-up, median; the two alternate ROUNDS times in one run. Jlama's jars are fetched by Maven into
# benchmarks/scripts/jlama/target/lib (not part of the research4j build).
#
#   benchmarks/scripts/decode-vs-jlama.sh [MODEL_DIR]   (default /work/models/qwen2.5-0.5b-shape)
#   env: ROUNDS=3 PROMPT=128 NEW=32 REPEATS=3 JLAMA_WORKING=F32 HEAP=8g SKIP_BUILD=1
set -euo pipefail
cd "$(dirname "$0")/../.."
source bin/env.sh
MODEL=${1:-/work/models/qwen2.5-0.5b-shape}
ROUNDS=${ROUNDS:-3}
PROMPT=${PROMPT:-128}
NEW=${NEW:-32}
REPEATS=${REPEATS:-3}
JLAMA_WORKING=${JLAMA_WORKING:-F32}
HEAP=${HEAP:-8g}
[ -f "$MODEL/config.json" ] || tools/qwen-shape-checkpoint.sh 0.5b "$MODEL"
if [ -z "${SKIP_BUILD:-}" ]; then
  mvn -q -B ${MVN_FLAGS:-} package -DskipTests -pl benchmarks -am
fi
lib=benchmarks/scripts/jlama/target/lib
if [ ! -f "$lib/jlama-core-0.8.4.jar" ]; then
  mvn -q -B -f benchmarks/scripts/jlama/pom.xml dependency:copy-dependencies -DoutputDirectory=target/lib
fi
echo "# machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  echo "== round $r"
  java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
    -Xmx"$HEAP" -cp benchmarks/target/benchmarks.jar org.research4j.benchmarks.transformer.RealSizeTiming \
    --model "$MODEL" --weights bf16 --batches 1 --prompt "$PROMPT" --new "$NEW" --repeats "$REPEATS" \
    2>&1 | grep -v '^WARNING'
  java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx"$HEAP" \
    -cp "$lib/*" benchmarks/scripts/jlama/JlamaDecode.java "$MODEL" "$PROMPT" "$NEW" "$REPEATS" \
    "$JLAMA_WORKING" 2>&1 | grep -E '^(jlama|  jlama)|Model type|Operations'
done
