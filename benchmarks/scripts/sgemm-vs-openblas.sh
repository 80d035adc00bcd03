#!/usr/bin/env bash
# Side by side: research4j's Java sgemm (CpuSgemm, through the SgemmTiming main class in the
# benchmarks jar) against OpenBLAS sgemm (Debian's PyTorch 1.13 torch.mm), same sizes, same
# thread count, same timing method (warm-up, then the median of N repeats), interleaved per size
# so both see the same machine load. Prints a table: n, GFLOP/s of each, and their ratio.
#
# Usage: benchmarks/scripts/sgemm-vs-openblas.sh [--no-build] [options of sgemm-vs-openblas.py]
#   e.g. benchmarks/scripts/sgemm-vs-openblas.sh --sizes 256,512,1024,2048 --repeats 15 --threads 2
# Needs JDK 25 (JAVA_HOME, default /usr/lib/jvm/temurin-25-jdk-amd64), Maven (to build the jar)
# and /usr/bin/python3 with torch.
set -euo pipefail
# The peer gets OpenBLAS's own kernel choice for this CPU unless PEER_OPENBLAS_CORETYPE names one
# (e.g. SkylakeX on a Sapphire Rapids Xeon, which Debian's 0.3.21 takes for Prescott): an
# OPENBLAS_CORETYPE inherited from the environment (these machines export Haswell, AVX2 kernels,
# half the speed on an AVX-512 CPU) would hold it back.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
if [ -n "${PEER_OPENBLAS_CORETYPE:-}" ]; then export OPENBLAS_CORETYPE="$PEER_OPENBLAS_CORETYPE"; fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
JAR="$ROOT/benchmarks/target/benchmarks.jar"

if [[ ! -x "$JAVA" ]]; then
  echo "error: no java at $JAVA; set JAVA_HOME to a JDK 25" >&2
  exit 1
fi
if ! "$JAVA" -version 2>&1 | grep -q 'version "2[5-9]'; then
  echo "error: $JAVA is not JDK 25+ ($("$JAVA" -version 2>&1 | head -1)); set JAVA_HOME to a JDK 25" >&2
  exit 1
fi

if [[ "${1:-}" == "--no-build" ]]; then
  shift
  if [[ ! -f "$JAR" ]]; then
    echo "error: $JAR is missing; run without --no-build, or build it with" >&2
    echo "  (cd $ROOT && mvn -q -B -o -pl benchmarks -am package -DskipTests)" >&2
    exit 1
  fi
else
  echo "building $JAR ..." >&2
  (cd "$ROOT" && mvn -q -B -o -pl benchmarks -am package -DskipTests) >&2 || {
    echo "error: the benchmarks build failed (retry without -o in the mvn line if a dependency is missing)" >&2
    exit 1
  }
fi

if [[ ! -x /usr/bin/python3 ]] || ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "error: /usr/bin/python3 with torch is needed for the OpenBLAS side (Debian: apt install python3-torch)" >&2
  exit 1
fi

exec /usr/bin/python3 "$ROOT/benchmarks/scripts/sgemm-vs-openblas.py" --java "$JAVA" --jar "$JAR" "$@"
