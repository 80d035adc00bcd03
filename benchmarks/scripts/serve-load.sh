#!/usr/bin/env bash
# Throughput of research serve-model on a demo run's model: starts serve-model on 127.0.0.1 with
# the run's latest GRPO checkpoint (else its warm start) and index, warms it up, then for each
# mode (chat: plain generation of MAX_TOKENS; agent: the search agent, NAME-agent, with a budget of
# AGENT_MAX_TOKENS, passages included, as the demo evaluates it) and each client
# count in CLIENTS runs serve_load.py RUNS times with a fixed number of requests (PER_CLIENT per
# client, at least MIN_REQUESTS), each run bounded by DEADLINE seconds. Writes every run's JSON
# line to OUT/serve-load.jsonl and prints the medians and the ratio of the last client count to
# the first. Stops the server on exit; exits 1 if any request failed.
#
#   benchmarks/scripts/serve-load.sh [RUN_DIR]        (default runs/demo)
#   env: CLIENTS="1 32" MODES="chat agent" RUNS=3 PER_CLIENT=32 MIN_REQUESTS=256 MAX_TOKENS=64
#        AGENT_MAX_TOKENS=440 WARMUP=256 (requests from 32 clients before each mode, not counted)
#        DEADLINE=300 PORT=18001 MAX_BATCH=32 OUT=runs/serve-load SKIP_BUILD=1 (reuse the jar)
set -euo pipefail
cd "$(dirname "$0")/../.."

RUN=${1:-runs/demo}
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JAVA_HOME/bin/java"
CLIENTS=${CLIENTS:-1 32}
MODES=${MODES:-chat agent}
RUNS=${RUNS:-3}
PER_CLIENT=${PER_CLIENT:-32}
MIN_REQUESTS=${MIN_REQUESTS:-256}
WARMUP=${WARMUP:-256}
MAX_TOKENS=${MAX_TOKENS:-64}
AGENT_MAX_TOKENS=${AGENT_MAX_TOKENS:-440}
DEADLINE=${DEADLINE:-300}
PORT=${PORT:-18001}
MAX_BATCH=${MAX_BATCH:-32}
OUT=${OUT:-runs/serve-load}
JAR=grpo/target/research4j.jar

model=$(ls -d "$RUN"/grpo/checkpoints/step-*/model 2>/dev/null | tail -n 1 || true)
[ -n "$model" ] || model=$(ls -d "$RUN"/sft/checkpoints/step-*/model 2>/dev/null | tail -n 1 || true)
[ -n "$model" ] || { echo "serve-load: no checkpoint under $RUN/grpo or $RUN/sft (run bin/research demo)" >&2; exit 1; }
[ -f "$RUN/world/test.jsonl" ] || { echo "serve-load: no $RUN/world/test.jsonl" >&2; exit 1; }
mkdir -p "$OUT"
if [ -z "${SKIP_BUILD:-}" ]; then
  JAVA_HOME="$JAVA_HOME" mvn -q -B ${MVN_ARGS:-} -pl grpo -am package -DskipTests
fi

source "$(dirname "$0")/../../bin/jvm-flags.sh"
"$JAVA" "${R4J_JVM[@]}" \
  -jar "$JAR" serve-model --model "$model" --index "$RUN/index" --topk 1 --served-model-name demo \
  --host 127.0.0.1 --port "$PORT" --max-batch "$MAX_BATCH" --device cpu > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/server.log" >&2; exit 1; }
  sleep 0.5
done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { echo "serve-load: the server did not come up" >&2; exit 1; }
echo "serve-load: $model on 127.0.0.1:$PORT, $(nproc) CPUs: $(lscpu | sed -n 's/^Model name: *//p')" >&2

load() { # MODEL CLIENTS REQUESTS OFFSET MAX_TOKENS
  timeout $((DEADLINE + 60)) python3 benchmarks/scripts/serve_load.py --port "$PORT" --model "$1" \
    --clients "$2" --requests "$3" --offset "$4" --max-tokens "$5" --deadline "$DEADLINE" \
    --questions "$RUN/world/test.jsonl"
}
failed=0
: > "$OUT/serve-load.jsonl"
for mode in $MODES; do
  name=demo; budget=$MAX_TOKENS
  [ "$mode" = agent ] && { name=demo-agent; budget=$AGENT_MAX_TOKENS; }
  load "$name" 32 "$WARMUP" 1000 "$budget" > /dev/null || failed=1    # warm-up, not counted
  for c in $CLIENTS; do
    n=$((c * PER_CLIENT)); [ "$n" -ge "$MIN_REQUESTS" ] || n=$MIN_REQUESTS
    for r in $(seq 1 "$RUNS"); do
      line=$(load "$name" "$c" "$n" $((r * 97)) "$budget") || failed=1
      echo "{\"mode\": \"$mode\", \"run\": $r, \"load\": $line}" | tee -a "$OUT/serve-load.jsonl"
    done
  done
done

python3 - "$OUT/serve-load.jsonl" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows:
    by.setdefault((r["mode"], r["load"]["clients"]), []).append(r["load"])
print("mode   clients  runs  requests/s  tokens/s  p50 s  p99 s  (medians)")
med = {}
for (mode, c), ls in by.items():
    m = {k: statistics.median(l[k] for l in ls) for k in ("requests_per_s", "tokens_per_s", "latency_p50_s", "latency_p99_s")}
    med[(mode, c)] = m
    print(f"{mode:6} {c:7d} {len(ls):5d} {m['requests_per_s']:11.2f} {m['tokens_per_s']:9.1f} {m['latency_p50_s']:6.2f} {m['latency_p99_s']:6.2f}")
for mode in dict.fromkeys(k[0] for k in med):
    cs = sorted(c for (m, c) in med if m == mode)
    if len(cs) > 1:
        lo, hi = med[(mode, cs[0])], med[(mode, cs[-1])]
        print(f"{mode}: {cs[-1]} vs {cs[0]} clients: requests/s x{hi['requests_per_s'] / lo['requests_per_s']:.2f},"
              f" tokens/s x{hi['tokens_per_s'] / lo['tokens_per_s']:.2f}")
EOF
exit $failed
