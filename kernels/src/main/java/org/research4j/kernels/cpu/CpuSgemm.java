package org.research4j.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row-major SGEMM on the CPU (see {@code Kernels#sgemm} for the contract).
 *
 * <p>Blocking in the style of GotoBLAS/BLIS: loop {@code jc} over column panels of width NC, loop
 * {@code pc} over depth slices of KC, pack the {@code KC x NC} slice of B once into NR-wide
 * micro-panels, then loop {@code ic} over row blocks of MC, pack the {@code MC x KC} block of A
 * into MR-tall micro-panels and run the MR x NR micro-kernel over every tile of the block.
 */
public final class CpuSgemm {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int VL = S.length();
  static final int MR = 6;
  static final int NR = 2 * VL;
  static final int KC = Integer.getInteger("sgemm.kc", 256);
  static final int MC = Integer.getInteger("sgemm.mc", 120);
  static final int NC = Integer.getInteger("sgemm.nc", 4096) / NR * NR;

  /** Below this many multiply-adds one thread does the whole product. */
  private static final long PARALLEL_WORK = 1L << 18;

  private static final ThreadLocal<float[][]> A_PACK = ThreadLocal.withInitial(() -> new float[1][0]);
  private static final ThreadLocal<float[][]> B_PACK = ThreadLocal.withInitial(() -> new float[1][0]);
  private static final ThreadLocal<float[]> EDGE = ThreadLocal.withInitial(() -> new float[MR * NR]);

  private CpuSgemm() {}

  /** The blocking in use, for benchmark reports, e.g. {@code "6x32 micro-kernel, 512-bit vectors, ..."}. */
  public static String describe() {
    return String.format(
        "%dx%d micro-kernel, %d-bit vectors, KC=%d MC=%d NC=%d", MR, NR, S.vectorBitSize(), KC, MC, NC);
  }

  public static void sgemm(
      boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc) {
    if (m == 0 || n == 0) return;
    if (k == 0 || alpha == 0f) {
      scale(m, n, beta, c, cOff, ldc);
      return;
    }
    boolean parallel = (long) m * n * k >= PARALLEL_WORK && Parallel.threads() > 1;
    float[] bPack = buffer(B_PACK, Math.min(KC, k) * roundUp(Math.min(NC, n), NR));
    for (int jc = 0; jc < n; jc += NC) {
      int nc = Math.min(NC, n - jc);
      int panels = (nc + NR - 1) / NR;
      for (int pc = 0; pc < k; pc += KC) {
        int kc = Math.min(KC, k - pc);
        float betaEff = pc == 0 ? beta : 1f;
        int jc0 = jc;
        int pc0 = pc;
        Parallel.RangeBody packB =
            (from, to) -> {
              for (int q = from; q < to; q++) {
                packB(transB, b, bOff, ldb, pc0, jc0 + q * NR, kc, Math.min(NR, nc - q * NR),
                    bPack, q * NR * kc);
              }
            };
        if (parallel) Parallel.forRange(panels, 8, packB);
        else packB.run(0, panels);

        int rowBlocks = (m + MC - 1) / MC;
        int colSplits = parallel ? Math.min(panels, Math.max(1, (2 * Parallel.threads() + rowBlocks - 1) / rowBlocks)) : 1;
        Parallel.RangeBody blocks =
            (from, to) -> {
              float[] aPack = buffer(A_PACK, MC * kc);
              int packedBlock = -1;
              for (int t = from; t < to; t++) {
                int rb = t / colSplits;
                int cs = t % colSplits;
                int ic = rb * MC;
                int mc = Math.min(MC, m - ic);
                if (rb != packedBlock) {
                  packA(transA, alpha, a, aOff, lda, ic, pc0, mc, kc, aPack);
                  packedBlock = rb;
                }
                int pFrom = (int) ((long) panels * cs / colSplits);
                int pTo = (int) ((long) panels * (cs + 1) / colSplits);
                macroKernel(mc, nc, kc, pFrom, pTo, aPack, bPack, betaEff, c, cOff + ic * ldc + jc0, ldc);
              }
            };
        if (parallel) Parallel.forRange(rowBlocks * colSplits, 1, blocks);
        else blocks.run(0, rowBlocks * colSplits);
      }
    }
  }

  /** C = beta * C over an m x n window; beta == 0 writes zeros whatever C held. */
  private static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
    for (int i = 0; i < m; i++) {
      int row = cOff + i * ldc;
      for (int j = 0; j < n; j++) c[row + j] = beta == 0f ? 0f : beta * c[row + j];
    }
  }

  /**
   * Packs op(A)[ic : ic+mc, pc : pc+kc], scaled by alpha, as MR-tall micro-panels: panel r holds,
   * for each p, the MR values of column p contiguously. Rows past mc are zero.
   */
  private static void packA(
      boolean transA, float alpha, float[] a, int aOff, int lda, int ic, int pc, int mc, int kc,
      float[] dst) {
    for (int ir = 0; ir < mc; ir += MR) {
      int mr = Math.min(MR, mc - ir);
      int base = ir * kc;
      for (int p = 0; p < kc; p++) {
        int d = base + p * MR;
        for (int r = 0; r < mr; r++) {
          int i = ic + ir + r;
          int col = pc + p;
          dst[d + r] = alpha * (transA ? a[aOff + col * lda + i] : a[aOff + i * lda + col]);
        }
        for (int r = mr; r < MR; r++) dst[d + r] = 0f;
      }
    }
  }

  /**
   * Packs op(B)[pc : pc+kc, j0 : j0+nr] as one NR-wide micro-panel at {@code dst[d..]}: for each p,
   * NR contiguous values. Columns past nr are zero.
   */
  private static void packB(
      boolean transB, float[] b, int bOff, int ldb, int pc, int j0, int kc, int nr, float[] dst,
      int d) {
    for (int p = 0; p < kc; p++) {
      int row = d + p * NR;
      for (int j = 0; j < nr; j++) {
        dst[row + j] = transB ? b[bOff + (j0 + j) * ldb + pc + p] : b[bOff + (pc + p) * ldb + j0 + j];
      }
      for (int j = nr; j < NR; j++) dst[row + j] = 0f;
    }
  }

  /** Runs the micro-kernel over the tiles of micro-panels [pFrom, pTo) of B and all of A. */
  private static void macroKernel(
      int mc, int nc, int kc, int pFrom, int pTo, float[] aPack, float[] bPack, float beta,
      float[] c, int cBase, int ldc) {
    for (int q = pFrom; q < pTo; q++) {
      int jr = q * NR;
      int nr = Math.min(NR, nc - jr);
      for (int ir = 0; ir < mc; ir += MR) {
        int mr = Math.min(MR, mc - ir);
        int ci = cBase + ir * ldc + jr;
        if (mr == MR && nr == NR) {
          kernel(kc, aPack, ir * kc, bPack, jr * kc, c, ci, ldc, beta);
        } else {
          float[] edge = EDGE.get();
          kernel(kc, aPack, ir * kc, bPack, jr * kc, edge, 0, NR, 0f);
          for (int r = 0; r < mr; r++) {
            for (int j = 0; j < nr; j++) {
              int x = ci + r * ldc + j;
              float v = edge[r * NR + j];
              c[x] = beta == 0f ? v : v + beta * c[x];
            }
          }
        }
      }
    }
  }

  /**
   * C[0:MR, 0:NR] = A_panel * B_panel + beta * C (beta == 0: old C ignored). Twelve accumulators
   * stay in vector registers across the whole kc loop; each step loads two B vectors and
   * broadcasts MR values of A.
   */
  private static void kernel(
      int kc, float[] a, int ai, float[] b, int bi, float[] c, int ci, int ldc, float beta) {
    FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
    for (int p = 0; p < kc; p++) {
      int ap = ai + p * MR;
      int bp = bi + p * NR;
      FloatVector b0 = FloatVector.fromArray(S, b, bp);
      FloatVector b1 = FloatVector.fromArray(S, b, bp + VL);
      FloatVector x = FloatVector.broadcast(S, a[ap]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(S, a[ap + 1]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(S, a[ap + 2]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(S, a[ap + 3]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(S, a[ap + 4]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(S, a[ap + 5]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
    }
    // Written out rather than through a helper: a vector passed to a call C2 does not inline, or
    // merged at a phi after a branch, gets boxed, and the boxing spreads into the k loop (5x slower).
    int c1 = ci + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
    if (beta == 0f) {
      c00.intoArray(c, ci);
      c01.intoArray(c, ci + VL);
      c10.intoArray(c, c1);
      c11.intoArray(c, c1 + VL);
      c20.intoArray(c, c2);
      c21.intoArray(c, c2 + VL);
      c30.intoArray(c, c3);
      c31.intoArray(c, c3 + VL);
      c40.intoArray(c, c4);
      c41.intoArray(c, c4 + VL);
      c50.intoArray(c, c5);
      c51.intoArray(c, c5 + VL);
    } else {
      FloatVector bv = FloatVector.broadcast(S, beta);
      FloatVector.fromArray(S, c, ci).fma(bv, c00).intoArray(c, ci);
      FloatVector.fromArray(S, c, ci + VL).fma(bv, c01).intoArray(c, ci + VL);
      FloatVector.fromArray(S, c, c1).fma(bv, c10).intoArray(c, c1);
      FloatVector.fromArray(S, c, c1 + VL).fma(bv, c11).intoArray(c, c1 + VL);
      FloatVector.fromArray(S, c, c2).fma(bv, c20).intoArray(c, c2);
      FloatVector.fromArray(S, c, c2 + VL).fma(bv, c21).intoArray(c, c2 + VL);
      FloatVector.fromArray(S, c, c3).fma(bv, c30).intoArray(c, c3);
      FloatVector.fromArray(S, c, c3 + VL).fma(bv, c31).intoArray(c, c3 + VL);
      FloatVector.fromArray(S, c, c4).fma(bv, c40).intoArray(c, c4);
      FloatVector.fromArray(S, c, c4 + VL).fma(bv, c41).intoArray(c, c4 + VL);
      FloatVector.fromArray(S, c, c5).fma(bv, c50).intoArray(c, c5);
      FloatVector.fromArray(S, c, c5 + VL).fma(bv, c51).intoArray(c, c5 + VL);
    }
  }

  private static float[] buffer(ThreadLocal<float[][]> pool, int size) {
    float[][] holder = pool.get();
    if (holder[0].length < size) holder[0] = new float[size];
    return holder[0];
  }

  private static int roundUp(int x, int to) {
    return (x + to - 1) / to * to;
  }
}
