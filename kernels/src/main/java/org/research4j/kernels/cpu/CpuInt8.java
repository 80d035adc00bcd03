package org.research4j.kernels.cpu;

import static org.research4j.kernels.cpu.CpuBuf.I8_PANEL_COLS;
import static org.research4j.kernels.cpu.CpuBuf.PANEL_ROWS;
import static org.research4j.kernels.cpu.SgemmMicroKernels.S;
import static org.research4j.kernels.cpu.SgemmMicroKernels.VL;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.research4j.kernels.Buf;
import org.research4j.kernels.KernelContract;

/**
 * Products and gathers that read frozen int8 weights with one float32 scale per row (see {@code
 * Int8}) and compute in float32: {@code C = alpha * A dequant(W)^T + beta * C} with {@code W [n,
 * k]} int8 (a weight matrix as stored), for {@code Kernels#sgemmInt8}, and the dequantizing
 * embedding gather. W is always an int8 matrix in row panels ({@link CpuBuf#int8Panels}: groups of
 * four rows stored as blocks of 64 columns, 64 bytes, of each row in turn), read as whole rows from
 * a group boundary.
 *
 * <p>Widening a vector is {@code convertShape(B2F)} of VL bytes ({@code vpmovsxbd} and {@code
 * vcvtdq2ps}: two instructions, exact). The structure is {@link CpuBf16}'s:
 *
 * <ul>
 *   <li>Few rows ({@code m <= SgemmSkinny.SKINNY}: decoding): W is read in place, one panel group
 *       (four rows, one contiguous run of {@code 4 * kp} bytes) per task, in parallel over groups.
 *       One row of A widens W inside the k loop and multiplies each row's float32 dot product over
 *       the int8 values by the row's scale at the end: a quarter of float32's bytes, half of
 *       bfloat16's, for a product bound by memory traffic. More rows dequantize a chunk of the four
 *       rows once into an L1 scratch (scale folded in) and run the float32 dot loop over it for
 *       every row of A.
 *   <li>More rows (prefill): W is dequantized, in parallel, a block at a time (about 4 MiB of
 *       float32, blocked in k too) into scratch, and the block goes through {@link CpuSgemm}, later
 *       k blocks accumulating into C.
 * </ul>
 */
final class CpuInt8 {
  /** Bytes per vector: as many lanes as the float species, a quarter of its bits. */
  private static final VectorSpecies<Byte> B =
      VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, S.vectorBitSize() / 4)));

  /** Whether the byte species has exactly VL lanes. */
  private static final boolean VECTOR = B.length() == VL;

  /** Whether a panel block of {@link CpuBuf#I8_PANEL_COLS} columns is whole pairs of vectors. */
  private static final boolean PANEL_VECTOR = VECTOR && I8_PANEL_COLS % (2 * VL) == 0;

  /** Columns of the four W rows dequantized per chunk of the multi-row skinny path. */
  private static final int CHUNK = CpuBf16.CHUNK;

  /** Columns of W (k) dequantized per block of the many-row path: two of CpuSgemm's KC panels. */
  private static final int K_BLOCK = 2 * CpuSgemm.KC;

  /** Bytes of float32 weights dequantized per block of the many-row path. */
  private static final long BLOCK_BYTES = 4L << 20;

  private static final ThreadScratch X_COPY = new ThreadScratch();
  private static final ThreadScratch W_CHUNK = new ThreadScratch();
  private static final ThreadScratch SUMS = new ThreadScratch();
  private static final ThreadScratch W_BLOCK = new ThreadScratch();

  private CpuInt8() {}

  /**
   * {@code C = alpha * A dequant(W)^T + beta * C}; W is rows {@code row0..row0+n-1} ({@code row0} a
   * multiple of four) of the panelled matrix {@code w} with padded row length {@code kp} and scales
   * {@code sc}. Arguments checked.
   */
  static void gemm(
      int m,
      int n,
      int k,
      float alpha,
      float[] a,
      int aOff,
      int lda,
      byte[] w,
      float[] sc,
      int row0,
      int kp,
      float beta,
      float[] c,
      int cOff,
      int ldc) {
    if (m == 0 || n == 0) return;
    if (k == 0 || alpha == 0f) {
      CpuSgemm.scale(m, n, beta, c, cOff, ldc);
      return;
    }
    boolean parallel = (long) m * n * k >= CpuSgemm.PARALLEL_WORK && Parallel.threads() > 1;
    if (m <= SgemmSkinny.SKINNY) {
      skinny(m, n, k, alpha, a, aOff, lda, w, sc, row0, kp, beta, c, cOff, ldc, parallel);
    } else {
      blocks(m, n, k, alpha, a, aOff, lda, w, sc, row0, kp, beta, c, cOff, ldc, parallel);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Many rows: dequantize a block of W, multiply it with the packed float32 GEMM.

  private static void blocks(
      int m,
      int n,
      int k,
      float alpha,
      float[] a,
      int aOff,
      int lda,
      byte[] w,
      float[] sc,
      int row0,
      int kp,
      float beta,
      float[] c,
      int cOff,
      int ldc,
      boolean parallel) {
    int kc = Math.min(k, K_BLOCK);
    int unit = CpuSgemm.NR;
    int rows = (int) Math.max(unit, BLOCK_BYTES / (4L * kc) / unit * unit);
    rows = Math.min(rows, n);
    float[] block = W_BLOCK.get(rows * kc);
    for (int j0 = 0; j0 < n; j0 += rows) {
      int nb = Math.min(rows, n - j0);
      for (int p0 = 0; p0 < k; p0 += kc) {
        int kb = Math.min(kc, k - p0);
        int jj = j0;
        int pp = p0;
        Parallel.RangeBody dequant =
            (from, to) -> {
              for (int r = from; r < to; r++) {
                int row = row0 + jj + r;
                dequantRow(w, kp, row, pp, kb, sc[row], block, r * kb);
              }
            };
        if (parallel) Parallel.forRange(nb, Math.max(1, (1 << 14) / kb), dequant);
        else dequant.run(0, nb);
        CpuSgemm.sgemm(
            false,
            true,
            m,
            nb,
            kb,
            alpha,
            a,
            aOff + p0,
            lda,
            block,
            0,
            kb,
            p0 == 0 ? beta : 1f,
            c,
            cOff + j0,
            ldc);
      }
    }
  }

  /**
   * {@code dst[d + p] = W[row, col0 + p] * scale} for {@code p < len}, W in int8 row panels with
   * padded row length {@code kp}.
   */
  private static void dequantRow(
      byte[] w, int kp, int row, int col0, int len, float scale, float[] dst, int d) {
    int end = col0 + len;
    for (int p = col0; p < end; ) {
      int seg = Math.min(end - p, I8_PANEL_COLS - p % I8_PANEL_COLS);
      int s = CpuBuf.int8Index(kp, row, p);
      int o = d + p - col0;
      int e = 0;
      if (VECTOR) {
        for (int ub = B.loopBound(seg); e < ub; e += VL) {
          widen(w, s + e).mul(scale).intoArray(dst, o + e);
        }
      }
      for (; e < seg; e++) dst[o + e] = w[s + e] * scale;
      p += seg;
    }
  }

  /** VL int8 values at {@code src[at..]} widened to float32 (exact). */
  private static FloatVector widen(byte[] src, int at) {
    return (FloatVector) ByteVector.fromArray(B, src, at).convertShape(VectorOperators.B2F, S, 0);
  }

  // ---------------------------------------------------------------------------------------------
  // Few rows: read W in place, one panel group (four rows) per task.

  private static void skinny(
      int m,
      int n,
      int k,
      float alpha,
      float[] a,
      int aOff,
      int lda,
      byte[] w,
      float[] sc,
      int row0,
      int kp,
      float beta,
      float[] c,
      int cOff,
      int ldc,
      boolean parallel) {
    // alpha * A as m rows of kp floats, zero-padded like W's rows to whole panel blocks.
    float[] xs = X_COPY.get(m * kp);
    for (int i = 0; i < m; i++) {
      int src = aOff + i * lda;
      for (int p = 0; p < k; p++) xs[i * kp + p] = alpha * a[src + p];
      for (int p = k; p < kp; p++) xs[i * kp + p] = 0f;
    }
    int tasks = Math.ceilDiv(n, PANEL_ROWS);
    int group0 = row0 / PANEL_ROWS;
    Parallel.RangeBody body =
        (from, to) -> {
          for (int t = from; t < to; t++) {
            int j = PANEL_ROWS * t;
            int width = Math.min(PANEL_ROWS, n - j);
            int g = (group0 + t) * PANEL_ROWS * kp;
            int s = row0 + j;
            if (m == 1 || !PANEL_VECTOR) {
              for (int i = 0; i < m; i++) {
                dotPanel(j, width, kp, xs, i * kp, w, g, sc, s, beta, c, cOff + i * ldc);
              }
            } else {
              dotChunked(j, width, m, kp, xs, w, g, sc, s, beta, c, cOff, ldc);
            }
          }
        };
    if (parallel) Parallel.forRange(tasks, 16, body);
    else body.run(0, tasks);
  }

  /**
   * Outputs j..j+width-1 of one row of A: the panel group at {@code w[g..]} (four rows, {@code kp}
   * columns each, blocks of {@link CpuBuf#I8_PANEL_COLS}) is read as one stream and widened inside
   * the k loop; each row's sum is multiplied by its scale {@code sc[s + r]} at the end.
   */
  private static void dotPanel(
      int j,
      int width,
      int kp,
      float[] x,
      int x0,
      byte[] w,
      int g,
      float[] sc,
      int s,
      float beta,
      float[] c,
      int c0) {
    float d0 = 0f;
    float d1 = 0f;
    float d2 = 0f;
    float d3 = 0f;
    if (PANEL_VECTOR) {
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = FloatVector.zero(S);
      FloatVector s2 = FloatVector.zero(S);
      FloatVector s3 = FloatVector.zero(S);
      FloatVector t0 = FloatVector.zero(S);
      FloatVector t1 = FloatVector.zero(S);
      FloatVector t2 = FloatVector.zero(S);
      FloatVector t3 = FloatVector.zero(S);
      for (int p = 0; p < kp; p += I8_PANEL_COLS) {
        int q = g + p * PANEL_ROWS;
        for (int h = 0; h < I8_PANEL_COLS; h += 2 * VL) {
          FloatVector xp = FloatVector.fromArray(S, x, x0 + p + h);
          FloatVector xq = FloatVector.fromArray(S, x, x0 + p + h + VL);
          s0 = widen(w, q + h).fma(xp, s0);
          t0 = widen(w, q + h + VL).fma(xq, t0);
          s1 = widen(w, q + I8_PANEL_COLS + h).fma(xp, s1);
          t1 = widen(w, q + I8_PANEL_COLS + h + VL).fma(xq, t1);
          s2 = widen(w, q + 2 * I8_PANEL_COLS + h).fma(xp, s2);
          t2 = widen(w, q + 2 * I8_PANEL_COLS + h + VL).fma(xq, t2);
          s3 = widen(w, q + 3 * I8_PANEL_COLS + h).fma(xp, s3);
          t3 = widen(w, q + 3 * I8_PANEL_COLS + h + VL).fma(xq, t3);
        }
      }
      d0 = s0.add(t0).reduceLanes(VectorOperators.ADD);
      d1 = s1.add(t1).reduceLanes(VectorOperators.ADD);
      d2 = s2.add(t2).reduceLanes(VectorOperators.ADD);
      d3 = s3.add(t3).reduceLanes(VectorOperators.ADD);
    } else {
      for (int p = 0; p < kp; p++) {
        float xp = x[x0 + p];
        int q = g + CpuBuf.int8Index(kp, 0, p);
        d0 += w[q] * xp;
        d1 += w[q + I8_PANEL_COLS] * xp;
        d2 += w[q + 2 * I8_PANEL_COLS] * xp;
        d3 += w[q + 3 * I8_PANEL_COLS] * xp;
      }
    }
    CpuBf16.put(c, c0 + j, d0 * sc[s], beta);
    if (width > 1) CpuBf16.put(c, c0 + j + 1, d1 * sc[s + 1], beta);
    if (width > 2) CpuBf16.put(c, c0 + j + 2, d2 * sc[s + 2], beta);
    if (width > 3) CpuBf16.put(c, c0 + j + 3, d3 * sc[s + 3], beta);
  }

  /**
   * Outputs j..j+width-1 of every row of A: chunks of the group's four rows are dequantized once
   * (scale folded in) into an L1 scratch, and every row of A runs the float32 dot loop over them,
   * two rows of A per pass.
   */
  private static void dotChunked(
      int j,
      int width,
      int m,
      int kp,
      float[] xs,
      byte[] w,
      int g,
      float[] sc,
      int s,
      float beta,
      float[] c,
      int cOff,
      int ldc) {
    float[] wc = W_CHUNK.get(4 * CHUNK);
    float[] sums = SUMS.get(4 * m);
    for (int i = 0; i < 4 * m; i++) sums[i] = 0f;
    for (int p0 = 0; p0 < kp; p0 += CHUNK) {
      int len = Math.min(CHUNK, kp - p0);
      // The group's blocks at columns p0.. in storage order: one sequential read.
      int q = g + p0 * PANEL_ROWS;
      for (int b = 0; b < len; b += I8_PANEL_COLS) {
        for (int r = 0; r < PANEL_ROWS; r++) {
          float scale = sc[s + r];
          for (int h = 0; h < I8_PANEL_COLS; h += VL, q += VL) {
            widen(w, q).mul(scale).intoArray(wc, r * CHUNK + b + h);
          }
        }
      }
      CpuBf16.chunkDots(m, kp, p0, len, xs, wc, sums);
    }
    for (int i = 0; i < m; i++) {
      int c0 = cOff + i * ldc + j;
      for (int r = 0; r < width; r++) CpuBf16.put(c, c0 + r, sums[4 * i + r], beta);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Gather.

  /** {@code out[i, :] = table[ids[i], :] * scale[ids[i]]}; ids already checked. */
  static void embedding(CpuBuf table, int[] ids, float[] out, int n, int dim) {
    byte[] t = table.int8Storage();
    float[] sc = table.int8Scales();
    int kp = table.paddedCols();
    Parallel.forRange(
        n,
        Math.max(1, (1 << 14) / Math.max(1, dim)),
        (from, to) -> {
          for (int i = from; i < to; i++) {
            dequantRow(t, kp, ids[i], 0, dim, sc[ids[i]], out, i * dim);
          }
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Argument checks (CpuKernels delegates here).

  static void checkedGemm(
      int m,
      int n,
      int k,
      float alpha,
      Buf a,
      int aOff,
      int lda,
      Buf w,
      int wOff,
      int ldw,
      float beta,
      Buf c,
      int cOff,
      int ldc) {
    String kn = "sgemmInt8";
    KernelContract.nonNegative(kn, "m", m);
    KernelContract.nonNegative(kn, "n", n);
    KernelContract.nonNegative(kn, "k", k);
    float[] aa = CpuBf16.f32(kn, "a", a, false);
    CpuBuf wb = int8Buf(kn, "w", w);
    float[] ca = CpuBf16.f32(kn, "c", c, true);
    CpuBf16.window(kn, "a", aa.length, aOff, m, k, lda);
    CpuBf16.window(kn, "c", ca.length, cOff, m, n, ldc);
    int row0 =
        KernelContract.int8Rows(
            kn, wb.panelRows(), wb.panelCols(), n, k, wOff, ldw, CpuBuf.PANEL_ROWS);
    gemm(
        m,
        n,
        k,
        alpha,
        aa,
        aOff,
        lda,
        wb.int8Storage(),
        wb.int8Scales(),
        row0,
        wb.paddedCols(),
        beta,
        ca,
        cOff,
        ldc);
  }

  static void checkedEmbedding(Buf table, Buf ids, Buf out, int n, int dim) {
    String kn = "embeddingForwardInt8";
    KernelContract.nonNegative(kn, "n", n);
    KernelContract.nonNegative(kn, "dim", dim);
    CpuBuf tb = int8Buf(kn, "table", table);
    if (dim != tb.panelCols()) {
      throw new IllegalArgumentException(
          kn
              + ": table is a ["
              + tb.panelRows()
              + ", "
              + tb.panelCols()
              + "] matrix, dim = "
              + dim);
    }
    int[] ia = CpuBuf.i(ids);
    if (ia.length < n) {
      throw new IllegalArgumentException(kn + ": ids has " + ia.length + " elements, n = " + n);
    }
    KernelContract.ids(kn, ia, n, tb.panelRows());
    float[] oa = CpuBf16.f32(kn, "out", out, true);
    if (oa.length < (long) n * dim) {
      throw new IllegalArgumentException(
          kn + ": out has " + oa.length + " elements, n*dim = " + (long) n * dim);
    }
    if (dim > 0) embedding(tb, ia, oa, n, dim);
  }

  /** An I8 CPU buffer (always an int8 matrix in row panels). */
  static CpuBuf int8Buf(String kn, String arg, Buf buf) {
    CpuBuf b = CpuBf16.cpu(kn, arg, buf);
    if (b.type() != Buf.Type.I8) {
      throw new IllegalArgumentException(kn + ": " + arg + " must be I8, got " + b.type());
    }
    return b;
  }
}
