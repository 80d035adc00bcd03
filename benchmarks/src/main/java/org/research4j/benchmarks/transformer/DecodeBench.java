package org.research4j.benchmarks.transformer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
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

/**
 * Decoding with the KV cache on the {@link BenchModel}: each invocation draws {@value #NEW_TOKENS}
 * tokens (temperature 1) for every sequence of a batch whose {@value #PROMPT}-token prompts were
 * prefilled in the invocation's setup, so the context runs from 128 to 255 positions. The score is
 * generated tokens per second over the whole batch, at batch 1 and at batch 32.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
public class DecodeBench {
  static final int PROMPT = 128;
  static final int NEW_TOKENS = 128;

  /** A model and, per invocation, a session whose prompts are already in the cache. */
  abstract static class Decoding {
    Qwen2Model model;
    Generator generator;
    Session session;

    abstract int batch();

    @Setup(Level.Trial)
    public void setupModel() {
      model = Qwen2Model.random(new CpuKernels(), BenchModel.CONFIG, 42);
      generator = new Generator(model, ids -> "", PROMPT);
    }

    @Setup(Level.Invocation)
    public void prefill() {
      SplittableRandom rnd = new SplittableRandom(7);
      List<int[]> prompts = new ArrayList<>();
      for (int s = 0; s < batch(); s++)
        prompts.add(rnd.ints(PROMPT, 0, BenchModel.VOCAB).toArray());
      session = generator.start(prompts, SamplingConfig.sampling(1.0, 1), PROMPT + NEW_TOKENS + 1);
      session.step(); // the prefill, which also draws the first token
    }

    @TearDown(Level.Invocation)
    public void closeSession() {
      session.close();
    }

    @TearDown(Level.Trial)
    public void closeModel() {
      model.close();
    }
  }

  @State(Scope.Benchmark)
  public static class Batch1 extends Decoding {
    @Override
    int batch() {
      return 1;
    }
  }

  @State(Scope.Benchmark)
  public static class Batch32 extends Decoding {
    @Override
    int batch() {
      return 32;
    }
  }

  @Benchmark
  @OperationsPerInvocation(NEW_TOKENS - 1)
  public Object decodeBatch1(Batch1 s) {
    return s.session.run(NEW_TOKENS - 1);
  }

  @Benchmark
  @OperationsPerInvocation(32 * (NEW_TOKENS - 1))
  public Object decodeBatch32(Batch32 s) {
    return s.session.run(NEW_TOKENS - 1);
  }
}
