package org.research4j.tensor;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;

/** Shared test fixtures: the CPU device, seeded random data and a closeness assertion. */
final class Fixtures {
  static final Kernels CPU = new CpuKernels();

  private Fixtures() {}

  static float[] gaussian(Random rnd, int n, double scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * scale);
    return a;
  }

  static float[] uniform(Random rnd, int n, double lo, double hi) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
    return a;
  }

  static int[] ints(Random rnd, int n, int bound) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) a[i] = rnd.nextInt(bound);
    return a;
  }

  static double[] toDouble(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) d[i] = a[i];
    return d;
  }

  /**
   * Fails unless {@code |actual - expected| <= atol + rtol * |expected|} everywhere, naming the
   * worst element and the seed.
   */
  static void assertClose(
      String what, double[] expected, float[] actual, double rtol, double atol, long seed) {
    if (expected.length != actual.length) {
      fail(what + ": length " + actual.length + " != expected " + expected.length);
    }
    int worst = -1;
    double worstRatio = 0;
    for (int i = 0; i < expected.length; i++) {
      double tol = atol + rtol * Math.abs(expected[i]);
      double diff = Math.abs(actual[i] - expected[i]);
      double ratio = diff == 0 ? 0 : Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff / tol;
      if (ratio > worstRatio || worst < 0) {
        worstRatio = ratio;
        worst = i;
      }
    }
    if (worstRatio > 1) {
      fail(
          String.format(
              "%s (seed %d): element %d is %.8g, expected %.8g (|diff| %.3g, rtol %.1g, atol %.1g)",
              what,
              seed,
              worst,
              actual[worst],
              expected[worst],
              Math.abs(actual[worst] - expected[worst]),
              rtol,
              atol));
    }
  }
}
