package org.research4j.benchmarks.opencl;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
import org.research4j.kernels.Buf;
import org.research4j.kernels.Devices;
import org.research4j.kernels.Kernels;

/**
 * Square {@code C = op(A) * op(B)} through {@link Kernels#sgemm} on the device named by {@code
 * device} (a {@link Devices} spec: {@code opencl}, {@code opencl:gpu}, {@code pocl}, {@code cpu},
 * ...), time per call including the wait for the device ({@code sync}). Operands stay on the
 * device. GFLOP/s is {@code 2 n^3 / time}.
 *
 * <p>{@code java -jar benchmarks/target/benchmarks.jar ClSgemmBench -p device=opencl:gpu}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ClSgemmBench {
  @Param({"opencl"})
  String device;

  @Param({"256", "512", "1024", "2048", "4096"})
  int n;

  @Param({"false"})
  boolean transA;

  @Param({"false"})
  boolean transB;

  Kernels k;
  Buf a;
  Buf b;
  Buf c;

  @Setup(Level.Trial)
  public void setup() {
    k = Devices.open(device);
    SplittableRandom rnd = new SplittableRandom(42);
    a = upload(rnd, n * n);
    b = upload(rnd, n * n);
    c = k.allocF32(n * n);
    sgemm();
  }

  private Buf upload(SplittableRandom rnd, int size) {
    float[] x = new float[size];
    for (int i = 0; i < size; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
    Buf buf = k.allocF32(size);
    k.upload(x, 0, buf, 0, size);
    return buf;
  }

  @Benchmark
  public void sgemm() {
    k.sgemm(transA, transB, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
    k.sync();
  }

  @TearDown(Level.Trial)
  public void close() {
    k.close();
  }
}
