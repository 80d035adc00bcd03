package org.research4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.research4j.kernels.Buf;
import org.research4j.kernels.Int8;
import org.research4j.kernels.cpu.CpuKernels;

/**
 * Frozen int8 parameters ({@code Parameter.frozen(..., Buf.Type.I8, rows, cols)}): {@code copyFrom}
 * quantizes each row, {@code toFloatArray} dequantizes; {@code Ops.linear} and {@code
 * Ops.embedding} read them like the float32 parameter holding the dequantized values (linear within
 * float32 summation order, {@code 1e-5} relative here; the gather exactly), and refuse a gradient.
 */
class Int8ParameterTest {
  private final CpuKernels k = new CpuKernels();

  @Test
  void linearAndEmbeddingReadTheDequantizedWeights() {
    SplittableRandom rnd = new SplittableRandom(1);
    int out = 37;
    int in = 53;
    float[] w = new float[out * in];
    for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
    Parameter q = Parameter.frozen(k, "w", Buf.Type.I8, out, in);
    assertEquals(Buf.Type.I8, q.dtype());
    assertTrue(q.frozen());
    q.copyFrom(w);
    float[] deq = q.toFloatArray();
    byte[] qs = new byte[w.length];
    float[] scales = new float[out];
    Int8.quantize(w, out, in, qs, scales);
    float[] want = new float[w.length];
    Int8.dequantize(qs, scales, out, in, want);
    assertArrayEquals(want, deq, 0f);
    Parameter f = Parameter.frozen(k, "f", Buf.Type.F32, out, in);
    f.copyFrom(deq);
    float[] x = new float[5 * in];
    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
    try (Tape tape = new Tape(k)) {
      for (int rows : new int[] {1, 5}) {
        Tensor xt = tape.tensor(java.util.Arrays.copyOf(x, rows * in), rows, in);
        float[] got = tape.ops().linear(xt, q, null).toFloatArray();
        float[] ref = tape.ops().linear(xt, f, null).toFloatArray();
        for (int i = 0; i < ref.length; i++) {
          assertEquals(ref[i], got[i], 1e-5 * (1 + Math.abs(ref[i])), "rows " + rows + " " + i);
        }
      }
      Tensor ids = tape.ints(new int[] {3, 0, 36, 3}, 4);
      float[] got = tape.ops().embedding(q, ids).toFloatArray();
      float[] ref = tape.ops().embedding(f, ids).toFloatArray();
      assertArrayEquals(ref, got, 0f);
    }
  }

  @Test
  void noGradientFlowsThroughInt8Weights() {
    Parameter q = Parameter.frozen(k, "w", Buf.Type.I8, 4, 8);
    try (Tape tape = new Tape(k)) {
      Parameter x = Parameter.zeros(k, "x", 2, 8);
      Tensor y = tape.ops().sum(tape.ops().linear(x, q, null));
      UnsupportedOperationException e =
          assertThrows(UnsupportedOperationException.class, () -> tape.backward(y));
      assertTrue(e.getMessage().contains("frozen int8 weights"), e.getMessage());
    }
  }

  @Test
  void anInt8ParameterMustBeAMatrix() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Parameter.frozen(k, "b", Buf.Type.I8, 8));
    assertTrue(e.getMessage().contains("a matrix with a scale per row"), e.getMessage());
  }
}
