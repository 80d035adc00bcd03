package org.research4j.kernels.cpu;

import static org.research4j.kernels.cpu.SgemmMicroKernels.MR;
import static org.research4j.kernels.cpu.SgemmMicroKernels.S;
import static org.research4j.kernels.cpu.SgemmMicroKernels.VL;

import jdk.incubator.vector.FloatVector;

/**
 * Packing for {@link CpuSgemm}: copies blocks of A and B into the contiguous, micro-kernel order
 * that lets the k loop read both with unit stride, whatever the caller's transposes and strides.
 */
final class SgemmPack {
  // Lane indices for selectFrom(x, y) (0..VL-1 pick from x, VL..2VL-1 from y) that swap the
  // off-diagonal h x h blocks of a pair of rows: LOW keeps x's lanes with bit h clear and takes
  // y's low ones, HIGH takes x's high lanes and keeps y's.
  private static final FloatVector LOW_8 = swapIndices(8, true);
  private static final FloatVector HIGH_8 = swapIndices(8, false);
  private static final FloatVector LOW_4 = swapIndices(4, true);
  private static final FloatVector HIGH_4 = swapIndices(4, false);
  private static final FloatVector LOW_2 = swapIndices(2, true);
  private static final FloatVector HIGH_2 = swapIndices(2, false);
  private static final FloatVector LOW_1 = swapIndices(1, true);
  private static final FloatVector HIGH_1 = swapIndices(1, false);

  private SgemmPack() {}

  /**
   * Packs alpha * op(A)[ic : ic+mc, pc : pc+kc] as MR-tall micro-panels: for each p, the MR values
   * of column p contiguously. Rows past mc are zero, so edge tiles run the same micro-kernel.
   */
  static void packA(
      boolean transA,
      float alpha,
      float[] a,
      int aOff,
      int lda,
      int ic,
      int pc,
      int mc,
      int kc,
      float[] dst) {
    for (int ir = 0; ir < mc; ir += MR) {
      int mr = Math.min(MR, mc - ir);
      int base = ir * kc;
      if (transA) {
        // op(A) column p is a contiguous run of stored row pc + p.
        for (int p = 0; p < kc; p++) {
          int src = aOff + (pc + p) * lda + ic + ir;
          int d = base + p * MR;
          for (int r = 0; r < mr; r++) dst[d + r] = alpha * a[src + r];
          for (int r = mr; r < MR; r++) dst[d + r] = 0f;
        }
      } else {
        for (int r = 0; r < MR; r++) {
          if (r < mr) {
            int src = aOff + (ic + ir + r) * lda + pc;
            for (int p = 0; p < kc; p++) dst[base + p * MR + r] = alpha * a[src + p];
          } else {
            for (int p = 0; p < kc; p++) dst[base + p * MR + r] = 0f;
          }
        }
      }
    }
  }

  /**
   * Packs op(B)[pc : pc+kc, j0 : j0+w] as one nr-wide micro-panel at {@code dst[d..]}: for each p,
   * nr contiguous values. Columns past w are zero.
   */
  static void packB(
      boolean transB,
      float[] b,
      int bOff,
      int ldb,
      int pc,
      int j0,
      int kc,
      int w,
      int nr,
      float[] dst,
      int d) {
    if (!transB && w == nr) {
      for (int p = 0; p < kc; p++) {
        int src = bOff + (pc + p) * ldb + j0;
        int row = d + p * nr;
        for (int v = 0; v < nr; v += VL)
          FloatVector.fromArray(S, b, src + v).intoArray(dst, row + v);
      }
      return;
    }
    for (int p = 0; p < kc; p++) {
      int row = d + p * nr;
      for (int j = w; j < nr; j++) dst[row + j] = 0f;
    }
    if (transB) {
      // op(B) column j is stored row j0 + j: the panel is a transpose. Full 16 x 16 blocks go
      // through vector registers; the rest (and other vector lengths) element by element, in
      // blocks of VL steps of p that keep both sides in L1: one cache line of each of the w
      // source rows, VL rows of the panel.
      int pDone = 0;
      if (VL == 16 && w == nr) {
        for (; pDone + 16 <= kc; pDone += 16) {
          for (int jb = 0; jb < nr; jb += 16) {
            transpose16(b, bOff + (j0 + jb) * ldb + pc + pDone, ldb, dst, d + pDone * nr + jb, nr);
          }
        }
      }
      for (int p0 = pDone; p0 < kc; p0 += VL) {
        int pEnd = Math.min(kc, p0 + VL);
        for (int j = 0; j < w; j++) {
          int src = bOff + (j0 + j) * ldb + pc;
          for (int p = p0; p < pEnd; p++) dst[d + p * nr + j] = b[src + p];
        }
      }
    } else {
      for (int p = 0; p < kc; p++) {
        int src = bOff + (pc + p) * ldb + j0;
        int row = d + p * nr;
        for (int j = 0; j < w; j++) dst[row + j] = b[src + j];
      }
    }
  }

  /**
   * {@code dst[d0 + i * ldd + j] = src[s0 + j * ld + i]} for i, j < 16, with VL == 16: sixteen row
   * loads, four butterfly stages of two-vector permutes (vpermt2ps on AVX-512), sixteen row stores:
   * 2-3x faster than moving the 256 elements one by one (measured on Zen 4).
   */
  private static void transpose16(float[] src, int s0, int ld, float[] dst, int d0, int ldd) {
    FloatVector t;
    FloatVector r0 = FloatVector.fromArray(S, src, s0);
    FloatVector r1 = FloatVector.fromArray(S, src, s0 + ld);
    FloatVector r2 = FloatVector.fromArray(S, src, s0 + 2 * ld);
    FloatVector r3 = FloatVector.fromArray(S, src, s0 + 3 * ld);
    FloatVector r4 = FloatVector.fromArray(S, src, s0 + 4 * ld);
    FloatVector r5 = FloatVector.fromArray(S, src, s0 + 5 * ld);
    FloatVector r6 = FloatVector.fromArray(S, src, s0 + 6 * ld);
    FloatVector r7 = FloatVector.fromArray(S, src, s0 + 7 * ld);
    FloatVector r8 = FloatVector.fromArray(S, src, s0 + 8 * ld);
    FloatVector r9 = FloatVector.fromArray(S, src, s0 + 9 * ld);
    FloatVector r10 = FloatVector.fromArray(S, src, s0 + 10 * ld);
    FloatVector r11 = FloatVector.fromArray(S, src, s0 + 11 * ld);
    FloatVector r12 = FloatVector.fromArray(S, src, s0 + 12 * ld);
    FloatVector r13 = FloatVector.fromArray(S, src, s0 + 13 * ld);
    FloatVector r14 = FloatVector.fromArray(S, src, s0 + 14 * ld);
    FloatVector r15 = FloatVector.fromArray(S, src, s0 + 15 * ld);
    // Swap the off-diagonal 8 x 8 blocks of each 16 x 16 block.
    t = LOW_8.selectFrom(r0, r8);
    r8 = HIGH_8.selectFrom(r0, r8);
    r0 = t;
    t = LOW_8.selectFrom(r1, r9);
    r9 = HIGH_8.selectFrom(r1, r9);
    r1 = t;
    t = LOW_8.selectFrom(r2, r10);
    r10 = HIGH_8.selectFrom(r2, r10);
    r2 = t;
    t = LOW_8.selectFrom(r3, r11);
    r11 = HIGH_8.selectFrom(r3, r11);
    r3 = t;
    t = LOW_8.selectFrom(r4, r12);
    r12 = HIGH_8.selectFrom(r4, r12);
    r4 = t;
    t = LOW_8.selectFrom(r5, r13);
    r13 = HIGH_8.selectFrom(r5, r13);
    r5 = t;
    t = LOW_8.selectFrom(r6, r14);
    r14 = HIGH_8.selectFrom(r6, r14);
    r6 = t;
    t = LOW_8.selectFrom(r7, r15);
    r15 = HIGH_8.selectFrom(r7, r15);
    r7 = t;
    // Swap the off-diagonal 4 x 4 blocks of each 8 x 8 block.
    t = LOW_4.selectFrom(r0, r4);
    r4 = HIGH_4.selectFrom(r0, r4);
    r0 = t;
    t = LOW_4.selectFrom(r1, r5);
    r5 = HIGH_4.selectFrom(r1, r5);
    r1 = t;
    t = LOW_4.selectFrom(r2, r6);
    r6 = HIGH_4.selectFrom(r2, r6);
    r2 = t;
    t = LOW_4.selectFrom(r3, r7);
    r7 = HIGH_4.selectFrom(r3, r7);
    r3 = t;
    t = LOW_4.selectFrom(r8, r12);
    r12 = HIGH_4.selectFrom(r8, r12);
    r8 = t;
    t = LOW_4.selectFrom(r9, r13);
    r13 = HIGH_4.selectFrom(r9, r13);
    r9 = t;
    t = LOW_4.selectFrom(r10, r14);
    r14 = HIGH_4.selectFrom(r10, r14);
    r10 = t;
    t = LOW_4.selectFrom(r11, r15);
    r15 = HIGH_4.selectFrom(r11, r15);
    r11 = t;
    // Swap the off-diagonal 2 x 2 blocks of each 4 x 4 block.
    t = LOW_2.selectFrom(r0, r2);
    r2 = HIGH_2.selectFrom(r0, r2);
    r0 = t;
    t = LOW_2.selectFrom(r1, r3);
    r3 = HIGH_2.selectFrom(r1, r3);
    r1 = t;
    t = LOW_2.selectFrom(r4, r6);
    r6 = HIGH_2.selectFrom(r4, r6);
    r4 = t;
    t = LOW_2.selectFrom(r5, r7);
    r7 = HIGH_2.selectFrom(r5, r7);
    r5 = t;
    t = LOW_2.selectFrom(r8, r10);
    r10 = HIGH_2.selectFrom(r8, r10);
    r8 = t;
    t = LOW_2.selectFrom(r9, r11);
    r11 = HIGH_2.selectFrom(r9, r11);
    r9 = t;
    t = LOW_2.selectFrom(r12, r14);
    r14 = HIGH_2.selectFrom(r12, r14);
    r12 = t;
    t = LOW_2.selectFrom(r13, r15);
    r15 = HIGH_2.selectFrom(r13, r15);
    r13 = t;
    // Swap the off-diagonal 1 x 1 blocks of each 2 x 2 block.
    t = LOW_1.selectFrom(r0, r1);
    r1 = HIGH_1.selectFrom(r0, r1);
    r0 = t;
    t = LOW_1.selectFrom(r2, r3);
    r3 = HIGH_1.selectFrom(r2, r3);
    r2 = t;
    t = LOW_1.selectFrom(r4, r5);
    r5 = HIGH_1.selectFrom(r4, r5);
    r4 = t;
    t = LOW_1.selectFrom(r6, r7);
    r7 = HIGH_1.selectFrom(r6, r7);
    r6 = t;
    t = LOW_1.selectFrom(r8, r9);
    r9 = HIGH_1.selectFrom(r8, r9);
    r8 = t;
    t = LOW_1.selectFrom(r10, r11);
    r11 = HIGH_1.selectFrom(r10, r11);
    r10 = t;
    t = LOW_1.selectFrom(r12, r13);
    r13 = HIGH_1.selectFrom(r12, r13);
    r12 = t;
    t = LOW_1.selectFrom(r14, r15);
    r15 = HIGH_1.selectFrom(r14, r15);
    r14 = t;
    r0.intoArray(dst, d0);
    r1.intoArray(dst, d0 + ldd);
    r2.intoArray(dst, d0 + 2 * ldd);
    r3.intoArray(dst, d0 + 3 * ldd);
    r4.intoArray(dst, d0 + 4 * ldd);
    r5.intoArray(dst, d0 + 5 * ldd);
    r6.intoArray(dst, d0 + 6 * ldd);
    r7.intoArray(dst, d0 + 7 * ldd);
    r8.intoArray(dst, d0 + 8 * ldd);
    r9.intoArray(dst, d0 + 9 * ldd);
    r10.intoArray(dst, d0 + 10 * ldd);
    r11.intoArray(dst, d0 + 11 * ldd);
    r12.intoArray(dst, d0 + 12 * ldd);
    r13.intoArray(dst, d0 + 13 * ldd);
    r14.intoArray(dst, d0 + 14 * ldd);
    r15.intoArray(dst, d0 + 15 * ldd);
  }

  private static FloatVector swapIndices(int h, boolean low) {
    float[] ix = new float[VL];
    for (int l = 0; l < VL; l++) {
      boolean bitClear = (l & h) == 0;
      ix[l] = low ? (bitClear ? l : VL + l - h) : (bitClear ? l + h : VL + l);
    }
    return FloatVector.fromArray(S, ix, 0);
  }
}
