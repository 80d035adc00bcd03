#!/usr/bin/env bash
# research4j at real size on the CPU kernels: the Qwen2.5-0.5B shape (and 1.5B with SHAPES="0.5b
# 1.5b") written by tools/qwen-shape-checkpoint.sh (random bf16 weights, real tokenizer), then
#   1. load time, resident memory, prefill and decode tokens/s at batch 1 and 16 (RealSizeTiming),
#      once with the weights kept in float32 as a trainable policy is, once as frozen bfloat16;
#   2. one full GRPO step with `research train` (4 questions x 5 rollouts, the search tool in the
#      loop over a demo run's index, up to 512 response tokens, the update against a bf16 frozen
#      reference), under /usr/bin/time -v for the peak resident memory; its rollout/update split
#      is the step's line in metrics.jsonl (rollout_s, update_s).
# Everything goes to OUT (logs, metrics); checkpoints to MODELS, outside the repository.
#
#   benchmarks/scripts/real-size.sh [RUN_DIR]          (RUN_DIR: a demo run, default runs/demo)
#   env: SHAPES="0.5b" (empty: no timing) MODELS=/work/models OUT=runs/real-size BATCHES=1,16 PROMPT=128 NEW=32
#        REPEATS=3 WEIGHTS="bf16 f32" GRPO=1 (0: skip the step) GRPO_SHAPES="0.5b" MICRO_BATCH=1
#        HEAP=15g YOUNG=2g SKIP_BUILD=1
set -euo pipefail
cd "$(dirname "$0")/../.."
source bin/env.sh

RUN=${1:-runs/demo}
SHAPES=${SHAPES-0.5b}
MODELS=${MODELS:-/work/models}
OUT=${OUT:-runs/real-size}
BATCHES=${BATCHES:-1,16}
PROMPT=${PROMPT:-128}
NEW=${NEW:-32}
REPEATS=${REPEATS:-3}
WEIGHTS=${WEIGHTS-bf16 f32}
GRPO=${GRPO:-1}
GRPO_SHAPES=${GRPO_SHAPES:-0.5b}
MICRO_BATCH=${MICRO_BATCH:-1}
HEAP=${HEAP:-15g}
# ParallelGC gives the young generation a third of the heap by default; the GRPO step's long-lived
# arrays (policy, gradients, AdamW moments, reference: 9 GB at 0.5B) need the old one: YOUNG caps it.
YOUNG=${YOUNG:-2g}
JAVA_FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED
  --sun-misc-unsafe-memory-access=allow -XX:+UseParallelGC -Xmx"$HEAP" -Xmn"$YOUNG")
mkdir -p "$OUT"
if [ -z "${SKIP_BUILD:-}" ]; then
  mvn -q -B ${MVN_FLAGS:-} package -DskipTests -pl benchmarks,grpo -am
fi
echo "# machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/Mem:/{print $2}') GiB;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg); $(java -version 2>&1 | head -1)" | tee "$OUT/machine.txt"

for shape in $SHAPES; do
  model="$MODELS/qwen2.5-$shape-shape"
  [ -f "$model/config.json" ] || tools/qwen-shape-checkpoint.sh "$shape" "$model"
  for w in $WEIGHTS; do
    echo "== $shape, weights $w" | tee -a "$OUT/timing.txt"
    /usr/bin/time -v java "${JAVA_FLAGS[@]}" -cp benchmarks/target/benchmarks.jar \
      org.research4j.benchmarks.transformer.RealSizeTiming --model "$model" --weights "$w" \
      --batches "$BATCHES" --prompt "$PROMPT" --new "$NEW" --repeats "$REPEATS" \
      2> "$OUT/time-$shape-$w.txt" | tee -a "$OUT/timing.txt"
    grep -E "Maximum resident|Elapsed" "$OUT/time-$shape-$w.txt" | tee -a "$OUT/timing.txt"
  done
done

if [ "$GRPO" = 1 ]; then
  [ -d "$RUN/index" ] && [ -f "$RUN/world/train.jsonl" ] \
    || { echo "real-size: no $RUN/index or $RUN/world/train.jsonl (run bin/research demo)" >&2; exit 1; }
  for shape in $GRPO_SHAPES; do
    model="$MODELS/qwen2.5-$shape-shape"
    rm -rf "$OUT/grpo-$shape"
    echo "== GRPO step, $shape" | tee -a "$OUT/timing.txt"
    /usr/bin/time -v java "${JAVA_FLAGS[@]}" -jar grpo/target/research4j.jar train \
      --model "$model" --index "$RUN/index" --train "$RUN/world/train.jsonl" \
      --out "$OUT/grpo-$shape" --device cpu --steps 1 --questions-per-step 4 --num-generations 5 \
      --max-completion-length 512 --micro-batch "$MICRO_BATCH" --reference-weights bf16 \
      --checkpoint-every 1000 2> "$OUT/time-grpo-$shape.txt" | tee -a "$OUT/timing.txt"
    grep -E "Maximum resident|Elapsed" "$OUT/time-grpo-$shape.txt" | tee -a "$OUT/timing.txt"
    cat "$OUT/grpo-$shape/metrics.jsonl" | tee -a "$OUT/timing.txt"
  done
fi
