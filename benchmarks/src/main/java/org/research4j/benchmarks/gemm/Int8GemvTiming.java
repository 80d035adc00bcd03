package org.research4j.benchmarks.gemm;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.research4j.kernels.Bf16;
import org.research4j.kernels.Buf;
import org.research4j.kernels.Int8;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;

/**
 * {@code Kernels.sgemmInt8} (int8 weights, a float32 scale per row) against {@code
 * Kernels.sgemmBf16} (the same weights in bfloat16), both stored as the model stores them ({@code
 * allocInt8Matrix}, {@code allocBf16Matrix}: row panels on the CPU), on the products of a
 * Qwen2.5-0.5B decode step, {@code Y = X W^T} with {@code W [n, k]}: m = 1 (batch-1 decoding, bound
 * by memory bandwidth) and m = 16. As in a real step no weight comes from cache: calls rotate over
 * enough copies of W to span 256 MB. Prints the median time per call of {@code repeats} timings and
 * the weight bytes streamed per second (int8: {@code nk + 4n}; bf16: {@code 2nk}).
 *
 * <p>Measured 2026-11-29 on the 2-core AVX-512 machine while another process kept it busy (load
 * average 3 to 4, under {@code nice -n 19}: noisy, ranges over four runs of one or two threads), m
 * = 1: [4864, 896] int8 0.17-0.18 ms, 24-31 GB/s, against bf16 0.35-0.39 ms, 22-25 GB/s (1.9 to
 * 2.5x); [896, 4864] int8 0.18-0.21 ms, 21-25 GB/s, bf16 0.29-0.34 ms, 26-30 GB/s (1.5 to 1.8x);
 * [151936, 896] int8 4.2-4.4 ms, 31-33 GB/s, bf16 10.5-10.8 ms, 25-26 GB/s (2.4 to 2.5x). At m = 16
 * both take the same time (the skinny path dequantizes a chunk into scratch once and is then bound
 * by the float32 FMAs, not by memory).
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar
 * org.research4j.benchmarks.gemm.Int8GemvTiming [--repeats 7]}
 */
public final class Int8GemvTiming {
  private Int8GemvTiming() {}

  public static void main(String[] args) {
    int repeats = args.length > 1 && args[0].equals("--repeats") ? Integer.parseInt(args[1]) : 7;
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
      byte[] q = new byte[w.length];
      float[] scales = new float[n];
      Int8.quantize(w, n, kk, q, scales);
      short[] wb = Bf16.round(w);
      w = null;
      long int8Bytes = (long) n * kk + 4L * n;
      long bf16Bytes = 2L * n * kk;
      Buf[] wq = new Buf[(int) Math.max(1, Math.ceil((256L << 20) / (double) int8Bytes))];
      for (int c = 0; c < wq.length; c++) {
        wq[c] = k.allocInt8Matrix(n, kk);
        k.uploadInt8(q, 0, scales, 0, wq[c], 0, n);
      }
      Buf[] wh = new Buf[(int) Math.max(1, Math.ceil((256L << 20) / (double) bf16Bytes))];
      for (int c = 0; c < wh.length; c++) {
        wh[c] = k.allocBf16Matrix(n, kk);
        k.uploadBf16(wb, 0, wh[c], 0, wb.length);
      }
      for (int m : new int[] {1, 16}) {
        float[] x = new float[m * kk];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        Buf xb = k.allocF32(x.length);
        k.upload(x, 0, xb, 0, x.length);
        Buf yb = k.allocF32(m * n);
        int[] next = new int[2];
        Runnable int8 =
            () -> {
              Buf b = wq[next[0]];
              next[0] = (next[0] + 1) % wq.length;
              k.sgemmInt8(m, n, kk, 1f, xb, 0, kk, b, 0, kk, 0f, yb, 0, n);
            };
        Runnable bf16 =
            () -> {
              Buf b = wh[next[1]];
              next[1] = (next[1] + 1) % wh.length;
              k.sgemmBf16(m, n, kk, 1f, xb, 0, kk, b, 0, kk, 0f, yb, 0, n);
            };
        double ti = time(int8, repeats);
        double tb = time(bf16, repeats);
        System.out.printf(
            "%-20s m=%-3d int8 %8.3f ms %6.1f GB/s | bf16 %8.3f ms %6.1f GB/s | int8/bf16 speed"
                + " %.2fx%n",
            names[s], m, ti * 1e3, int8Bytes / ti / 1e9, tb * 1e3, bf16Bytes / tb / 1e9, tb / ti);
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
