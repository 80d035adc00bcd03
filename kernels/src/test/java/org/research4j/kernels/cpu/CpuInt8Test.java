package org.research4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.research4j.kernels.Buf;
import org.research4j.kernels.Int8;

/**
 * Int8 quantization ({@link Int8}) and the CPU int8 kernels ({@code sgemmInt8}, {@code
 * embeddingForwardInt8}) against references over the dequantized weights {@code q * scale}.
 *
 * <p>Tolerances: quantization moves each weight by at most half a step, {@code scale / 2}, plus
 * float32 rounding of the division and product, bounded here by {@code 2^-22 * max|w_row|}. The
 * products accumulate in float32 (the decode path over the int8 values, times the row scale at the
 * end), so against a float64 triple loop over the dequantized weights the tolerance is the fp32
 * GEMM's with a few more roundings: {@code |got - ref| <= (k + 8) * 2^-23 * (|alpha| * sum_p |a_ip
 * w_jp| + |beta * c_ij|)}. A weight read from the wrong row, column or scale fails it. The gather
 * must be exact.
 */
class CpuInt8Test {
  private final CpuKernels k = new CpuKernels();

  @Test
  void quantizationErrorIsAtMostHalfAStep() {
    SplittableRandom rnd = new SplittableRandom(3);
    int cols = 333;
    float[][] rows = new float[6][cols];
    for (int c = 0; c < cols; c++) {
      rows[0][c] = (float) rnd.nextGaussian();
      rows[1][c] = (float) (rnd.nextGaussian() * 1e-3);
      rows[2][c] = (float) (rnd.nextGaussian() * 1e4);
      rows[3][c] = 0f;
      rows[4][c] = c == 7 ? 50f : (float) (rnd.nextGaussian() * 0.01); // one outlier
      rows[5][c] = c == 0 ? Float.MIN_VALUE : 0f; // scale underflows: stored as zeros
    }
    byte[] q = new byte[cols];
    for (float[] w : rows) {
      float scale = Int8.quantizeRow(w, 0, cols, q, 0);
      float max = 0f;
      for (float v : w) max = Math.max(max, Math.abs(v));
      assertTrue(scale >= 0f && Float.isFinite(scale), "scale " + scale);
      for (int c = 0; c < cols; c++) {
        assertTrue(q[c] >= -127 && q[c] <= 127, "q = " + q[c]);
        float back = Int8.dequantize(q[c], scale);
        assertTrue(!Float.isNaN(back));
        double err = Math.abs((double) w[c] - back);
        double bound = scale / 2.0 + 0x1p-22 * max + (scale == 0f ? max : 0);
        assertTrue(err <= bound, "w = " + w[c] + ", dequantized " + back + ", bound " + bound);
      }
    }
    // The largest magnitude maps to +-127 exactly.
    Int8.quantizeRow(new float[] {-2f, 1f, 0.5f}, 0, 3, q, 0);
    assertEquals(-127, q[0]);
    assertEquals(64, q[1]); // 63.5 rounds half up
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Int8.quantizeRow(new float[] {1f, Float.NaN}, 0, 2, new byte[2], 0));
    assertTrue(e.getMessage().contains("finite"), e.getMessage());
  }

  /**
   * m = 1 (the decode path, int8 widened inside the k loop), 2, 3, 16 (chunks dequantized into
   * scratch, two rows of A per pass, an odd last row), 17 and 100 (blocks dequantized for the
   * packed GEMM); n not a multiple of the four rows of a panel group, k below one vector, not a
   * multiple of the vector width or of the 64-column panel block, and past the 1,024 chunk; W rows
   * from a later panel group of a larger matrix; C a window with offset and stride; alpha, beta,
   * and NaN in C where beta is 0.
   */
  @Test
  void everyRowCountMatchesDoubleReference() {
    SplittableRandom rnd = new SplittableRandom(5);
    int[][] nk = {{5, 7}, {3, 15}, {67, 129}, {13, 161}, {130, 1100}, {9, 2051}, {1, 1}};
    int[] ms = {1, 2, 3, 16, 17, 100};
    float[][] alphaBeta = {{1f, 0f}, {1f, 1f}, {-0.5f, 2f}, {0.75f, 0f}};
    int trial = 0;
    for (int m : ms) {
      for (int[] s : nk) {
        float[] ab = alphaBeta[trial % alphaBeta.length];
        int row0 = 4 * (trial % 3);
        check(rnd, m, s[0], s[1], ab[0], ab[1], row0, trial % 5, trial % 2 == 0 ? 0 : 3);
        trial++;
      }
    }
  }

  /** Several many-row blocks (n * k * 4 bytes over 4 MiB) and k over the 1,024-column k block. */
  @Test
  void manyRowsSeveralBlocksMatchDoubleReference() {
    SplittableRandom rnd = new SplittableRandom(12);
    check(rnd, 20, 300, 4096, 1f, 0f, 0, 0, 1);
    check(rnd, 33, 1030, 2100, -1f, 0.5f, 4, 2, 0);
  }

  @Test
  void uploadAndDownloadAreRowMajorAndThePanelLayoutIsAsDocumented() {
    SplittableRandom rnd = new SplittableRandom(7);
    int rows = 9;
    int cols = 130;
    byte[] q = new byte[rows * cols];
    float[] scales = new float[rows];
    for (int i = 0; i < q.length; i++) q[i] = (byte) (rnd.nextInt(255) - 127);
    for (int r = 0; r < rows; r++) scales[r] = (float) rnd.nextDouble();
    Buf b = k.allocInt8Matrix(rows, cols);
    assertEquals(Buf.Type.I8, b.type());
    assertEquals(rows * cols, b.length());
    // Two uploads: rows 0..4 and 5..8, from offsets.
    k.uploadInt8(q, 0, scales, 0, b, 0, 5);
    k.uploadInt8(q, 5 * cols, scales, 5, b, 5, 4);
    byte[] back = new byte[rows * cols + 3];
    float[] sback = new float[rows + 1];
    k.downloadInt8(b, 0, rows, back, 3, sback, 1);
    for (int i = 0; i < q.length; i++) assertEquals(q[i], back[i + 3], "value " + i);
    for (int r = 0; r < rows; r++) assertEquals(scales[r], sback[r + 1], 0f, "scale " + r);
    // Panels: groups of 4 rows, blocks of 64 columns, one row's block after the other.
    CpuBuf cb = (CpuBuf) b;
    int kp = cb.paddedCols();
    assertEquals(192, kp);
    byte[] st = cb.int8Storage();
    assertEquals(12 * kp, st.length);
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int at = (r / 4) * 4 * kp + (c / 64) * 256 + (r % 4) * 64 + c % 64;
        assertEquals(q[r * cols + c], st[at], "(" + r + ", " + c + ")");
      }
    }
    assertEquals(0f, cb.int8Scales()[11], 0f); // a padding row
  }

  @Test
  void embeddingGatherIsExactOnDequantizedRows() {
    SplittableRandom rnd = new SplittableRandom(9);
    int vocab = 11;
    for (int dim : new int[] {1, 15, 64, 100, 896}) {
      float[] w = random(rnd, vocab * dim);
      for (int c = 0; c < dim; c++) w[3 * dim + c] = 0f; // a zero row: scale 0, zeros out
      byte[] q = new byte[vocab * dim];
      float[] scales = new float[vocab];
      Int8.quantize(w, vocab, dim, q, scales);
      Buf table = k.allocInt8Matrix(vocab, dim);
      k.uploadInt8(q, 0, scales, 0, table, 0, vocab);
      int[] ids = {0, 10, 3, 3, 7, 1};
      Buf ib = k.allocI32(ids.length);
      k.upload(ids, 0, ib, 0, ids.length);
      Buf out = k.allocF32(ids.length * dim);
      k.embeddingForwardInt8(table, ib, out, ids.length, dim);
      float[] got = new float[ids.length * dim];
      k.download(out, 0, got, 0, got.length);
      float[] want = new float[ids.length * dim];
      for (int i = 0; i < ids.length; i++) {
        for (int c = 0; c < dim; c++) {
          want[i * dim + c] = Int8.dequantize(q[ids[i] * dim + c], scales[ids[i]]);
        }
      }
      assertArrayEquals(want, got, 0f, "dim " + dim);
    }
  }

  @Test
  void zeroRowsGiveZerosNotNaN() {
    int n = 6;
    int kk = 40;
    Buf w = k.allocInt8Matrix(n, kk); // all zero, scales 0
    for (int m : new int[] {1, 3, 20}) {
      Buf a = k.allocF32(m * kk);
      k.fill(a, 0, m * kk, 1e30f);
      Buf c = k.allocF32(m * n);
      k.fill(c, 0, m * n, Float.NaN);
      k.sgemmInt8(m, n, kk, 1f, a, 0, kk, w, 0, kk, 0f, c, 0, n);
      float[] got = new float[m * n];
      k.download(c, 0, got, 0, got.length);
      assertArrayEquals(new float[m * n], got, 0f, "m = " + m);
    }
  }

  @Test
  void badArgumentsNameTheArgument() {
    Buf w = k.allocInt8Matrix(8, 16);
    Buf a = k.allocF32(64);
    Buf c = k.allocF32(64);
    assertMessage(
        "k and ldw must be 16", () -> k.sgemmInt8(1, 4, 8, 1f, a, 0, 8, w, 0, 8, 0f, c, 0, 4));
    assertMessage(
        "must start a group of 4 rows",
        () -> k.sgemmInt8(1, 4, 16, 1f, a, 0, 16, w, 16, 16, 0f, c, 0, 4));
    assertMessage(
        "rows 4 to 11 do not fit",
        () -> k.sgemmInt8(1, 8, 16, 1f, a, 0, 16, w, 64, 16, 0f, c, 0, 8));
    assertMessage(
        "w must be I8, got F32", () -> k.sgemmInt8(1, 4, 16, 1f, a, 0, 16, a, 0, 16, 0f, c, 0, 4));
    assertMessage(
        "a has 64 elements", () -> k.sgemmInt8(5, 4, 16, 1f, a, 0, 16, w, 0, 16, 0f, c, 0, 4));
    assertMessage("m = -1 < 0", () -> k.sgemmInt8(-1, 4, 16, 1f, a, 0, 16, w, 0, 16, 0f, c, 0, 4));
    Buf ids = k.allocI32(2);
    k.upload(new int[] {1, 8}, 0, ids, 0, 2);
    assertMessage("ids[1] = 8", () -> k.embeddingForwardInt8(w, ids, c, 2, 16));
    assertMessage("dim = 15", () -> k.embeddingForwardInt8(w, ids, c, 2, 15));
    assertMessage(
        "rows 6 to 8 are outside", () -> k.uploadInt8(new byte[48], 0, new float[3], 0, w, 6, 3));
    assertMessage("q has 40 values", () -> k.uploadInt8(new byte[40], 0, new float[3], 0, w, 0, 3));
    assertMessage("must be I8", () -> k.downloadInt8(a, 0, 1, new byte[16], 0, new float[1], 0));
    assertMessage("rows = -1 < 0", () -> k.allocInt8Matrix(-1, 4));
  }

  private static void assertMessage(String part, Runnable r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' lacks '" + part + "'");
  }

  /**
   * {@code sgemmInt8} with W rows {@code row0..row0+n-1} of an int8 {@code [row0 + n + extra, kk]}
   * matrix quantized from random floats, A and C windows at offset {@code off} with row padding
   * {@code pad}, against the float64 reference over the dequantized weights.
   */
  private void check(
      SplittableRandom rnd,
      int m,
      int n,
      int kk,
      float alpha,
      float beta,
      int row0,
      int extra,
      int pad) {
    int rows = row0 + n + extra;
    int off = pad;
    int lda = kk + pad;
    int ldc = n + pad;
    float[] a = random(rnd, off + m * lda);
    float[] wf = random(rnd, rows * kk);
    byte[] q = new byte[rows * kk];
    float[] scales = new float[rows];
    Int8.quantize(wf, rows, kk, q, scales);
    float[] c = random(rnd, off + m * ldc);
    if (beta == 0f) {
      for (int i = 0; i < c.length; i++) if (rnd.nextInt(4) == 0) c[i] = Float.NaN;
    }
    Buf ab = k.allocF32(a.length);
    k.upload(a, 0, ab, 0, a.length);
    Buf wb = k.allocInt8Matrix(rows, kk);
    k.uploadInt8(q, 0, scales, 0, wb, 0, rows);
    Buf cb = k.allocF32(c.length);
    k.upload(c, 0, cb, 0, c.length);
    k.sgemmInt8(m, n, kk, alpha, ab, off, lda, wb, row0 * kk, kk, beta, cb, off, ldc);
    float[] got = new float[c.length];
    k.download(cb, 0, got, 0, got.length);
    String what =
        "m=" + m + " n=" + n + " k=" + kk + " alpha=" + alpha + " beta=" + beta + " row0=" + row0;
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
        int e = (row0 + j) * kk + p;
        double t = (double) a[off + i * lda + p] * Int8.dequantize(q[e], scales[row0 + j]);
        ref += t;
        mag += Math.abs(t);
      }
      ref *= alpha;
      double cTerm = beta == 0f ? 0 : (double) beta * c[x];
      ref += cTerm;
      double tol = (kk + 8) * 0x1p-23 * (Math.abs(alpha) * mag + Math.abs(cTerm));
      assertTrue(
          Math.abs(got[x] - ref) <= tol,
          what + " at (" + i + ", " + j + "): got " + got[x] + ", want " + ref + " +- " + tol);
    }
  }

  private static float[] random(SplittableRandom rnd, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
    return x;
  }
}
