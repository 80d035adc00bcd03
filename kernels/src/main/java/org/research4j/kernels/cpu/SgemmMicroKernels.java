package org.research4j.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner kernels of {@link CpuSgemm}: {@code C[0:6, 0:NR] = Apanel * Bpanel +
 * beta * C} over one packed 6-row panel of A and one packed NR-column panel of B.
 *
 * <p>Each step of the k loop loads NR/VL vectors of B, broadcasts six values of A and does 6 *
 * NR/VL fused multiply-adds into accumulators that stay in vector registers for the whole loop. Two
 * widths: {@link #kernel6x4} (24 accumulators + 4 B vectors + 1 broadcast = 29 registers) for ISAs
 * with 32 vector registers (AVX-512, NEON/SVE), and {@link #kernel6x2} (15 registers) for ISAs with
 * 16 (AVX2). The wide one halves the broadcasts per multiply-add, which measured 10-15% faster on
 * an AVX-512 Zen 4 (6x64 vs 6x32 at n = 1024, one thread).
 *
 * <p>The code is written out, one variable per accumulator: the Vector API keeps a vector in a
 * register only while C2 can see every use, so no arrays of vectors, no helper taking vectors (a
 * call C2 does not inline boxes them) and no vector variable reassigned in a branch (the phi boxes
 * it, and the boxing spreads into the k loop: 5x slower, measured).
 */
final class SgemmMicroKernels {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int VL = S.length();

  /** Rows of a tile (and of a packed A panel). */
  static final int MR = 6;

  private SgemmMicroKernels() {}

  /** The 6 x 2VL tile; beta == 0 ignores the old C. */
  static void kernel6x2(
      int kc, float[] a, int ai, float[] b, int bi, float[] c, int ci, int ldc, float beta) {
    FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
    for (int p = 0; p < kc; p++) {
      int ap = ai + p * 6;
      int bp = bi + p * 2 * VL;
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
    if (beta == 0f) {
      c00.intoArray(c, ci);
      c01.intoArray(c, ci + VL);
      c10.intoArray(c, ci + 1 * ldc);
      c11.intoArray(c, ci + 1 * ldc + VL);
      c20.intoArray(c, ci + 2 * ldc);
      c21.intoArray(c, ci + 2 * ldc + VL);
      c30.intoArray(c, ci + 3 * ldc);
      c31.intoArray(c, ci + 3 * ldc + VL);
      c40.intoArray(c, ci + 4 * ldc);
      c41.intoArray(c, ci + 4 * ldc + VL);
      c50.intoArray(c, ci + 5 * ldc);
      c51.intoArray(c, ci + 5 * ldc + VL);
    } else {
      FloatVector bv = FloatVector.broadcast(S, beta);
      FloatVector.fromArray(S, c, ci).fma(bv, c00).intoArray(c, ci);
      FloatVector.fromArray(S, c, ci + VL).fma(bv, c01).intoArray(c, ci + VL);
      FloatVector.fromArray(S, c, ci + 1 * ldc).fma(bv, c10).intoArray(c, ci + 1 * ldc);
      FloatVector.fromArray(S, c, ci + 1 * ldc + VL).fma(bv, c11).intoArray(c, ci + 1 * ldc + VL);
      FloatVector.fromArray(S, c, ci + 2 * ldc).fma(bv, c20).intoArray(c, ci + 2 * ldc);
      FloatVector.fromArray(S, c, ci + 2 * ldc + VL).fma(bv, c21).intoArray(c, ci + 2 * ldc + VL);
      FloatVector.fromArray(S, c, ci + 3 * ldc).fma(bv, c30).intoArray(c, ci + 3 * ldc);
      FloatVector.fromArray(S, c, ci + 3 * ldc + VL).fma(bv, c31).intoArray(c, ci + 3 * ldc + VL);
      FloatVector.fromArray(S, c, ci + 4 * ldc).fma(bv, c40).intoArray(c, ci + 4 * ldc);
      FloatVector.fromArray(S, c, ci + 4 * ldc + VL).fma(bv, c41).intoArray(c, ci + 4 * ldc + VL);
      FloatVector.fromArray(S, c, ci + 5 * ldc).fma(bv, c50).intoArray(c, ci + 5 * ldc);
      FloatVector.fromArray(S, c, ci + 5 * ldc + VL).fma(bv, c51).intoArray(c, ci + 5 * ldc + VL);
    }
  }

  /** The 6 x 4VL tile; beta == 0 ignores the old C. */
  static void kernel6x4(
      int kc, float[] a, int ai, float[] b, int bi, float[] c, int ci, int ldc, float beta) {
    FloatVector c00 = FloatVector.zero(S),
        c01 = FloatVector.zero(S),
        c02 = FloatVector.zero(S),
        c03 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S),
        c11 = FloatVector.zero(S),
        c12 = FloatVector.zero(S),
        c13 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S),
        c21 = FloatVector.zero(S),
        c22 = FloatVector.zero(S),
        c23 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S),
        c31 = FloatVector.zero(S),
        c32 = FloatVector.zero(S),
        c33 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S),
        c41 = FloatVector.zero(S),
        c42 = FloatVector.zero(S),
        c43 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S),
        c51 = FloatVector.zero(S),
        c52 = FloatVector.zero(S),
        c53 = FloatVector.zero(S);
    for (int p = 0; p < kc; p++) {
      int ap = ai + p * 6;
      int bp = bi + p * 4 * VL;
      FloatVector b0 = FloatVector.fromArray(S, b, bp);
      FloatVector b1 = FloatVector.fromArray(S, b, bp + VL);
      FloatVector b2 = FloatVector.fromArray(S, b, bp + 2 * VL);
      FloatVector b3 = FloatVector.fromArray(S, b, bp + 3 * VL);
      FloatVector x = FloatVector.broadcast(S, a[ap]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      c02 = x.fma(b2, c02);
      c03 = x.fma(b3, c03);
      x = FloatVector.broadcast(S, a[ap + 1]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      c12 = x.fma(b2, c12);
      c13 = x.fma(b3, c13);
      x = FloatVector.broadcast(S, a[ap + 2]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      c22 = x.fma(b2, c22);
      c23 = x.fma(b3, c23);
      x = FloatVector.broadcast(S, a[ap + 3]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      c32 = x.fma(b2, c32);
      c33 = x.fma(b3, c33);
      x = FloatVector.broadcast(S, a[ap + 4]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      c42 = x.fma(b2, c42);
      c43 = x.fma(b3, c43);
      x = FloatVector.broadcast(S, a[ap + 5]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
      c52 = x.fma(b2, c52);
      c53 = x.fma(b3, c53);
    }
    if (beta == 0f) {
      c00.intoArray(c, ci);
      c01.intoArray(c, ci + VL);
      c02.intoArray(c, ci + 2 * VL);
      c03.intoArray(c, ci + 3 * VL);
      c10.intoArray(c, ci + 1 * ldc);
      c11.intoArray(c, ci + 1 * ldc + VL);
      c12.intoArray(c, ci + 1 * ldc + 2 * VL);
      c13.intoArray(c, ci + 1 * ldc + 3 * VL);
      c20.intoArray(c, ci + 2 * ldc);
      c21.intoArray(c, ci + 2 * ldc + VL);
      c22.intoArray(c, ci + 2 * ldc + 2 * VL);
      c23.intoArray(c, ci + 2 * ldc + 3 * VL);
      c30.intoArray(c, ci + 3 * ldc);
      c31.intoArray(c, ci + 3 * ldc + VL);
      c32.intoArray(c, ci + 3 * ldc + 2 * VL);
      c33.intoArray(c, ci + 3 * ldc + 3 * VL);
      c40.intoArray(c, ci + 4 * ldc);
      c41.intoArray(c, ci + 4 * ldc + VL);
      c42.intoArray(c, ci + 4 * ldc + 2 * VL);
      c43.intoArray(c, ci + 4 * ldc + 3 * VL);
      c50.intoArray(c, ci + 5 * ldc);
      c51.intoArray(c, ci + 5 * ldc + VL);
      c52.intoArray(c, ci + 5 * ldc + 2 * VL);
      c53.intoArray(c, ci + 5 * ldc + 3 * VL);
    } else {
      FloatVector bv = FloatVector.broadcast(S, beta);
      FloatVector.fromArray(S, c, ci).fma(bv, c00).intoArray(c, ci);
      FloatVector.fromArray(S, c, ci + VL).fma(bv, c01).intoArray(c, ci + VL);
      FloatVector.fromArray(S, c, ci + 2 * VL).fma(bv, c02).intoArray(c, ci + 2 * VL);
      FloatVector.fromArray(S, c, ci + 3 * VL).fma(bv, c03).intoArray(c, ci + 3 * VL);
      FloatVector.fromArray(S, c, ci + 1 * ldc).fma(bv, c10).intoArray(c, ci + 1 * ldc);
      FloatVector.fromArray(S, c, ci + 1 * ldc + VL).fma(bv, c11).intoArray(c, ci + 1 * ldc + VL);
      FloatVector.fromArray(S, c, ci + 1 * ldc + 2 * VL)
          .fma(bv, c12)
          .intoArray(c, ci + 1 * ldc + 2 * VL);
      FloatVector.fromArray(S, c, ci + 1 * ldc + 3 * VL)
          .fma(bv, c13)
          .intoArray(c, ci + 1 * ldc + 3 * VL);
      FloatVector.fromArray(S, c, ci + 2 * ldc).fma(bv, c20).intoArray(c, ci + 2 * ldc);
      FloatVector.fromArray(S, c, ci + 2 * ldc + VL).fma(bv, c21).intoArray(c, ci + 2 * ldc + VL);
      FloatVector.fromArray(S, c, ci + 2 * ldc + 2 * VL)
          .fma(bv, c22)
          .intoArray(c, ci + 2 * ldc + 2 * VL);
      FloatVector.fromArray(S, c, ci + 2 * ldc + 3 * VL)
          .fma(bv, c23)
          .intoArray(c, ci + 2 * ldc + 3 * VL);
      FloatVector.fromArray(S, c, ci + 3 * ldc).fma(bv, c30).intoArray(c, ci + 3 * ldc);
      FloatVector.fromArray(S, c, ci + 3 * ldc + VL).fma(bv, c31).intoArray(c, ci + 3 * ldc + VL);
      FloatVector.fromArray(S, c, ci + 3 * ldc + 2 * VL)
          .fma(bv, c32)
          .intoArray(c, ci + 3 * ldc + 2 * VL);
      FloatVector.fromArray(S, c, ci + 3 * ldc + 3 * VL)
          .fma(bv, c33)
          .intoArray(c, ci + 3 * ldc + 3 * VL);
      FloatVector.fromArray(S, c, ci + 4 * ldc).fma(bv, c40).intoArray(c, ci + 4 * ldc);
      FloatVector.fromArray(S, c, ci + 4 * ldc + VL).fma(bv, c41).intoArray(c, ci + 4 * ldc + VL);
      FloatVector.fromArray(S, c, ci + 4 * ldc + 2 * VL)
          .fma(bv, c42)
          .intoArray(c, ci + 4 * ldc + 2 * VL);
      FloatVector.fromArray(S, c, ci + 4 * ldc + 3 * VL)
          .fma(bv, c43)
          .intoArray(c, ci + 4 * ldc + 3 * VL);
      FloatVector.fromArray(S, c, ci + 5 * ldc).fma(bv, c50).intoArray(c, ci + 5 * ldc);
      FloatVector.fromArray(S, c, ci + 5 * ldc + VL).fma(bv, c51).intoArray(c, ci + 5 * ldc + VL);
      FloatVector.fromArray(S, c, ci + 5 * ldc + 2 * VL)
          .fma(bv, c52)
          .intoArray(c, ci + 5 * ldc + 2 * VL);
      FloatVector.fromArray(S, c, ci + 5 * ldc + 3 * VL)
          .fma(bv, c53)
          .intoArray(c, ci + 5 * ldc + 3 * VL);
    }
  }
}
