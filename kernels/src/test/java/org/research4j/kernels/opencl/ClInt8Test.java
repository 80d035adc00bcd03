package org.research4j.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.research4j.kernels.Buf;
import org.research4j.kernels.Int8;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;

/**
 * The OpenCL int8-weight kernels ({@code int8.cl}) against a float64 reference over the dequantized
 * weights and against the CPU kernels: {@code sgemmInt8} at m = 1, 2, 3, 16, 17, 100 with odd n and
 * k, W rows from inside a larger matrix, offsets, strides, alpha and beta (beta 0 over NaN), and
 * the dequantizing gather, which must be exact. The GEMM accumulates in float32, so the tolerance
 * is {@code (k + 8) 2^-23 (|alpha| sum_p |a w| + |beta c|)} against the float64 loop.
 */
class ClInt8Test {
  private static ClKernels cl;
  private static final CpuKernels CPU = new CpuKernels();

  @BeforeAll
  static void device() {
    cl = ClTestDevice.kernels();
  }

  @Test
  void sgemmInt8MatchesDoubleReference() {
    int[][] nk = {{5, 7}, {67, 129}, {33, 100}, {9, 1025}, {1, 1}};
    int[] ms = {1, 2, 3, 16, 17, 100};
    SplittableRandom rnd = new SplittableRandom(77);
    for (int m : ms) {
      for (int[] s : nk) {
        int n = s[0], kk = s[1];
        int pad = rnd.nextInt(3), off = rnd.nextInt(4), row0 = rnd.nextInt(3), extra = 2;
        int rows = row0 + n + extra;
        int lda = kk + pad, ldc = n + pad;
        float alpha = rnd.nextBoolean() ? 1f : -0.75f;
        float beta = rnd.nextBoolean() ? 0f : 0.5f;
        float[] a = random(rnd, off + m * lda);
        byte[] q = new byte[rows * kk];
        float[] scales = new float[rows];
        Int8.quantize(random(rnd, rows * kk), rows, kk, q, scales);
        float[] c = random(rnd, off + m * ldc);
        if (beta == 0f) {
          for (int i = 0; i < c.length; i++) if (rnd.nextInt(3) == 0) c[i] = Float.NaN;
        }
        Buf ab = cl.allocF32(a.length);
        Buf wb = cl.allocInt8Matrix(rows, kk);
        Buf cb = cl.allocF32(c.length);
        cl.upload(a, 0, ab, 0, a.length);
        cl.uploadInt8(q, 0, scales, 0, wb, 0, rows);
        cl.upload(c, 0, cb, 0, c.length);
        cl.sgemmInt8(m, n, kk, alpha, ab, off, lda, wb, row0 * kk, kk, beta, cb, off, ldc);
        float[] got = new float[c.length];
        cl.download(cb, 0, got, 0, got.length);
        ab.close();
        wb.close();
        cb.close();
        for (int x = 0; x < c.length; x++) {
          int rel = x - off;
          if (rel < 0 || rel / ldc >= m || rel % ldc >= n) {
            assertEquals(Float.floatToRawIntBits(c[x]), Float.floatToRawIntBits(got[x]));
            continue;
          }
          int i = rel / ldc, j = rel % ldc;
          double ref = 0;
          double mag = 0;
          for (int p = 0; p < kk; p++) {
            int e = (row0 + j) * kk + p;
            double t = (double) a[off + i * lda + p] * Int8.dequantize(q[e], scales[row0 + j]);
            ref += t;
            mag += Math.abs(t);
          }
          ref *= alpha;
          double cTerm = beta == 0f ? 0 : (double) beta * c[x];
          ref += cTerm;
          double tol = (kk + 8) * 0x1p-23 * (Math.abs(alpha) * mag + Math.abs(cTerm));
          assertTrue(
              Math.abs(got[x] - ref) <= tol,
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
                  + ", want "
                  + ref
                  + " +- "
                  + tol);
        }
      }
    }
  }

  @Test
  void embeddingInt8IsExactAndRoundTrips() {
    SplittableRandom rnd = new SplittableRandom(3);
    int vocab = 41, dim = 23;
    byte[] q = new byte[vocab * dim];
    float[] scales = new float[vocab];
    Int8.quantize(random(rnd, vocab * dim), vocab, dim, q, scales);
    int[] ids = {0, 40, 5, 5};
    float[][] out = new float[2][];
    int i = 0;
    for (Kernels k : new Kernels[] {CPU, cl}) {
      Buf tb = k.allocInt8Matrix(vocab, dim);
      k.uploadInt8(q, 0, scales, 0, tb, 0, vocab);
      Buf ib = k.allocI32(ids.length);
      k.upload(ids, 0, ib, 0, ids.length);
      Buf ob = k.allocF32(ids.length * dim);
      k.embeddingForwardInt8(tb, ib, ob, ids.length, dim);
      out[i] = new float[ids.length * dim];
      k.download(ob, 0, out[i++], 0, ids.length * dim);
      byte[] back = new byte[q.length];
      float[] sback = new float[vocab];
      k.downloadInt8(tb, 0, vocab, back, 0, sback, 0);
      assertArrayEquals(q, back);
      assertArrayEquals(scales, sback, 0f);
      tb.close();
      ib.close();
      ob.close();
    }
    float[] want = new float[ids.length * dim];
    for (int r = 0; r < ids.length; r++) {
      for (int c = 0; c < dim; c++) {
        want[r * dim + c] = Int8.dequantize(q[ids[r] * dim + c], scales[ids[r]]);
      }
    }
    assertArrayEquals(want, out[1], 0f);
    assertArrayEquals(out[0], out[1], 0f);
  }

  @Test
  void badArgumentsNameTheArgument() {
    Buf w = cl.allocInt8Matrix(8, 16);
    Buf a = cl.allocF32(64);
    Buf c = cl.allocF32(64);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> cl.sgemmInt8(1, 4, 8, 1f, a, 0, 8, w, 0, 8, 0f, c, 0, 4));
    assertTrue(e.getMessage().contains("k and ldw must be 16"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> cl.sgemmInt8(1, 4, 16, 1f, a, 0, 16, w, 8, 16, 0f, c, 0, 4));
    assertTrue(e.getMessage().contains("must start a row"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> cl.sgemmInt8(1, 4, 16, 1f, a, 0, 16, a, 0, 16, 0f, c, 0, 4));
    assertTrue(e.getMessage().contains("must be I8"), e.getMessage());
    w.close();
    a.close();
    c.close();
  }

  private static float[] random(SplittableRandom rnd, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
    return x;
  }
}
