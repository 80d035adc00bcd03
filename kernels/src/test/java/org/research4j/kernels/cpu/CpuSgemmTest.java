package org.research4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * CpuSgemm against a plain triple loop in double precision.
 *
 * <p>Tolerance, per element: {@code |got - ref| <= (k + 4) * 2^-23 * (|alpha| * sum_p |a_ip b_pj| +
 * |beta * c_ij|)}, twice the worst-case bound of float summation in any order ({@code gamma_k = k *
 * 2^-24}), so a correct kernel always passes while a dropped or doubled term (of size about {@code
 * sum / k}) fails. Elements of C outside the {@code m x n} window must be left untouched.
 */
class CpuSgemmTest {
  private static final int[] ODD = {1, 3, 17, 63, 65, 129, 257};

  @Test
  void oddSizesAllTransposes() {
    SplittableRandom shapes = new SplittableRandom(11);
    for (int trial = 0; trial < 60; trial++) {
      int m = ODD[shapes.nextInt(ODD.length)];
      int n = ODD[shapes.nextInt(ODD.length)];
      int k = ODD[shapes.nextInt(ODD.length)];
      for (int t = 0; t < 4; t++) {
        check(
            new Case(
                t >= 2, (t & 1) == 1, m, n, k, 1f, 0f, 0, 0, 0, 0, false, 1000 + trial * 4L + t));
      }
    }
  }

  @Test
  void randomShapesWithOffsetsStridesAlphaBeta() {
    SplittableRandom shapes = new SplittableRandom(23);
    float[][] alphaBeta = {{1f, 0f}, {1f, 1f}, {-0.5f, 2f}, {2.5f, -1f}, {0.75f, 0.25f}};
    for (int trial = 0; trial < 80; trial++) {
      int m = 1 + shapes.nextInt(140);
      int n = 1 + shapes.nextInt(140);
      int k = 1 + shapes.nextInt(300);
      float[] ab = alphaBeta[trial % alphaBeta.length];
      boolean tA = shapes.nextBoolean();
      boolean tB = shapes.nextBoolean();
      check(
          new Case(
              tA,
              tB,
              m,
              n,
              k,
              ab[0],
              ab[1],
              shapes.nextInt(9),
              shapes.nextInt(9),
              shapes.nextInt(9),
              shapes.nextInt(1, 12),
              false,
              2000 + trial));
    }
  }

  @Test
  void betaZeroIgnoresNaNInC() {
    for (int t = 0; t < 4; t++) {
      check(new Case(t >= 2, (t & 1) == 1, 37, 70, 45, 1.5f, 0f, 3, 2, 5, 4, true, 3000 + t));
      check(new Case(t >= 2, (t & 1) == 1, 130, 200, 300, 1f, 0f, 1, 0, 7, 3, true, 3100 + t));
    }
  }

  @Test
  void tinyAndVectorShapes() {
    int[][] shapes = {
      {1, 1, 1},
      {1, 1, 7},
      {2, 3, 1},
      {1, 513, 300},
      {1, 3000, 700},
      {513, 1, 300},
      {700, 1, 900},
      {5, 1000, 256},
      {4, 33, 1000},
      {1, 16, 16},
      {1, 17, 2}
    };
    int seed = 4000;
    for (int[] s : shapes) {
      for (int t = 0; t < 4; t++) {
        check(
            new Case(t >= 2, (t & 1) == 1, s[0], s[1], s[2], 1f, 0.5f, 1, 2, 3, 2, false, seed++));
        check(new Case(t >= 2, (t & 1) == 1, s[0], s[1], s[2], -2f, 0f, 0, 0, 0, 0, true, seed++));
      }
    }
  }

  /** Few rows or few columns (decoding): the unpacked path, every group size and ragged strip. */
  @Test
  void skinnyShapes() {
    SplittableRandom shapes = new SplittableRandom(41);
    int[] few = {2, 3, 4, 5, 7, 8, 13, 16};
    int seed = 9000;
    for (int f : few) {
      for (int t = 0; t < 4; t++) {
        int big = 1 + shapes.nextInt(300);
        int k = 1 + shapes.nextInt(200);
        boolean tA = t >= 2;
        boolean tB = (t & 1) == 1;
        check(new Case(tA, tB, f, big, k, 1.25f, 0f, 1, 2, 3, 2, true, seed++));
        check(new Case(tA, tB, big, f, k, -0.5f, 0.5f, 2, 0, 1, 3, false, seed++));
      }
    }
  }

  /**
   * A decoding batch's products (few row panels, split across threads by columns only, so the A
   * block is packed once for every task), in every transpose, with offsets, alpha and beta.
   */
  @Test
  void fewRowsSplitByColumnsShareOnePackedA() {
    int seed = 5100;
    for (int m : new int[] {17, 40, 119}) {
      for (int t = 0; t < 4; t++) {
        check(new Case(t >= 2, (t & 1) == 1, m, 704, 256, -0.5f, 0.5f, 3, 1, 2, 1, false, seed++));
      }
    }
  }

  /** Shapes past NC, KC and MC, large enough to run on several threads. */
  @Test
  void crossesEveryBlockBoundary() {
    int n = CpuSgemm.NC + 37;
    check(new Case(false, false, 19, n, CpuSgemm.KC + 61, 1f, 0.5f, 2, 1, 3, 5, false, 5000));
    check(new Case(true, true, 19, n, CpuSgemm.KC + 61, 1f, 0f, 0, 3, 1, 2, true, 5001));
    check(
        new Case(
            false,
            true,
            2 * CpuSgemm.MC + 5,
            150,
            2 * CpuSgemm.KC + 3,
            0.5f,
            1f,
            0,
            0,
            0,
            0,
            false,
            5002));
    check(
        new Case(
            true,
            false,
            2 * CpuSgemm.MC + 5,
            150,
            2 * CpuSgemm.KC + 3,
            1f,
            -1f,
            4,
            0,
            0,
            0,
            false,
            5003));
  }

  /** The 6 x 2VL kernel that 16-register ISAs use, and the packed path on vector-like shapes. */
  @Test
  void narrowKernelAndPackedPathOnEveryShape() {
    SplittableRandom shapes = new SplittableRandom(31);
    for (int trial = 0; trial < 40; trial++) {
      int m = trial < 4 ? 1 : 1 + shapes.nextInt(150);
      int n = trial >= 4 && trial < 8 ? 1 : 1 + shapes.nextInt(150);
      int k = 1 + shapes.nextInt(600);
      boolean wide = trial % 2 == 0;
      int threads = trial % 3 == 0 ? 1 : Parallel.threads();
      Case t =
          new Case(
              shapes.nextBoolean(),
              shapes.nextBoolean(),
              m,
              n,
              k,
              0.5f,
              trial % 4 == 0 ? 0f : -1f,
              shapes.nextInt(5),
              shapes.nextInt(5),
              shapes.nextInt(5),
              shapes.nextInt(4),
              false,
              8000 + trial);
      check(
          t,
          (tA, tB, mm, nn, kk, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) ->
              CpuSgemm.blocked(
                  wide, tA, tB, mm, nn, kk, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc,
                  threads));
    }
  }

  @Test
  void kZeroScalesC() {
    for (float beta : new float[] {0f, 1f, -3f}) {
      check(new Case(false, false, 5, 7, 0, 1f, beta, 0, 0, 0, 2, beta == 0f, 6000));
      check(new Case(true, true, 40, 33, 0, 2f, beta, 1, 1, 1, 0, beta == 0f, 6001));
    }
  }

  @Test
  void concurrentCallersGetTheirOwnBuffers() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < 8; w++) {
        long seed = 7000 + w;
        boolean tA = (w & 1) == 1;
        boolean tB = (w & 2) == 2;
        futures.add(
            pool.submit(
                () ->
                    check(
                        new Case(
                            tA,
                            tB,
                            90 + (int) seed % 7,
                            130,
                            270,
                            1f,
                            0.5f,
                            1,
                            2,
                            3,
                            4,
                            false,
                            seed))));
      }
      for (Future<?> f : futures) f.get();
    } finally {
      pool.shutdown();
    }
  }

  /**
   * One product: {@code padX} extra elements per row of each stored matrix, {@code off} elements
   * before its first; C starts NaN-filled when {@code nanC} (only sensible with beta == 0).
   */
  private record Case(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      float beta,
      int aOff,
      int bOff,
      int cOff,
      int pad,
      boolean nanC,
      long seed) {
    @Override
    public String toString() {
      return String.format(
          "transA=%b transB=%b m=%d n=%d k=%d alpha=%s beta=%s aOff=%d bOff=%d cOff=%d pad=%d"
              + " nanC=%b seed=%d",
          transA, transB, m, n, k, alpha, beta, aOff, bOff, cOff, pad, nanC, seed);
    }
  }

  /** The signature of {@code CpuSgemm.sgemm}, so a test can run another path of it. */
  @FunctionalInterface
  private interface Gemm {
    void run(
        boolean transA,
        boolean transB,
        int m,
        int n,
        int k,
        float alpha,
        float[] a,
        int aOff,
        int lda,
        float[] b,
        int bOff,
        int ldb,
        float beta,
        float[] c,
        int cOff,
        int ldc);
  }

  private static void check(Case t) {
    check(t, CpuSgemm::sgemm);
  }

  private static void check(Case t, Gemm gemm) {
    if (t.nanC && t.beta != 0f)
      throw new IllegalArgumentException("NaN-filled C needs beta == 0: " + t);
    SplittableRandom rnd = new SplittableRandom(t.seed);
    int aRows = t.transA ? t.k : t.m;
    int aCols = t.transA ? t.m : t.k;
    int bRows = t.transB ? t.n : t.k;
    int bCols = t.transB ? t.k : t.n;
    int lda = aCols + t.pad;
    int ldb = bCols + t.pad;
    int ldc = t.n + t.pad;
    float[] a = random(rnd, t.aOff + aRows * lda);
    float[] b = random(rnd, t.bOff + bRows * ldb);
    float[] c = random(rnd, t.cOff + t.m * ldc + 5);
    if (t.nanC) java.util.Arrays.fill(c, Float.NaN);
    float[] original = c.clone();

    gemm.run(
        t.transA, t.transB, t.m, t.n, t.k, t.alpha, a, t.aOff, lda, b, t.bOff, ldb, t.beta, c,
        t.cOff, ldc);

    for (int i = 0; i < t.m; i++) {
      for (int j = 0; j < t.n; j++) {
        double sum = 0;
        double abs = 0;
        for (int p = 0; p < t.k; p++) {
          double av = t.transA ? a[t.aOff + p * lda + i] : a[t.aOff + i * lda + p];
          double bv = t.transB ? b[t.bOff + j * ldb + p] : b[t.bOff + p * ldb + j];
          sum += av * bv;
          abs += Math.abs(av * bv);
        }
        int ci = t.cOff + i * ldc + j;
        double old = t.beta == 0f ? 0 : original[ci];
        double ref = t.alpha * sum + t.beta * old;
        double tol = (t.k + 4) * 0x1p-23 * (Math.abs(t.alpha) * abs + Math.abs(t.beta * old));
        double err = Math.abs(c[ci] - ref);
        if (!(err <= tol)) {
          fail(
              String.format(
                  "C[%d,%d] = %s, expected %s (|err| %.3g > tol %.3g) for %s",
                  i, j, c[ci], ref, err, tol, t));
        }
      }
    }
    for (int x = 0; x < c.length; x++) {
      int rel = x - t.cOff;
      boolean inside = rel >= 0 && rel / ldc < t.m && rel % ldc < t.n;
      if (!inside) {
        assertEquals(original[x], c[x], "C[" + x + "] outside the m x n window was written, " + t);
      }
    }
  }

  private static float[] random(SplittableRandom rnd, int size) {
    float[] x = new float[size];
    for (int i = 0; i < size; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
    return x;
  }
}
