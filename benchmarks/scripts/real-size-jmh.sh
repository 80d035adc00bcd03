#!/usr/bin/env bash
# JMH RealSizeBench: one decode step and a 128-token prefill at real size, the Qwen2.5-0.5B and
# 1.5B shapes written by tools/qwen-shape-checkpoint.sh (random bf16 weights, real shapes), at
# batch 1 and 16, weights bf16; the score to read is the ·tokens line, tokens/s over the batch.
# All params (2 shapes x 2 batches x decode/prefill, a fork each) take about 7 minutes on 2 cores.
# Prints the machine, runs JMH with -foe true (a missing checkpoint stops the run, naming the
# directory and the command that writes it) and -rf json; everything goes to OUT.
#
#   benchmarks/scripts/real-size-jmh.sh [JMH options]     e.g. -p shape=0.5b -p batch=1 -wi 1 -i 1
#   env: MODELS=/work/models (holds qwen2.5-<shape>-shape) OUT=runs/real-size-jmh SKIP_BUILD=1
#        BENCH=RealSizeBench (the JMH regex: RealSizeBench.decode or RealSizeBench.prefill for one)
#        JAVA_OPTS (host JVM, e.g. -Djmh.ignoreLock=true while another JMH run holds /tmp/jmh.lock)
# Results: OUT/results.json (JMH JSON: secondaryMetrics.tokens is tokens/s), OUT/jmh.txt (the log),
# OUT/machine.txt; at the end a table of tokens/s per benchmark, shape and batch.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bin/env.sh

MODELS=${MODELS:-/work/models}
OUT=${OUT:-runs/real-size-jmh}
BENCH=${BENCH:-RealSizeBench}
mkdir -p "$OUT"
if [ -z "${SKIP_BUILD:-}" ]; then
  mvn -q -B ${MVN_FLAGS:-} package -DskipTests -pl benchmarks -am
fi
echo "# machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/Mem:/{print $2}') GiB;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg); $(java -version 2>&1 | head -1); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')" \
  | tee "$OUT/machine.txt"

java ${JAVA_OPTS:-} "${R4J_JVM[@]}" -Dresearch4j.models="$MODELS" \
  -jar benchmarks/target/benchmarks.jar "$BENCH" -foe true -rf json -rff "$OUT/results.json" "$@" \
  2>&1 | grep --line-buffered -v '^WARNING' | tee "$OUT/jmh.txt"

command -v jq >/dev/null || { echo "# (no jq: read secondaryMetrics.tokens in $OUT/results.json)"; exit 0; }
echo "# tokens/s (JMH mean ± 99.9 % error; decode: generated, prefill: prompt tokens), load average now $(cut -d' ' -f1-3 /proc/loadavg)"
jq -r '.[] | [(.benchmark | sub(".*\\."; "")), .params.shape, .params.weights, .params.kvCache, .params.batch,
  (.secondaryMetrics.tokens.score * 100 | round / 100),
  (.secondaryMetrics.tokens.scoreError | if type == "number" then . * 100 | round / 100 else "-" end)]
  | @tsv' "$OUT/results.json" \
  | awk -F'\t' 'BEGIN { printf "%-8s %-6s %-7s %-8s %6s %12s %10s\n", "bench", "shape", "weights", "kvcache", "batch", "tokens/s", "error" }
                { printf "%-8s %-6s %-7s %-8s %6s %12s %10s\n", $1, $2, $3, $4, $5, $6, $7 }'
