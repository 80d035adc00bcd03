package org.research4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import java.util.function.Function;

/** Random inputs, float/double conversion, tolerance checks and finite differences for tests. */
final class Fixtures {
  private Fixtures() {}

  /** Uniform floats in {@code [-scale, scale)}. */
  static float[] uniform(SplittableRandom r, int n, double scale) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
    return x;
  }

  static double[] toDouble(float[] x) {
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) y[i] = x[i];
    return y;
  }

  static double[] plus(float[] a, double[] b) {
    double[] y = new double[b.length];
    for (int i = 0; i < b.length; i++) y[i] = a[i] + b[i];
    return y;
  }

  static double maxAbs(double[] x) {
    double m = 0;
    for (double v : x) m = Math.max(m, Math.abs(v));
    return m;
  }

  /**
   * Fails unless {@code |got[i] - want[i]| <= tol * max_j |want[j]|} for every {@code i} (error
   * relative to the array's magnitude; 1 when {@code want} is all zeros), naming the worst element.
   */
  static void assertClose(String what, long seed, double[] want, float[] got, double tol) {
    if (got.length < want.length)
      fail(what + ": got " + got.length + " values, want " + want.length);
    double scale = maxAbs(want);
    if (scale == 0) scale = 1;
    double worst = -1;
    int at = -1;
    for (int i = 0; i < want.length; i++) {
      double err = Math.abs(got[i] - want[i]);
      if (!(err <= worst)) {
        worst = err;
        at = i;
      }
    }
    if (!(worst <= tol * scale)) {
      fail(
          String.format(
              "%s (seed %d): worst error %.3g at [%d] (want %.9g, got %.9g) exceeds %.1g x"
                  + " max|want| %.3g",
              what, seed, worst, at, want[at], (double) got[at], tol, scale));
    }
  }

  static void assertClose(String what, long seed, double[] want, double[] got, double tol) {
    float[] g = new float[got.length];
    for (int i = 0; i < got.length; i++) g[i] = (float) got[i];
    double scale = Math.max(maxAbs(want), 1e-300);
    for (int i = 0; i < want.length; i++) {
      if (!(Math.abs(got[i] - want[i]) <= tol * scale)) {
        fail(
            String.format(
                "%s (seed %d): [%d] want %.12g, got %.12g, tolerance %.1g x %.3g",
                what, seed, i, want[i], got[i], tol, scale));
      }
    }
  }

  /**
   * Central finite differences, in double, of {@code sum(dy * f(x))} with respect to {@code x} at
   * every index: the independent check of a reference backward.
   */
  static double[] numericGrad(Function<double[], double[]> f, double[] x, double[] dy, double h) {
    double[] g = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      double keep = x[i];
      x[i] = keep + h;
      double up = dot(dy, f.apply(x));
      x[i] = keep - h;
      double down = dot(dy, f.apply(x));
      x[i] = keep;
      g[i] = (up - down) / (2 * h);
    }
    return g;
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }
}
