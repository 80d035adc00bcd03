package org.research4j.benchmarks.gemm;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.research4j.kernels.Bf16;
import org.research4j.kernels.Buf;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;

/**
 * {@code Kernels.sgemmBf16} on the products of a Qwen2.5-0.5B decode step and prefill, time per
 * call: {@code shape} is {@code m:n:k} ({@code Y [m, n] = X [m, k] W^T}, W bfloat16 {@code [n,
 * k]}). m = 1 is a decode step at batch 1 (bound by memory bandwidth), m = 16 one at batch 16, m =
 * 128 a 128-token prefill. As in a real step, no weight comes from cache: calls rotate over enough
 * copies of W to span 256 MB (more than the L3). Weight bytes streamed per second = 2nk / time.
 * {@code layout}: {@code panels} stores W as the model's frozen weights are ({@code
 * Kernels.allocBf16Matrix}: on the CPU, groups of 64 rows stored column by column), {@code plain}
 * row-major ({@code allocBf16}).
 *
 * <p>{@code java -jar benchmarks/target/benchmarks.jar Bf16GemvBench -f 1 -wi 3 -i 5}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class Bf16GemvBench {
  @Param({
    "1:896:896",
    "1:4864:896",
    "1:896:4864",
    "1:151936:896",
    "16:4864:896",
    "16:896:4864",
    "128:4864:896",
    "128:896:4864"
  })
  String shape;

  @Param({"panels", "plain"})
  String layout;

  private Kernels k;
  private int m;
  private int n;
  private int kk;
  private Buf x;
  private Buf y;
  private Buf[] w;
  private int next;

  @Setup
  public void setup() {
    String[] p = shape.split(":");
    m = Integer.parseInt(p[0]);
    n = Integer.parseInt(p[1]);
    kk = Integer.parseInt(p[2]);
    k = new CpuKernels();
    SplittableRandom rnd = new SplittableRandom(3);
    float[] wf = new float[n * kk];
    for (int i = 0; i < wf.length; i++) wf[i] = (float) (rnd.nextGaussian() * 0.02);
    short[] wb = Bf16.round(wf);
    int copies = (int) Math.max(1, Math.ceil((256L << 20) / (2.0 * wb.length)));
    w = new Buf[copies];
    for (int c = 0; c < copies; c++) {
      w[c] = layout.equals("plain") ? k.allocBf16(wb.length) : k.allocBf16Matrix(n, kk);
      k.uploadBf16(wb, 0, w[c], 0, wb.length);
    }
    float[] xf = new float[m * kk];
    for (int i = 0; i < xf.length; i++) xf[i] = (float) rnd.nextGaussian();
    x = k.allocF32(xf.length);
    k.upload(xf, 0, x, 0, xf.length);
    y = k.allocF32(m * n);
  }

  @Benchmark
  public Buf sgemmBf16() {
    Buf wc = w[next];
    next = next + 1 == w.length ? 0 : next + 1;
    k.sgemmBf16(m, n, kk, 1f, x, 0, kk, wc, 0, kk, 0f, y, 0, n);
    return y;
  }
}
