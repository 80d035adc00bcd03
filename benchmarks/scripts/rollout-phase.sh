#!/usr/bin/env bash
# The rollout phase of a GRPO step on the benchmark model (Qwen2 d=256, 4 layers, vocab 4096, tied;
# random weights), side by side: this checkout's `research train` against the code at the time
# issue #11 was filed (commit 77ec06c, OLD_REV), on one shared input and one seed. Issue #11's goal:
# rollouts at least 3x faster.
#
#   benchmarks/scripts/rollout-phase.sh            # ROUNDS=2 STEPS=4 by default
#
# What it does:
#  1. builds this checkout's research4j.jar and benchmarks.jar, and OLD_REV's research4j.jar in a
#     worktree of its own under /work (removed at the end); both jars are copied into WORK;
#  2. one shared input in WORK: a generated world (`research world`, seed 42) and its BM25 index
#     (`research index`); a 4,096-token byte-level BPE trained on the world's passages and training
#     questions and a random-weights checkpoint of the benchmark shape in Hugging Face layout
#     (float32 safetensors, RolloutCheckpoint);
#  3. `research train` with each jar on that checkpoint, ROUNDS times, alternating old and new:
#     STEPS steps (the first one a warm-up) of 8 questions x 5 rollouts, up to 384 response tokens
#     (search results included), the search tool (1 passage per search, as the demo), the question
#     alone as the prompt (`--prompt bare`, the demo's format), seed 42, device cpu, no dev set;
#  4. reads rollout_s, update_s, response_tokens and searches of every step but the first of each
#     run from its metrics.jsonl and prints the medians per jar, the ratio old/new of rollout
#     seconds per step and of rollout seconds per response token (random weights write near-uniform
#     tokens, so a rollout stops at its budget unless it samples an end-of-turn token or
#     `</search>`; the two jars' samplers need not draw the same tokens, so the per-token figure is
#     the like-for-like one), the CPU model and the load average before and after.
#
# Environment: ROUNDS (2), STEPS (4), WORK (/work/rollout-phase), OLD_REV (77ec06c), KEEP_OLD=1 keeps
# the old worktree, JAVA_OPTS (extra JVM flags for both jars, e.g. -Xmx4g), NEW_ARGS (extra
# `research train` options for this checkout's jar only, e.g. "--kv-cache f32": the KV cache of
# the issue's start, whose rollouts then draw the same tokens as the old jar's).
set -euo pipefail
source "$(dirname "$0")/../../bin/env.sh"
cd "$R4J_ROOT"

ROUNDS="${ROUNDS:-2}"
STEPS="${STEPS:-4}"
WORK="${WORK:-/work/rollout-phase}"
OLD_REV="${OLD_REV:-77ec06c}"
old_tree="/work/r4j-rollout-old-$OLD_REV"
java_opts=(${JAVA_OPTS:-})
new_args=(${NEW_ARGS:-})

cleanup() {
  if [ "${KEEP_OLD:-0}" != 1 ] && [ -d "$old_tree" ]; then
    git -C "$R4J_ROOT" worktree remove --force "$old_tree" || true
  fi
}
trap cleanup EXIT

mkdir -p "$WORK"
log() { echo "# $*" >&2; }

# 1. Jars.
log "building this checkout ($(git rev-parse --short HEAD))"
mvn -q -B -ntp -Dstyle.color=never ${MVN_FLAGS:-} -pl grpo,benchmarks -am package -DskipTests >&2
cp grpo/target/research4j.jar "$WORK/new.jar"
cp benchmarks/target/benchmarks.jar "$WORK/benchmarks.jar"
if [ ! -f "$WORK/old-$OLD_REV.jar" ]; then
  log "building $OLD_REV in $old_tree"
  [ -d "$old_tree" ] || git -C "$R4J_ROOT" worktree add --detach "$old_tree" "$OLD_REV" >&2
  (cd "$old_tree" && mvn -q -B -ntp -Dstyle.color=never ${MVN_FLAGS:-} -pl grpo -am package -DskipTests) >&2
  cp "$old_tree/grpo/target/research4j.jar" "$WORK/old-$OLD_REV.jar"
fi

# 2. The shared input.
run_jar() { java "${R4J_JVM[@]}" ${java_opts[@]+"${java_opts[@]}"} -jar "$@"; }
if [ ! -f "$WORK/world/train.jsonl" ]; then
  log "world"
  run_jar "$WORK/new.jar" world --out "$WORK/world" --seed 42 > "$WORK/prep.log" 2>&1
fi
if [ ! -d "$WORK/index" ]; then
  log "index"
  run_jar "$WORK/new.jar" index --corpus "$WORK/world/corpus.jsonl" --index "$WORK/index" >> "$WORK/prep.log" 2>&1
fi
if [ ! -f "$WORK/model/config.json" ]; then
  log "tokenizer and random checkpoint"
  java "${R4J_JVM[@]}" -cp "$WORK/benchmarks.jar" \
    org.research4j.benchmarks.transformer.RolloutCheckpoint \
    --world "$WORK/world" --out "$WORK/model" --seed 42 >&2
fi

# 3. The runs, alternating.
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
train() { # $1 = name, $2 = jar, $3 = round, then extra options
  local out="$WORK/runs/$1-$3"
  rm -rf "$out" && mkdir -p "$WORK/runs"
  log "round $3: $1 (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  run_jar "$2" train --model "$WORK/model" --index "$WORK/index" \
    --train "$WORK/world/train.jsonl" --out "$out" --device cpu --prompt bare \
    --steps "$STEPS" --questions-per-step 8 --num-generations 5 --max-completion-length 384 \
    --topk 1 --seed 42 --checkpoint-every 100000 "${@:4}" > "$out.log" 2>&1 \
    || { tail -20 "$out.log" >&2; exit 1; }
}
for r in $(seq 1 "$ROUNDS"); do
  train old "$WORK/old-$OLD_REV.jar" "$r"
  train new "$WORK/new.jar" "$r" ${new_args[@]+"${new_args[@]}"}
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# 4. The figures.
python3 - "$WORK/runs" "$ROUNDS" "$OLD_REV" "$(git rev-parse --short HEAD)" <<'EOF'
import json, statistics, sys, pathlib
runs, rounds, old_rev, new_rev = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
G = 8 * 5
res = {}
for name in ("old", "new"):
    steps = []
    for r in range(1, rounds + 1):
        lines = [json.loads(l) for l in (runs / f"{name}-{r}" / "metrics.jsonl").read_text().splitlines()
                 if l.strip()]
        lines = [l for l in lines if "rollout_s" in l]
        for l in lines[1:]:  # the first step of each run warms the JIT up
            steps.append(l)
        print(f"{name} round {r}: rollout_s " + " ".join(f"{l['rollout_s']:.2f}" for l in lines)
              + "  update_s " + " ".join(f"{l['update_s']:.2f}" for l in lines)
              + "  tokens/step " + " ".join(f"{l['response_tokens'] * G:.0f}" for l in lines)
              + "  searches/rollout " + " ".join(f"{l['searches']:.2f}" for l in lines))
    med = lambda k: statistics.median(l[k] for l in steps)
    per_tok = statistics.median(l["rollout_s"] / (l["response_tokens"] * G) for l in steps)
    res[name] = dict(n=len(steps), rollout=med("rollout_s"), update=med("update_s"),
                     tokens=statistics.median(l["response_tokens"] * G for l in steps),
                     searches=med("searches"), per_tok=per_tok)
print()
print(f"| jar | measured steps | rollout s/step | update s/step | response tokens/step"
      f" | searches/rollout | rollout ms/token |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, label in (("old", old_rev), ("new", new_rev)):
    x = res[name]
    print(f"| {name} ({label}) | {x['n']} | {x['rollout']:.2f} | {x['update']:.2f} | {x['tokens']:.0f}"
          f" | {x['searches']:.2f} | {1000 * x['per_tok']:.3f} |")
o, n = res["old"], res["new"]
print()
print(f"rollout per step, old/new: {o['rollout'] / n['rollout']:.2f}x;"
      f" per response token: {o['per_tok'] / n['per_tok']:.2f}x;"
      f" update per step: {o['update'] / n['update']:.2f}x")
ratio = min(o['rollout'] / n['rollout'], o['per_tok'] / n['per_tok'])
print(f"issue #11 goal (rollout >= 3x): {'met' if ratio >= 3 else 'not met'} ({ratio:.2f}x, the lower of the two ratios)")
EOF
echo "# machine: $(nproc) cores, $cpu; load average before $load_before, after $load_after"
echo "# java: $(java -version 2>&1 | head -1)"
