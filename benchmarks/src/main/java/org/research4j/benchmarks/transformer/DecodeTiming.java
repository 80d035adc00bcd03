package org.research4j.benchmarks.transformer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.transformer.generate.Generator;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.generate.Session;
import org.research4j.transformer.model.Qwen2Model;

/**
 * Times KV-cache decoding of the {@link BenchModel} as {@link DecodeBench} does (128-token prompts
 * prefilled, then 127 decode steps, temperature 1) and prints the median over repeats as generated
 * tokens per second for each batch size, for {@code benchmarks/scripts/decode-tokens.sh}. With
 * {@code --profile}, one more repeat per batch size runs with every kernel call of its decode steps
 * timed.
 *
 * <p>Usage: {@code DecodeTiming [--batches 1,32] [--repeats 5] [--profile] [--kv-cache bf16]}
 * ({@code --kv-cache bf16}: the KV cache in bfloat16, {@code Qwen2Model#bf16Caches}).
 */
public final class DecodeTiming {
  private DecodeTiming() {}

  public static void main(String[] args) {
    int[] batches = {1, 32};
    int repeats = 5;
    boolean profile = false;
    boolean bf16Cache = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--batches" ->
            batches = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--repeats" -> repeats = Integer.parseInt(args[++i]);
        case "--profile" -> profile = true;
        case "--kv-cache" -> bf16Cache = args[++i].equals("bf16");
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Kernels cpu = new CpuKernels();
    System.out.println("# java: " + cpu.description() + (bf16Cache ? ", bf16 KV cache" : ""));
    int steps = DecodeBench.NEW_TOKENS - 1;
    try (Qwen2Model model = Qwen2Model.random(cpu, BenchModel.CONFIG, 42).bf16Caches(bf16Cache)) {
      for (int batch : batches) {
        Generator gen = new Generator(model, ids -> "", DecodeBench.PROMPT);
        decode(gen, batch, steps, () -> {}); // warm-up
        double[] secs = new double[repeats];
        for (int r = 0; r < repeats; r++) secs[r] = decode(gen, batch, steps, () -> {});
        Arrays.sort(secs);
        double median = secs[repeats / 2];
        System.out.printf(
            "java decode batch %d: median %.2f ms per step, %.0f tokens/s%n",
            batch, median / steps * 1e3, batch * steps / median);
      }
    }
    if (profile) {
      KernelProfile prof = new KernelProfile(cpu);
      try (Qwen2Model model =
          Qwen2Model.random(prof.kernels(), BenchModel.CONFIG, 42).bf16Caches(bf16Cache)) {
        for (int batch : batches) {
          Generator gen = new Generator(model, ids -> "", DecodeBench.PROMPT);
          decode(gen, batch, steps, () -> {});
          double secs = decode(gen, batch, steps, prof::reset);
          System.out.printf(
              "# batch %d, per decode step (%.2f ms wall):%n", batch, secs / steps * 1e3);
          prof.print(System.out, steps);
        }
      }
    }
  }

  /**
   * Seconds for {@code steps} decode steps after a prefill (which is not timed); {@code
   * afterPrefill} runs between the two.
   */
  static double decode(Generator gen, int batch, int steps, Runnable afterPrefill) {
    SplittableRandom rnd = new SplittableRandom(7);
    List<int[]> prompts = new ArrayList<>();
    for (int s = 0; s < batch; s++) {
      prompts.add(rnd.ints(DecodeBench.PROMPT, 0, BenchModel.VOCAB).toArray());
    }
    int capacity = DecodeBench.PROMPT + steps + 2;
    try (Session session = gen.start(prompts, SamplingConfig.sampling(1.0, 1), capacity)) {
      session.step();
      afterPrefill.run();
      long t0 = System.nanoTime();
      session.run(steps);
      return (System.nanoTime() - t0) / 1e9;
    }
  }
}
