package org.research4j.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.research4j.kernels.Bf16;
import org.research4j.kernels.Buf;
import org.research4j.kernels.cpu.CpuKernels;

/**
 * The OpenCL bfloat16-weight kernels ({@code bf16.cl}) against the CPU ones on the same inputs:
 * {@code sgemmBf16} over decode, prefill and odd shapes with offsets, strides, alpha and beta (beta
 * 0 over a C full of NaN), and the widening embedding gather, which must be exact. Both sides
 * accumulate in float32 in different orders, so the GEMM tolerance is twice the float32 bound of
 * each: {@code 2 (k + 4) 2^-23 (|alpha| sum_p |a w| + |beta c|)}, with the magnitude from a double
 * loop.
 */
class ClBf16Test {
  private static ClKernels cl;
  private static final CpuKernels CPU = new CpuKernels();

  @BeforeAll
  static void device() {
    cl = ClTestDevice.kernels();
  }

  @Test
  void sgemmBf16MatchesCpu() {
    int[][] shapes = {
      {1, 64, 128}, {1, 33, 100}, {4, 70, 64}, {16, 96, 300}, {37, 50, 17}, {1, 1, 1}
    };
    SplittableRandom rnd = new SplittableRandom(77);
    for (int[] s : shapes) {
      int m = s[0], n = s[1], kk = s[2];
      int pad = rnd.nextInt(3), off = rnd.nextInt(4);
      int lda = kk + pad, ldw = kk + pad, ldc = n + pad;
      float alpha = rnd.nextBoolean() ? 1f : -0.75f;
      float beta = rnd.nextBoolean() ? 0f : 0.5f;
      float[] a = random(rnd, off + m * lda);
      short[] w = Bf16.round(random(rnd, off + n * ldw));
      float[] c = random(rnd, off + m * ldc);
      if (beta == 0f) for (int i = 0; i < c.length; i++) if (rnd.nextInt(3) == 0) c[i] = Float.NaN;
      float[] want = run(CPU, m, n, kk, alpha, a, off, lda, w, ldw, beta, c, ldc);
      float[] got = run(cl, m, n, kk, alpha, a, off, lda, w, ldw, beta, c, ldc);
      for (int x = 0; x < c.length; x++) {
        int rel = x - off;
        if (rel < 0 || rel / ldc >= m || rel % ldc >= n) {
          assertTrue(Float.floatToRawIntBits(c[x]) == Float.floatToRawIntBits(got[x]));
          continue;
        }
        int i = rel / ldc, j = rel % ldc;
        double mag = 0;
        for (int p = 0; p < kk; p++) {
          mag += Math.abs((double) a[off + i * lda + p] * Bf16.toFloat(w[off + j * ldw + p]));
        }
        double cTerm = beta == 0f ? 0 : Math.abs(beta * c[x]);
        double tol = 2 * (kk + 4) * 0x1p-23 * (Math.abs(alpha) * mag + cTerm);
        assertTrue(
            Math.abs(got[x] - want[x]) <= tol,
            "m="
                + m
                + " n="
                + n
                + " k="
                + kk
                + " at ("
                + i
                + ", "
                + j
                + "): OpenCL "
                + got[x]
                + ", CPU "
                + want[x]
                + " +- "
                + tol);
      }
    }
  }

  @Test
  void embeddingBf16IsExact() {
    SplittableRandom rnd = new SplittableRandom(3);
    int vocab = 40, dim = 24;
    short[] table = Bf16.round(random(rnd, vocab * dim));
    int[] ids = {0, 39, 5, 5};
    float[][] out = new float[2][];
    int i = 0;
    for (var k : new org.research4j.kernels.Kernels[] {CPU, cl}) {
      Buf tb = k.allocBf16(table.length);
      k.uploadBf16(table, 0, tb, 0, table.length);
      Buf ib = k.allocI32(ids.length);
      k.upload(ids, 0, ib, 0, ids.length);
      Buf ob = k.allocF32(ids.length * dim);
      k.embeddingForwardBf16(tb, ib, ob, ids.length, dim);
      out[i] = new float[ids.length * dim];
      k.download(ob, 0, out[i++], 0, ids.length * dim);
      short[] back = new short[table.length];
      k.downloadBf16(tb, 0, back, 0, back.length);
      assertArrayEquals(table, back);
      tb.close();
      ib.close();
      ob.close();
    }
    assertArrayEquals(out[0], out[1], 0f);
  }

  private static float[] run(
      org.research4j.kernels.Kernels k,
      int m,
      int n,
      int kk,
      float alpha,
      float[] a,
      int off,
      int lda,
      short[] w,
      int ldw,
      float beta,
      float[] c,
      int ldc) {
    Buf ab = k.allocF32(a.length);
    Buf wb = k.allocBf16(w.length);
    Buf cb = k.allocF32(c.length);
    try {
      k.upload(a, 0, ab, 0, a.length);
      k.uploadBf16(w, 0, wb, 0, w.length);
      k.upload(c, 0, cb, 0, c.length);
      k.sgemmBf16(m, n, kk, alpha, ab, off, lda, wb, off, ldw, beta, cb, off, ldc);
      float[] got = new float[c.length];
      k.download(cb, 0, got, 0, got.length);
      return got;
    } finally {
      ab.close();
      wb.close();
      cb.close();
    }
  }

  private static float[] random(SplittableRandom rnd, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble(-1, 1);
    return x;
  }
}
