package org.research4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.research4j.kernels.cpu.Fixtures.assertClose;
import static org.research4j.kernels.cpu.Fixtures.toDouble;
import static org.research4j.kernels.cpu.Fixtures.uniform;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.research4j.kernels.Bf16;
import org.research4j.kernels.Buf;

/**
 * KV caches in bfloat16 on the CPU kernels: keys and values written with {@code writeCache} are the
 * float32 ones rounded to nearest (exactly {@link Bf16#round}), in both key layouts (plain
 * row-major {@code allocBf16} and the transposed {@code allocBf16Keys}), and attention over them
 * equals the double-precision reference attention over the rounded keys and values within 1e-4 of
 * the largest output (float32 sums in another order, as {@link CpuAttentionTest}). Against the
 * unrounded float32 keys and values the difference is the rounding's (checked to stay below 2e-2 of
 * the largest output, and to be non-zero, so the cache really is bfloat16).
 */
class Bf16CacheTest {
  private static final double TOL = 1e-4;
  private final CpuKernels kernels = new CpuKernels();

  private static float[] rounded(float[] x) {
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) out[i] = Bf16.toFloat(Bf16.round(x[i]));
    return out;
  }

  /** A cache {@code [b, tk, hkv, d]} holding {@code x}, written by writeCache at start 0. */
  private Buf cache(float[] x, boolean keys, boolean transposed, int b, int tk, int hkv, int d) {
    Buf c = keys && transposed ? kernels.allocBf16Keys(b, tk, hkv, d) : kernels.allocBf16(x.length);
    kernels.writeCache(CpuBuf.wrap(x), c, CpuBuf.wrap(new int[b]), b, tk, tk, hkv * d);
    return c;
  }

  @ParameterizedTest(name = "transposed={0} tq={1} tk={2} start=({3},{4}) d={5}")
  @CsvSource({
    "true, 1, 40, 39, 17, 64",
    "true, 1, 1, 0, 0, 24",
    "true, 5, 40, 35, 10, 64",
    "true, 7, 150, 0, 143, 24",
    "true, 70, 140, 70, 3, 64",
    "true, 1, 300, 299, 130, 64",
    "false, 1, 40, 39, 17, 64",
    "false, 7, 150, 0, 143, 24",
    "false, 70, 140, 70, 3, 64",
  })
  void attentionOverBf16CacheMatchesReferenceOnRoundedValues(
      boolean transposed, int tq, int tk, int s0, int s1, int d) {
    long seed = 91L * tq + tk + 13L * s0 + s1 + d + (transposed ? 5 : 0);
    SplittableRandom r = new SplittableRandom(seed);
    int b = 2, hq = 4, hkv = 2;
    float[] q = uniform(r, b * tq * hq * d, 2);
    float[] k = uniform(r, b * tk * hkv * d, 2);
    float[] v = uniform(r, b * tk * hkv * d, 1);
    int[] start = {s0, s1};
    float scale = (float) (1 / Math.sqrt(d));
    ReferenceKernels.Attention want =
        ReferenceKernels.attention(
            toDouble(q),
            toDouble(rounded(k)),
            toDouble(rounded(v)),
            start,
            b,
            tq,
            tk,
            hq,
            hkv,
            d,
            scale);
    Buf kc = cache(k, true, transposed, b, tk, hkv, d);
    Buf vc = cache(v, false, transposed, b, tk, hkv, d);
    float[] out = new float[q.length];
    kernels.attentionForward(
        CpuBuf.wrap(q),
        kc,
        vc,
        CpuBuf.wrap(out),
        null,
        CpuBuf.wrap(start),
        b,
        tq,
        tk,
        hq,
        hkv,
        d,
        scale);
    assertClose("bf16-cache attention", seed, want.out(), out, TOL);

    ReferenceKernels.Attention exact =
        ReferenceKernels.attention(
            toDouble(q), toDouble(k), toDouble(v), start, b, tq, tk, hq, hkv, d, scale);
    double max = 0, diff = 0;
    for (int i = 0; i < out.length; i++) {
      max = Math.max(max, Math.abs(exact.out()[i]));
      diff = Math.max(diff, Math.abs(exact.out()[i] - out[i]));
    }
    assertTrue(diff > 0 && diff < 2e-2 * max, "rounding's effect " + diff + " of " + max);
  }

  @Test
  void keyCacheAddressesElementsRowMajor() {
    int b = 3, t = 70, hkv = 2, d = 24;
    SplittableRandom r = new SplittableRandom(3);
    float[] x = uniform(r, b * t * hkv * d, 3);
    short[] want = Bf16.round(x);
    Buf keys = kernels.allocBf16Keys(b, t, hkv, d);
    assertEquals(x.length, keys.length());
    // Written in two parts at different starts per sequence, read back in one.
    int[] first = {0, 0, 0};
    float[] head = new float[b * 30 * hkv * d];
    float[] tail = new float[b * 40 * hkv * d];
    int row = hkv * d;
    for (int s = 0; s < b; s++) {
      System.arraycopy(x, s * t * row, head, s * 30 * row, 30 * row);
      System.arraycopy(x, (s * t + 30) * row, tail, s * 40 * row, 40 * row);
    }
    kernels.writeCache(CpuBuf.wrap(head), keys, CpuBuf.wrap(first), b, 30, t, row);
    kernels.writeCache(CpuBuf.wrap(tail), keys, CpuBuf.wrap(new int[] {30, 30, 30}), b, 40, t, row);
    short[] back = new short[x.length];
    kernels.downloadBf16(keys, 0, back, 0, x.length);
    assertArrayEquals(want, back, "writeCache then downloadBf16");

    // Uploads at any offset, copies between key caches (whole positions of one sequence, the
    // fast path, and an unaligned range) and into a plain buffer.
    Buf other = kernels.allocBf16Keys(b, t, hkv, d);
    kernels.uploadBf16(want, 0, other, 0, want.length);
    Buf swapped = kernels.allocBf16Keys(b, t, hkv, d);
    kernels.copy(other, 0, swapped, 2 * t * row, t * row);
    kernels.copy(other, 2 * t * row, swapped, 0, 50 * row);
    kernels.copy(other, t * row + 5, swapped, t * row + 5, 333);
    Buf plain = kernels.allocBf16(x.length);
    kernels.copy(swapped, 0, plain, 0, x.length);
    short[] got = new short[x.length];
    kernels.downloadBf16(plain, 0, got, 0, x.length);
    for (int e = 0; e < x.length; e++) {
      int s = e / (t * row);
      int in = e % (t * row);
      short expect;
      if (s == 2) expect = want[in];
      else if (s == 0) expect = in < 50 * row ? want[2 * t * row + in] : 0;
      else expect = in >= 5 && in < 5 + 333 ? want[e] : 0;
      assertEquals(expect, got[e], "element " + e);
    }
  }

  @Test
  void keyCacheOfAnotherGeometryIsRefused() {
    int b = 1, t = 10, hkv = 2, d = 8;
    Buf keys = kernels.allocBf16Keys(b, t, hkv, d);
    Buf values = kernels.allocBf16(b * t * hkv * d);
    float[] q = new float[4 * d];
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                kernels.attentionForward(
                    CpuBuf.wrap(q),
                    keys,
                    values,
                    CpuBuf.wrap(new float[4 * d]),
                    null,
                    CpuBuf.wrap(new int[] {0}),
                    b,
                    1,
                    5,
                    4,
                    hkv,
                    d,
                    1f));
    assertTrue(e.getMessage().contains("the key cache holds [b, 10, 2, 8]"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                kernels.attentionForward(
                    CpuBuf.wrap(q),
                    keys,
                    values,
                    CpuBuf.wrap(new float[4 * d]),
                    CpuBuf.wrap(new float[4]),
                    CpuBuf.wrap(new int[] {0}),
                    b,
                    1,
                    t,
                    4,
                    hkv,
                    d,
                    1f));
    assertTrue(e.getMessage().contains("lse must be null"), e.getMessage());
  }
}
