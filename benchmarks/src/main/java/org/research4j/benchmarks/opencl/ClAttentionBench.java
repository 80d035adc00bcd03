package org.research4j.benchmarks.opencl;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.research4j.kernels.Buf;
import org.research4j.kernels.Devices;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.opencl.ClKernels;

/**
 * Causal GQA attention through {@link Kernels} on the device named by {@code device} ({@link
 * Devices} spec), with the head layout of Qwen2-0.5B (14 query heads, 2 kv heads, head dimension
 * 64) by default: training forward (with lse), backward, and one decode step of {@code b} sequences
 * against a KV cache of {@code t} positions. Time per call including {@code sync}. {@code
 * laneColumns} other than 0 overrides how many floats of a head row one OpenCL work-item holds
 * ({@link ClKernels#useAttentionLaneColumns}; 0 keeps the device's default), to compare the
 * split-row layout of GPUs with whole rows ({@code 2147483647}).
 *
 * <p>{@code java -jar benchmarks/target/benchmarks.jar ClAttentionBench -p device=opencl:gpu}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ClAttentionBench {
  @Param({"opencl"})
  String device;

  @Param({"4"})
  int b;

  @Param({"512"})
  int t;

  @Param({"14"})
  int hq;

  @Param({"2"})
  int hkv;

  @Param({"64"})
  int d;

  @Param({"0"})
  int laneColumns;

  Kernels k;
  Buf q;
  Buf kk;
  Buf v;
  Buf out;
  Buf lse;
  Buf dOut;
  Buf dq;
  Buf dk;
  Buf dv;
  Buf qDecode;
  Buf outDecode;
  Buf start;
  float scale;

  @Setup(Level.Trial)
  public void setup() {
    k = Devices.open(device);
    if (laneColumns != 0) {
      if (!(k instanceof ClKernels cl)) {
        throw new IllegalArgumentException(
            "laneColumns=" + laneColumns + " needs an OpenCL device, not " + k.description());
      }
      cl.useAttentionLaneColumns(laneColumns);
    }
    SplittableRandom rnd = new SplittableRandom(7);
    int qn = b * t * hq * d;
    int kn = b * t * hkv * d;
    q = random(rnd, qn);
    kk = random(rnd, kn);
    v = random(rnd, kn);
    out = k.allocF32(qn);
    lse = k.allocF32(b * hq * t);
    dOut = random(rnd, qn);
    dq = k.allocF32(qn);
    dk = k.allocF32(kn);
    dv = k.allocF32(kn);
    qDecode = random(rnd, b * hq * d);
    outDecode = k.allocF32(b * hq * d);
    int[] st = new int[b];
    java.util.Arrays.fill(st, t - 1);
    start = k.allocI32(b);
    k.upload(st, 0, start, 0, b);
    scale = (float) (1 / Math.sqrt(d));
    forward();
    backward();
    decode();
  }

  private Buf random(SplittableRandom rnd, int size) {
    float[] x = new float[size];
    for (int i = 0; i < size; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
    Buf buf = k.allocF32(size);
    k.upload(x, 0, buf, 0, size);
    return buf;
  }

  @Benchmark
  public void forward() {
    k.attentionForward(q, kk, v, out, lse, null, b, t, t, hq, hkv, d, scale);
    k.sync();
  }

  @Benchmark
  public void backward() {
    k.attentionBackward(q, kk, v, out, lse, dOut, dq, dk, dv, b, t, hq, hkv, d, scale);
    k.sync();
  }

  /** One new token per sequence attending to {@code t} cached positions. */
  @Benchmark
  public void decode() {
    k.attentionForward(qDecode, kk, v, outDecode, null, start, b, 1, t, hq, hkv, d, scale);
    k.sync();
  }

  @TearDown(Level.Trial)
  public void close() {
    k.close();
  }
}
