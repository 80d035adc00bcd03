package org.research4j.benchmarks.transformer;

import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.research4j.kernels.Kernels;

/**
 * Times every call made through {@link #kernels()} (a proxy of a synchronous device such as the CPU
 * kernels) and tallies the time per kernel, with matrix products broken down by transpose and
 * shape, so a profile says which op of the step dominates. Adds about a microsecond per call.
 */
final class KernelProfile {
  private static final class Tally {
    long nanos;
    long calls;
    double flops;
  }

  private final Kernels kernels;
  private final Map<String, Tally> tallies = new HashMap<>();

  KernelProfile(Kernels device) {
    this.kernels =
        (Kernels)
            Proxy.newProxyInstance(
                Kernels.class.getClassLoader(),
                new Class<?>[] {Kernels.class},
                (proxy, method, args) -> timed(device, method, args));
  }

  private Object timed(Kernels device, Method method, Object[] args) throws Throwable {
    long t0 = System.nanoTime();
    Object result;
    try {
      result = method.invoke(device, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
    long dt = System.nanoTime() - t0;
    String key = method.getName();
    double flops = 0;
    if (key.equals("sgemm")) {
      int m = (int) args[2], n = (int) args[3], k = (int) args[4];
      key =
          "sgemm "
              + ((boolean) args[0] ? "T" : "N")
              + ((boolean) args[1] ? "T" : "N")
              + " m="
              + m
              + " n="
              + n
              + " k="
              + k;
      flops = 2.0 * m * n * k;
    } else if (key.equals("sgemmBf16")) {
      int m = (int) args[0], n = (int) args[1], k = (int) args[2];
      key = "sgemmBf16 m=" + m + " n=" + n + " k=" + k;
      flops = 2.0 * m * n * k;
    }
    Tally t = tallies.computeIfAbsent(key, x -> new Tally());
    t.nanos += dt;
    t.calls++;
    t.flops += flops;
    return result;
  }

  /** The device to run on: every call is timed. */
  Kernels kernels() {
    return kernels;
  }

  void reset() {
    tallies.clear();
  }

  /**
   * The time per step of each kernel (and sgemm shape), largest first, over {@code steps} steps.
   */
  void print(PrintStream out, int steps) {
    double total = 0;
    double sgemm = 0;
    for (Map.Entry<String, Tally> e : tallies.entrySet()) {
      total += e.getValue().nanos;
      if (e.getKey().startsWith("sgemm")) sgemm += e.getValue().nanos;
    }
    List<Map.Entry<String, Tally>> rows = new ArrayList<>(tallies.entrySet());
    rows.sort((a, b) -> Long.compare(b.getValue().nanos, a.getValue().nanos));
    out.printf(
        "# kernel profile: %.1f ms per step in kernels, sgemm %.0f%%%n",
        total / steps / 1e6, 100 * sgemm / total);
    out.printf("# %-44s %10s %7s %8s %8s%n", "kernel", "ms/step", "share", "calls", "GFLOP/s");
    for (Map.Entry<String, Tally> e : rows) {
      Tally t = e.getValue();
      out.printf(
          "  %-44s %10.2f %6.1f%% %8d %8s%n",
          e.getKey(),
          t.nanos / steps / 1e6,
          100 * t.nanos / total,
          t.calls / steps,
          t.flops > 0 ? String.format("%.1f", t.flops / t.nanos) : "");
    }
  }
}
