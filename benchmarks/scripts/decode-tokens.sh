#!/usr/bin/env bash
# KV-cache decoding throughput of the benchmark Qwen2 model (d=256, 4 layers, vocab 4096, tied):
# 128-token prompts prefilled, then 127 decode steps at temperature 1; prints generated tokens/s
# (median of REPEATS) at batch 1 and 32, and with PROFILE=1 where a decode step's time goes.
# The JMH twin is DecodeBench: java -jar benchmarks/target/benchmarks.jar DecodeBench
set -euo pipefail
source "$(dirname "$0")/../../bin/env.sh"
cd "$R4J_ROOT"
jar=benchmarks/target/benchmarks.jar
if [ ! -f "$jar" ] || [ -n "$(find . -path '*/src/main/*' -newer "$jar" -print -quit)" ]; then
  echo "building $jar" >&2
  mvn -q -B ${MVN_FLAGS:-} -pl benchmarks -am package -DskipTests >&2
fi
profile=()
[ "${PROFILE:-0}" = 1 ] && profile=(--profile)
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
java "${R4J_JVM[@]}" \
  -cp "$jar" org.research4j.benchmarks.transformer.DecodeTiming --batches "${BATCHES:-1,32}" \
  --repeats "${REPEATS:-5}" ${profile[@]+"${profile[@]}"} 2>&1 | grep -v '^WARNING'
