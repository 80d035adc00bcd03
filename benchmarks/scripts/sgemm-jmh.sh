#!/usr/bin/env bash
# JMH SgemmBench (CpuSgemm, square n x n x n, every transpose) with GFLOP/s = 2 n^3 / time
# printed beside each JMH score.
#
# Usage: benchmarks/scripts/sgemm-jmh.sh [--no-build] [JMH options]
#   e.g. benchmarks/scripts/sgemm-jmh.sh -p n=1024 -p transA=false -wi 2 -i 3
# JAVA_HOME defaults to /usr/lib/jvm/temurin-25-jdk-amd64; JAVA_OPTS go to the JMH host JVM
# (e.g. JAVA_OPTS=-Djmh.ignoreLock=true when another JMH run holds /tmp/jmh.lock).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAR="$ROOT/benchmarks/target/benchmarks.jar"

if [[ "${1:-}" == "--no-build" ]]; then
  shift
  [[ -f "$JAR" ]] || { echo "error: $JAR is missing; run without --no-build to build it" >&2; exit 1; }
else
  echo "building $JAR ..." >&2
  (cd "$ROOT" && mvn -q -B -o -pl benchmarks -am package -DskipTests) >&2 || {
    echo "error: the benchmarks build failed (retry without -o in the mvn line if a dependency is missing)" >&2
    exit 1
  }
fi

RESULT="$(mktemp --suffix=.json)"
trap 'rm -f "$RESULT"' EXIT
source "$ROOT/bin/jvm-flags.sh"
"$JAVA_HOME/bin/java" ${JAVA_OPTS:-} "${R4J_JVM[@]}" -jar "$JAR" SgemmBench -rf json -rff "$RESULT" "$@"
python3 "$ROOT/benchmarks/scripts/sgemm-jmh.py" "$RESULT"
