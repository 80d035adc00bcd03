package org.research4j.benchmarks.gemm;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The probe that chose the CPU kernels' bf16 weight layout (now {@code CpuBf16.grouped}), kept to
 * measure the layout apart from the kernels: {@code Y = X W^T} with {@code W [n, k]} bfloat16
 * stored <b>output-interleaved</b>, {@code [n/64][k][64]} (for each k, the weights of 64
 * consecutive outputs in a row), so that a tile of 6 rows of X broadcasts one activation per row
 * and k and multiplies 4 widened vectors of weights into 24 accumulators: no horizontal sums, and
 * one contiguous stream per group of 64 outputs. Each call reads another copy of W (about 200 MB of
 * copies, so the weights come from memory as in a model's decode step), groups of 64 outputs split
 * over 2 threads; median of 7 timings of at least 0.2 s after 1.5 s of warm-up. Measured 2026-11-29
 * on the AMD EPYC (Zen 5) of BENCHMARKS.md, nothing else running: m = 16: 254.5 GFLOP/s on [4864,
 * 896], 249.5 on [896, 4864], 313.9 on [151936, 896] (the kernels' row-panel layout: 134-157,
 * 129-163, 156-172 in this session's runs); m = 1: 27.9 GB/s of weights on [4864, 896] and 52.2
 * GB/s on [151936, 896] (row panels: about 30 on the latter).
 *
 * <p>Usage: {@code Bf16InterleavedProbe N K M}, e.g. {@code 151936 896 16} (N a multiple of 64;
 * written for 512-bit vectors).
 */
public final class Bf16InterleavedProbe {
  private Bf16InterleavedProbe() {}

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
  private static final VectorSpecies<Short> H = ShortVector.SPECIES_256;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
  private static final int L = 16;
  private static final int G = 64;

  static FloatVector widen(short[] w, int at) {
    return ((IntVector)
            ShortVector.fromArray(H, w, at).convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0))
        .lanewise(VectorOperators.LSHL, 16)
        .reinterpretAsFloats();
  }

  // y[i][g*64 + j] = sum_c x[i][c] * W[g*64+j][c]; W stored [groups][k][64]
  static void group(int g, int m, int k, float[] x, short[] w, float[] y, int n) {
    int base = g * k * G;
    for (int i0 = 0; i0 < m; i0 += 6) {
      int r = Math.min(6, m - i0);
      FloatVector a00 = FloatVector.zero(S),
          a01 = a00,
          a02 = a00,
          a03 = a00,
          a10 = a00,
          a11 = a00,
          a12 = a00,
          a13 = a00,
          a20 = a00,
          a21 = a00,
          a22 = a00,
          a23 = a00,
          a30 = a00,
          a31 = a00,
          a32 = a00,
          a33 = a00,
          a40 = a00,
          a41 = a00,
          a42 = a00,
          a43 = a00,
          a50 = a00,
          a51 = a00,
          a52 = a00,
          a53 = a00;
      int x0 = i0 * k,
          x1 = Math.min(i0 + 1, m - 1) * k,
          x2 = Math.min(i0 + 2, m - 1) * k,
          x3 = Math.min(i0 + 3, m - 1) * k,
          x4 = Math.min(i0 + 4, m - 1) * k,
          x5 = Math.min(i0 + 5, m - 1) * k;
      for (int c = 0; c < k; c++) {
        int q = base + c * G;
        FloatVector b0 = widen(w, q),
            b1 = widen(w, q + L),
            b2 = widen(w, q + 2 * L),
            b3 = widen(w, q + 3 * L);
        FloatVector v = FloatVector.broadcast(S, x[x0 + c]);
        a00 = b0.fma(v, a00);
        a01 = b1.fma(v, a01);
        a02 = b2.fma(v, a02);
        a03 = b3.fma(v, a03);
        v = FloatVector.broadcast(S, x[x1 + c]);
        a10 = b0.fma(v, a10);
        a11 = b1.fma(v, a11);
        a12 = b2.fma(v, a12);
        a13 = b3.fma(v, a13);
        v = FloatVector.broadcast(S, x[x2 + c]);
        a20 = b0.fma(v, a20);
        a21 = b1.fma(v, a21);
        a22 = b2.fma(v, a22);
        a23 = b3.fma(v, a23);
        v = FloatVector.broadcast(S, x[x3 + c]);
        a30 = b0.fma(v, a30);
        a31 = b1.fma(v, a31);
        a32 = b2.fma(v, a32);
        a33 = b3.fma(v, a33);
        v = FloatVector.broadcast(S, x[x4 + c]);
        a40 = b0.fma(v, a40);
        a41 = b1.fma(v, a41);
        a42 = b2.fma(v, a42);
        a43 = b3.fma(v, a43);
        v = FloatVector.broadcast(S, x[x5 + c]);
        a50 = b0.fma(v, a50);
        a51 = b1.fma(v, a51);
        a52 = b2.fma(v, a52);
        a53 = b3.fma(v, a53);
      }
      int o = g * G;
      int y0 = i0 * n + o;
      a00.intoArray(y, y0);
      a01.intoArray(y, y0 + L);
      a02.intoArray(y, y0 + 2 * L);
      a03.intoArray(y, y0 + 3 * L);
      if (r > 1) {
        y0 += n;
        a10.intoArray(y, y0);
        a11.intoArray(y, y0 + L);
        a12.intoArray(y, y0 + 2 * L);
        a13.intoArray(y, y0 + 3 * L);
      }
      if (r > 2) {
        y0 += n;
        a20.intoArray(y, y0);
        a21.intoArray(y, y0 + L);
        a22.intoArray(y, y0 + 2 * L);
        a23.intoArray(y, y0 + 3 * L);
      }
      if (r > 3) {
        y0 += n;
        a30.intoArray(y, y0);
        a31.intoArray(y, y0 + L);
        a32.intoArray(y, y0 + 2 * L);
        a33.intoArray(y, y0 + 3 * L);
      }
      if (r > 4) {
        y0 += n;
        a40.intoArray(y, y0);
        a41.intoArray(y, y0 + L);
        a42.intoArray(y, y0 + 2 * L);
        a43.intoArray(y, y0 + 3 * L);
      }
      if (r > 5) {
        y0 += n;
        a50.intoArray(y, y0);
        a51.intoArray(y, y0 + L);
        a52.intoArray(y, y0 + 2 * L);
        a53.intoArray(y, y0 + 3 * L);
      }
    }
  }

  public static void main(String[] a) throws Exception {
    int n = Integer.parseInt(a[0]), k = Integer.parseInt(a[1]), m = Integer.parseInt(a[2]);
    int copies = Math.max(1, (int) (200_000_000L / (2L * n * k)));
    short[][] ws = new short[copies][n * k];
    Random r = new Random(1);
    for (short[] w : ws)
      for (int i = 0; i < w.length; i++)
        w[i] = (short) (Float.floatToIntBits((float) r.nextGaussian() * 0.02f) >>> 16);
    float[] x = new float[m * k];
    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
    float[] y = new float[m * n];
    ForkJoinPool pool = new ForkJoinPool(2);
    int groups = n / G;
    int[] turn = {0};
    Runnable call =
        () -> {
          short[] w = ws[turn[0]++ % copies];
          pool.submit(
                  () ->
                      java.util.stream.IntStream.range(0, groups)
                          .parallel()
                          .forEach(g -> group(g, m, k, x, w, y, n)))
              .join();
        };
    for (int i = 0; i < 3; i++) {
      long t0 = System.nanoTime();
      while (System.nanoTime() - t0 < 5e8) call.run();
    }
    double[] ts = new double[7];
    for (int rep = 0; rep < 7; rep++) {
      int calls = 0;
      long t0 = System.nanoTime(), t;
      do {
        call.run();
        calls++;
        t = System.nanoTime();
      } while (t - t0 < 2e8);
      ts[rep] = (t - t0) / 1e9 / calls;
    }
    Arrays.sort(ts);
    System.out.printf(
        "interleaved n=%d k=%d m=%d %.3f ms %.1f GFLOP/s %.1f GB/s%n",
        n, k, m, ts[3] * 1e3, 2.0 * m * n * k / ts[3] / 1e9, 2.0 * n * k / ts[3] / 1e9);
    System.exit(0);
  }
}
