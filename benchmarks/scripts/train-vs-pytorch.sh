#!/usr/bin/env bash
# Training throughput of the same Qwen2 model (d=256, 4 layers, 4 heads of 64, 2 KV heads, SwiGLU
# 704, q/k/v bias, tied embeddings, vocab 4096; B=8, T=256; forward + backward + AdamW) in
# PyTorch (CPU, float32, 2 threads) and in research4j (Java CPU kernels), in one run. Each side
# prints the median of its timed steps after warm-up; the last line is the ratio Java / PyTorch.
# With ROUNDS=n the pair runs n times alternately (fairer on a shared machine); the ratio then uses
# the median over all rounds. PROFILE=1 adds research4j's per-kernel profile.
#
#   benchmarks/scripts/train-vs-pytorch.sh            # STEPS=10 WARMUP=3 ROUNDS=1 THREADS=2
set -euo pipefail
# The peer gets OpenBLAS's own kernel choice for this CPU unless PEER_OPENBLAS_CORETYPE names one
# (e.g. SkylakeX on a Sapphire Rapids Xeon, which Debian's 0.3.21 takes for Prescott): an
# OPENBLAS_CORETYPE inherited from the environment (these machines export Haswell, AVX2 kernels,
# half the speed on an AVX-512 CPU) would hold it back.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
if [ -n "${PEER_OPENBLAS_CORETYPE:-}" ]; then export OPENBLAS_CORETYPE="$PEER_OPENBLAS_CORETYPE"; fi
source "$(dirname "$0")/../../bin/env.sh"
cd "$R4J_ROOT"
steps=${STEPS:-10}
warmup=${WARMUP:-3}
rounds=${ROUNDS:-1}
threads=${THREADS:-2}
python=${PYTHON:-/usr/bin/python3}
jar=benchmarks/target/benchmarks.jar
if [ ! -f "$jar" ] || [ -n "$(find . -path '*/src/main/*' -newer "$jar" -print -quit)" ]; then
  echo "building $jar" >&2
  mvn -q -B ${MVN_FLAGS:-} -pl benchmarks -am package -DskipTests >&2
fi
profile=()
[ "${PROFILE:-0}" = 1 ] && profile=(--profile)

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
py_rates=()
java_rates=()
for ((r = 1; r <= rounds; r++)); do
  py=$("$python" benchmarks/scripts/train_vs_pytorch.py --threads "$threads" --warmup "$warmup" --steps "$steps")
  echo "$py"
  py_rates+=("$(echo "$py" | sed -n 's/^pytorch train: .* \([0-9]*\) tokens\/s.*/\1/p')")
  jv=$(java "${R4J_JVM[@]}" \
    -Dresearch4j.threads="$threads" -cp "$jar" org.research4j.benchmarks.transformer.TrainStepTiming \
    --warmup "$warmup" --steps "$steps" ${profile[@]+"${profile[@]}"} 2>&1 | grep -v '^WARNING')
  echo "$jv"
  java_rates+=("$(echo "$jv" | sed -n 's/^java train: .* \([0-9]*\) tokens\/s.*/\1/p')")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
py_med=$(median "${py_rates[@]}")
java_med=$(median "${java_rates[@]}")
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v p="$py_med" -v j="$java_med" -v r="$rounds" 'BEGIN {
  printf "pytorch %.0f tokens/s, research4j %.0f tokens/s (median of %d round(s)): research4j / pytorch = %.2fx\n", p, j, r, j / p }'
