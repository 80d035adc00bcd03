package org.research4j.benchmarks.transformer;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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

/**
 * One training step (forward, mean cross-entropy, backward, AdamW) of the {@link BenchModel}
 * (d=256, 4 layers, vocab 4096, tied) at B=8, T=256 on the CPU kernels. The score is training
 * tokens per second (one operation = one token of the batch).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
public class TrainStepBench {
  BenchModel.Trainer trainer;

  @Setup
  public void setup() {
    trainer = new BenchModel.Trainer(new CpuKernels(), BenchModel.BATCH, BenchModel.SEQ, 42);
  }

  @Benchmark
  @OperationsPerInvocation(BenchModel.BATCH * BenchModel.SEQ)
  public float trainStep() {
    return trainer.step();
  }

  @TearDown
  public void tearDown() {
    trainer.close();
  }
}
