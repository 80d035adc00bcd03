#!/usr/bin/env bash
# Regenerates the committed PyTorch reference of the Qwen2 decoder (see tools/pytorch/README.md):
# writes the tiny random checkpoints with research4j, then records logits, loss and every gradient
# with tools/pytorch/qwen2_reference.py in float64. Extra arguments go to Maven (e.g. -o).
set -euo pipefail
source "$(dirname "$0")/../../bin/env.sh"
cd "$R4J_ROOT"
out=transformer/src/test/resources/reference
python=${PYTHON:-/usr/bin/python3}
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT

mvn -q -B "$@" -pl transformer -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test
java "${R4J_JVM[@]}" \
  -cp "transformer/target/test-classes:transformer/target/classes:$(cat "$cp_file")" \
  org.research4j.transformer.model.ReferenceCheckpoints "$out"
for name in qwen2-tiny-untied qwen2-tiny-tied; do
  "$python" tools/pytorch/qwen2_reference.py "$out/$name" "$out/$name.reference.safetensors" \
    --batch 2 --seq 16 --seed 1234
done
