package org.research4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.research4j.tensor.Fixtures.CPU;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.research4j.kernels.Buf;

/**
 * A weight used in decode-sized products (40 rows) is kept packed by the CPU kernels; after an
 * AdamW step and after an upload into the parameter, the next product must use the new weights.
 */
class KeptPackTest {
  private static final int M = 40, N = 96, K = 80;

  private static float[] random(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
    return x;
  }

  /** x W^T through the device, with W the parameter's buffer. */
  private static float[] product(Buf x, Parameter w) {
    Buf y = CPU.allocF32(M * N);
    CPU.sgemm(false, true, M, N, K, 1f, x, 0, K, w.buf(), 0, K, 0f, y, 0, N);
    float[] out = new float[M * N];
    CPU.download(y, 0, out, 0, out.length);
    return out;
  }

  /** x W^T with W's current values in a fresh buffer (nothing kept). */
  private static float[] expected(Buf x, Parameter w) {
    Parameter copy = Parameter.of(CPU, "copy", w.toFloatArray(), N, K);
    return product(x, copy);
  }

  @Test
  void productsAfterAnOptimiserStepOrAnUploadUseTheNewWeights() {
    try (Parameters params = new Parameters()) {
      Parameter w = params.add(Parameter.of(CPU, "W", random(N * K, 1), N, K));
      Buf x = CPU.allocF32(M * K);
      CPU.upload(random(M * K, 2), 0, x, 0, M * K);
      try (AdamW opt = new AdamW(params, AdamW.Config.of(1e-2f))) {
        for (int round = 0; round < 3; round++) {
          float[] before = expected(x, w);
          for (int call = 0; call < 3; call++) {
            assertArrayEquals(before, product(x, w), "round " + round + " call " + call);
          }
          CPU.upload(random(N * K, 10 + round), 0, w.gradBuf(), 0, N * K);
          opt.step();
          assertArrayEquals(expected(x, w), product(x, w), "after AdamW step " + round);
          product(x, w);
          w.copyFrom(random(N * K, 20 + round));
          assertArrayEquals(expected(x, w), product(x, w), "after upload " + round);
        }
      }
    }
  }
}
