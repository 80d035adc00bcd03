#!/usr/bin/env bash
# Prefill and decoding side by side with PyTorch (Debian's python3-torch 1.13, CPU) on the same
# checkpoint: the Qwen2.5-0.5B shape of tools/qwen-shape-checkpoint.sh (bfloat16 weights).
# research4j: RealSizeTiming, as real-size.sh runs it (--weights bf16: frozen bf16 weights, float32
# activations; --weights f32: float32 weights as a trainable policy keeps them). PyTorch:
# benchmarks/scripts/decode_torch.py, a hand-written Qwen2 forward with a KV cache, 2 threads,
# inference_mode, --weights f32 (OpenBLAS sgemm) and --weights bf16 (bf16 weights and activations,
# oneDNN matmul). Both sides: per batch size a warm-up, then REPEATS runs of random PROMPT-token
# prompts prefilled in one step and NEW - 1 decode steps at temperature 1; medians. First a
# correctness check on the tiny shape (CHECK=0 skips it): decode_torch.py --check compares its
# prefill and cached-decode logits with research4j's Qwen2Model.logits. Then the four runs
# (research4j bf16, PyTorch bf16, research4j f32, PyTorch f32) alternate ROUNDS times; the table
# gives each round, the medians over rounds and research4j / PyTorch per weight type.
#
#   benchmarks/scripts/decode-vs-torch.sh [MODEL_DIR]   (default /work/models/qwen2.5-0.5b-shape)
#   env: ROUNDS=3 BATCHES=1,16 PROMPT=128 NEW=32 REPEATS=3 WEIGHTS="bf16 f32" CHECK=1
#        CHECK_MODEL=/work/models/qwen2.5-tiny-shape HEAP=15g YOUNG=2g OUT=runs/decode-vs-torch
#        PYTHON=/usr/bin/python3 TORCH_ENV="OMP_WAIT_POLICY=PASSIVE" SKIP_BUILD=1
# TORCH_ENV: libgomp's default wait policy spins at every barrier; on this shared 2-core machine
# under load (load average 4-5) that made each torch op of the 2-thread runs take ~8 ms (decode
# 0.9 tokens/s at batch 1, bf16); PASSIVE (threads sleep at barriers) gave 13 tokens/s there, as
# 1 thread did. Set TORCH_ENV= to measure libgomp's default.
set -euo pipefail
# The peer gets OpenBLAS's own kernel choice for this CPU unless PEER_OPENBLAS_CORETYPE names one
# (e.g. SkylakeX on a Sapphire Rapids Xeon, which Debian's 0.3.21 takes for Prescott): an
# OPENBLAS_CORETYPE inherited from the environment (these machines export Haswell, AVX2 kernels,
# half the speed on an AVX-512 CPU) would hold it back.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
if [ -n "${PEER_OPENBLAS_CORETYPE:-}" ]; then export OPENBLAS_CORETYPE="$PEER_OPENBLAS_CORETYPE"; fi
cd "$(dirname "$0")/../.."
source bin/env.sh
MODEL=${1:-/work/models/qwen2.5-0.5b-shape}
ROUNDS=${ROUNDS:-3}
BATCHES=${BATCHES:-1,16}
PROMPT=${PROMPT:-128}
NEW=${NEW:-32}
REPEATS=${REPEATS:-3}
WEIGHTS=${WEIGHTS-bf16 f32}
CHECK=${CHECK:-1}
CHECK_MODEL=${CHECK_MODEL:-/work/models/qwen2.5-tiny-shape}
HEAP=${HEAP:-15g}
YOUNG=${YOUNG:-2g}
OUT=${OUT:-runs/decode-vs-torch}
PYTHON=${PYTHON:-/usr/bin/python3}
TORCH_ENV=${TORCH_ENV-OMP_WAIT_POLICY=PASSIVE}
[ -f "$MODEL/config.json" ] || tools/qwen-shape-checkpoint.sh 0.5b "$MODEL"
if [ -z "${SKIP_BUILD:-}" ]; then
  mvn -q -B ${MVN_FLAGS:-} package -DskipTests -pl benchmarks -am
fi
mkdir -p "$OUT"
log="$OUT/log.txt"
: > "$log"
echo "# machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); load average $(cut -d' ' -f1-3 /proc/loadavg);" \
  "$(java -version 2>&1 | head -1)" | tee -a "$log"
if [ "$CHECK" = 1 ]; then
  "$PYTHON" benchmarks/scripts/decode_torch.py --model "$CHECK_MODEL" --check 2>&1 | tee -a "$log"
fi
# One result line per run and batch: "RESULT round side weights batch prefill decode".
result() {
  sed -n 's/^batch \([0-9]*\): prefill [0-9]*-token prompts \([0-9.]*\) tokens\/s, decode \([0-9.]*\) tokens\/s.*/\1 \2 \3/p' \
    | while read -r b p d; do echo "RESULT $1 $2 $3 $b $p $d"; done
}
for r in $(seq 1 "$ROUNDS"); do
  for w in $WEIGHTS; do
    echo "== round $r, research4j, weights $w; load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
    java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
      --sun-misc-unsafe-memory-access=allow -XX:+UseParallelGC -Xmx"$HEAP" -Xmn"$YOUNG" \
      -cp benchmarks/target/benchmarks.jar org.research4j.benchmarks.transformer.RealSizeTiming \
      --model "$MODEL" --weights "$w" --batches "$BATCHES" --prompt "$PROMPT" --new "$NEW" \
      --repeats "$REPEATS" 2>&1 | grep -v '^WARNING' | tee "$OUT/run.txt" | tee -a "$log"
    result "$r" research4j "$w" < "$OUT/run.txt" >> "$log"
    echo "== round $r, pytorch, weights $w; load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
    echo "# torch env: ${TORCH_ENV:-(none)}" | tee -a "$log"
    env $TORCH_ENV "$PYTHON" benchmarks/scripts/decode_torch.py --model "$MODEL" --weights "$w" --threads 2 \
      --batches "$BATCHES" --prompt "$PROMPT" --new "$NEW" --repeats "$REPEATS" 2>&1 \
      | tee "$OUT/run.txt" | tee -a "$log"
    result "$r" pytorch "$w" < "$OUT/run.txt" >> "$log"
  done
done
echo "# end: load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
grep '^RESULT' "$log" | "$PYTHON" -c '
import statistics, sys
rows = [l.split()[1:] for l in sys.stdin]
runs = {}
for rnd, side, w, b, p, d in rows:
    runs.setdefault((w, int(b)), {}).setdefault(int(rnd), {})[side] = (float(p), float(d))
print("| weights | batch | round | research4j prefill tok/s | PyTorch prefill tok/s | research4j decode tok/s | PyTorch decode tok/s | prefill r4j/torch | decode r4j/torch |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
for (w, b), by_round in runs.items():
    cols = {k: [] for k in ("rp", "tp", "rd", "td")}
    for rnd in sorted(by_round):
        s = by_round[rnd]
        if "research4j" not in s or "pytorch" not in s:
            continue
        (rp, rd), (tp, td) = s["research4j"], s["pytorch"]
        for k, v in zip(("rp", "tp", "rd", "td"), (rp, tp, rd, td)):
            cols[k].append(v)
        print(f"| {w} | {b} | {rnd} | {rp:.1f} | {tp:.1f} | {rd:.2f} | {td:.2f} | {rp / tp:.2f} | {rd / td:.2f} |")
    if cols["rp"]:
        rp, tp, rd, td = (statistics.median(cols[k]) for k in ("rp", "tp", "rd", "td"))
        print(f"| {w} | {b} | **median** | **{rp:.1f}** | **{tp:.1f}** | **{rd:.2f}** | **{td:.2f}** |"
              f" **{rp / tp:.2f}** | **{rd / td:.2f}** |")
' | tee "$OUT/table.md"
