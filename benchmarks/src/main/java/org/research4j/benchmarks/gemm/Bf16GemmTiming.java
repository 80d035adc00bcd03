package org.research4j.benchmarks.gemm;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.research4j.kernels.Bf16;
import org.research4j.kernels.Buf;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;

/**
 * {@code Kernels.sgemmBf16} (bfloat16 weights) against {@code Kernels.sgemm} (the same weights in
 * float32) on the products of a Qwen2.5-0.5B layer and its LM head, {@code Y = X W^T} with {@code W
 * [n, k]}: rows m = 1 and 16 (decoding) and 128 (prefill). Each side warms up, then the median of
 * {@code repeats} timings of enough calls to last about 0.3 s; prints GFLOP/s (2mnk per call) and
 * the weight bytes streamed per second, and the bf16/fp32 speed ratio.
 *
 * <p>Usage: {@code Bf16GemmTiming [--repeats 5]}
 */
public final class Bf16GemmTiming {
  private Bf16GemmTiming() {}

  public static void main(String[] args) {
    int repeats = args.length > 1 && args[0].equals("--repeats") ? Integer.parseInt(args[1]) : 5;
    Kernels k = new CpuKernels();
    System.out.println("# " + k.description());
    int[][] nk = {{4864, 896}, {896, 4864}, {151_936, 896}};
    String[] names = {"gate/up 4864x896", "down 896x4864", "lm_head 151936x896"};
    SplittableRandom rnd = new SplittableRandom(1);
    for (int s = 0; s < nk.length; s++) {
      int n = nk[s][0];
      int kk = nk[s][1];
      float[] w = new float[n * kk];
      for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.02);
      Buf wf = k.allocF32(w.length);
      k.upload(w, 0, wf, 0, w.length);
      short[] wb = Bf16.round(w);
      Buf wh = k.allocBf16(wb.length);
      k.uploadBf16(wb, 0, wh, 0, wb.length);
      for (int m : new int[] {1, 16, 128}) {
        if (n > 100_000 && m == 128) continue;
        float[] x = new float[m * kk];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        Buf xb = k.allocF32(x.length);
        k.upload(x, 0, xb, 0, x.length);
        Buf yb = k.allocF32(m * n);
        Runnable f32 = () -> k.sgemm(false, true, m, n, kk, 1f, xb, 0, kk, wf, 0, kk, 0f, yb, 0, n);
        Runnable bf16 = () -> k.sgemmBf16(m, n, kk, 1f, xb, 0, kk, wh, 0, kk, 0f, yb, 0, n);
        double tf = time(f32, repeats);
        double tb = time(bf16, repeats);
        double flop = 2.0 * m * n * kk;
        System.out.printf(
            "%-20s m=%-4d fp32 %7.3f ms %6.1f GFLOP/s %5.1f GB/s | bf16 %7.3f ms %6.1f GFLOP/s"
                + " %5.1f GB/s | bf16/fp32 speed %.2fx%n",
            names[s],
            m,
            tf * 1e3,
            flop / tf / 1e9,
            4.0 * n * kk / tf / 1e9,
            tb * 1e3,
            flop / tb / 1e9,
            2.0 * n * kk / tb / 1e9,
            tf / tb);
      }
    }
  }

  /** Median seconds per call. */
  private static double time(Runnable f, int repeats) {
    long t0 = System.nanoTime();
    int calls = 0;
    while (System.nanoTime() - t0 < 1_000_000_000L || calls < 3) {
      f.run();
      calls++;
    }
    int per = Math.max(1, (int) (calls * 0.3));
    double[] t = new double[repeats];
    for (int r = 0; r < repeats; r++) {
      long s = System.nanoTime();
      for (int i = 0; i < per; i++) f.run();
      t[r] = (System.nanoTime() - s) / 1e9 / per;
    }
    Arrays.sort(t);
    return t[repeats / 2];
  }
}
