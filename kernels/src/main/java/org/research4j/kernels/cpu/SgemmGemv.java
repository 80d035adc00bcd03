package org.research4j.kernels.cpu;

import static org.research4j.kernels.cpu.SgemmMicroKernels.S;
import static org.research4j.kernels.cpu.SgemmMicroKernels.VL;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The matrix-vector shapes of {@link CpuSgemm} ({@code m == 1}, as in one-token decoding, and
 * {@code n == 1}): {@code y[j] = alpha * sum_p x[p] * M(j, p) + beta * y[j]}, read straight from
 * the caller's arrays. Packing would copy the whole matrix to use each element once, doubling the
 * memory traffic of a product that is bound by it.
 *
 * <p>Two layouts of M: <em>dot</em>, {@code M(j, p) = mat[off + j * ld + p]} (each output a dot
 * product of contiguous rows), and <em>axpy</em>, {@code M(j, p) = mat[off + p * ld + j]} (each
 * row of M scaled by {@code x[p]} and added into a strip of outputs).
 */
final class SgemmGemv {
  /** Outputs per task of the axpy form: four vectors of accumulators per strip. */
  private static final int STRIP = 4 * VL;

  private static final ThreadScratch X_COPY = new ThreadScratch();

  private SgemmGemv() {}

  /**
   * Computes the product for {@code n} outputs {@code y[yOff + j * incy]} and depth {@code k}; x is
   * read at {@code x[xOff + p * incx]}. {@code dotForm} selects the layout of M (class comment).
   */
  static void gemv(
      boolean dotForm, int n, int k, float alpha, float[] x, int xOff, int incx, float[] mat,
      int mOff, int ld, float beta, float[] y, int yOff, int incy, boolean parallel) {
    float[] xs = x;
    int xs0 = xOff;
    if (incx != 1) {
      xs = X_COPY.get(k);
      for (int p = 0; p < k; p++) xs[p] = x[xOff + p * incx];
      xs0 = 0;
    }
    float[] xv = xs;
    int x0 = xs0;
    if (dotForm) {
      Parallel.RangeBody rows = (from, to) -> dotRows(from, to, k, alpha, xv, x0, mat, mOff, ld, beta, y, yOff, incy);
      if (parallel) Parallel.forRange((n + 3) / 4, 16, (f, t) -> rows.run(4 * f, Math.min(n, 4 * t)));
      else rows.run(0, n);
    } else {
      int strips = (n + STRIP - 1) / STRIP;
      Parallel.RangeBody body =
          (from, to) -> {
            for (int s = from; s < to; s++) {
              axpyStrip(s * STRIP, Math.min(n, (s + 1) * STRIP), k, alpha, xv, x0, mat, mOff, ld, beta, y, yOff, incy);
            }
          };
      if (parallel) Parallel.forRange(strips, 4, body);
      else body.run(0, strips);
    }
  }

  /** Outputs [from, to) of the dot form, four rows of M at a time so each x vector is loaded once. */
  private static void dotRows(
      int from, int to, int k, float alpha, float[] x, int x0, float[] mat, int mOff, int ld,
      float beta, float[] y, int yOff, int incy) {
    int kv = S.loopBound(k);
    int j = from;
    for (; j + 4 <= to; j += 4) {
      int r0 = mOff + j * ld;
      int r1 = r0 + ld;
      int r2 = r1 + ld;
      int r3 = r2 + ld;
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = FloatVector.zero(S);
      FloatVector s2 = FloatVector.zero(S);
      FloatVector s3 = FloatVector.zero(S);
      for (int p = 0; p < kv; p += VL) {
        FloatVector xp = FloatVector.fromArray(S, x, x0 + p);
        s0 = FloatVector.fromArray(S, mat, r0 + p).fma(xp, s0);
        s1 = FloatVector.fromArray(S, mat, r1 + p).fma(xp, s1);
        s2 = FloatVector.fromArray(S, mat, r2 + p).fma(xp, s2);
        s3 = FloatVector.fromArray(S, mat, r3 + p).fma(xp, s3);
      }
      float d0 = s0.reduceLanes(VectorOperators.ADD);
      float d1 = s1.reduceLanes(VectorOperators.ADD);
      float d2 = s2.reduceLanes(VectorOperators.ADD);
      float d3 = s3.reduceLanes(VectorOperators.ADD);
      for (int p = kv; p < k; p++) {
        float xp = x[x0 + p];
        d0 += mat[r0 + p] * xp;
        d1 += mat[r1 + p] * xp;
        d2 += mat[r2 + p] * xp;
        d3 += mat[r3 + p] * xp;
      }
      put(y, yOff + j * incy, alpha * d0, beta);
      put(y, yOff + (j + 1) * incy, alpha * d1, beta);
      put(y, yOff + (j + 2) * incy, alpha * d2, beta);
      put(y, yOff + (j + 3) * incy, alpha * d3, beta);
    }
    for (; j < to; j++) {
      int r = mOff + j * ld;
      FloatVector s = FloatVector.zero(S);
      for (int p = 0; p < kv; p += VL) {
        s = FloatVector.fromArray(S, mat, r + p).fma(FloatVector.fromArray(S, x, x0 + p), s);
      }
      float d = s.reduceLanes(VectorOperators.ADD);
      for (int p = kv; p < k; p++) d += mat[r + p] * x[x0 + p];
      put(y, yOff + j * incy, alpha * d, beta);
    }
  }

  /**
   * Outputs [from, to) of the axpy form (a strip of at most STRIP): full strips keep four vector
   * accumulators over the whole k loop; a ragged last strip goes one vector, then one lane, at a
   * time.
   */
  private static void axpyStrip(
      int from, int to, int k, float alpha, float[] x, int x0, float[] mat, int mOff, int ld,
      float beta, float[] y, int yOff, int incy) {
    int j = from;
    if (to - from == STRIP) {
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = FloatVector.zero(S);
      FloatVector s2 = FloatVector.zero(S);
      FloatVector s3 = FloatVector.zero(S);
      for (int p = 0; p < k; p++) {
        FloatVector xp = FloatVector.broadcast(S, x[x0 + p]);
        int row = mOff + p * ld + j;
        s0 = FloatVector.fromArray(S, mat, row).fma(xp, s0);
        s1 = FloatVector.fromArray(S, mat, row + VL).fma(xp, s1);
        s2 = FloatVector.fromArray(S, mat, row + 2 * VL).fma(xp, s2);
        s3 = FloatVector.fromArray(S, mat, row + 3 * VL).fma(xp, s3);
      }
      putVector(y, yOff, incy, j, s0, alpha, beta);
      putVector(y, yOff, incy, j + VL, s1, alpha, beta);
      putVector(y, yOff, incy, j + 2 * VL, s2, alpha, beta);
      putVector(y, yOff, incy, j + 3 * VL, s3, alpha, beta);
      return;
    }
    for (; j + VL <= to; j += VL) {
      FloatVector s = FloatVector.zero(S);
      for (int p = 0; p < k; p++) {
        s = FloatVector.fromArray(S, mat, mOff + p * ld + j).fma(FloatVector.broadcast(S, x[x0 + p]), s);
      }
      putVector(y, yOff, incy, j, s, alpha, beta);
    }
    for (; j < to; j++) {
      float d = 0f;
      for (int p = 0; p < k; p++) d += mat[mOff + p * ld + j] * x[x0 + p];
      put(y, yOff + j * incy, alpha * d, beta);
    }
  }

  /**
   * Stores VL outputs starting at output j. Takes a vector, so C2 must inline it to keep the
   * accumulator unboxed; it is small and called outside the k loop, where one box would not
   * matter anyway.
   */
  private static void putVector(float[] y, int yOff, int incy, int j, FloatVector s, float alpha, float beta) {
    FloatVector v = s.mul(alpha);
    if (incy == 1) {
      if (beta == 0f) {
        v.intoArray(y, yOff + j);
      } else {
        FloatVector.fromArray(S, y, yOff + j).fma(FloatVector.broadcast(S, beta), v).intoArray(y, yOff + j);
      }
    } else {
      for (int l = 0; l < VL; l++) put(y, yOff + (j + l) * incy, v.lane(l), beta);
    }
  }

  private static void put(float[] y, int i, float v, float beta) {
    y[i] = beta == 0f ? v : v + beta * y[i];
  }
}
