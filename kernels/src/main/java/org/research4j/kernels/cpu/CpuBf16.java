package org.research4j.kernels.cpu;

import static org.research4j.kernels.cpu.CpuBuf.BF16_GROUP;
import static org.research4j.kernels.cpu.SgemmMicroKernels.S;
import static org.research4j.kernels.cpu.SgemmMicroKernels.VL;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.research4j.kernels.Buf;
import org.research4j.kernels.KernelContract;

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
 * {@code wOff, ldw}: the two paths above) or grouped ({@code allocBf16Matrix}, the model's
 * matrices, see {@link CpuBuf}: groups of {@code BF16_GROUP} rows stored column by column). Grouped
 * W has paths of its own ({@link #grouped}): few rows of A take a group of outputs per task and
 * tiles of up to six rows, widen the group's weights of one column once (four contiguous vector
 * loads) and multiply them by each row's activation broadcast, with no horizontal sums (against the
 * dot form on row panels, which it replaced: m = 16 at 190-235 instead of 130-170 GFLOP/s, the LM
 * head at m = 1 streamed at 46 instead of about 30 GB/s); more rows widen k-major blocks for
 * CpuSgemm. A grouped W must be read as whole rows ({@code k == ldw == cols}) from a group
 * boundary.
 */
final class CpuBf16 {
  /** Shorts per vector: as many lanes as the float species, half its bits. */
  private static final VectorSpecies<Short> H =
      VectorSpecies.of(short.class, VectorShape.forBitSize(Math.max(64, S.vectorBitSize() / 2)));

  private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());

  /** Whether the short species has exactly VL lanes (64-bit minimum aside, always true). */
  static final boolean VECTOR = H.length() == VL && I.length() == VL;

  /** k elements of four W rows widened per chunk of the multi-row skinny path (4 x 1024 floats). */
  static final int CHUNK = 1024;

  /** Columns of W (k) widened per block of the many-row path: two of CpuSgemm's KC panels. */
  private static final int K_BLOCK = 2 * CpuSgemm.KC;

  /** Bytes of float32 weights widened per block of the many-row path. */
  private static final long BLOCK_BYTES = 4L << 20;

  private static final ThreadScratch X_COPY = new ThreadScratch();

  /** A grouped product's tile of outputs (six rows of a group) on its way to C. */
  private static final ThreadScratch TILE = new ThreadScratch();

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
      skinny(m, n, k, alpha, a, aOff, lda, w, wOff, ldw, beta, c, cOff, ldc, parallel);
    } else {
      blocks(m, n, k, alpha, a, aOff, lda, w, wOff, ldw, beta, c, cOff, ldc, parallel);
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
              for (int r = from; r < to; r++)
                widenRow(w, wOff + (jj + r) * ldw + pp, block, r * kb, kb);
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
      float beta,
      float[] c,
      int cOff,
      int ldc,
      boolean parallel) {
    // alpha * A as m rows of kp floats, zero-padded to a whole number of vectors.
    int kp = Math.ceilDiv(k, VL) * VL;
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
            if (m == 1 || !VECTOR) {
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
   * Outputs j..j+width-1 of every row of A: chunks of the four W rows are widened once into an L1
   * scratch (zero-padded to whole vectors) and every row of A runs the float32 dot loop over them.
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
      for (int r = 0; r < 4; r++) {
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
  // W in grouped storage ({@code allocBf16Matrix}): [rows / G][k][G], G = BF16_GROUP outputs.

  /**
   * {@code C = alpha * A W^T + beta * C} with W the rows {@code row0 .. row0+n} ({@code row0} a
   * multiple of G) of a matrix of {@code k} columns in grouped storage {@code w}. Few rows of A:
   * each task takes a group of G outputs and tiles of up to 6 rows of A, and for every k widens the
   * group's G weights (4 vectors, contiguous) once and multiplies them by each row's activation,
   * broadcast: no horizontal sums, and one contiguous stream of weights per task. More rows: blocks
   * of W widened k-major ({@code [kb][nb]}, which is op(B) row-major) for {@link CpuSgemm}.
   */
  static void grouped(
      int m,
      int n,
      int k,
      float alpha,
      float[] a,
      int aOff,
      int lda,
      short[] w,
      int row0,
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
    int g0 = row0 / BF16_GROUP;
    if (m > SgemmSkinny.SKINNY) {
      groupedBlocks(m, n, k, alpha, a, aOff, lda, w, g0, beta, c, cOff, ldc, parallel);
      return;
    }
    float[] xs = X_COPY.get(m * k);
    for (int i = 0; i < m; i++) {
      int src = aOff + i * lda;
      for (int p = 0; p < k; p++) xs[i * k + p] = alpha * a[src + p];
    }
    int groups = Math.ceilDiv(n, BF16_GROUP);
    Parallel.RangeBody body =
        (from, to) -> {
          for (int t = from; t < to; t++) {
            int base = (g0 + t) * BF16_GROUP * k;
            int j0 = t * BF16_GROUP;
            int width = Math.min(BF16_GROUP, n - j0);
            for (int i0 = 0; i0 < m; i0 += 6) {
              int r = Math.min(6, m - i0);
              if (!VECTOR) {
                tileScalar(i0, r, k, xs, w, base, width, beta, c, cOff + j0, ldc);
              } else if (r == 1) {
                tile1(i0, k, xs, w, base, width, beta, c, cOff + j0, ldc);
              } else {
                tile6(i0, r, k, xs, w, base, width, beta, c, cOff + j0, ldc);
              }
            }
          }
        };
    if (parallel) Parallel.forRange(groups, 1, body);
    else body.run(0, groups);
  }

  /** One row of A against a group: two accumulators per vector (even and odd k). */
  private static void tile1(
      int i0,
      int k,
      float[] xs,
      short[] w,
      int base,
      int width,
      float beta,
      float[] c,
      int c0,
      int ldc) {
    FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
    FloatVector t0 = s0, t1 = s0, t2 = s0, t3 = s0;
    int x0 = i0 * k;
    int p = 0;
    for (; p + 1 < k; p += 2) {
      int q = base + p * BF16_GROUP;
      FloatVector v = FloatVector.broadcast(S, xs[x0 + p]);
      s0 = widen(w, q).fma(v, s0);
      s1 = widen(w, q + VL).fma(v, s1);
      s2 = widen(w, q + 2 * VL).fma(v, s2);
      s3 = widen(w, q + 3 * VL).fma(v, s3);
      q += BF16_GROUP;
      FloatVector u = FloatVector.broadcast(S, xs[x0 + p + 1]);
      t0 = widen(w, q).fma(u, t0);
      t1 = widen(w, q + VL).fma(u, t1);
      t2 = widen(w, q + 2 * VL).fma(u, t2);
      t3 = widen(w, q + 3 * VL).fma(u, t3);
    }
    if (p < k) {
      int q = base + p * BF16_GROUP;
      FloatVector v = FloatVector.broadcast(S, xs[x0 + p]);
      s0 = widen(w, q).fma(v, s0);
      s1 = widen(w, q + VL).fma(v, s1);
      s2 = widen(w, q + 2 * VL).fma(v, s2);
      s3 = widen(w, q + 3 * VL).fma(v, s3);
    }
    float[] out = TILE.get(6 * BF16_GROUP);
    s0.add(t0).intoArray(out, 0);
    s1.add(t1).intoArray(out, VL);
    s2.add(t2).intoArray(out, 2 * VL);
    s3.add(t3).intoArray(out, 3 * VL);
    finish(out, 1, width, beta, c, c0 + i0 * ldc, ldc);
  }

  /** Up to six rows of A against a group (rows past {@code r} repeat the last and are dropped). */
  private static void tile6(
      int i0,
      int r,
      int k,
      float[] xs,
      short[] w,
      int base,
      int width,
      float beta,
      float[] c,
      int c0,
      int ldc) {
    int last = i0 + r - 1;
    int x0 = i0 * k;
    int x1 = Math.min(i0 + 1, last) * k;
    int x2 = Math.min(i0 + 2, last) * k;
    int x3 = Math.min(i0 + 3, last) * k;
    int x4 = Math.min(i0 + 4, last) * k;
    int x5 = Math.min(i0 + 5, last) * k;
    FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    FloatVector a40 = a00, a41 = a00, a42 = a00, a43 = a00;
    FloatVector a50 = a00, a51 = a00, a52 = a00, a53 = a00;
    for (int p = 0; p < k; p++) {
      int q = base + p * BF16_GROUP;
      FloatVector b0 = widen(w, q);
      FloatVector b1 = widen(w, q + VL);
      FloatVector b2 = widen(w, q + 2 * VL);
      FloatVector b3 = widen(w, q + 3 * VL);
      FloatVector v = FloatVector.broadcast(S, xs[x0 + p]);
      a00 = b0.fma(v, a00);
      a01 = b1.fma(v, a01);
      a02 = b2.fma(v, a02);
      a03 = b3.fma(v, a03);
      v = FloatVector.broadcast(S, xs[x1 + p]);
      a10 = b0.fma(v, a10);
      a11 = b1.fma(v, a11);
      a12 = b2.fma(v, a12);
      a13 = b3.fma(v, a13);
      v = FloatVector.broadcast(S, xs[x2 + p]);
      a20 = b0.fma(v, a20);
      a21 = b1.fma(v, a21);
      a22 = b2.fma(v, a22);
      a23 = b3.fma(v, a23);
      v = FloatVector.broadcast(S, xs[x3 + p]);
      a30 = b0.fma(v, a30);
      a31 = b1.fma(v, a31);
      a32 = b2.fma(v, a32);
      a33 = b3.fma(v, a33);
      v = FloatVector.broadcast(S, xs[x4 + p]);
      a40 = b0.fma(v, a40);
      a41 = b1.fma(v, a41);
      a42 = b2.fma(v, a42);
      a43 = b3.fma(v, a43);
      v = FloatVector.broadcast(S, xs[x5 + p]);
      a50 = b0.fma(v, a50);
      a51 = b1.fma(v, a51);
      a52 = b2.fma(v, a52);
      a53 = b3.fma(v, a53);
    }
    // Through a scratch tile (vectors handed to a method that is not inlined would be boxed).
    float[] out = TILE.get(6 * BF16_GROUP);
    a00.intoArray(out, 0);
    a01.intoArray(out, VL);
    a02.intoArray(out, 2 * VL);
    a03.intoArray(out, 3 * VL);
    a10.intoArray(out, BF16_GROUP);
    a11.intoArray(out, BF16_GROUP + VL);
    a12.intoArray(out, BF16_GROUP + 2 * VL);
    a13.intoArray(out, BF16_GROUP + 3 * VL);
    a20.intoArray(out, 2 * BF16_GROUP);
    a21.intoArray(out, 2 * BF16_GROUP + VL);
    a22.intoArray(out, 2 * BF16_GROUP + 2 * VL);
    a23.intoArray(out, 2 * BF16_GROUP + 3 * VL);
    a30.intoArray(out, 3 * BF16_GROUP);
    a31.intoArray(out, 3 * BF16_GROUP + VL);
    a32.intoArray(out, 3 * BF16_GROUP + 2 * VL);
    a33.intoArray(out, 3 * BF16_GROUP + 3 * VL);
    a40.intoArray(out, 4 * BF16_GROUP);
    a41.intoArray(out, 4 * BF16_GROUP + VL);
    a42.intoArray(out, 4 * BF16_GROUP + 2 * VL);
    a43.intoArray(out, 4 * BF16_GROUP + 3 * VL);
    a50.intoArray(out, 5 * BF16_GROUP);
    a51.intoArray(out, 5 * BF16_GROUP + VL);
    a52.intoArray(out, 5 * BF16_GROUP + 2 * VL);
    a53.intoArray(out, 5 * BF16_GROUP + 3 * VL);
    finish(out, r, width, beta, c, c0 + i0 * ldc, ldc);
  }

  /** Rows {@code 0..r-1} of a scratch tile, their first {@code width} outputs, into C. */
  private static void finish(
      float[] out, int r, int width, float beta, float[] c, int at, int ldc) {
    for (int rr = 0; rr < r; rr++) {
      int o = rr * BF16_GROUP;
      int x = at + rr * ldc;
      int j = 0;
      if (VECTOR && beta == 0f) {
        for (; j + VL <= width; j += VL) FloatVector.fromArray(S, out, o + j).intoArray(c, x + j);
      }
      for (; j < width; j++) put(c, x + j, out[o + j], beta);
    }
  }

  /** Without usable vector shapes: the same sums, one output at a time. */
  private static void tileScalar(
      int i0,
      int r,
      int k,
      float[] xs,
      short[] w,
      int base,
      int width,
      float beta,
      float[] c,
      int c0,
      int ldc) {
    for (int i = i0; i < i0 + r; i++) {
      for (int j = 0; j < width; j++) {
        float d = 0f;
        for (int p = 0; p < k; p++) d += xs[i * k + p] * bf(w[base + p * BF16_GROUP + j]);
        put(c, c0 + i * ldc + j, d, beta);
      }
    }
  }

  /**
   * Many rows of A over grouped W: blocks of whole groups and {@code K_BLOCK} columns widened
   * k-major into scratch ({@code [kb][nb]}: op(B) row-major, no transpose for CpuSgemm), later k
   * blocks accumulating into C.
   */
  private static void groupedBlocks(
      int m,
      int n,
      int k,
      float alpha,
      float[] a,
      int aOff,
      int lda,
      short[] w,
      int g0,
      float beta,
      float[] c,
      int cOff,
      int ldc,
      boolean parallel) {
    int kc = Math.min(k, K_BLOCK);
    int rows = (int) Math.max(BF16_GROUP, BLOCK_BYTES / (4L * kc) / BF16_GROUP * BF16_GROUP);
    rows = Math.min(rows, Math.ceilDiv(n, BF16_GROUP) * BF16_GROUP);
    float[] block = W_BLOCK.get(rows * kc);
    for (int j0 = 0; j0 < n; j0 += rows) {
      int nb = Math.min(rows, n - j0);
      int groups = Math.ceilDiv(nb, BF16_GROUP);
      for (int p0 = 0; p0 < k; p0 += kc) {
        int kb = Math.min(kc, k - p0);
        int gj = g0 + j0 / BF16_GROUP;
        int pp = p0;
        Parallel.RangeBody widen =
            (from, to) -> {
              for (int q = from; q < to; q++) {
                int width = Math.min(BF16_GROUP, nb - q * BF16_GROUP);
                int src = (gj + q) * BF16_GROUP * k + pp * BF16_GROUP;
                int dst = q * BF16_GROUP;
                for (int p = 0; p < kb; p++, src += BF16_GROUP, dst += nb) {
                  if (VECTOR && width == BF16_GROUP) {
                    widen(w, src).intoArray(block, dst);
                    widen(w, src + VL).intoArray(block, dst + VL);
                    widen(w, src + 2 * VL).intoArray(block, dst + 2 * VL);
                    widen(w, src + 3 * VL).intoArray(block, dst + 3 * VL);
                  } else {
                    for (int j = 0; j < width; j++) block[dst + j] = bf(w[src + j]);
                  }
                }
              }
            };
        if (parallel) Parallel.forRange(groups, 1, widen);
        else widen.run(0, groups);
        CpuSgemm.sgemm(
            false,
            false,
            m,
            nb,
            kb,
            alpha,
            a,
            aOff + p0,
            lda,
            block,
            0,
            nb,
            p0 == 0 ? beta : 1f,
            c,
            cOff + j0,
            ldc);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Gather.

  /** {@code out[i, :] = float(table[ids[i], :])}; ids already checked. */
  static void embedding(CpuBuf table, int[] ids, float[] out, int n, int dim) {
    boolean panels = table.panelled();
    short[] t = panels ? table.panelStorage() : table.shorts();
    Parallel.forRange(
        n,
        Math.max(1, (1 << 14) / Math.max(1, dim)),
        (from, to) -> {
          for (int i = from; i < to; i++) {
            if (panels) {
              // Row id's columns sit BF16_GROUP apart in the grouped storage.
              int at = CpuBuf.groupIndex(dim, ids[i], 0);
              for (int c = 0; c < dim; c++, at += BF16_GROUP) out[i * dim + c] = bf(t[at]);
            } else widenRow(t, ids[i] * dim, out, i * dim, dim);
          }
        });
  }

  private static float bf(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  static void put(float[] c, int i, float v, float beta) {
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
      gemm(m, n, k, alpha, aa, aOff, lda, wa, wOff, ldw, beta, ca, cOff, ldc);
      return;
    }
    // Grouped storage: W must be whole rows of the matrix, starting at a group.
    int rows = wb.panelRows();
    int cols = wb.panelCols();
    String shape =
        "[" + rows + ", " + cols + "] matrix stored in groups of " + BF16_GROUP + " rows";
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
    if (wOff < 0 || wOff % ((long) BF16_GROUP * cols) != 0) {
      throw new IllegalArgumentException(
          kn
              + ": w is a "
              + shape
              + ": wOff = "
              + wOff
              + " must start a group of "
              + BF16_GROUP
              + " rows (a multiple of "
              + (long) BF16_GROUP * cols
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
    grouped(m, n, k, alpha, aa, aOff, lda, wb.panelStorage(), row0, beta, ca, cOff, ldc);
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
    KernelContract.ids(kn, ia, n, vocab);
    float[] oa = f32(kn, "out", out);
    if (oa.length < (long) n * dim) {
      throw new IllegalArgumentException(
          kn + ": out has " + oa.length + " elements, n*dim = " + (long) n * dim);
    }
    if (dim > 0) embedding(tb, ia, oa, n, dim);
  }

  /** A {@code rows x cols} window at {@code off} with row stride {@code ld} must fit. */
  static void window(String kn, String arg, int length, int off, int rows, int cols, int ld) {
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
    return f32(kn, arg, buf, true);
  }

  /** The array of an F32 CPU buffer, to write (bumping its version) or only to read. */
  static float[] f32(String kn, String arg, Buf buf, boolean write) {
    CpuBuf b = cpu(kn, arg, buf);
    if (b.type() != Buf.Type.F32) {
      throw new IllegalArgumentException(kn + ": " + arg + " must be F32, got " + b.type());
    }
    return write ? b.floats() : b.floatsForReading();
  }

  /** A BF16 CPU buffer, either layout (row-major or grouped). */
  static CpuBuf bf16Buf(String kn, String arg, Buf buf) {
    CpuBuf b = cpu(kn, arg, buf);
    if (b.type() != Buf.Type.BF16) {
      throw new IllegalArgumentException(kn + ": " + arg + " must be BF16, got " + b.type());
    }
    return b;
  }

  static CpuBuf cpu(String kn, String arg, Buf buf) {
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
