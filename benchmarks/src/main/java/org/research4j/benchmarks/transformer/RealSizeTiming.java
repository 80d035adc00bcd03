package org.research4j.benchmarks.transformer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.research4j.transformer.model.WeightPrecision;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * Load time, memory, prefill and decode speed of a real-size checkpoint (such as the Qwen2.5-0.5B
 * shape that {@code tools/qwen-shape-checkpoint.sh} writes), for {@code
 * benchmarks/scripts/real-size.sh}. Loads the model with the weights kept as asked ({@code f32}:
 * trainable float32 with gradient buffers, as a policy is; {@code bf16}: frozen bfloat16; {@code
 * int8}: frozen int8 with per-row scales), then per batch size: a warm-up (prompts of up to 32
 * tokens, as many decode steps), and {@code repeats} times a fresh session of {@code batch} random
 * prompts of {@code prompt} tokens whose first step (the prefill: every prompt token through the
 * model in one forward, and the first draw) and following {@code new - 1} decode steps are timed
 * apart, at temperature 1. Prints each repeat and the medians: prefill tokens/s = batch · prompt /
 * prefill seconds, decode tokens/s = batch · steps / decode seconds. Resident memory is read from
 * {@code /proc/self/status} (VmRSS after loading, VmHWM at the end).
 *
 * <p>Usage: {@code RealSizeTiming --model DIR [--weights f32|bf16|int8] [--batches 1,16] [--prompt
 * 128] [--new 32] [--repeats 3] [--kv-cache auto|bf16|f32] [--profile]}; {@code --kv-cache}: the KV
 * cache's precision ({@code auto}, the default, as the command line: bf16 where the kernels take
 * it); {@code --profile} times every kernel call ({@link KernelProfile}) and prints the last
 * repeat's time per kernel and shape, per generated token.
 */
public final class RealSizeTiming {
  private RealSizeTiming() {}

  public static void main(String[] args) throws IOException {
    Path dir = null;
    WeightPrecision precision = WeightPrecision.BF16;
    String kvCache = "auto";
    int[] batches = {1, 16};
    int prompt = 128;
    int fresh = 32;
    int repeats = 3;
    boolean profile = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--model" -> dir = Path.of(args[++i]);
        case "--weights" -> precision = WeightPrecision.parse(args[++i]);
        case "--kv-cache" -> kvCache = args[++i];
        case "--batches" ->
            batches = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--prompt" -> prompt = Integer.parseInt(args[++i]);
        case "--new" -> fresh = Integer.parseInt(args[++i]);
        case "--repeats" -> repeats = Integer.parseInt(args[++i]);
        case "--profile" -> profile = true;
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (dir == null) throw new IllegalArgumentException("--model DIR is required");
    Kernels cpu = new CpuKernels();
    KernelProfile prof = profile ? new KernelProfile(cpu) : null;
    if (prof != null) cpu = prof.kernels();
    boolean bf16Cache =
        switch (kvCache) {
          case "auto" -> cpu.bf16Caches();
          case "bf16" -> true;
          case "f32" -> false;
          default -> throw new IllegalArgumentException("--kv-cache auto|bf16|f32, got " + kvCache);
        };
    System.out.println(
        "# java: "
            + cpu.description()
            + ", weights "
            + precision
            + ", KV cache "
            + (bf16Cache ? "bf16" : "f32"));
    long t0 = System.nanoTime();
    Tokenizer tok = Tokenizer.load(dir.resolve("tokenizer.json"));
    double tokSecs = (System.nanoTime() - t0) / 1e9;
    t0 = System.nanoTime();
    try (Qwen2Model model = Qwen2Model.load(cpu, dir, precision).bf16Caches(bf16Cache)) {
      double loadSecs = (System.nanoTime() - t0) / 1e9;
      long params = 0;
      for (var p : model.parameters()) params += p.numel();
      System.out.printf(
          "load: %.2f s (tokenizer %.2f s, %d tokens), %,d parameters, weights %.2f GB,"
              + " RSS after load %.2f GB%n",
          loadSecs, tokSecs, tok.vocabSize(), params, model.weightBytes() / 1e9, rss("VmRSS"));
      int vocab = Math.min(tok.vocabSize(), model.config().vocabSize());
      for (int batch : batches) {
        Generator gen = new Generator(model, ids -> "", Math.max(prompt, Generator.DEFAULT_CHUNK));
        run(
            gen,
            batch,
            Math.min(prompt, 32),
            fresh,
            vocab,
            null); // warm-up: compiles this batch's paths
        double[] prefill = new double[repeats];
        double[] decode = new double[repeats];
        for (int r = 0; r < repeats; r++) {
          double[] s = run(gen, batch, prompt, fresh, vocab, prof);
          prefill[r] = batch * prompt / s[0];
          decode[r] = batch * (fresh - 1) / s[1];
          System.out.printf(
              "  batch %d repeat %d: prefill %.2f s (%.1f tokens/s), decode %.1f ms/step"
                  + " (%.2f tokens/s)%n",
              batch, r + 1, s[0], prefill[r], s[1] / (fresh - 1) * 1e3, decode[r]);
        }
        if (prof != null) {
          System.out.printf("# batch %d, kernels of the last repeat's decode steps:%n", batch);
          prof.print(System.out, fresh - 1);
        }
        Arrays.sort(prefill);
        Arrays.sort(decode);
        System.out.printf(
            "batch %d: prefill %d-token prompts %.1f tokens/s, decode %.2f tokens/s (medians of"
                + " %d)%n",
            batch, prompt, prefill[repeats / 2], decode[repeats / 2], repeats);
      }
    }
    System.out.printf("peak RSS (VmHWM) %.2f GB%n", rss("VmHWM"));
  }

  /**
   * Seconds of the prefill step (a profile is reset after it) and of the {@code fresh - 1} decode
   * steps after it.
   */
  private static double[] run(
      Generator gen, int batch, int prompt, int fresh, int vocab, KernelProfile prof) {
    SplittableRandom rnd = new SplittableRandom(7 + batch);
    List<int[]> prompts = new ArrayList<>();
    for (int s = 0; s < batch; s++) prompts.add(rnd.ints(prompt, 0, vocab).toArray());
    try (Session session =
        gen.start(prompts, SamplingConfig.sampling(1.0, 1), prompt + fresh + 2)) {
      long t0 = System.nanoTime();
      session.step();
      long t1 = System.nanoTime();
      if (prof != null) prof.reset();
      session.run(fresh - 1);
      long t2 = System.nanoTime();
      return new double[] {(t1 - t0) / 1e9, (t2 - t1) / 1e9};
    }
  }

  /** A memory line of /proc/self/status in GB (kB there), or NaN off Linux. */
  static double rss(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(key + ":")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024 / 1e9;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return Double.NaN;
    }
    return Double.NaN;
  }
}
