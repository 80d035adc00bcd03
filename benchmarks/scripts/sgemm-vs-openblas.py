#!/usr/bin/python3
"""Java sgemm (research4j CpuSgemm) vs OpenBLAS sgemm (torch.mm), square float32 C = A @ B.

Both sides use the same method: warm up for --warmup seconds (the Java side longer if its JIT is
still speeding it up, see SgemmTiming), then --repeats timed repeats, each running enough calls to
last --min-repeat seconds (seconds per call = repeat time / calls); the median repeat is reported. Sizes are interleaved (Java n, OpenBLAS n, next n) so both sides see
the same machine load. The Java side runs org.research4j.benchmarks.gemm.SgemmTiming from the
benchmarks jar in a fresh JVM per size, with RESEARCH4J_THREADS=--threads; the OpenBLAS side is
torch.mm on contiguous tensors with torch.set_num_threads(--threads).

Normally started through sgemm-vs-openblas.sh, which builds the jar.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

import torch


def time_torch(n, repeats, warmup, min_repeat):
    g = torch.Generator().manual_seed(n)
    a = torch.rand(n, n, generator=g, dtype=torch.float32) * 2 - 1
    b = torch.rand(n, n, generator=g, dtype=torch.float32) * 2 - 1
    c = torch.empty(n, n, dtype=torch.float32)
    end = time.perf_counter() + warmup
    calls = 0
    while time.perf_counter() < end or calls < 3:
        torch.mm(a, b, out=c)
        calls += 1
    t0 = time.perf_counter()
    torch.mm(a, b, out=c)
    single = time.perf_counter() - t0
    per_repeat = max(1, int(min_repeat / single + 0.999))
    secs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(per_repeat):
            torch.mm(a, b, out=c)
        secs.append((time.perf_counter() - t0) / per_repeat)
    return statistics.median(secs)


def time_java(args, n):
    env = dict(os.environ, RESEARCH4J_THREADS=str(args.threads))
    cmd = [args.java, "--add-modules", "jdk.incubator.vector", "-cp", args.jar,
           "org.research4j.benchmarks.gemm.SgemmTiming", str(n), str(args.repeats),
           str(args.warmup), str(args.min_repeat)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"error: the Java timing failed (exit {out.returncode}):\n{' '.join(cmd)}\n{out.stderr}")
    header, seconds = None, None
    for line in out.stdout.splitlines():
        if line.startswith("#"):
            header = line[1:].strip()
        elif line.split() and line.split()[0] == str(n):
            seconds = float(line.split()[1])
    if seconds is None:
        sys.exit(f"error: no result line for n={n} in the Java output:\n{out.stdout}\n{out.stderr}")
    return seconds, header


def blas_library():
    """The BLAS shared object torch actually loaded (OpenBLAS expected on Debian), and the kernel
    set OpenBLAS chose for this CPU (OPENBLAS_CORETYPE overrides it: Debian's 0.3.21 takes a
    Sapphire Rapids Xeon for Prescott and runs SSE3 kernels 5x slow, so there pass SkylakeX)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
        name = ", ".join(sorted(os.path.basename(l) for l in libs)) or "unknown"
    except OSError:
        return "unknown"
    try:
        import ctypes
        ob = ctypes.CDLL("libopenblas.so.0")
        ob.openblas_get_corename.restype = ctypes.c_char_p
        core = ob.openblas_get_corename().decode()
        asked = os.environ.get("OPENBLAS_CORETYPE")
        name += f"; OpenBLAS kernels: {core}" + (f" (OPENBLAS_CORETYPE={asked})" if asked else " (its own choice)")
    except OSError:
        pass
    return name


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--java", required=True, help="java executable of a JDK 25")
    p.add_argument("--jar", required=True, help="benchmarks/target/benchmarks.jar")
    p.add_argument("--sizes", default="256,512,1024,2048")
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per size and side")
    p.add_argument("--min-repeat", type=float, default=0.05, help="minimum seconds per timed repeat")
    args = p.parse_args()
    if not os.path.isfile(args.jar):
        sys.exit(f"error: {args.jar} not found; build it: mvn -q -B -o -pl benchmarks -am package -DskipTests")
    sizes = [int(s) for s in args.sizes.split(",")]

    torch.set_num_threads(args.threads)
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))
    rows = []
    java_desc = None
    for n in sizes:
        java_s, java_desc = time_java(args, n)
        blas_s = time_torch(n, args.repeats, args.warmup, args.min_repeat)
        flops = 2.0 * n ** 3
        rows.append((n, flops / java_s / 1e9, flops / blas_s / 1e9))
        print(f"n={n}: java {rows[-1][1]:.1f} GFLOP/s, openblas {rows[-1][2]:.1f} GFLOP/s", file=sys.stderr)

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"machine: {cpu}, {os.cpu_count()} logical CPUs; threads per side: {args.threads}")
    print(f"java: {java_desc}")
    print(f"openblas: torch {torch.__version__} ({blas_library()})")
    print(f"method: >= {args.warmup:g} s warm-up, median of {args.repeats} repeats of >= {args.min_repeat:g} s each")
    print()
    print("| n | Java GFLOP/s (median) | OpenBLAS GFLOP/s (median) | Java / OpenBLAS |")
    print("|---:|---:|---:|---:|")
    for n, j, o in rows:
        print(f"| {n} | {j:.1f} | {o:.1f} | {j / o:.2f} |")


if __name__ == "__main__":
    main()
