package org.research4j.tensor;

import static org.research4j.tensor.Fixtures.CPU;
import static org.research4j.tensor.Fixtures.assertClose;
import static org.research4j.tensor.Fixtures.gaussian;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * KV-cache inference ({@code writeCache}, {@code attentionCached}) reproduces full causal
 * attention: prefill then token-by-token decode, and a batch whose sequences sit at different
 * positions. Tolerance 1e-5 relative plus 1e-6 absolute (the same float32 sums in another order at
 * most).
 */
class KvCacheTest {
  private static final int B = 2, T = 6, TMAX = 9, HQ = 4, HKV = 2, D = 8;

  /** Rows {@code [from, from+len)} of every sequence of a {@code [B, T, h, D]} host array. */
  private static float[] rows(float[] a, int h, int from, int len) {
    int row = h * D;
    float[] out = new float[B * len * row];
    for (int s = 0; s < B; s++) {
      System.arraycopy(a, (s * T + from) * row, out, s * len * row, len * row);
    }
    return out;
  }

  private static double[] rowsOf(float[] full, int[] at) {
    int row = HQ * D;
    double[] out = new double[B * row];
    for (int s = 0; s < B; s++) {
      for (int c = 0; c < row; c++) out[s * row + c] = full[(s * T + at[s]) * row + c];
    }
    return out;
  }

  @Test
  void prefillThenDecodeMatchesFullAttention() {
    long seed = 71;
    Random rnd = new Random(seed);
    float[] q = gaussian(rnd, B * T * HQ * D, 1), k = gaussian(rnd, B * T * HKV * D, 1);
    float[] v = gaussian(rnd, B * T * HKV * D, 1);
    float scale = (float) (1 / Math.sqrt(D));
    try (Tape tape = new Tape(CPU);
        Tape.NoGrad ignored = tape.noGrad()) {
      Ops ops = tape.ops();
      float[] full =
          ops.attention(
                  tape.tensor(q, B, T, HQ, D),
                  tape.tensor(k, B, T, HKV, D),
                  tape.tensor(v, B, T, HKV, D))
              .toFloatArray();
      Tensor kc = tape.zeros(B, TMAX, HKV, D), vc = tape.zeros(B, TMAX, HKV, D);
      int prefix = 4;
      Tensor start = tape.ints(new int[] {0, 0}, B);
      ops.writeCache(tape.tensor(rows(k, HKV, 0, prefix), B, prefix, HKV, D), kc, start);
      ops.writeCache(tape.tensor(rows(v, HKV, 0, prefix), B, prefix, HKV, D), vc, start);
      float[] pre =
          ops.attentionCached(
                  tape.tensor(rows(q, HQ, 0, prefix), B, prefix, HQ, D), kc, vc, start, scale)
              .toFloatArray();
      assertClose("prefill", Fixtures.toDouble(rows(full, HQ, 0, prefix)), pre, 1e-5, 1e-6, seed);
      for (int i = prefix; i < T; i++) {
        Tensor at = tape.ints(new int[] {i, i}, B);
        ops.writeCache(tape.tensor(rows(k, HKV, i, 1), B, 1, HKV, D), kc, at);
        ops.writeCache(tape.tensor(rows(v, HKV, i, 1), B, 1, HKV, D), vc, at);
        float[] step =
            ops.attentionCached(tape.tensor(rows(q, HQ, i, 1), B, 1, HQ, D), kc, vc, at, scale)
                .toFloatArray();
        assertClose("decode position " + i, rowsOf(full, new int[] {i, i}), step, 1e-5, 1e-6, seed);
      }
    }
  }

  @Test
  void sequencesAtDifferentPositions() {
    long seed = 72;
    Random rnd = new Random(seed);
    float[] q = gaussian(rnd, B * T * HQ * D, 1), k = gaussian(rnd, B * T * HKV * D, 1);
    float[] v = gaussian(rnd, B * T * HKV * D, 1);
    float scale = 0.3f;
    try (Tape tape = new Tape(CPU);
        Tape.NoGrad ignored = tape.noGrad()) {
      Ops ops = tape.ops();
      float[] full =
          ops.attention(
                  tape.tensor(q, B, T, HQ, D),
                  tape.tensor(k, B, T, HKV, D),
                  tape.tensor(v, B, T, HKV, D),
                  scale)
              .toFloatArray();
      Tensor kc = tape.zeros(B, TMAX, HKV, D), vc = tape.zeros(B, TMAX, HKV, D);
      Tensor zero = tape.ints(new int[] {0, 0}, B);
      ops.writeCache(tape.tensor(k, B, T, HKV, D), kc, zero);
      ops.writeCache(tape.tensor(v, B, T, HKV, D), vc, zero);
      int[] at = {4, 1};
      float[] qAt = new float[B * HQ * D];
      for (int s = 0; s < B; s++) {
        System.arraycopy(q, (s * T + at[s]) * HQ * D, qAt, s * HQ * D, HQ * D);
      }
      float[] got =
          ops.attentionCached(tape.tensor(qAt, B, 1, HQ, D), kc, vc, tape.ints(at, B), scale)
              .toFloatArray();
      assertClose("positions {4, 1}", rowsOf(full, at), got, 1e-5, 1e-6, seed);
    }
  }
}
