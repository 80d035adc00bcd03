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
import org.research4j.grpo.train.PolicyUpdate;
import org.research4j.kernels.cpu.CpuKernels;

/**
 * One GRPO policy update ({@link BenchGrpo}: reference forward without gradient, policy forward,
 * GRPO loss, backward, clip, AdamW) of the {@link BenchModel} at B=8, T=256 on the CPU kernels. The
 * score is trained tokens per second (one operation = one trained token, {@link
 * BenchGrpo#TRAINED}); sequence tokens per second are that × T / (T − 64 − 32) = × 1.6.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
public class GrpoUpdateBench {
  BenchGrpo grpo;

  @Setup
  public void setup() {
    grpo = new BenchGrpo(new CpuKernels(), BenchModel.BATCH, BenchModel.SEQ, 42);
  }

  @Benchmark
  @OperationsPerInvocation(BenchGrpo.TRAINED)
  public PolicyUpdate.Result update() {
    return grpo.step();
  }

  @TearDown
  public void tearDown() {
    grpo.close();
  }
}
