package org.research4j.kernels.cpu;

import static org.research4j.kernels.cpu.CpuBuf.PANEL_COLS;
import static org.research4j.kernels.cpu.CpuBuf.PANEL_ROWS;
import static org.research4j.kernels.cpu.SgemmMicroKernels.S;
import static org.research4j.kernels.cpu.SgemmMicroKernels.VL;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.research4j.kernels.Buf;

/**
 * Products and gathers that read frozen bfloat16 weights ({@code short[]} bit patterns) and compute
 * in float32: {@code C = alpha * A W^T + beta * C} with {@code W [n, k]} bfloat16 (a weight matrix
 * as stored), for {@code Kernels#sgemmBf16}, and the widening embedding gather.
 *
 * <p>A bfloat16 is the top half of a float32, so widening a vector is a zero-extension of VL shorts
 * to VL ints ({@code vpmovzxwd}), a shift left by 16 and a reinterpretation: three cheap
 * instructions, no rounding. The two shapes of the fp32 {@link CpuSgemm} keep their structure:
 *
 * <ul>
 *   <li>Few rows ({@code m <= SgemmSkinny.SKINNY}: decoding): W is read in place, as {@link
 *       SgemmSkinny}'s dot form does, four rows of W per task. One row of A widens W inside the k
 *       loop (the product is bound by memory traffic, which bfloat16 halves); more rows widen a
 *       chunk of the four W rows once into an L1 scratch and run the float32 dot loop over it for
 *       every row of A, so widening costs once per weight, not once per weight and row.
 *   <li>More rows (prefill, the reference model's forward in GRPO): W is widened, in parallel, a
 *       block at a time (about 4 MiB of float32, so it stays in L3; blocked in k too, {@link
 *       #K_BLOCK} columns, so that a large k still gives the block many rows rather than a sliver)
 *       into scratch, and the block goes through {@link CpuSgemm} (packed, cache-blocked
 *       micro-kernels), later k blocks accumulating into C. Widening moves each weight once per
 *       call, as packing B already does.
 * </ul>
 *
 * <p>W comes in two layouts, a property of its buffer: row-major ({@code allocBf16}, any window
 * {@code wOff, ldw}) or row panels ({@code allocBf16Matrix}, see {@link CpuBuf}: groups of four
 * rows stored as blocks of 32 columns of each row in turn). With panels a task's four rows are one
 * contiguous run, so a batch-1 product reads one stream per thread instead of four rows far apart
 * (the four-stream read was what held the m = 1 product well below the machine's streaming
 * bandwidth); the other paths widen panel blocks in storage order. A panelled W must be read as
 * whole rows ({@code k == ldw == cols}) from a group boundary.
 */
final class CpuBf16 {
  /** Shorts per vector: as many lanes as the float species, half its bits. */
  private static final VectorSpecies<Short> H =
      VectorSpecies.of(short.class, VectorShape.forBitSize(Math.max(64, S.vectorBitSize() / 2)));

  private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());

  /** Whether the short species has exactly VL lanes (64-bit minimum aside, always true). */
  static final boolean VECTOR = H.length() == VL && I.length() == VL;

  /** Whether a panel block of {@link CpuBuf#PANEL_COLS} columns is whole vectors. */
  private static final boolean PANEL_VECTOR = VECTOR && PANEL_COLS % VL == 0;

  /** k elements of four W rows widened per chunk of the multi-row skinny path (4 x 1024 floats). */
  static final int CHUNK = 1024;

  /** Columns of W (k) widened per block of the many-row path: two of CpuSgemm's KC panels. */
  private static final int K_BLOCK = 2 * CpuSgemm.KC;

  /** Bytes of float32 weights widened per block of the many-row path. */
  private static final long BLOCK_BYTES = 4L << 20;

  private static final ThreadScratch X_COPY = new ThreadScratch();
  private static final ThreadScratch W_CHUNK = new ThreadScratch();
  private static final ThreadScratch SUMS = new ThreadScratch();
  private static final ThreadScratch W_BLOCK = new ThreadScratch();

  private CpuBf16() {}

  /** {@code C = alpha * A W^T + beta * C} (see {@code Kernels#sgemmBf16}); arguments checked. */
  static void gemm(
      int m,
      int n,
      int k,
      float alpha,
      float[] a,
      int aOff,
      int lda,
      short[] w,
      int wOff,
      int ldw,
      int pkp,
      float beta,
      float[] c,
      int cOff,
      int ldc) {
    if (m == 0 || n == 0) return;
    if (k == 0 || alpha == 0f) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          int x = cOff + i * ldc + j;
          c[x] = beta == 0f ? 0f : beta * c[x];
        }
      }
      return;
    }
    boolean parallel = (long) m * n * k >= CpuSgemm.PARALLEL_WORK && Parallel.threads() > 1;
    if (m <= SgemmSkinny.SKINNY) {
      skinny(m, n, k, alpha, a, aOff, lda, w, wOff, ldw, pkp, beta, c, cOff, ldc, parallel);
    } else {
      blocks(m, n, k, alpha, a, aOff, lda, w, wOff, ldw, pkp, beta, c, cOff, ldc, parallel);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Many rows: widen a block of W, multiply it with the packed float32 GEMM.

  private static void blocks(
      int m,
      int n,
      int k,
      float alpha,
      float[] a,
      int aOff,
      int lda,
      short[] w,
      int wOff,
      int ldw,
      int pkp,
      float beta,
      float[] c,
      int cOff,
      int ldc,
      boolean parallel) {
    // Blocks of rows x kc weights: at large k a block of whole rows would be only a sliver of
    // columns wide, so k is blocked too and later k blocks accumulate (beta = 1).
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
        Parallel.RangeBody widen =
            (from, to) -> {
              for (int r = from; r < to; r++) {
                if (pkp == 0) {
                  widenRow(w, wOff + (jj + r) * ldw + pp, block, r * kb, kb);
                } else if ((jj + r) % PANEL_ROWS == 0 && r + PANEL_ROWS <= to) {
                  // A whole panel group, read in storage order.
                  widenPanelGroup(w, wOff, pkp, jj + r, pp, kb, block, r * kb);
                  r += PANEL_ROWS - 1;
                } else {
                  widenPanelRow(w, wOff, pkp, jj + r, pp, kb, block, r * kb);
                }
              }
            };
        if (parallel) Parallel.forRange(nb, Math.max(1, (1 << 14) / kb), widen);
        else widen.run(0, nb);
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

  /** {@code dst[d + p] = float(src[s + p])} for {@code p < k}. */
  static void widenRow(short[] src, int s, float[] dst, int d, int k) {
    int p = 0;
    if (VECTOR) {
      for (int ub = H.loopBound(k); p < ub; p += VL) widen(src, s + p).intoArray(dst, d + p);
    }
    for (; p < k; p++) dst[d + p] = Float.intBitsToFloat((src[s + p] & 0xFFFF) << 16);
  }

  /**
   * {@code dst[d + p] = float(W[row, col0 + p])} for {@code p < len}, W in row panels with padded
   * row length {@code kp} starting at {@code w[base]}.
   */
  private static void widenPanelRow(
      short[] w, int base, int kp, int row, int col0, int len, float[] dst, int d) {
    int end = col0 + len;
    for (int p = col0; p < end; ) {
      int seg = Math.min(end - p, PANEL_COLS - p % PANEL_COLS);
      widenRow(w, base + CpuBuf.panelIndex(kp, row, p), dst, d + p - col0, seg);
      p += seg;
    }
  }

  /**
   * {@link #widenPanelRow} for the four rows of the group starting at {@code row} (a multiple of
   * {@link CpuBuf#PANEL_ROWS}), block by block in storage order; row {@code r} of the group goes to
   * {@code dst[d + r * len..]}.
   */
  private static void widenPanelGroup(
      short[] w, int base, int kp, int row, int col0, int len, float[] dst, int d) {
    int end = col0 + len;
    for (int p = col0; p < end; ) {
      int seg = Math.min(end - p, PANEL_COLS - p % PANEL_COLS);
      int q = base + CpuBuf.panelIndex(kp, row, p);
      for (int r = 0; r < PANEL_ROWS; r++) {
        widenRow(w, q + r * PANEL_COLS, dst, d + r * len + p - col0, seg);
      }
      p += seg;
    }
  }

  /** VL bfloat16 values at {@code src[at..]} widened to float32 (only when {@link #VECTOR}). */
  static FloatVector widen(short[] src, int at) {
    return ((IntVector)
            ShortVector.fromArray(H, src, at).convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0))
        .lanewise(VectorOperators.LSHL, 16)
        .reinterpretAsFloats();
  }

  // ---------------------------------------------------------------------------------------------
  // Few rows: read W in place, four rows per task.

  private static void skinny(
      int m,
      int n,
      int k,
      float alpha,
      float[] a,
      int aOff,
      int lda,
      short[] w,
      int wOff,
      int ldw,
      int pkp,
      float beta,
      float[] c,
      int cOff,
      int ldc,
      boolean parallel) {
    // alpha * A as m rows of kp floats, zero-padded to a whole number of vectors (of panel blocks
    // when W is in panels: pkp, W's own padded row length).
    int kp = pkp > 0 ? pkp : Math.ceilDiv(k, VL) * VL;
    float[] xs = X_COPY.get(m * kp);
    for (int i = 0; i < m; i++) {
      int src = aOff + i * lda;
      for (int p = 0; p < k; p++) xs[i * kp + p] = alpha * a[src + p];
      for (int p = k; p < kp; p++) xs[i * kp + p] = 0f;
    }
    int tasks = Math.ceilDiv(n, 4);
    Parallel.RangeBody body =
        (from, to) -> {
          for (int t = from; t < to; t++) {
            int j = 4 * t;
            int width = Math.min(4, n - j);
            if (pkp > 0) {
              // One panel group: its four rows are one contiguous run of 4 * pkp weights.
              int g = wOff + t * PANEL_ROWS * pkp;
              if (m == 1 || !PANEL_VECTOR) {
                for (int i = 0; i < m; i++) {
                  dotPanel(j, width, kp, xs, i * kp, w, g, beta, c, cOff + i * ldc);
                }
              } else {
                dotChunked(j, width, m, k, kp, xs, w, g, -1, beta, c, cOff, ldc);
              }
            } else if (m == 1 || !VECTOR) {
              for (int i = 0; i < m; i++) {
                dotInline(j, width, k, kp, xs, i * kp, w, wOff, ldw, beta, c, cOff + i * ldc);
              }
            } else {
              dotChunked(j, width, m, k, kp, xs, w, wOff, ldw, beta, c, cOff, ldc);
            }
          }
        };
    if (parallel) Parallel.forRange(tasks, 16, body);
    else body.run(0, tasks);
  }

  /** Outputs j..j+width-1 of one row of A, widening W's rows inside the k loop. */
  private static void dotInline(
      int j,
      int width,
      int k,
      int kp,
      float[] x,
      int x0,
      short[] w,
      int wOff,
      int ldw,
      float beta,
      float[] c,
      int c0) {
    int r0 = wOff + j * ldw;
    int r1 = width > 1 ? r0 + ldw : r0;
    int r2 = width > 2 ? r0 + 2 * ldw : r0;
    int r3 = width > 3 ? r0 + 3 * ldw : r0;
    float d0 = 0f;
    float d1 = 0f;
    float d2 = 0f;
    float d3 = 0f;
    int p = 0;
    if (VECTOR) {
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = FloatVector.zero(S);
      FloatVector s2 = FloatVector.zero(S);
      FloatVector s3 = FloatVector.zero(S);
      for (int ub = H.loopBound(k); p < ub; p += VL) {
        FloatVector xp = FloatVector.fromArray(S, x, x0 + p);
        s0 = widen(w, r0 + p).fma(xp, s0);
        s1 = widen(w, r1 + p).fma(xp, s1);
        s2 = widen(w, r2 + p).fma(xp, s2);
        s3 = widen(w, r3 + p).fma(xp, s3);
      }
      d0 = s0.reduceLanes(VectorOperators.ADD);
      d1 = s1.reduceLanes(VectorOperators.ADD);
      d2 = s2.reduceLanes(VectorOperators.ADD);
      d3 = s3.reduceLanes(VectorOperators.ADD);
    }
    for (; p < k; p++) {
      float xp = x[x0 + p];
      d0 += bf(w[r0 + p]) * xp;
      d1 += bf(w[r1 + p]) * xp;
      d2 += bf(w[r2 + p]) * xp;
      d3 += bf(w[r3 + p]) * xp;
    }
    put(c, c0 + j, d0, beta);
    if (width > 1) put(c, c0 + j + 1, d1, beta);
    if (width > 2) put(c, c0 + j + 2, d2, beta);
    if (width > 3) put(c, c0 + j + 3, d3, beta);
  }

  /**
   * Outputs j..j+width-1 of one row of A from W in row panels: the panel group at {@code w[g..]}
   * (four rows, {@code kp} columns each, blocks of {@link CpuBuf#PANEL_COLS}) is read as one stream
   * and widened inside the k loop. {@code x} is zero-padded to {@code kp} as W is.
   */
  private static void dotPanel(
      int j,
      int width,
      int kp,
      float[] x,
      int x0,
      short[] w,
      int g,
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
      for (int p = 0; p < kp; p += PANEL_COLS) {
        int q = g + p * PANEL_ROWS;
        for (int h = 0; h < PANEL_COLS; h += VL) {
          FloatVector xp = FloatVector.fromArray(S, x, x0 + p + h);
          s0 = widen(w, q + h).fma(xp, s0);
          s1 = widen(w, q + PANEL_COLS + h).fma(xp, s1);
          s2 = widen(w, q + 2 * PANEL_COLS + h).fma(xp, s2);
          s3 = widen(w, q + 3 * PANEL_COLS + h).fma(xp, s3);
        }
      }
      d0 = s0.reduceLanes(VectorOperators.ADD);
      d1 = s1.reduceLanes(VectorOperators.ADD);
      d2 = s2.reduceLanes(VectorOperators.ADD);
      d3 = s3.reduceLanes(VectorOperators.ADD);
    } else {
      for (int p = 0; p < kp; p++) {
        float xp = x[x0 + p];
        int q = g + CpuBuf.panelIndex(kp, 0, p);
        d0 += bf(w[q]) * xp;
        d1 += bf(w[q + PANEL_COLS]) * xp;
        d2 += bf(w[q + 2 * PANEL_COLS]) * xp;
        d3 += bf(w[q + 3 * PANEL_COLS]) * xp;
      }
    }
    put(c, c0 + j, d0, beta);
    if (width > 1) put(c, c0 + j + 1, d1, beta);
    if (width > 2) put(c, c0 + j + 2, d2, beta);
    if (width > 3) put(c, c0 + j + 3, d3, beta);
  }

  /**
   * Outputs j..j+width-1 of every row of A: chunks of the four W rows are widened once into an L1
   * scratch (zero-padded to whole vectors) and every row of A runs the float32 dot loop over them.
   * {@code ldw < 0}: W is in row panels and {@code w[wOff..]} is the panel group of rows j..j+3
   * ({@code kp} is then W's padded row length, a whole number of panel blocks).
   */
  private static void dotChunked(
      int j,
      int width,
      int m,
      int k,
      int kp,
      float[] xs,
      short[] w,
      int wOff,
      int ldw,
      float beta,
      float[] c,
      int cOff,
      int ldc) {
    float[] wc = W_CHUNK.get(4 * CHUNK);
    float[] sums = SUMS.get(4 * m);
    for (int i = 0; i < 4 * m; i++) sums[i] = 0f;
    for (int p0 = 0; p0 < kp; p0 += CHUNK) {
      int len = Math.min(CHUNK, kp - p0);
      int real = Math.max(0, Math.min(len, k - p0));
      if (ldw < 0) {
        // The group's blocks at columns p0.. in storage order: one sequential read.
        int q = wOff + p0 * PANEL_ROWS;
        for (int b = 0; b < len; b += PANEL_COLS) {
          for (int r = 0; r < PANEL_ROWS; r++) {
            for (int h = 0; h < PANEL_COLS; h += VL, q += VL) {
              widen(w, q).intoArray(wc, r * CHUNK + b + h);
            }
          }
        }
      }
      for (int r = 0; r < 4 && ldw >= 0; r++) {
        int row = wOff + (j + Math.min(r, width - 1)) * ldw + p0;
        widenRow(w, row, wc, r * CHUNK, real);
        for (int p = real; p < len; p++) wc[r * CHUNK + p] = 0f;
      }
      chunkDots(m, kp, p0, len, xs, wc, sums);
    }
    for (int i = 0; i < m; i++) {
      int c0 = cOff + i * ldc + j;
      for (int r = 0; r < width; r++) put(c, c0 + r, sums[4 * i + r], beta);
    }
  }

  /**
   * Adds to {@code sums[4 i + r]} the dot products of row {@code i} of {@code xs} (columns {@code
   * p0 .. p0+len}, rows {@code kp} apart) with the four rows of {@code wc} ({@code CHUNK} apart):
   * the arithmetic of a chunk of four W rows, once widened (bfloat16) or dequantized (int8) into
   * the L1 scratch {@code wc}, for every row of A. {@code len} is a whole number of vectors.
   */
  static void chunkDots(int m, int kp, int p0, int len, float[] xs, float[] wc, float[] sums) {
    // Two rows of A per pass: each load of the widened W feeds two FMAs (six loads per eight
    // FMAs instead of five per four), an odd last row runs alone.
    int i = 0;
    for (; i + 1 < m; i += 2) {
      int x0 = i * kp + p0;
      int x1 = x0 + kp;
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = FloatVector.zero(S);
      FloatVector s2 = FloatVector.zero(S);
      FloatVector s3 = FloatVector.zero(S);
      FloatVector t0 = FloatVector.zero(S);
      FloatVector t1 = FloatVector.zero(S);
      FloatVector t2 = FloatVector.zero(S);
      FloatVector t3 = FloatVector.zero(S);
      for (int p = 0; p < len; p += VL) {
        FloatVector xp = FloatVector.fromArray(S, xs, x0 + p);
        FloatVector xq = FloatVector.fromArray(S, xs, x1 + p);
        FloatVector w0 = FloatVector.fromArray(S, wc, p);
        FloatVector w1 = FloatVector.fromArray(S, wc, CHUNK + p);
        FloatVector w2 = FloatVector.fromArray(S, wc, 2 * CHUNK + p);
        FloatVector w3 = FloatVector.fromArray(S, wc, 3 * CHUNK + p);
        s0 = w0.fma(xp, s0);
        s1 = w1.fma(xp, s1);
        s2 = w2.fma(xp, s2);
        s3 = w3.fma(xp, s3);
        t0 = w0.fma(xq, t0);
        t1 = w1.fma(xq, t1);
        t2 = w2.fma(xq, t2);
        t3 = w3.fma(xq, t3);
      }
      sums[4 * i] += s0.reduceLanes(VectorOperators.ADD);
      sums[4 * i + 1] += s1.reduceLanes(VectorOperators.ADD);
      sums[4 * i + 2] += s2.reduceLanes(VectorOperators.ADD);
      sums[4 * i + 3] += s3.reduceLanes(VectorOperators.ADD);
      sums[4 * i + 4] += t0.reduceLanes(VectorOperators.ADD);
      sums[4 * i + 5] += t1.reduceLanes(VectorOperators.ADD);
      sums[4 * i + 6] += t2.reduceLanes(VectorOperators.ADD);
      sums[4 * i + 7] += t3.reduceLanes(VectorOperators.ADD);
    }
    for (; i < m; i++) {
      int x0 = i * kp + p0;
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = FloatVector.zero(S);
      FloatVector s2 = FloatVector.zero(S);
      FloatVector s3 = FloatVector.zero(S);
      for (int p = 0; p < len; p += VL) {
        FloatVector xp = FloatVector.fromArray(S, xs, x0 + p);
        s0 = FloatVector.fromArray(S, wc, p).fma(xp, s0);
        s1 = FloatVector.fromArray(S, wc, CHUNK + p).fma(xp, s1);
        s2 = FloatVector.fromArray(S, wc, 2 * CHUNK + p).fma(xp, s2);
        s3 = FloatVector.fromArray(S, wc, 3 * CHUNK + p).fma(xp, s3);
      }
      sums[4 * i] += s0.reduceLanes(VectorOperators.ADD);
      sums[4 * i + 1] += s1.reduceLanes(VectorOperators.ADD);
      sums[4 * i + 2] += s2.reduceLanes(VectorOperators.ADD);
      sums[4 * i + 3] += s3.reduceLanes(VectorOperators.ADD);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Gather.

  /** {@code out[i, :] = float(table[ids[i], :])}; ids already checked. */
  static void embedding(CpuBuf table, int[] ids, float[] out, int n, int dim) {
    boolean panels = table.panelled();
    short[] t = panels ? table.panelStorage() : table.shorts();
    int kp = panels ? table.paddedCols() : 0;
    Parallel.forRange(
        n,
        Math.max(1, (1 << 14) / Math.max(1, dim)),
        (from, to) -> {
          for (int i = from; i < to; i++) {
            if (panels) widenPanelRow(t, 0, kp, ids[i], 0, dim, out, i * dim);
            else widenRow(t, ids[i] * dim, out, i * dim, dim);
          }
        });
  }

  private static float bf(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  private static void put(float[] c, int i, float v, float beta) {
    c[i] = beta == 0f ? v : v + beta * c[i];
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
    String kn = "sgemmBf16";
    nonNegative(kn, "m", m);
    nonNegative(kn, "n", n);
    nonNegative(kn, "k", k);
    float[] aa = f32(kn, "a", a);
    CpuBuf wb = bf16Buf(kn, "w", w);
    float[] ca = f32(kn, "c", c);
    window(kn, "a", aa.length, aOff, m, k, lda);
    window(kn, "c", ca.length, cOff, m, n, ldc);
    if (!wb.panelled()) {
      short[] wa = wb.shorts();
      window(kn, "w", wa.length, wOff, n, k, ldw);
      gemm(m, n, k, alpha, aa, aOff, lda, wa, wOff, ldw, 0, beta, ca, cOff, ldc);
      return;
    }
    // Row panels: W must be whole rows of the matrix, starting at a panel group.
    int rows = wb.panelRows();
    int cols = wb.panelCols();
    String shape = "[" + rows + ", " + cols + "] matrix stored in row panels";
    if (k != cols || ldw != cols) {
      throw new IllegalArgumentException(
          kn
              + ": w is a "
              + shape
              + ", read as whole rows: k and ldw must be "
              + cols
              + ", got k = "
              + k
              + ", ldw = "
              + ldw);
    }
    if (wOff < 0 || wOff % ((long) PANEL_ROWS * cols) != 0) {
      throw new IllegalArgumentException(
          kn
              + ": w is a "
              + shape
              + ": wOff = "
              + wOff
              + " must start a group of "
              + PANEL_ROWS
              + " rows (a multiple of "
              + (long) PANEL_ROWS * cols
              + ")");
    }
    int row0 = wOff / cols;
    if ((long) row0 + n > rows) {
      throw new IllegalArgumentException(
          kn
              + ": w is a "
              + shape
              + ", rows "
              + row0
              + " to "
              + ((long) row0 + n - 1)
              + " do not fit");
    }
    int kp = wb.paddedCols();
    gemm(m, n, k, alpha, aa, aOff, lda, wb.panelStorage(), row0 * kp, ldw, kp, beta, ca, cOff, ldc);
  }

  static void checkedEmbedding(Buf table, Buf ids, Buf out, int n, int dim) {
    String kn = "embeddingForwardBf16";
    nonNegative(kn, "n", n);
    nonNegative(kn, "dim", dim);
    CpuBuf tb = bf16Buf(kn, "table", table);
    int[] ia = CpuBuf.i(ids);
    if (ia.length < n) {
      throw new IllegalArgumentException(kn + ": ids has " + ia.length + " elements, n = " + n);
    }
    int vocab;
    if (tb.panelled()) {
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
      vocab = tb.panelRows();
    } else {
      vocab = dim == 0 ? 0 : tb.length() / dim;
    }
    for (int i = 0; i < n; i++) {
      if (ia[i] < 0 || ia[i] >= vocab) {
        throw new IllegalArgumentException(
            kn + ": ids[" + i + "] = " + ia[i] + " is outside the table's " + vocab + " rows");
      }
    }
    float[] oa = f32(kn, "out", out);
    if (oa.length < (long) n * dim) {
      throw new IllegalArgumentException(
          kn + ": out has " + oa.length + " elements, n*dim = " + (long) n * dim);
    }
    if (dim > 0) embedding(tb, ia, oa, n, dim);
  }

  /** A {@code rows x cols} window at {@code off} with row stride {@code ld} must fit. */
  private static void window(
      String kn, String arg, int length, int off, int rows, int cols, int ld) {
    if (off < 0) throw new IllegalArgumentException(kn + ": " + arg + "Off = " + off + " < 0");
    if (rows > 0 && ld < cols) {
      throw new IllegalArgumentException(
          kn + ": ld" + arg + " = " + ld + " is smaller than the " + cols + " columns of " + arg);
    }
    long need = rows == 0 || cols == 0 ? 0 : off + (long) (rows - 1) * ld + cols;
    if (length < need) {
      throw new IllegalArgumentException(
          kn
              + ": "
              + arg
              + " has "
              + length
              + " elements, its "
              + rows
              + " x "
              + cols
              + " window at offset "
              + off
              + " with stride "
              + ld
              + " needs "
              + need);
    }
  }

  private static float[] f32(String kn, String arg, Buf buf) {
    CpuBuf b = cpu(kn, arg, buf);
    if (b.type() != Buf.Type.F32) {
      throw new IllegalArgumentException(kn + ": " + arg + " must be F32, got " + b.type());
    }
    return b.floats();
  }

  /** A BF16 CPU buffer, either layout (row-major or row panels). */
  static CpuBuf bf16Buf(String kn, String arg, Buf buf) {
    CpuBuf b = cpu(kn, arg, buf);
    if (b.type() != Buf.Type.BF16) {
      throw new IllegalArgumentException(kn + ": " + arg + " must be BF16, got " + b.type());
    }
    return b;
  }

  private static CpuBuf cpu(String kn, String arg, Buf buf) {
    if (buf instanceof CpuBuf c) return c;
    throw new IllegalArgumentException(
        kn + ": " + arg + (buf == null ? " is null" : " is not a buffer of the CPU kernels"));
  }

  static void range(String kn, String arg, int length, int off, int n) {
    if (off < 0 || n < 0 || (long) off + n > length) {
      throw new IllegalArgumentException(
          kn
              + ": "
              + arg
              + " has "
              + length
              + " elements, offset "
              + off
              + " + n "
              + n
              + " does not fit");
    }
  }

  static void nonNegative(String kn, String name, int value) {
    if (value < 0) throw new IllegalArgumentException(kn + ": " + name + " = " + value + " < 0");
  }
}
