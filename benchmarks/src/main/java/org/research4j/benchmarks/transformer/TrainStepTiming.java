package org.research4j.benchmarks.transformer;

import java.util.Arrays;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;

/**
 * Times training steps (forward, backward, AdamW) of the {@link BenchModel} and prints the median
 * step as tokens per second, for {@code benchmarks/scripts/train-vs-pytorch.sh}. With {@code
 * --profile}, every kernel call is timed as well and a table of where the step's time goes is
 * printed after the timing (the profiled steps are not the timed ones).
 *
 * <p>Usage: {@code TrainStepTiming [--warmup 3] [--steps 10] [--batch 8] [--seq 256] [--profile]}
 */
public final class TrainStepTiming {
  private TrainStepTiming() {}

  public static void main(String[] args) {
    TimingArgs a = TimingArgs.parse(args);
    int warmup = a.warmup(), steps = a.steps(), batch = a.batch(), seq = a.seq();
    boolean profile = a.profile();
    Kernels cpu = new CpuKernels();
    System.out.println("# java: " + cpu.description());
    double[] secs = new double[steps];
    try (BenchModel.Trainer t = new BenchModel.Trainer(cpu, batch, seq, 42)) {
      for (int i = 0; i < warmup; i++) t.step();
      for (int i = 0; i < steps; i++) {
        long t0 = System.nanoTime();
        float loss = t.step();
        secs[i] = (System.nanoTime() - t0) / 1e9;
        System.out.printf("java step %d: %.1f ms, loss %.4f%n", i, secs[i] * 1e3, loss);
      }
    }
    Arrays.sort(secs);
    double median = secs[steps / 2];
    double tokens = (double) batch * seq;
    double gflops = BenchModel.trainFlopsPerToken(BenchModel.CONFIG, seq) * tokens / median / 1e9;
    System.out.printf(
        "java train: median step %.1f ms, %.0f tokens/s, %.1f model-GFLOP/s%n",
        median * 1e3, tokens / median, gflops);
    if (profile) {
      KernelProfile prof = new KernelProfile(cpu);
      try (BenchModel.Trainer t = new BenchModel.Trainer(prof.kernels(), batch, seq, 42)) {
        t.step();
        prof.reset();
        int profiled = 3;
        for (int i = 0; i < profiled; i++) t.step();
        prof.print(System.out, profiled);
      }
    }
  }
}
