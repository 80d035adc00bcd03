#!/usr/bin/env bash
# Load test of the retrieval server: CONNECTIONS keep-alive connections from a client on
# loopback, Search-R1 POST /retrieve (one world question, topk 3, with scores) for DURATION
# seconds after WARMUP seconds, at most MAX_REQUESTS requests. Builds the benchmarks jar,
# generates the default world and its index if missing, starts the server on 127.0.0.1 only,
# runs the load, stops the server. Prints one JSON line of figures; exits 1 on any failure.
#
#   benchmarks/scripts/search-load.sh [WORLD_DIR]
#   env: CONNECTIONS=200 DURATION=60 WARMUP=10 MAX_REQUESTS=5000000 CACHE=10000 PORT=18000
#        MVN_ARGS=-o (extra Maven flags)  SKIP_BUILD=1 (reuse benchmarks/target/benchmarks.jar)
set -euo pipefail
cd "$(dirname "$0")/../.."

JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JAVA_HOME/bin/java"
source "$(dirname "$0")/../../bin/jvm-flags.sh"
JOPTS=("${R4J_JVM[@]}")
WORLD=${1:-runs/search-load/world}
PORT=${PORT:-18000}
CONNECTIONS=${CONNECTIONS:-200}
DURATION=${DURATION:-60}
WARMUP=${WARMUP:-10}
MAX_REQUESTS=${MAX_REQUESTS:-5000000}
CACHE=${CACHE:-10000}
OUT=${OUT:-runs/search-load}
JAR=benchmarks/target/benchmarks.jar
mkdir -p "$OUT"

if [ -z "${SKIP_BUILD:-}" ]; then
  JAVA_HOME="$JAVA_HOME" mvn -q -B ${MVN_ARGS:-} -pl benchmarks -am package -DskipTests
fi
search() { "$JAVA" "${JOPTS[@]}" -cp "$JAR" org.research4j.search.cli.SearchMain "$@"; }
[ -f "$WORLD/world.json" ] || search world --out "$WORLD" 2>/dev/null
[ -f "$WORLD/index/index.json" ] || search index --corpus "$WORLD/corpus.jsonl" --index "$WORLD/index" 2>/dev/null

"$JAVA" "${JOPTS[@]}" -Xms1g -Xmx2g -cp "$JAR" org.research4j.search.cli.SearchMain serve \
  --index "$WORLD/index" --host 127.0.0.1 --port "$PORT" --cache "$CACHE" > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT

timeout $((WARMUP + DURATION + 300)) "$JAVA" "${JOPTS[@]}" -Xmx1g -cp "$JAR" \
  org.research4j.benchmarks.search.RetrievalLoadTest --host 127.0.0.1 --port "$PORT" \
  --connections "$CONNECTIONS" --duration "$DURATION" --warmup "$WARMUP" \
  --max-requests "$MAX_REQUESTS" --questions "$WORLD/train.jsonl" \
  --out "$OUT/load-c${CONNECTIONS}-cache${CACHE}.json"
