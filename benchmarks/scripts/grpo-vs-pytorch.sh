#!/usr/bin/env bash
# The GRPO policy update (the training half of a GRPO step: reference forward without gradient,
# policy forward, clipped per-token loss with the k3 KL, backward, grad-norm clip 1.0, AdamW) of
# the benchmark Qwen2 model (train-vs-pytorch.sh's: d=256, 4 layers, vocab 4096, tied) in PyTorch
# (CPU, float32, 2 threads; grpo_vs_pytorch.py) and in research4j (grpo's PolicyUpdate on the Java
# CPU kernels; GrpoUpdateTiming), in one run. Fixed synthetic rollouts: B=8 sequences of T=256,
# 64 prompt tokens, a 32-token tool-result span masked in the response, so 1,280 trained tokens.
# Each side prints the median of its timed updates after warm-up as trained tokens/s and sequence
# tokens/s; the last line is the ratio Java / PyTorch. With ROUNDS=n the pair runs n times
# alternately and the ratio uses the medians over all rounds. PROFILE=1 adds research4j's
# per-kernel profile.
#
#   benchmarks/scripts/grpo-vs-pytorch.sh            # STEPS=10 WARMUP=3 ROUNDS=1 THREADS=2
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
rate() { sed -n "s/^$1 grpo: .* \([0-9]*\) trained tokens\/s, \([0-9]*\) sequence tokens\/s.*/\\$2/p"; }
py_trained=() py_seq=() java_trained=() java_seq=()
for ((r = 1; r <= rounds; r++)); do
  py=$("$python" benchmarks/scripts/grpo_vs_pytorch.py --threads "$threads" --warmup "$warmup" --steps "$steps")
  echo "$py"
  py_trained+=("$(echo "$py" | rate pytorch 1)")
  py_seq+=("$(echo "$py" | rate pytorch 2)")
  jv=$(java "${R4J_JVM[@]}" \
    -Dresearch4j.threads="$threads" -cp "$jar" org.research4j.benchmarks.transformer.GrpoUpdateTiming \
    --warmup "$warmup" --steps "$steps" ${profile[@]+"${profile[@]}"} 2>&1 | grep -v '^WARNING')
  echo "$jv"
  java_trained+=("$(echo "$jv" | rate java 1)")
  java_seq+=("$(echo "$jv" | rate java 2)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v p="$(median "${py_trained[@]}")" -v j="$(median "${java_trained[@]}")" \
  -v ps="$(median "${py_seq[@]}")" -v js="$(median "${java_seq[@]}")" -v r="$rounds" 'BEGIN {
  printf "pytorch %.0f trained tokens/s (%.0f sequence tokens/s), research4j %.0f trained tokens/s (%.0f sequence tokens/s), median of %d round(s): research4j / pytorch = %.2fx\n", p, ps, j, js, r, j / p }'
