package org.research4j.kernels.opencl;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.research4j.kernels.Buf;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;

/**
 * The same buffers on the CPU kernels and on an OpenCL device, filled with the same random values,
 * so one call can run on both and the results be compared element by element. Output and gradient
 * buffers start with random contents too, which checks that forward kernels overwrite and backward
 * kernels accumulate.
 */
final class Twin implements AutoCloseable {
  final Kernels cpu;
  final ClKernels cl;
  final long seed;
  final SplittableRandom rnd;
  private final List<Pair> pairs = new ArrayList<>();

  Twin(Kernels cpu, ClKernels cl, long seed) {
    this.cpu = cpu;
    this.cl = cl;
    this.seed = seed;
    this.rnd = new SplittableRandom(seed);
  }

  /** One logical buffer: its CPU copy and its OpenCL copy. */
  record Pair(Buf cpuBuf, Buf clBuf, int n, String name) {
    Buf of(Kernels k) {
      return k instanceof CpuKernels ? cpuBuf : clBuf;
    }
  }

  /** Uniform floats in {@code [-scale, scale)} on both devices. */
  Pair floats(String name, int n, double scale) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
    return floats(name, x);
  }

  Pair floats(String name, float[] x) {
    Buf c = cpu.allocF32(x.length);
    Buf g = cl.allocF32(x.length);
    cpu.upload(x, 0, c, 0, x.length);
    cl.upload(x, 0, g, 0, x.length);
    return add(new Pair(c, g, x.length, name));
  }

  Pair ints(String name, int[] x) {
    Buf c = cpu.allocI32(x.length);
    Buf g = cl.allocI32(x.length);
    cpu.upload(x, 0, c, 0, x.length);
    cl.upload(x, 0, g, 0, x.length);
    return add(new Pair(c, g, x.length, name));
  }

  /** Uniform ints in {@code [0, bound)} on both devices. */
  Pair ints(String name, int n, int bound) {
    int[] x = new int[n];
    for (int i = 0; i < n; i++) x[i] = rnd.nextInt(bound);
    return ints(name, x);
  }

  private Pair add(Pair p) {
    pairs.add(p);
    return p;
  }

  /** Runs {@code op} on the CPU kernels, then on the OpenCL kernels. */
  void both(Consumer<Kernels> op) {
    op.accept(cpu);
    op.accept(cl);
  }

  float[] cpuValues(Pair p) {
    float[] x = new float[p.n()];
    cpu.download(p.cpuBuf(), 0, x, 0, p.n());
    return x;
  }

  float[] clValues(Pair p) {
    float[] x = new float[p.n()];
    cl.download(p.clBuf(), 0, x, 0, p.n());
    return x;
  }

  /**
   * Fails unless every element of the OpenCL result is within {@code tol * max(1, max |cpu|)} of
   * the CPU result (NaN and infinities must match exactly), naming the worst element, the seed and
   * {@code shape}.
   */
  void assertClose(Pair p, double tol, String shape) {
    float[] want = cpuValues(p);
    float[] got = clValues(p);
    double scale = 1;
    for (float v : want) if (Float.isFinite(v)) scale = Math.max(scale, Math.abs(v));
    double worst = 0;
    int at = -1;
    for (int i = 0; i < want.length; i++) {
      if (!Float.isFinite(want[i]) || !Float.isFinite(got[i])) {
        if (Float.compare(want[i], got[i]) != 0) {
          fail(
              String.format(
                  "%s (seed %d, %s): [%d] cpu %s, opencl %s",
                  p.name(), seed, shape, i, want[i], got[i]));
        }
        continue;
      }
      double err = Math.abs((double) got[i] - want[i]);
      if (err > worst) {
        worst = err;
        at = i;
      }
    }
    if (worst > tol * scale) {
      fail(
          String.format(
              "%s (seed %d, %s): worst difference %.3g at [%d] (cpu %.9g, opencl"
                  + " %.9g) exceeds %.1g x %.3g",
              p.name(), seed, shape, worst, at, want[at], got[at], tol, scale));
    }
  }

  @Override
  public void close() {
    for (Pair p : pairs) {
      p.cpuBuf().close();
      p.clBuf().close();
    }
  }
}
