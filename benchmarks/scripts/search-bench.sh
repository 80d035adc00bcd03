#!/usr/bin/env bash
# Retrieval quality and speed on a generated world: recall@1/3/5 (test split) and JMH queries/s
# at k = 5, single-threaded and on THREADS threads, for the in-process searcher.
#
#   benchmarks/scripts/search-bench.sh [PASSAGES]     default world if PASSAGES is not given,
#                                                     else a world of about PASSAGES passages
#   env: WORLD=dir (where the world lives; default runs/search-bench/world-<size>)
#        THREADS=2  JMH_ARGS="-wi 3 -i 5"  MVN_ARGS=-o  SKIP_BUILD=1
#        JAVA_OPTS=-Djmh.ignoreLock=true (when another JMH run holds /tmp/jmh.lock)
# Generating and indexing a million passages takes minutes; both are skipped when present.
set -euo pipefail
cd "$(dirname "$0")/../.."

JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JAVA_HOME/bin/java"
source "$(dirname "$0")/../../bin/jvm-flags.sh"
JOPTS=("${R4J_JVM[@]}")
PASSAGES=${1:-}
WORLD=${WORLD:-runs/search-bench/world-${PASSAGES:-default}}
THREADS=${THREADS:-2}
JAR=benchmarks/target/benchmarks.jar

if [ -z "${SKIP_BUILD:-}" ]; then
  JAVA_HOME="$JAVA_HOME" mvn -q -B ${MVN_ARGS:-} -pl benchmarks -am package -DskipTests
fi
search() { "$JAVA" "${JOPTS[@]}" -Xmx6g -cp "$JAR" org.research4j.search.cli.SearchMain "$@"; }
if [ ! -f "$WORLD/world.json" ]; then
  if [ -n "$PASSAGES" ]; then
    search world --out "$WORLD" --passages "$PASSAGES"
  else
    search world --out "$WORLD"
  fi
fi
[ -f "$WORLD/index/index.json" ] || search index --corpus "$WORLD/corpus.jsonl" --index "$WORLD/index"

search recall --index "$WORLD/index" --qa "$WORLD/test.jsonl"
for t in 1 "$THREADS"; do
  "$JAVA" ${JAVA_OPTS:-} -jar "$JAR" 'SearchBenchmark.single' -p world="$(realpath "$WORLD")" \
    -t "$t" ${JMH_ARGS:-} -rf json -rff "$WORLD/../jmh-$(basename "$WORLD")-t$t.json"
done
"$JAVA" ${JAVA_OPTS:-} -jar "$JAR" 'SearchBenchmark.batch64' -p world="$(realpath "$WORLD")" -t 1 \
  ${JMH_ARGS:-} -rf json -rff "$WORLD/../jmh-$(basename "$WORLD")-batch64.json"
# Queries per CPU-second: what the figures above would be on free cores (see SearchCpuRate).
for t in 1 "$THREADS"; do
  "$JAVA" "${JOPTS[@]}" -Xmx4g -cp "$JAR" org.research4j.benchmarks.search.SearchCpuRate \
    --world "$WORLD" --threads "$t"
done
