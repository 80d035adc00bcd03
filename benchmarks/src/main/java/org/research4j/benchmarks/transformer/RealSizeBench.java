package org.research4j.benchmarks.transformer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.transformer.generate.Generator;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.generate.Session;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.model.WeightPrecision;

/**
 * Decode step and prefill at real size, JMH: the Qwen2.5-0.5B and 1.5B shapes that {@code
 * tools/qwen-shape-checkpoint.sh} writes (random bfloat16 weights, the real shapes), loaded as
 * {@link RealSizeTiming} loads them, on the CPU kernels, at batch 1 and 16.
 *
 * <ul>
 *   <li>{@code decode}: each invocation is one decode step of the whole batch (one token fed and
 *       one drawn per sequence, temperature 1). The session's {@value #PROMPT}-token random prompts
 *       are prefilled before the first step and again when the context would pass {@value
 *       #MAX_CONTEXT}, both in an untimed invocation setup: every measured step attends to between
 *       {@value #PROMPT} + 1 and {@value #MAX_CONTEXT} positions, cycling through that range across
 *       iterations. (Attention over 256 positions is at most about 2 % of a step's arithmetic at
 *       these shapes, so where in the range a step falls hardly moves the score.)
 *   <li>{@code prefill}: each invocation prefills one fresh session (made in an untimed invocation
 *       setup) of {@code batch} random {@value #PROMPT}-token prompts: every prompt token through
 *       the model in one forward, and the first draw.
 * </ul>
 *
 * <p><b>Reading the score</b>: {@code batch} is a {@code @Param}, so the tokens are counted by an
 * {@link AuxCounters} state: the {@code ·tokens} line (JSON: {@code secondaryMetrics.tokens}) is
 * <b>tokens/s</b> over the whole batch (decode: generated tokens; prefill: prompt tokens). The
 * primary score is invocations/s: decode steps/s (its reciprocal is the step latency) or
 * prefills/s.
 *
 * <p>Params: {@code shape} 0.5b, 1.5b: the checkpoint is {@code
 * <research4j.models>/qwen2.5-<shape>-shape}, with the system property {@code research4j.models}
 * defaulting to {@code /work/models}; a missing one fails the trial with the command that writes
 * it. {@code weights}: bf16 (frozen bfloat16); anything {@link WeightPrecision#parse} reads also
 * works ({@code -p weights=f32}: trainable float32 with gradient buffers, 12.3 GB at 1.5B, more
 * than the heap below: add {@code -jvmArgsAppend "-Xmx18g -Xmn2g"}, which replaces this class's
 * {@code jvmArgsAppend}; the script's JVM flags still reach the fork). {@code batch}: 1, 16. {@code
 * kvCache}: bf16 (as the command line keeps it on the CPU) or f32 ({@code -p kvCache=f32}).
 *
 * <p>Run: {@code benchmarks/scripts/real-size-jmh.sh} (builds unless {@code SKIP_BUILD=1}, prints
 * the machine, writes JMH's JSON to {@code runs/real-size-jmh/results.json} and a table of
 * tokens/s; extra arguments go to JMH, e.g. {@code -p shape=0.5b -p batch=1}; {@code MODELS=DIR}
 * sets the property); by hand: {@code java --add-modules jdk.incubator.vector
 * -Dresearch4j.models=/work/models -jar benchmarks/target/benchmarks.jar RealSizeBench}.
 *
 * <p><b>Duration</b> of the full run, 2 shapes × 2 batches × 2 benchmarks = 8 forks: <b>about 7
 * minutes</b> on 2 Zen 4 cores (estimated from {@link RealSizeTiming}'s speeds). Decode: 2 warm-up
 * and 5 measured iterations of 5 s, 40-60 s a fork with the loading and the untimed prefills;
 * prefill: 1 warm-up and 3 measured iterations of 5 s, 25-30 s a fork, except 1.5B at batch 16
 * (about 90 s: an iteration lasts at least one invocation, and each is a 21 s prefill of 16 × 128
 * tokens).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "--add-modules",
      "jdk.incubator.vector",
      "-XX:+UseParallelGC",
      // 1.5B bf16: 3.1 GB of weights that live for the whole trial; a 4 GB young generation
      // leaves the old one 8 GB (real-size.sh ran the 1.5B shape at -Xmx12g -Xmn4g).
      "-Xmx12g",
      "-Xmn4g"
    })
public class RealSizeBench {
  static final int PROMPT = 128;

  /** The decode benchmark's context never exceeds this many positions; then it re-prefills. */
  static final int MAX_CONTEXT = 256;

  /** The system property naming the directory that holds {@code qwen2.5-<shape>-shape}. */
  static final String MODELS_PROPERTY = "research4j.models";

  static final String DEFAULT_MODELS = "/work/models";

  /** The checkpoint directory of {@code shape}, checked to hold a checkpoint. */
  static Path checkpoint(String shape) {
    Path dir =
        Path.of(System.getProperty(MODELS_PROPERTY, DEFAULT_MODELS), "qwen2.5-" + shape + "-shape");
    if (!Files.isRegularFile(dir.resolve("config.json"))) {
      throw new IllegalStateException(
          "RealSizeBench: no checkpoint at "
              + dir
              + " (no config.json); write it with `tools/qwen-shape-checkpoint.sh "
              + shape
              + " "
              + dir
              + "`, or point -D"
              + MODELS_PROPERTY
              + "=DIR at the directory that holds qwen2.5-"
              + shape
              + "-shape");
    }
    return dir;
  }

  /** The model of a trial, loaded once per fork (its params are those of both states below). */
  @State(Scope.Benchmark)
  public abstract static class Loaded {
    @Param({"0.5b", "1.5b"})
    public String shape;

    @Param({"bf16"})
    public String weights;

    @Param({"1", "16"})
    public int batch;

    /** The KV cache's precision: bf16 (the command line's default on the CPU) or f32. */
    @Param({"bf16"})
    public String kvCache;

    Qwen2Model model;
    Generator generator;
    int vocab;
    private final SplittableRandom rnd = new SplittableRandom(7);

    @Setup(Level.Trial)
    public void load() {
      Path dir = checkpoint(shape);
      WeightPrecision precision = WeightPrecision.parse(weights);
      CpuKernels cpu = new CpuKernels();
      long t0 = System.nanoTime();
      try {
        model = Qwen2Model.load(cpu, dir, precision).bf16Caches(kvCache.equals("bf16"));
      } catch (IOException e) {
        throw new UncheckedIOException("RealSizeBench: loading " + dir, e);
      }
      System.out.printf(
          "%n# %s, weights %s (%.2f GB), loaded in %.2f s; %s%n",
          dir,
          precision,
          model.weightBytes() / 1e9,
          (System.nanoTime() - t0) / 1e9,
          cpu.description());
      vocab = model.config().vocabSize();
      generator = new Generator(model, ids -> "", PROMPT);
    }

    /** {@code batch} random prompts of {@value #PROMPT} tokens. */
    List<int[]> prompts() {
      List<int[]> prompts = new ArrayList<>();
      for (int s = 0; s < batch; s++) prompts.add(rnd.ints(PROMPT, 0, vocab).toArray());
      return prompts;
    }

    /** Closes what a subclass keeps past an invocation, before the model. */
    void closeSessions() {}

    @TearDown(Level.Trial)
    public void closeModel() {
      closeSessions();
      model.close();
    }
  }

  /** A session whose prompts are in the cache, decoding; re-prefilled before it outgrows. */
  @State(Scope.Benchmark)
  public static class Decoding extends Loaded {
    Session session;
    private long seed = 1;

    /** A fresh session with its prompts prefilled and each sequence's first token drawn. */
    void prefill() {
      if (session != null) session.close();
      // Capacity past the last decode step's 257 tokens, so no sequence stops for length.
      session = generator.start(prompts(), SamplingConfig.sampling(1.0, seed++), MAX_CONTEXT + 2);
      session.step();
    }

    /**
     * Before a step: a sequence of length L feeds its last token at position L - 1 and attends to L
     * positions, so a session at length {@value #MAX_CONTEXT} + 1 (or one with a stopped sequence,
     * which a random model cannot cause: no stop tokens) is prefilled again; so is the first (the
     * model is loaded by a trial setup, and JMH orders setups of one level in no stated way).
     */
    @Setup(Level.Invocation)
    public void keepContextInRange() {
      if (session == null || session.length(0) > MAX_CONTEXT || session.runningCount() < batch) {
        prefill();
      }
    }

    @Override
    void closeSessions() {
      if (session != null) session.close();
      session = null;
    }
  }

  /** Per invocation, a fresh session whose prompts are not yet in the cache. */
  @State(Scope.Benchmark)
  public static class Prefilling extends Loaded {
    Session session;

    @Setup(Level.Invocation)
    public void start() {
      session = generator.start(prompts(), SamplingConfig.sampling(1.0, 1), PROMPT + 1);
    }

    @TearDown(Level.Invocation)
    public void closeSession() {
      session.close();
    }
  }

  /**
   * Tokens processed, reported by JMH as tokens/s beside the primary score (JMH zeroes the counter
   * before each iteration).
   */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Tokens {
    public long tokens;
  }

  @Benchmark
  @Warmup(iterations = 2, time = 5)
  @Measurement(iterations = 5, time = 5)
  public Object decode(Decoding s, Tokens t) {
    Object stops = s.session.step();
    t.tokens += s.batch;
    return stops;
  }

  @Benchmark
  @Warmup(iterations = 1, time = 5)
  @Measurement(iterations = 3, time = 5)
  public Object prefill(Prefilling s, Tokens t) {
    Object stops = s.session.step();
    t.tokens += (long) s.batch * PROMPT;
    return stops;
  }
}
