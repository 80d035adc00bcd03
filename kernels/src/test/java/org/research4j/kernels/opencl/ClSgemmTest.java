package org.research4j.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenCL sgemm against a plain triple loop in double: every transpose pair, offsets, padded
 * leading dimensions, sizes that are not multiples of any tile, alpha/beta, and beta == 0 over a C
 * full of NaN. Run with every tiling of the tuning table, so the GPU tilings are checked here on
 * PoCL even though no GPU is at hand. Tolerance per element: {@code 1e-6 * (k + 1) * |alpha|} on
 * values in [-1, 1] (float accumulation error grows at most linearly in k).
 */
class ClSgemmTest {
  private static final long SEED = 20250611L;
  private static ClKernels k;

  @BeforeAll
  static void device() {
    k = ClTestDevice.kernels();
  }

  @Test
  void defaultChoiceMatchesReferenceOnRandomShapes() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    for (int trial = 0; trial < 24; trial++) {
      int m = 1 + rnd.nextInt(140), n = 1 + rnd.nextInt(140), kk = rnd.nextInt(150);
      check(null, rnd, trial, m, n, kk);
    }
    check(null, rnd, 100, 257, 191, 129);
  }

  @Test
  void everyTableTilingMatchesReference() {
    List<GemmConfig> tilings =
        new ArrayList<>(
            List.of(
                SgemmTuning.SMALL,
                new GemmConfig(128, 128, 16, 16, 16, 4, 4),
                new GemmConfig(64, 64, 16, 16, 16, 2, 2),
                new GemmConfig(64, 64, 16, 8, 8, 4, 4),
                new GemmConfig(64, 64, 16, 16, 16, 1, 1)));
    tilings.add(SgemmTuning.defaults(k.device()).large());
    for (GemmConfig cfg : tilings) {
      SplittableRandom rnd = new SplittableRandom(SEED + cfg.hashCode());
      for (int trial = 0; trial < 4; trial++) {
        int m = 1 + rnd.nextInt(200), n = 1 + rnd.nextInt(200), kk = 1 + rnd.nextInt(70);
        check(cfg, rnd, trial, m, n, kk);
      }
    }
  }

  private static void check(GemmConfig cfg, SplittableRandom rnd, int trial, int m, int n, int kk) {
    boolean ta = rnd.nextBoolean(), tb = rnd.nextBoolean();
    int aRows = ta ? kk : m, aCols = ta ? m : kk;
    int bRows = tb ? n : kk, bCols = tb ? kk : n;
    int lda = Math.max(1, aCols + rnd.nextInt(3)), ldb = Math.max(1, bCols + rnd.nextInt(3));
    int ldc = n + rnd.nextInt(3);
    int aOff = rnd.nextInt(5), bOff = rnd.nextInt(5), cOff = rnd.nextInt(5);
    float alpha = rnd.nextBoolean() ? 1f : (float) rnd.nextDouble(-2, 2);
    float beta =
        switch (rnd.nextInt(3)) {
          case 0 -> 0f;
          case 1 -> 1f;
          default -> (float) rnd.nextDouble(-1, 1);
        };
    float[] a = random(rnd, aOff + aRows * lda);
    float[] b = random(rnd, bOff + bRows * ldb);
    float[] c = random(rnd, cOff + m * ldc);
    if (beta == 0f) {
      for (int i = 0; i < c.length; i++) if (rnd.nextInt(4) == 0) c[i] = Float.NaN;
    }
    float[] got = c.clone();
    try (ClBuf ab = k.allocF32(a.length);
        ClBuf bb = k.allocF32(b.length);
        ClBuf cb = k.allocF32(c.length)) {
      k.upload(a, 0, ab, 0, a.length);
      k.upload(b, 0, bb, 0, b.length);
      k.upload(c, 0, cb, 0, c.length);
      k.sgemm(cfg, ta, tb, m, n, kk, alpha, ab, aOff, lda, bb, bOff, ldb, beta, cb, cOff, ldc);
      k.download(cb, 0, got, 0, got.length);
    }
    double tol = 1e-6 * (kk + 1) * Math.abs(alpha) + 1e-6;
    String where =
        String.format(
            "seed %d trial %d tiling %s: transA=%b transB=%b m=%d n=%d k=%d"
                + " alpha=%s beta=%s lda=%d ldb=%d ldc=%d offsets %d/%d/%d",
            SEED,
            trial,
            cfg == null ? "default" : cfg,
            ta,
            tb,
            m,
            n,
            kk,
            alpha,
            beta,
            lda,
            ldb,
            ldc,
            aOff,
            bOff,
            cOff);
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < ldc; j++) {
        int ci = cOff + i * ldc + j;
        if (j >= n) {
          assertTrue(
              Float.compare(got[ci], c[ci]) == 0, where + ": wrote outside C at " + i + "," + j);
          continue;
        }
        double acc = 0;
        for (int p = 0; p < kk; p++) {
          double av = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
          double bv = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
          acc += av * bv;
        }
        double want = alpha * acc + (beta == 0f ? 0 : beta * (double) c[ci]);
        assertTrue(
            Math.abs(got[ci] - want) <= tol + 1e-6 * Math.abs(want),
            where + ": C[" + i + "," + j + "] = " + got[ci] + ", expected " + want);
      }
    }
    for (int i = 0; i < cOff; i++) {
      assertTrue(Float.compare(got[i], c[i]) == 0, where + ": wrote before cOff");
    }
  }

  static float[] random(SplittableRandom rnd, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble(-1, 1);
    return x;
  }
}
