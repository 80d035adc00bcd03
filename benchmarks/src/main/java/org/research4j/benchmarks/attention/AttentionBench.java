package org.research4j.benchmarks.attention;

import java.util.Arrays;
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
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;

/**
 * Causal GQA attention on the CPU kernels: {@code forward} (with the lse a training step keeps),
 * {@code forwardBackward}, and {@code decode}: one new query per sequence against a KV cache of
 * {@code T} positions (inference, no lse). Shapes are {@code B x T x hq/hkv x d}.
 *
 * <p>FLOP count (multiply-add = 2 FLOPs, causal mask halves the score matrix): the forward does two
 * {@code T x T x d} products (scores, p·V), so {@code 2 B hq T^2 d}; the backward recomputes the
 * scores and does four more ({@code dP}, {@code dQ}, {@code dK}, {@code dV}), so forward plus
 * backward is {@code 7 B hq T^2 d}; a decode step is {@code 4 B hq T d}. GFLOP/s in the results
 * note are these counts over the median time.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar AttentionBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class AttentionBench {

  /** {@code B,T,hq,hkv,d}. */
  @Param({"8,256,4,2,64", "1,1024,16,2,64"})
  public String shape;

  private Kernels kernels;
  private int b, t, hq, hkv, d;
  private float scale;
  private Buf q, k, v, out, lse, dOut, dq, dk, dv;
  private Buf qStep, outStep, lastPosition;

  @Setup(Level.Trial)
  public void setup() {
    String[] s = shape.split(",");
    b = Integer.parseInt(s[0]);
    t = Integer.parseInt(s[1]);
    hq = Integer.parseInt(s[2]);
    hkv = Integer.parseInt(s[3]);
    d = Integer.parseInt(s[4]);
    scale = (float) (1 / Math.sqrt(d));
    kernels = new CpuKernels();
    SplittableRandom r = new SplittableRandom(42);
    int qn = b * t * hq * d;
    int kvn = b * t * hkv * d;
    q = random(r, qn);
    k = random(r, kvn);
    v = random(r, kvn);
    dOut = random(r, qn);
    out = kernels.allocF32(qn);
    lse = kernels.allocF32(b * hq * t);
    dq = kernels.allocF32(qn);
    dk = kernels.allocF32(kvn);
    dv = kernels.allocF32(kvn);
    qStep = random(r, b * hq * d);
    outStep = kernels.allocF32(b * hq * d);
    lastPosition = kernels.allocI32(b);
    int[] last = new int[b];
    Arrays.fill(last, t - 1);
    kernels.upload(last, 0, lastPosition, 0, b);
  }

  private Buf random(SplittableRandom r, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
    Buf buf = kernels.allocF32(n);
    kernels.upload(x, 0, buf, 0, n);
    return buf;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    kernels.close();
  }

  @Benchmark
  public void forward() {
    kernels.attentionForward(q, k, v, out, lse, null, b, t, t, hq, hkv, d, scale);
    kernels.sync();
  }

  @Benchmark
  public void decode() {
    kernels.attentionForward(qStep, k, v, outStep, null, lastPosition, b, 1, t, hq, hkv, d, scale);
    kernels.sync();
  }

  @Benchmark
  public void forwardBackward() {
    kernels.attentionForward(q, k, v, out, lse, null, b, t, t, hq, hkv, d, scale);
    kernels.attentionBackward(q, k, v, out, lse, dOut, dq, dk, dv, b, t, hq, hkv, d, scale);
    kernels.sync();
  }
}
