package org.research4j.kernels.cpu;

import static org.research4j.kernels.cpu.Vec.L;
import static org.research4j.kernels.cpu.Vec.S;

import jdk.incubator.vector.FloatVector;

/**
 * The two small matrix products flash attention is made of, register-blocked for the Vector API.
 * Both work on two rows at a time with four vectors per row, so eight independent accumulators hide
 * the fused multiply-add latency and each loaded vector feeds two rows. A single-row path handles
 * an odd last row, single vectors and a scalar loop handle widths that are not a multiple of four
 * vectors.
 */
final class AttentionTiles {
  private AttentionTiles() {}

  /** Columns of a score tile: four vectors. */
  static final int BK = 4 * L;

  /**
   * Score tile: {@code dst[dOff + r*ldd + jj] = scale * sum_c a[aOff + r*lda + c] * t[tOff + c*ldt
   * + jj]} for {@code r < rows}, {@code jj < BK}, {@code c < d}; {@code t} holds keys transposed
   * ({@code [d, keys]}), so the result is vectorised over keys and needs no horizontal sums.
   */
  static void scores(
      float[] a,
      int aOff,
      int lda,
      int rows,
      float[] t,
      int tOff,
      int ldt,
      int d,
      float[] dst,
      int dOff,
      int ldd,
      float scale) {
    int r = 0;
    for (; r + 1 < rows; r += 2) {
      int a0 = aOff + r * lda;
      int a1 = a0 + lda;
      FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00;
      FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
      for (int c = 0; c < d; c++) {
        int to = tOff + c * ldt;
        FloatVector t0 = FloatVector.fromArray(S, t, to);
        FloatVector t1 = FloatVector.fromArray(S, t, to + L);
        FloatVector t2 = FloatVector.fromArray(S, t, to + 2 * L);
        FloatVector t3 = FloatVector.fromArray(S, t, to + 3 * L);
        FloatVector w0 = FloatVector.broadcast(S, a[a0 + c]);
        FloatVector w1 = FloatVector.broadcast(S, a[a1 + c]);
        s00 = t0.fma(w0, s00);
        s01 = t1.fma(w0, s01);
        s02 = t2.fma(w0, s02);
        s03 = t3.fma(w0, s03);
        s10 = t0.fma(w1, s10);
        s11 = t1.fma(w1, s11);
        s12 = t2.fma(w1, s12);
        s13 = t3.fma(w1, s13);
      }
      int d0 = dOff + r * ldd;
      int d1 = d0 + ldd;
      s00.mul(scale).intoArray(dst, d0);
      s01.mul(scale).intoArray(dst, d0 + L);
      s02.mul(scale).intoArray(dst, d0 + 2 * L);
      s03.mul(scale).intoArray(dst, d0 + 3 * L);
      s10.mul(scale).intoArray(dst, d1);
      s11.mul(scale).intoArray(dst, d1 + L);
      s12.mul(scale).intoArray(dst, d1 + 2 * L);
      s13.mul(scale).intoArray(dst, d1 + 3 * L);
    }
    if (r < rows) {
      int a0 = aOff + r * lda;
      FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
      for (int c = 0; c < d; c++) {
        int to = tOff + c * ldt;
        FloatVector w = FloatVector.broadcast(S, a[a0 + c]);
        s0 = FloatVector.fromArray(S, t, to).fma(w, s0);
        s1 = FloatVector.fromArray(S, t, to + L).fma(w, s1);
        s2 = FloatVector.fromArray(S, t, to + 2 * L).fma(w, s2);
        s3 = FloatVector.fromArray(S, t, to + 3 * L).fma(w, s3);
      }
      int d0 = dOff + r * ldd;
      s0.mul(scale).intoArray(dst, d0);
      s1.mul(scale).intoArray(dst, d0 + L);
      s2.mul(scale).intoArray(dst, d0 + 2 * L);
      s3.mul(scale).intoArray(dst, d0 + 3 * L);
    }
  }

  /**
   * {@link #scores} with the transposed keys {@code t} in bfloat16 (a CPU key cache), widened as
   * they are read; every product and sum is float32.
   */
  static void scoresBf16(
      float[] a,
      int aOff,
      int lda,
      int rows,
      short[] t,
      int tOff,
      int ldt,
      int d,
      float[] dst,
      int dOff,
      int ldd,
      float scale) {
    int r = 0;
    for (; r + 1 < rows; r += 2) {
      int a0 = aOff + r * lda;
      int a1 = a0 + lda;
      FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00;
      FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
      for (int c = 0; c < d; c++) {
        int to = tOff + c * ldt;
        FloatVector t0 = CpuBf16.widen(t, to);
        FloatVector t1 = CpuBf16.widen(t, to + L);
        FloatVector t2 = CpuBf16.widen(t, to + 2 * L);
        FloatVector t3 = CpuBf16.widen(t, to + 3 * L);
        FloatVector w0 = FloatVector.broadcast(S, a[a0 + c]);
        FloatVector w1 = FloatVector.broadcast(S, a[a1 + c]);
        s00 = t0.fma(w0, s00);
        s01 = t1.fma(w0, s01);
        s02 = t2.fma(w0, s02);
        s03 = t3.fma(w0, s03);
        s10 = t0.fma(w1, s10);
        s11 = t1.fma(w1, s11);
        s12 = t2.fma(w1, s12);
        s13 = t3.fma(w1, s13);
      }
      int d0 = dOff + r * ldd;
      int d1 = d0 + ldd;
      s00.mul(scale).intoArray(dst, d0);
      s01.mul(scale).intoArray(dst, d0 + L);
      s02.mul(scale).intoArray(dst, d0 + 2 * L);
      s03.mul(scale).intoArray(dst, d0 + 3 * L);
      s10.mul(scale).intoArray(dst, d1);
      s11.mul(scale).intoArray(dst, d1 + L);
      s12.mul(scale).intoArray(dst, d1 + 2 * L);
      s13.mul(scale).intoArray(dst, d1 + 3 * L);
    }
    if (r < rows) {
      int a0 = aOff + r * lda;
      FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
      for (int c = 0; c < d; c++) {
        int to = tOff + c * ldt;
        FloatVector w = FloatVector.broadcast(S, a[a0 + c]);
        s0 = CpuBf16.widen(t, to).fma(w, s0);
        s1 = CpuBf16.widen(t, to + L).fma(w, s1);
        s2 = CpuBf16.widen(t, to + 2 * L).fma(w, s2);
        s3 = CpuBf16.widen(t, to + 3 * L).fma(w, s3);
      }
      int d0 = dOff + r * ldd;
      s0.mul(scale).intoArray(dst, d0);
      s1.mul(scale).intoArray(dst, d0 + L);
      s2.mul(scale).intoArray(dst, d0 + 2 * L);
      s3.mul(scale).intoArray(dst, d0 + 3 * L);
    }
  }

  /**
   * {@code c[c0 + r*ldc + x] += sum_{j<n} p[r*BK + j] * float(v[vOff + j*ldv + x])} for one or two
   * rows {@code r} and {@code x < d}, {@code d} a multiple of 4 vectors: {@link #accumulate} of a
   * probability tile ({@code [rows, BK]}) by a tile of bfloat16 values (a decode step's {@code p·V}
   * over a bfloat16 cache), each value row widened in registers once for both rows.
   */
  static void accumulateBf16(
      float[] p, int rows, short[] v, int vOff, int ldv, float[] c, int ldc, int n, int d) {
    boolean two = rows == 2;
    for (int x = 0; x < d; x += 4 * L) {
      FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00;
      FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
      for (int j = 0; j < n; j++) {
        int vo = vOff + j * ldv + x;
        FloatVector b0 = CpuBf16.widen(v, vo);
        FloatVector b1 = CpuBf16.widen(v, vo + L);
        FloatVector b2 = CpuBf16.widen(v, vo + 2 * L);
        FloatVector b3 = CpuBf16.widen(v, vo + 3 * L);
        FloatVector w0 = FloatVector.broadcast(S, p[j]);
        s00 = b0.fma(w0, s00);
        s01 = b1.fma(w0, s01);
        s02 = b2.fma(w0, s02);
        s03 = b3.fma(w0, s03);
        if (two) {
          FloatVector w1 = FloatVector.broadcast(S, p[BK + j]);
          s10 = b0.fma(w1, s10);
          s11 = b1.fma(w1, s11);
          s12 = b2.fma(w1, s12);
          s13 = b3.fma(w1, s13);
        }
      }
      addScaled(s00, 1f, c, x);
      addScaled(s01, 1f, c, x + L);
      addScaled(s02, 1f, c, x + 2 * L);
      addScaled(s03, 1f, c, x + 3 * L);
      if (two) {
        addScaled(s10, 1f, c, ldc + x);
        addScaled(s11, 1f, c, ldc + x + L);
        addScaled(s12, 1f, c, ldc + x + 2 * L);
        addScaled(s13, 1f, c, ldc + x + 3 * L);
      }
    }
  }

  /**
   * {@code c[cOff + r*ldc + x] += alpha * sum_{j<n} a[aOff + r*ars + j*ajs] * b[bOff + j*ldb + x]}
   * for {@code r < rows}, {@code x < d}. The strides of {@code a} let one routine multiply by a
   * tile or by its transpose ({@code p·V}, {@code dS·K}, {@code dS^T·Q}, {@code P^T·dOut}).
   */
  static void accumulate(
      float[] a,
      int aOff,
      int ars,
      int ajs,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int cOff,
      int ldc,
      int rows,
      int n,
      int d,
      float alpha) {
    int r = 0;
    for (; r + 1 < rows; r += 2) {
      int a0 = aOff + r * ars;
      int a1 = a0 + ars;
      int c0 = cOff + r * ldc;
      int c1 = c0 + ldc;
      int x = 0;
      for (; x + 4 * L <= d; x += 4 * L) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        for (int j = 0; j < n; j++) {
          int bo = bOff + j * ldb + x;
          FloatVector b0 = FloatVector.fromArray(S, b, bo);
          FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
          FloatVector b2 = FloatVector.fromArray(S, b, bo + 2 * L);
          FloatVector b3 = FloatVector.fromArray(S, b, bo + 3 * L);
          FloatVector w0 = FloatVector.broadcast(S, a[a0 + j * ajs]);
          FloatVector w1 = FloatVector.broadcast(S, a[a1 + j * ajs]);
          s00 = b0.fma(w0, s00);
          s01 = b1.fma(w0, s01);
          s02 = b2.fma(w0, s02);
          s03 = b3.fma(w0, s03);
          s10 = b0.fma(w1, s10);
          s11 = b1.fma(w1, s11);
          s12 = b2.fma(w1, s12);
          s13 = b3.fma(w1, s13);
        }
        addScaled(s00, alpha, c, c0 + x);
        addScaled(s01, alpha, c, c0 + x + L);
        addScaled(s02, alpha, c, c0 + x + 2 * L);
        addScaled(s03, alpha, c, c0 + x + 3 * L);
        addScaled(s10, alpha, c, c1 + x);
        addScaled(s11, alpha, c, c1 + x + L);
        addScaled(s12, alpha, c, c1 + x + 2 * L);
        addScaled(s13, alpha, c, c1 + x + 3 * L);
      }
      for (; x + L <= d; x += L) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0;
        for (int j = 0; j < n; j++) {
          FloatVector bv = FloatVector.fromArray(S, b, bOff + j * ldb + x);
          s0 = bv.fma(FloatVector.broadcast(S, a[a0 + j * ajs]), s0);
          s1 = bv.fma(FloatVector.broadcast(S, a[a1 + j * ajs]), s1);
        }
        addScaled(s0, alpha, c, c0 + x);
        addScaled(s1, alpha, c, c1 + x);
      }
      for (; x < d; x++) {
        float s0 = 0f, s1 = 0f;
        for (int j = 0; j < n; j++) {
          float bv = b[bOff + j * ldb + x];
          s0 += a[a0 + j * ajs] * bv;
          s1 += a[a1 + j * ajs] * bv;
        }
        c[c0 + x] += alpha * s0;
        c[c1 + x] += alpha * s1;
      }
    }
    if (r < rows)
      accumulateRow(a, aOff + r * ars, ajs, b, bOff, ldb, c, cOff + r * ldc, n, d, alpha);
  }

  private static void accumulateRow(
      float[] a,
      int a0,
      int ajs,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int c0,
      int n,
      int d,
      float alpha) {
    int x = 0;
    for (; x + 4 * L <= d; x += 4 * L) {
      FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
      for (int j = 0; j < n; j++) {
        int bo = bOff + j * ldb + x;
        FloatVector w = FloatVector.broadcast(S, a[a0 + j * ajs]);
        s0 = FloatVector.fromArray(S, b, bo).fma(w, s0);
        s1 = FloatVector.fromArray(S, b, bo + L).fma(w, s1);
        s2 = FloatVector.fromArray(S, b, bo + 2 * L).fma(w, s2);
        s3 = FloatVector.fromArray(S, b, bo + 3 * L).fma(w, s3);
      }
      addScaled(s0, alpha, c, c0 + x);
      addScaled(s1, alpha, c, c0 + x + L);
      addScaled(s2, alpha, c, c0 + x + 2 * L);
      addScaled(s3, alpha, c, c0 + x + 3 * L);
    }
    for (; x + L <= d; x += L) {
      FloatVector s = FloatVector.zero(S);
      for (int j = 0; j < n; j++) {
        s =
            FloatVector.fromArray(S, b, bOff + j * ldb + x)
                .fma(FloatVector.broadcast(S, a[a0 + j * ajs]), s);
      }
      addScaled(s, alpha, c, c0 + x);
    }
    for (; x < d; x++) {
      float s = 0f;
      for (int j = 0; j < n; j++) s += a[a0 + j * ajs] * b[bOff + j * ldb + x];
      c[c0 + x] += alpha * s;
    }
  }

  private static void addScaled(FloatVector s, float alpha, float[] c, int off) {
    s.mul(alpha).add(FloatVector.fromArray(S, c, off)).intoArray(c, off);
  }
}
