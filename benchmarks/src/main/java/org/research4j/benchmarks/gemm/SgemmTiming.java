package org.research4j.benchmarks.gemm;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.research4j.kernels.cpu.CpuSgemm;
import org.research4j.kernels.cpu.Parallel;

/**
 * Times square {@code C = A * B} (no transposes, float32, row-major) with {@link CpuSgemm} and
 * prints one line per size: {@code n median_seconds median_gflops best_gflops}.
 *
 * <p>Each size is warmed up for at least {@code warmup_seconds} and until the JIT has settled (see
 * {@link #warmUp}), then timed {@code repeats} times; a repeat runs enough calls to last at least
 * {@code min_repeat_seconds} (so small sizes are not timer-bound) and reports seconds per call. The
 * median repeat is the headline: under a shared machine it is steadier than the mean and fairer
 * than the best.
 *
 * <p>Usage: {@code SgemmTiming [sizes=256,512,1024,2048] [repeats=15] [warmup_seconds=2]
 * [min_repeat_seconds=0.05]}
 */
public final class SgemmTiming {
  private SgemmTiming() {}

  public static void main(String[] args) {
    int[] sizes =
        Arrays.stream((args.length > 0 ? args[0] : "256,512,1024,2048").split(","))
            .mapToInt(s -> Integer.parseInt(s.trim()))
            .toArray();
    int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    double warmup = args.length > 2 ? Double.parseDouble(args[2]) : 2.0;
    double minRepeat = args.length > 3 ? Double.parseDouble(args[3]) : 0.05;
    System.out.printf("# java sgemm: %d threads, %s%n", Parallel.threads(), CpuSgemm.describe());
    for (int n : sizes) {
      float[] a = random(n * n, 1);
      float[] b = random(n * n, 2);
      float[] c = new float[n * n];
      Runnable call =
          () -> CpuSgemm.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
      warmUp(call, warmup);
      double single = timeCalls(call, 1);
      int perRepeat = Math.max(1, (int) Math.ceil(minRepeat / single));
      double[] secs = new double[repeats];
      for (int r = 0; r < repeats; r++) secs[r] = timeCalls(call, perRepeat);
      Arrays.sort(secs);
      double median = secs[repeats / 2];
      double flops = 2.0 * n * n * n;
      System.out.printf(
          "%d %.6e %.2f %.2f%n", n, median, flops / median / 1e9, flops / secs[0] / 1e9);
    }
  }

  /**
   * Runs {@code call} for at least {@code seconds}, then on until the JIT has settled: batches of
   * 0.2 s until one is no faster than 97% of the best before it (a loaded machine starves the
   * compiler threads, and Vector API code runs 100x slower before C2 compiles it). At most 60 s.
   */
  private static void warmUp(Runnable call, double seconds) {
    long start = System.nanoTime();
    double best = Double.MAX_VALUE;
    while (true) {
      long t0 = System.nanoTime();
      int calls = 0;
      while (System.nanoTime() - t0 < 200_000_000L || calls < 3) {
        call.run();
        calls++;
      }
      double perCall = (System.nanoTime() - t0) / 1e9 / calls;
      double elapsed = (System.nanoTime() - start) / 1e9;
      boolean improved = perCall < 0.97 * best;
      best = Math.min(best, perCall);
      if ((elapsed >= seconds && !improved) || elapsed > 60) return;
    }
  }

  private static double timeCalls(Runnable call, int calls) {
    long t0 = System.nanoTime();
    for (int i = 0; i < calls; i++) call.run();
    return (System.nanoTime() - t0) / 1e9 / calls;
  }

  private static float[] random(int size, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[size];
    for (int i = 0; i < size; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
    return x;
  }
}
