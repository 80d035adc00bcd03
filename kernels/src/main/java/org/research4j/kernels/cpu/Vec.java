package org.research4j.kernels.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API building blocks shared by the CPU kernels: the float species and the row reductions
 * (sum, max, dot, sum of exp) that several kernels need. Each has one scalar tail loop.
 */
final class Vec {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();

  /** Double lanes of the same bit size, so one float vector converts into two double vectors. */
  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

  private Vec() {}

  static float sum(float[] a, int off, int n) {
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (int ub = S.loopBound(n); i < ub; i += L)
      acc = acc.add(FloatVector.fromArray(S, a, off + i));
    float s = acc.reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) s += a[off + i];
    return s;
  }

  static float max(float[] a, int off, int n) {
    FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
    int i = 0;
    for (int ub = S.loopBound(n); i < ub; i += L)
      acc = acc.max(FloatVector.fromArray(S, a, off + i));
    float m = acc.reduceLanes(VectorOperators.MAX);
    for (; i < n; i++) m = Math.max(m, a[off + i]);
    return m;
  }

  static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (int ub = S.loopBound(n); i < ub; i += L) {
      acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
    }
    float s = acc.reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
    return s;
  }

  /** {@code sum_i exp(a[off + i] - shift)}: the softmax normaliser once the row max is known. */
  static float sumExp(float[] a, int off, int n, float shift) {
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (int ub = S.loopBound(n); i < ub; i += L) {
      acc = acc.add(FloatVector.fromArray(S, a, off + i).sub(shift).lanewise(VectorOperators.EXP));
    }
    float s = acc.reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) s += (float) Math.exp(a[off + i] - shift);
    return s;
  }

  /**
   * {@code sum_i a[i]} (or {@code a[i]^2}) over {@code [from, to)} accumulated in double lanes: a
   * gradient norm over hundreds of millions of floats loses digits in float.
   */
  static double sumDouble(float[] a, int from, int to, boolean squares) {
    DoubleVector acc = DoubleVector.zero(D);
    int n = to - from;
    int i = 0;
    for (int ub = S.loopBound(n); i < ub; i += L) {
      FloatVector x = FloatVector.fromArray(S, a, from + i);
      for (int part = 0; part < 2; part++) {
        DoubleVector xd = (DoubleVector) x.convertShape(VectorOperators.F2D, D, part);
        acc = squares ? xd.fma(xd, acc) : acc.add(xd);
      }
    }
    double s = acc.reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      double x = a[from + i];
      s += squares ? x * x : x;
    }
    return s;
  }

  /** {@code dst[dstOff + i] += src[srcOff + i]} for {@code i < n}. */
  static void addInto(float[] src, int srcOff, float[] dst, int dstOff, int n) {
    int c = 0;
    for (int ub = S.loopBound(n); c < ub; c += L) {
      FloatVector.fromArray(S, dst, dstOff + c)
          .add(FloatVector.fromArray(S, src, srcOff + c))
          .intoArray(dst, dstOff + c);
    }
    for (; c < n; c++) dst[dstOff + c] += src[srcOff + c];
  }

  /** {@code x[off + i] *= alpha} for {@code i < n}. */
  static void scaleRow(float[] x, int off, int n, float alpha) {
    int c = 0;
    for (int ub = S.loopBound(n); c < ub; c += L) {
      FloatVector.fromArray(S, x, off + c).mul(alpha).intoArray(x, off + c);
    }
    for (; c < n; c++) x[off + c] *= alpha;
  }
}
