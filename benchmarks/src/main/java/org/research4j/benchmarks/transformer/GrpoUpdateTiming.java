package org.research4j.benchmarks.transformer;

import java.util.Arrays;
import org.research4j.grpo.train.PolicyUpdate;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;

/**
 * Times GRPO policy updates ({@link BenchGrpo}) and prints the median as trained tokens and
 * sequence tokens per second, for {@code benchmarks/scripts/grpo-vs-pytorch.sh}. With {@code
 * --profile}, a per-kernel table of three further (untimed) updates follows.
 *
 * <p>Usage: {@code GrpoUpdateTiming [--warmup 3] [--steps 10] [--batch 8] [--seq 256] [--profile]}
 */
public final class GrpoUpdateTiming {
  private GrpoUpdateTiming() {}

  public static void main(String[] args) {
    TimingArgs a = TimingArgs.parse(args);
    int warmup = a.warmup(), steps = a.steps(), batch = a.batch(), seq = a.seq();
    boolean profile = a.profile();
    Kernels cpu = new CpuKernels();
    System.out.println("# java: " + cpu.description());
    double[] secs = new double[steps];
    int trained;
    try (BenchGrpo g = new BenchGrpo(cpu, batch, seq, 42)) {
      trained = g.trainedTokens();
      System.out.printf(
          "# B=%d T=%d: prompt %d, result span %d, %d trained tokens%n",
          batch, seq, BenchGrpo.PROMPT, BenchGrpo.RESULT, trained);
      for (int i = 0; i < warmup; i++) print("java warm-up", i, g.step(), Double.NaN);
      for (int i = 0; i < steps; i++) {
        long t0 = System.nanoTime();
        PolicyUpdate.Result r = g.step();
        secs[i] = (System.nanoTime() - t0) / 1e9;
        print("java step", i, r, secs[i]);
      }
    }
    Arrays.sort(secs);
    double median = secs[steps / 2];
    System.out.printf(
        "java grpo: median step %.1f ms, %.0f trained tokens/s, %.0f sequence tokens/s%n",
        median * 1e3, trained / median, (double) batch * seq / median);
    if (profile) {
      KernelProfile prof = new KernelProfile(cpu);
      try (BenchGrpo g = new BenchGrpo(prof.kernels(), batch, seq, 42)) {
        g.step();
        prof.reset();
        int profiled = 3;
        for (int i = 0; i < profiled; i++) g.step();
        prof.print(System.out, profiled);
      }
    }
  }

  private static void print(String what, int i, PolicyUpdate.Result r, double secs) {
    System.out.printf(
        "%s %d: %sloss %.6f, kl %.3g, grad norm %.4f%n",
        what,
        i,
        Double.isNaN(secs) ? "" : String.format("%.1f ms, ", secs * 1e3),
        r.loss(),
        r.kl(),
        r.gradNorm());
  }
}
