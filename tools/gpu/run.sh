#!/usr/bin/env bash
# Runs on a lent GPU machine, from the repository root, with the kit that tools/gpu/pack.sh made
# (.gpu/kit.tar.gz, carried): lists the OpenCL devices, runs the OpenCL correctness tests against
# their CPU twins on the GPU, then the OpenCL JMH benchmarks (sgemm n=1024..4096, attention, the
# sgemm autotuner). Logs go to $OUT/*.log, JMH results to $OUT/*.json, the figures to
# $OUT/summary.txt. Needs no JDK, Maven or network there; about 5 minutes on an H100.
#
#   DEVICE=gpu (default): the first OpenCL GPU, through the NVIDIA ICD if the machine has one.
#   DEVICE=pocl: the PoCL CPU device with short benchmark sizes, to try the kit on a machine
#   without a GPU.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
DEVICE="${DEVICE:-gpu}"
OUT="${OUT:-$ROOT/target/gpu-out}"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }
die() { say "run.sh: $*"; exit 1; }

case "$DEVICE" in
  gpu) SPEC=opencl:gpu; SGEMM_N=1024,2048,4096; TUNE_N=4096; ATT_T=512,2048; ATT_D=64,128
       TIMES=(-wi 2 -w 1s -i 3 -r 1s) ;;
  pocl) SPEC=pocl; SGEMM_N=256,512; TUNE_N=256; ATT_T=64; ATT_D=64,128
        TIMES=(-wi 1 -w 1s -i 2 -r 1s) ;;
  *) die "DEVICE must be gpu or pocl, not '$DEVICE'" ;;
esac

[ -f .gpu/kit.tar.gz ] || die "no .gpu/kit.tar.gz: run tools/gpu/pack.sh on the build machine and carry .gpu"
KIT="$(mktemp -d "${TMPDIR:-/tmp}/r4j-gpu.XXXXXX")"
tar -C "$KIT" -xzf .gpu/kit.tar.gz || die "cannot unpack .gpu/kit.tar.gz into $KIT"
say "kit: $(head -1 "$KIT/KIT"); $(sed -n 2p "$KIT/KIT")"
JAVA="$KIT/jre/bin/java"
source "$ROOT/bin/jvm-flags.sh"
JVM=(-Xss8m "${R4J_JVM[@]}")

# The OpenCL loader. JOCL opens the unversioned libOpenCL.so: link it to the packed ocl-icd loader
# (built against glibc 2.34+), or to the machine's own loader when its glibc is older.
glibc="$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')"
glibc="${glibc:-0.0}"
loader="$KIT/ocl/libOpenCL.so.1"
if [ "$(printf '%s\n' 2.34 "$glibc" | sort -V | head -1)" != 2.34 ]; then
  system="$(ldconfig -p 2>/dev/null | awk '/libOpenCL\.so\.1 .*x86-64/ {print $NF; exit}')"
  [ -n "$system" ] || die "glibc $glibc is older than the packed OpenCL loader needs (2.34) and the machine has no libOpenCL.so.1"
  loader="$system"
fi
ln -sf "$loader" "$KIT/ocl/libOpenCL.so"
export LD_LIBRARY_PATH="$KIT/ocl${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# The vendor drivers the loader offers: the machine's, plus NVIDIA's when it is installed but not
# registered (containers often mount libnvidia-opencl.so.1 without /etc/OpenCL/vendors/nvidia.icd).
export OCL_ICD_VENDORS="$KIT/vendors"
mkdir -p "$OCL_ICD_VENDORS"
cp /etc/OpenCL/vendors/*.icd "$OCL_ICD_VENDORS/" 2>/dev/null || true
if [ "$DEVICE" = gpu ] && ! grep -qs nvidia-opencl "$OCL_ICD_VENDORS"/*.icd; then
  nv="$(ldconfig -p 2>/dev/null | awk '/libnvidia-opencl\.so\.1 .*x86-64/ {print $NF; exit}')"
  [ -n "$nv" ] || nv="$(ls /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 /usr/lib64/libnvidia-opencl.so.1 \
    /usr/local/nvidia/lib64/libnvidia-opencl.so.1 2>/dev/null | head -1)"
  [ -n "$nv" ] || nv="$(find / -xdev -name 'libnvidia-opencl.so*' 2>/dev/null | sort | head -1)"
  if [ -n "$nv" ]; then
    echo "$nv" > "$OCL_ICD_VENDORS/nvidia.icd"
  else
    say "no libnvidia-opencl.so* on this machine (NVIDIA's OpenCL driver; containers get it with"
    say "NVIDIA_DRIVER_CAPABILITIES including compute); NVIDIA libraries present:"
    ls /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/nvidia/lib64 2>/dev/null | grep -i nvidia \
      | head -20 | tee -a "$SUMMARY"
    nvidia-smi -L 2>&1 | tee -a "$SUMMARY"
  fi
fi
say "OpenCL loader $loader (glibc $glibc); vendors: $(cat "$OCL_ICD_VENDORS"/*.icd 2>/dev/null | tr '\n' ' ')"

# 1. Devices.
CP_MAIN="$(printf '%s:' "$KIT"/classes/{kernels,tensor-core,transformer,benchmarks} "$KIT"/lib/*.jar)"
"$JAVA" "${JVM[@]}" -cp "$CP_MAIN" org.research4j.kernels.opencl.ListDevices 2>&1 | tee "$OUT/devices.log"
[ "${PIPESTATUS[0]}" = 0 ] || die "no OpenCL device (see $OUT/devices.log)"
cat "$OUT/devices.log" >> "$SUMMARY"

# 2. Correctness: every OpenCL kernel against its CPU twin, and a whole training step and
# generation of the model on OpenCL against the CPU, on the chosen device.
CP_TEST="$(printf '%s:' "$KIT"/test-classes/{kernels,transformer})$CP_MAIN"
timeout -k 10 150 "$JAVA" "${JVM[@]}" -Dresearch4j.opencl.test.device="$DEVICE" \
  -jar "$KIT"/lib/junit-platform-console-standalone-*.jar execute --disable-banner --disable-ansi-colors \
  --class-path "$CP_TEST" --select-package org.research4j.kernels.opencl \
  --select-class org.research4j.transformer.model.OpenClTrainingStepTest \
  --details=tree --reports-dir "$OUT/junit" > "$OUT/tests.log" 2>&1
tests_rc=$?
cat "$OUT/tests.log"
say "tests (exit $tests_rc): $(grep -E 'tests (successful|failed|aborted)' "$OUT/tests.log" | tr -s ' ' | tr '\n' ';')"
grep -E '✘|MethodSource' "$OUT/tests.log" | head -40 >> "$SUMMARY"

# 3. Speed. JMH forks its benchmark JVMs with this same runtime and classpath.
jmh() { # $1 = name for the files, $2 = time limit in seconds, then JMH arguments
  local name="$1" limit="$2"; shift 2
  timeout -k 10 "$limit" "$JAVA" "${JVM[@]}" -cp "$CP_MAIN" org.openjdk.jmh.Main "$@" "${TIMES[@]}" -f 1 \
    -rf json -rff "$OUT/$name.json" 2>&1 | tee "$OUT/$name.log"
}
jmh sgemm 100 ClSgemmBench -p device="$SPEC" -p n="$SGEMM_N"
say "sgemm ($SPEC), GFLOP/s = 2 n^3 / time; H100 SXM fp32 peak 67 TFLOP/s (goal >= 50%):"
awk '/^ClSgemmBench\.sgemm / { n = $3; ms = $8; g = 2 * n * n * n / (ms * 1e6);
  printf "  n=%-5d %10.3f ms  %9.1f GFLOP/s  %5.1f%% of 67 TFLOP/s\n", n, ms, g, 100 * g / 67000 }' \
  "$OUT/sgemm.log" | tee -a "$SUMMARY"

jmh attention 130 ClAttentionBench -p device="$SPEC" -p t="$ATT_T" -p d="$ATT_D"
say "attention ($SPEC; b=4, hq=14, hkv=2; ms per call; the device's default layout):"
grep -E '^Benchmark .*\(d\)|^ClAttentionBench\.' "$OUT/attention.log" | tee -a "$SUMMARY"
# The same at the longest t with the other layout of attention.cl: whole rows per work-item on a
# GPU, rows split across lanes on a CPU device. Says whether the GPU's split layout pays.
other=2147483647; [ "$DEVICE" = gpu ] || other=32
jmh attention-layout 80 ClAttentionBench -p device="$SPEC" -p t="${ATT_T##*,}" -p d="$ATT_D" \
  -p laneColumns="$other"
say "attention, other layout (laneColumns=$other):"
grep -E '^Benchmark .*\(d\)|^ClAttentionBench\.' "$OUT/attention-layout.log" | tee -a "$SUMMARY"

timeout -k 10 80 "$JAVA" "${JVM[@]}" -cp "$CP_MAIN" org.research4j.benchmarks.opencl.ClSgemmTune "$SPEC" "$TUNE_N" \
  2>&1 | tee "$OUT/tune.log"
say "sgemm autotuner ($SPEC, n=$TUNE_N), fastest first:"
sed -n '/^# fastest first/,$p' "$OUT/tune.log" | head -6 | tee -a "$SUMMARY"

rm -rf "$KIT"
echo; echo "=== summary ($SUMMARY)"; cat "$SUMMARY"
[ "$tests_rc" = 0 ]
