package org.research4j.benchmarks.gemm;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.research4j.kernels.cpu.CpuSgemm;

/**
 * Square {@code C = op(A) * op(B)} with {@link CpuSgemm}, every transpose, time per call. GFLOP/s
 * is {@code 2 n^3 / time}; {@code benchmarks/scripts/sgemm-jmh.sh} prints it beside the JMH scores.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class SgemmBench {
  @Param({"256", "512", "1024", "2048"})
  int n;

  @Param({"false", "true"})
  boolean transA;

  @Param({"false", "true"})
  boolean transB;

  float[] a;
  float[] b;
  float[] c;

  @Setup
  public void setup() {
    SplittableRandom rnd = new SplittableRandom(42);
    a = random(rnd, n * n);
    b = random(rnd, n * n);
    c = new float[n * n];
  }

  @Benchmark
  public float[] sgemm() {
    CpuSgemm.sgemm(transA, transB, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
    return c;
  }

  private static float[] random(SplittableRandom rnd, int size) {
    float[] x = new float[size];
    for (int i = 0; i < size; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
    return x;
  }
}
