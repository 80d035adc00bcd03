package org.research4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.research4j.kernels.Bf16;
import org.research4j.kernels.Buf;

/**
 * {@code sgemmBf16} and {@code embeddingForwardBf16} on the CPU against a triple loop in double
 * over the exactly widened weights. The bf16 kernels accumulate in float32, so the tolerance is the
 * fp32 GEMM's ({@link CpuSgemmTest}): {@code |got - ref| <= (k + 4) * 2^-23 * (|alpha| * sum_p
 * |a_ip w_jp| + |beta * c_ij|)}; a weight read from the wrong row or a dropped chunk fails it.
 * Shapes cover every path: one row (widening in the k loop), 2..16 rows (chunks of four W rows
 * widened into scratch; k above the 1,024 chunk, k not a multiple of the vector length), more rows
 * (blocks of W widened for the packed GEMM, several blocks when n * k * 4 exceeds 4 MiB), offsets,
 * strides, alpha, beta, and NaN in C where beta is 0. The same for weights stored in row panels
 * ({@code allocBf16Matrix}), whose gather must equal the plain table's exactly.
 */
class CpuBf16Test {
  private final CpuKernels k = new CpuKernels();

  @Test
  void everyPathMatchesDoubleReference() {
    int[][] shapes = {
      {1, 5, 7},
      {1, 64, 896},
      {1, 130, 1100},
      {2, 9, 33},
      {3, 64, 1100},
      {16, 67, 2051},
      {5, 4, 4096},
      {17, 65, 129},
      {40, 130, 300},
      {20, 300, 4096},
      {64, 1, 64}
    };
    SplittableRandom rnd = new SplittableRandom(5);
    float[][] alphaBeta = {{1f, 0f}, {1f, 1f}, {-0.5f, 2f}, {0.75f, 0f}};
    int trial = 0;
    for (int[] s : shapes) {
      for (float[] ab : alphaBeta) {
        check(rnd, s[0], s[1], s[2], ab[0], ab[1], trial % 3, trial % 2 == 0 ? 0 : 3);
        trial++;
      }
    }
  }

  /**
   * The skinny path at every row count it takes, m = 1..16 (one row widening in the k loop; two
   * rows of A per pass over a widened chunk, and an odd last row alone), and the first many-row
   * count 17; k below one vector, between vectors and past the 1,024 chunk, n not a multiple of the
   * four W rows a task takes. Same float64 reference and tolerance as above.
   */
  @Test
  void skinnyRowCountsAndOddSizesMatchDoubleReference() {
    SplittableRandom rnd = new SplittableRandom(11);
    int[][] nk = {{1, 1}, {3, 15}, {5, 31}, {7, 33}, {9, 95}, {6, 97}, {13, 161}, {11, 1025}};
    int trial = 0;
    for (int m = 1; m <= 17; m++) {
      for (int[] s : nk) {
        float alpha = trial % 3 == 0 ? -0.75f : 1f;
        float beta = trial % 4 == 1 ? 0.5f : 0f;
        check(rnd, m, s[0], s[1], alpha, beta, trial % 2, trial % 3 == 0 ? 0 : 5);
        trial++;
      }
    }
  }

  /**
   * The many-row path with k over its k block (1,024 columns): several k blocks per row block
   * accumulate into C, with beta applied once (and NaN in C ignored when beta is 0).
   */
  @Test
  void manyRowsBlockedInKMatchDoubleReference() {
    SplittableRandom rnd = new SplittableRandom(12);
    check(rnd, 19, 37, 2100, 1f, 0f, 1, 3);
    check(rnd, 33, 70, 3000, -0.5f, 2f, 0, 0);
    check(rnd, 24, 1030, 1030, 1f, 1f, 2, 1);
  }

  /**
   * Weights in grouped storage ({@code allocBf16Matrix}: groups of {@code BF16_GROUP} rows, column
   * by column) on every path: m = 1..17 (one row and tiles of up to six rows over a group, 17 rows
   * widening k-major blocks for the packed GEMM), k and n odd and not whole groups, k past the
   * block, W a window of whole rows starting at a later group. Same float64 reference and tolerance
   * as above.
   */
  @Test
  void panelledWeightsMatchDoubleReference() {
    SplittableRandom rnd = new SplittableRandom(21);
    int[][] nk = {{1, 1}, {3, 15}, {5, 33}, {7, 97}, {9, 31}, {13, 161}, {11, 1025}, {6, 2051}};
    int trial = 0;
    for (int m = 1; m <= 17; m++) {
      for (int[] s : nk) {
        float alpha = trial % 3 == 0 ? -0.75f : 1f;
        float beta = trial % 4 == 1 ? 0.5f : 0f;
        checkPanels(
            rnd,
            m,
            s[0],
            s[1],
            alpha,
            beta,
            trial % 3 == 0 ? CpuBuf.BF16_GROUP : 0,
            trial % 2 == 0 ? 0 : 3);
        trial++;
      }
    }
    checkPanels(rnd, 40, 130, 300, 1f, 1f, 2 * CpuBuf.BF16_GROUP, 2);
    checkPanels(rnd, 33, 70, 3000, -0.5f, 2f, 0, 0);
    checkPanels(rnd, 24, 1030, 1030, 1f, 0f, CpuBuf.BF16_GROUP, 1);
    // Several groups, a partial last one, more rows than a six-row tile, one row.
    checkPanels(rnd, 13, 3 * CpuBuf.BF16_GROUP + 5, 77, 0.5f, 0.25f, 0, 7);
    checkPanels(rnd, 1, 2 * CpuBuf.BF16_GROUP + 1, 130, 1f, 0f, CpuBuf.BF16_GROUP, 0);
  }

  /**
   * A panelled matrix keeps row-major addressing: a whole upload downloads back unchanged, partial
   * uploads and downloads at odd offsets land where a row-major array would have them, and {@code
   * length()} is {@code rows * cols}.
   */
  @Test
  void panelledMatrixUploadsAndDownloadsRowMajor() {
    SplittableRandom rnd = new SplittableRandom(22);
    for (int[] rc : new int[][] {{1, 1}, {3, 5}, {5, 33}, {9, 64}, {13, 97}}) {
      int rows = rc[0];
      int cols = rc[1];
      short[] w = Bf16.round(random(rnd, rows * cols));
      Buf b = k.allocBf16Matrix(rows, cols);
      assertEquals(rows * cols, b.length());
      assertTrue(((CpuBuf) b).panelled());
      k.uploadBf16(w, 0, b, 0, w.length);
      short[] back = new short[w.length];
      k.downloadBf16(b, 0, back, 0, back.length);
      assertArrayEquals(w, back);
      // A partial upload from an odd offset, then a partial download spanning rows and blocks.
      int off = Math.min(w.length - 1, 3 + cols / 2);
      int n = Math.min(w.length - off, 2 * cols + 7);
      short[] patch = Bf16.round(random(rnd, n + 2));
      k.uploadBf16(patch, 2, b, off, n);
      System.arraycopy(patch, 2, w, off, n);
      short[] part = new short[n + 1];
      k.downloadBf16(b, off, part, 1, n);
      for (int i = 0; i < n; i++) assertEquals(w[off + i], part[1 + i], rows + "x" + cols);
      k.downloadBf16(b, 0, back, 0, back.length);
      assertArrayEquals(w, back, rows + "x" + cols);
    }
  }

  /** The tied embedding's gather from a panelled table equals the gather from a plain one. */
  @Test
  void panelledEmbeddingEqualsPlainExactly() {
    SplittableRandom rnd = new SplittableRandom(23);
    int vocab = 53;
    for (int dim : new int[] {1, 7, 16, 33, 37, 896}) {
      short[] table = Bf16.round(random(rnd, vocab * dim));
      int[] ids = {3, 0, 52, 3, 17, 51, 4};
      Buf plain = k.allocBf16(table.length);
      k.uploadBf16(table, 0, plain, 0, table.length);
      Buf panels = k.allocBf16Matrix(vocab, dim);
      k.uploadBf16(table, 0, panels, 0, table.length);
      Buf ib = k.allocI32(ids.length);
      k.upload(ids, 0, ib, 0, ids.length);
      float[] want = new float[ids.length * dim];
      float[] got = new float[ids.length * dim];
      Buf ob = k.allocF32(ids.length * dim);
      k.embeddingForwardBf16(plain, ib, ob, ids.length, dim);
      k.download(ob, 0, want, 0, want.length);
      k.fill(ob, 0, want.length, Float.NaN);
      k.embeddingForwardBf16(panels, ib, ob, ids.length, dim);
      k.download(ob, 0, got, 0, got.length);
      assertArrayEquals(want, got, 0f, "dim " + dim);
    }
  }

  @Test
  void panelledWeightsRefuseWindowsTheyCannotServe() {
    Buf f = k.allocF32(4096);
    int g = CpuBuf.BF16_GROUP;
    Buf p = k.allocBf16Matrix(g + 9, 8);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> k.sgemmBf16(1, 2, 7, 1f, f, 0, 8, p, 0, 8, 0f, f, 0, 2));
    assertTrue(e.getMessage().contains("k and ldw must be 8"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> k.sgemmBf16(1, 2, 8, 1f, f, 0, 8, p, 8, 8, 0f, f, 0, 2));
    assertTrue(e.getMessage().contains("wOff = 8 must start a group"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> k.sgemmBf16(1, 10, 8, 1f, f, 0, 8, p, g * 8, 8, 0f, f, 0, 10));
    assertTrue(
        e.getMessage().contains("rows " + g + " to " + (g + 9) + " do not fit"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ((CpuBuf) p).shorts());
  }

  @Test
  void embeddingWidensExactly() {
    SplittableRandom rnd = new SplittableRandom(8);
    int vocab = 50;
    for (int dim : new int[] {1, 7, 16, 37, 896}) {
      short[] table = Bf16.round(random(rnd, vocab * dim));
      int[] ids = {3, 0, 49, 3, 17};
      Buf tb = k.allocBf16(table.length);
      k.uploadBf16(table, 0, tb, 0, table.length);
      Buf ib = k.allocI32(ids.length);
      k.upload(ids, 0, ib, 0, ids.length);
      Buf ob = k.allocF32(ids.length * dim);
      k.embeddingForwardBf16(tb, ib, ob, ids.length, dim);
      float[] got = new float[ids.length * dim];
      k.download(ob, 0, got, 0, got.length);
      float[] want = new float[got.length];
      for (int i = 0; i < ids.length; i++) {
        for (int c = 0; c < dim; c++) want[i * dim + c] = Bf16.toFloat(table[ids[i] * dim + c]);
      }
      assertArrayEquals(want, got, 0f, "dim " + dim);
    }
  }

  @Test
  void badArgumentsNameTheArgument() {
    Buf f = k.allocF32(16);
    Buf h = k.allocBf16(16);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> k.sgemmBf16(2, 2, 4, 1f, f, 0, 4, f, 0, 4, 0f, f, 0, 2));
    assertTrue(e.getMessage().contains("w must be BF16"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> k.sgemmBf16(2, 5, 4, 1f, f, 0, 4, h, 0, 4, 0f, f, 0, 5));
    assertTrue(e.getMessage().startsWith("sgemmBf16: w has 16 elements"), e.getMessage());
    Buf ids = k.allocI32(1);
    k.upload(new int[] {4}, 0, ids, 0, 1);
    e = assertThrows(IllegalArgumentException.class, () -> k.embeddingForwardBf16(h, ids, f, 1, 4));
    assertTrue(e.getMessage().contains("ids[0] = 4 is outside the table's 4 rows"), e.getMessage());
  }

  @Test
  void roundingIsToNearestEven() {
    assertEquals(1f, Bf16.toFloat(Bf16.round(1f + 0x1p-8f)), 0f); // a tie: to even (down)
    assertEquals(1f + 0x1p-6f, Bf16.toFloat(Bf16.round(1f + 0x1p-7f + 0x1p-8f)), 0f); // tie: up
    assertEquals(1f + 0x1p-7f, Bf16.toFloat(Bf16.round(1f + 0x1p-7f - 0x1p-12f)), 0f);
    assertTrue(Float.isNaN(Bf16.toFloat(Bf16.round(Float.NaN))));
    assertEquals(Float.NEGATIVE_INFINITY, Bf16.toFloat(Bf16.round(Float.NEGATIVE_INFINITY)), 0f);
  }

  private void check(
      SplittableRandom rnd, int m, int n, int kk, float alpha, float beta, int off, int pad) {
    int lda = kk + pad;
    int ldw = kk + pad;
    int ldc = n + pad;
    float[] a = random(rnd, off + m * lda);
    short[] w = Bf16.round(random(rnd, off + n * ldw));
    float[] c = random(rnd, off + m * ldc);
    if (beta == 0f) {
      for (int i = 0; i < c.length; i++) if (rnd.nextInt(4) == 0) c[i] = Float.NaN;
    }
    Buf ab = k.allocF32(a.length);
    k.upload(a, 0, ab, 0, a.length);
    Buf wb = k.allocBf16(w.length);
    k.uploadBf16(w, 0, wb, 0, w.length);
    Buf cb = k.allocF32(c.length);
    k.upload(c, 0, cb, 0, c.length);
    k.sgemmBf16(m, n, kk, alpha, ab, off, lda, wb, off, ldw, beta, cb, off, ldc);
    float[] got = new float[c.length];
    k.download(cb, 0, got, 0, got.length);
    String what = "m=" + m + " n=" + n + " k=" + kk + " alpha=" + alpha + " beta=" + beta;
    for (int x = 0; x < c.length; x++) {
      int rel = x - off;
      boolean inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
      if (!inside) {
        assertEquals(Float.floatToRawIntBits(c[x]), Float.floatToRawIntBits(got[x]), what);
        continue;
      }
      int i = rel / ldc;
      int j = rel % ldc;
      double ref = 0;
      double mag = 0;
      for (int p = 0; p < kk; p++) {
        double t = (double) a[off + i * lda + p] * Bf16.toFloat(w[off + j * ldw + p]);
        ref += t;
        mag += Math.abs(t);
      }
      ref *= alpha;
      double cTerm = beta == 0f ? 0 : (double) beta * c[x];
      ref += cTerm;
      double tol = (kk + 4) * 0x1p-23 * (Math.abs(alpha) * mag + Math.abs(cTerm));
      assertTrue(
          Math.abs(got[x] - ref) <= tol,
          what + " at (" + i + ", " + j + "): got " + got[x] + ", want " + ref + " +- " + tol);
    }
  }

  /**
   * {@code sgemmBf16} with W rows {@code row0..row0+n-1} of a panelled {@code [row0 + n + extra,
   * kk]} matrix, against the float64 reference over the same rows.
   */
  private void checkPanels(
      SplittableRandom rnd, int m, int n, int kk, float alpha, float beta, int row0, int extra) {
    int rows = row0 + n + extra;
    int lda = kk + 1;
    int ldc = n + 2;
    float[] a = random(rnd, m * lda);
    short[] w = Bf16.round(random(rnd, rows * kk));
    float[] c = random(rnd, m * ldc);
    if (beta == 0f) {
      for (int i = 0; i < c.length; i++) if (rnd.nextInt(4) == 0) c[i] = Float.NaN;
    }
    Buf ab = k.allocF32(a.length);
    k.upload(a, 0, ab, 0, a.length);
    Buf wb = k.allocBf16Matrix(rows, kk);
    k.uploadBf16(w, 0, wb, 0, w.length);
    Buf cb = k.allocF32(c.length);
    k.upload(c, 0, cb, 0, c.length);
    k.sgemmBf16(m, n, kk, alpha, ab, 0, lda, wb, row0 * kk, kk, beta, cb, 0, ldc);
    float[] got = new float[c.length];
    k.download(cb, 0, got, 0, got.length);
    String what =
        "panels m="
            + m
            + " n="
            + n
            + " k="
            + kk
            + " row0="
            + row0
            + " alpha="
            + alpha
            + " beta="
            + beta;
    for (int x = 0; x < c.length; x++) {
      int i = x / ldc;
      int j = x % ldc;
      if (j >= n) {
        assertEquals(Float.floatToRawIntBits(c[x]), Float.floatToRawIntBits(got[x]), what);
        continue;
      }
      double ref = 0;
      double mag = 0;
      for (int p = 0; p < kk; p++) {
        double t = (double) a[i * lda + p] * Bf16.toFloat(w[(row0 + j) * kk + p]);
        ref += t;
        mag += Math.abs(t);
      }
      ref *= alpha;
      double cTerm = beta == 0f ? 0 : (double) beta * c[x];
      ref += cTerm;
      double tol = (kk + 4) * 0x1p-23 * (Math.abs(alpha) * mag + Math.abs(cTerm));
      assertTrue(
          Math.abs(got[x] - ref) <= tol,
          what + " at (" + i + ", " + j + "): got " + got[x] + ", want " + ref + " +- " + tol);
    }
  }

  private static float[] random(SplittableRandom rnd, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble(-1, 1);
    return x;
  }
}
