package org.research4j.kernels.cpu;

import static org.research4j.kernels.cpu.Fixtures.assertClose;
import static org.research4j.kernels.cpu.Fixtures.plus;
import static org.research4j.kernels.cpu.Fixtures.toDouble;
import static org.research4j.kernels.cpu.Fixtures.uniform;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.research4j.kernels.Buf;

/**
 * Flash-style attention against the naive reference that materialises the whole score matrix.
 * Tolerance: 1e-4 times the largest reference magnitude (float accumulation over up to 130 keys and
 * 64 dimensions, in a different order than the reference).
 */
class CpuAttentionTest {
  private static final double TOL = 1e-4;
  private final CpuKernels kernels = new CpuKernels();

  @ParameterizedTest(name = "b={0} t={1} hq={2} hkv={3} d={4}")
  @CsvSource({
    "2, 1, 4, 2, 64",
    "2, 7, 4, 2, 64",
    "2, 33, 4, 2, 24",
    "2, 130, 4, 2, 64",
    "1, 130, 4, 4, 24",
    "2, 70, 6, 1, 32",
    "1, 65, 2, 2, 128",
  })
  void trainingForwardAndBackwardMatchReference(int b, int t, int hq, int hkv, int d) {
    long seed = 1000L * t + 10L * d + hq + hkv;
    SplittableRandom r = new SplittableRandom(seed);
    float[] q = uniform(r, b * t * hq * d, 2);
    float[] k = uniform(r, b * t * hkv * d, 2);
    float[] v = uniform(r, b * t * hkv * d, 1);
    float[] dOut = uniform(r, b * t * hq * d, 1);
    float scale = (float) (1 / Math.sqrt(d));
    ReferenceKernels.Attention want =
        ReferenceKernels.attention(
            toDouble(q), toDouble(k), toDouble(v), null, b, t, t, hq, hkv, d, scale);

    float[] out = new float[q.length];
    float[] lse = new float[b * hq * t];
    kernels.attentionForward(
        CpuBuf.wrap(q),
        CpuBuf.wrap(k),
        CpuBuf.wrap(v),
        CpuBuf.wrap(out),
        CpuBuf.wrap(lse),
        null,
        b,
        t,
        t,
        hq,
        hkv,
        d,
        scale);
    assertClose("attention out", seed, want.out(), out, TOL);
    assertClose("attention lse", seed, want.lse(), lse, TOL);

    ReferenceKernels.AttentionGrads g =
        ReferenceKernels.attentionBackward(
            toDouble(q), toDouble(k), toDouble(v), toDouble(dOut), b, t, hq, hkv, d, scale);
    // Start from non-zero gradients: the backward must accumulate.
    float[] dq = uniform(r, q.length, 1);
    float[] dk = uniform(r, k.length, 1);
    float[] dv = uniform(r, v.length, 1);
    double[] wantDq = plus(dq, g.dq());
    double[] wantDk = plus(dk, g.dk());
    double[] wantDv = plus(dv, g.dv());
    kernels.attentionBackward(
        CpuBuf.wrap(q),
        CpuBuf.wrap(k),
        CpuBuf.wrap(v),
        CpuBuf.wrap(out),
        CpuBuf.wrap(lse),
        CpuBuf.wrap(dOut),
        CpuBuf.wrap(dq),
        CpuBuf.wrap(dk),
        CpuBuf.wrap(dv),
        b,
        t,
        hq,
        hkv,
        d,
        scale);
    assertClose("attention dq", seed, wantDq, dq, TOL);
    assertClose("attention dk", seed, wantDk, dk, TOL);
    assertClose("attention dv", seed, wantDv, dv, TOL);
  }

  @ParameterizedTest(name = "tq={0} tk={1} start=({2},{3}) d={4}")
  @CsvSource({
    "1, 40, 39, 17, 64",
    "1, 1, 0, 0, 24",
    "5, 40, 35, 10, 64",
    "7, 150, 0, 143, 24",
    "70, 140, 70, 3, 64",
  })
  void cachedForwardWithStartOffsetsMatchesReference(int tq, int tk, int s0, int s1, int d) {
    long seed = 77L * tq + tk + 13L * s0 + s1 + d;
    SplittableRandom r = new SplittableRandom(seed);
    int b = 2, hq = 4, hkv = 2;
    float[] q = uniform(r, b * tq * hq * d, 2);
    float[] k = uniform(r, b * tk * hkv * d, 2);
    float[] v = uniform(r, b * tk * hkv * d, 1);
    int[] start = {s0, s1};
    float scale = (float) (1 / Math.sqrt(d));
    ReferenceKernels.Attention want =
        ReferenceKernels.attention(
            toDouble(q), toDouble(k), toDouble(v), start, b, tq, tk, hq, hkv, d, scale);

    float[] out = new float[q.length];
    float[] lse = new float[b * hq * tq];
    kernels.attentionForward(
        CpuBuf.wrap(q),
        CpuBuf.wrap(k),
        CpuBuf.wrap(v),
        CpuBuf.wrap(out),
        CpuBuf.wrap(lse),
        CpuBuf.wrap(start),
        b,
        tq,
        tk,
        hq,
        hkv,
        d,
        scale);
    assertClose("cached attention out", seed, want.out(), out, TOL);
    assertClose("cached attention lse", seed, want.lse(), lse, TOL);

    float[] outNoLse = new float[q.length];
    kernels.attentionForward(
        CpuBuf.wrap(q),
        CpuBuf.wrap(k),
        CpuBuf.wrap(v),
        CpuBuf.wrap(outNoLse),
        null,
        CpuBuf.wrap(start),
        b,
        tq,
        tk,
        hq,
        hkv,
        d,
        scale);
    assertClose("cached attention out without lse", seed, want.out(), outNoLse, TOL);
  }

  @Test
  void queriesShorterThanKeysWithoutStartSeeOnlyTheirPrefix() {
    long seed = 5;
    SplittableRandom r = new SplittableRandom(seed);
    int b = 2, tq = 7, tk = 20, hq = 2, hkv = 1, d = 16;
    float[] q = uniform(r, b * tq * hq * d, 2);
    float[] k = uniform(r, b * tk * hkv * d, 2);
    float[] v = uniform(r, b * tk * hkv * d, 1);
    ReferenceKernels.Attention want =
        ReferenceKernels.attention(
            toDouble(q), toDouble(k), toDouble(v), null, b, tq, tk, hq, hkv, d, 0.25);
    float[] out = new float[q.length];
    kernels.attentionForward(
        CpuBuf.wrap(q),
        CpuBuf.wrap(k),
        CpuBuf.wrap(v),
        CpuBuf.wrap(out),
        null,
        null,
        b,
        tq,
        tk,
        hq,
        hkv,
        d,
        0.25f);
    assertClose("prefix attention out", seed, want.out(), out, TOL);
  }

  /** The analytic reference gradient is itself checked against finite differences. */
  @Test
  void referenceBackwardMatchesFiniteDifferences() {
    long seed = 11;
    SplittableRandom r = new SplittableRandom(seed);
    int b = 2, t = 5, hq = 4, hkv = 2, d = 3;
    double scale = 0.7;
    double[] q = toDouble(uniform(r, b * t * hq * d, 1));
    double[] k = toDouble(uniform(r, b * t * hkv * d, 1));
    double[] v = toDouble(uniform(r, b * t * hkv * d, 1));
    double[] dOut = toDouble(uniform(r, b * t * hq * d, 1));
    ReferenceKernels.AttentionGrads g =
        ReferenceKernels.attentionBackward(q, k, v, dOut, b, t, hq, hkv, d, scale);
    double h = 1e-6;
    assertClose(
        "fd dq",
        seed,
        Fixtures.numericGrad(
            x -> ReferenceKernels.attention(x, k, v, null, b, t, t, hq, hkv, d, scale).out(),
            q,
            dOut,
            h),
        g.dq(),
        1e-7);
    assertClose(
        "fd dk",
        seed,
        Fixtures.numericGrad(
            x -> ReferenceKernels.attention(q, x, v, null, b, t, t, hq, hkv, d, scale).out(),
            k,
            dOut,
            h),
        g.dk(),
        1e-7);
    assertClose(
        "fd dv",
        seed,
        Fixtures.numericGrad(
            x -> ReferenceKernels.attention(q, k, x, null, b, t, t, hq, hkv, d, scale).out(),
            v,
            dOut,
            h),
        g.dv(),
        1e-7);
  }

  @Test
  void rejectsStartPastTheKeys() {
    Buf q = kernels.allocF32(2 * 4 * 8);
    Buf kv = kernels.allocF32(2 * 4 * 8);
    Buf start = kernels.allocI32(2);
    kernels.upload(new int[] {0, 1}, 0, start, 0, 2);
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> kernels.attentionForward(q, kv, kv, q, null, start, 2, 4, 4, 1, 1, 8, 1f));
    org.junit.jupiter.api.Assertions.assertTrue(
        e.getMessage().startsWith("attentionForward: sequence 1"), e.getMessage());
  }
}
