package org.research4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.research4j.kernels.Buf;

/**
 * B kept packed with its buffer across products ({@link CpuSgemm#keptPack}): the results equal
 * those of packing B afresh bit for bit, and every kernel that writes B makes the next product use
 * the new values (a stale pack would fail these checks).
 */
class CpuSgemmKeptPackTest {
  private final CpuKernels kernels = new CpuKernels();

  private static float[] random(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
    return x;
  }

  /** A product with B of {@code bBuf} through the kernels, and the same on plain arrays. */
  private record Shape(boolean transB, int m, int n, int k, int bOff) {
    int ldb() {
      return (transB ? k : n) + 3;
    }

    int bLength() {
      return bOff + (transB ? n : k) * ldb();
    }
  }

  private float[] viaKernels(Shape s, Buf a, Buf b) {
    Buf c = kernels.allocF32(s.m() * s.n());
    kernels.sgemm(
        false,
        s.transB(),
        s.m(),
        s.n(),
        s.k(),
        1f,
        a,
        0,
        s.k(),
        b,
        s.bOff(),
        s.ldb(),
        0f,
        c,
        0,
        s.n());
    float[] out = new float[s.m() * s.n()];
    kernels.download(c, 0, out, 0, out.length);
    return out;
  }

  /** The product packing B afresh (arrays of the buffers as they are now). */
  private float[] fresh(Shape s, Buf a, Buf b) {
    float[] out = new float[s.m() * s.n()];
    CpuSgemm.sgemm(
        false,
        s.transB(),
        s.m(),
        s.n(),
        s.k(),
        1f,
        CpuBuf.read(a).clone(),
        0,
        s.k(),
        CpuBuf.read(b).clone(),
        s.bOff(),
        s.ldb(),
        0f,
        out,
        0,
        s.n());
    return out;
  }

  private static final List<Shape> SHAPES =
      List.of(
          new Shape(true, 40, 200, 300, 0),
          new Shape(false, 40, 200, 300, 5),
          new Shape(true, 17, 4200, 1100, 7), // several column and k slices
          new Shape(false, 64, 70, 600, 0));

  @Test
  void keptPackGivesTheSameBitsAsPackingAfresh() {
    for (Shape s : SHAPES) {
      Buf a = kernels.allocF32(s.m() * s.k());
      kernels.upload(random(s.m() * s.k(), 1), 0, a, 0, s.m() * s.k());
      Buf b = kernels.allocF32(s.bLength());
      kernels.upload(random(s.bLength(), 2), 0, b, 0, s.bLength());
      float[] want = fresh(s, a, b);
      for (int call = 0; call < 4; call++) {
        assertArrayEquals(want, viaKernels(s, a, b), s + " call " + call);
      }
      assertNotNull(
          CpuSgemm.keptPack((CpuBuf) b, s.transB(), s.m(), s.n(), s.k(), s.bOff(), s.ldb()),
          "B is kept packed after repeated use: " + s);
    }
  }

  /**
   * From {@code CpuSgemm.KEPT_MIN_M} rows on, a decoding batch's product keeps B packed and runs
   * the micro-kernel, where the first call (and a fresh product) read B in place with dot products:
   * the two agree within float32 summation order (1e-5 of the largest output).
   */
  @Test
  void smallBatchesKeepBPackedAndAgreeWithTheSkinnyPath() {
    for (int m : new int[] {2, 3, 9, 16}) {
      Shape s = new Shape(m % 2 == 0, m, 200, 300, m);
      Buf a = kernels.allocF32(s.m() * s.k());
      kernels.upload(random(s.m() * s.k(), 3), 0, a, 0, s.m() * s.k());
      Buf b = kernels.allocF32(s.bLength());
      kernels.upload(random(s.bLength(), 4), 0, b, 0, s.bLength());
      float[] want = fresh(s, a, b);
      double max = 0;
      for (float w : want) max = Math.max(max, Math.abs(w));
      for (int call = 0; call < 3; call++) {
        float[] got = viaKernels(s, a, b);
        for (int i = 0; i < got.length; i++) {
          assertTrue(
              Math.abs(got[i] - want[i]) <= 1e-5 * max,
              s + " call " + call + " element " + i + ": " + got[i] + " vs " + want[i]);
        }
      }
      assertNotNull(
          CpuSgemm.keptPack((CpuBuf) b, s.transB(), s.m(), s.n(), s.k(), s.bOff(), s.ldb()),
          "B is kept packed after repeated use: " + s);
    }
  }

  @Test
  void everyWriterOfBMakesTheNextProductUseTheNewValues() {
    Shape s = SHAPES.get(0);
    int len = s.bLength();
    Buf a = kernels.allocF32(s.m() * s.k());
    kernels.upload(random(s.m() * s.k(), 3), 0, a, 0, s.m() * s.k());
    Buf src = kernels.allocF32(len);
    kernels.upload(random(len, 4), 0, src, 0, len);
    Buf g = kernels.allocF32(len);
    kernels.upload(random(len, 5), 0, g, 0, len);
    Buf m1 = kernels.allocF32(len);
    Buf v1 = kernels.allocF32(len);
    int[] step = {0};
    List<Consumer<Buf>> writers =
        List.of(
            b -> kernels.upload(random(len, 6), 0, b, 0, len),
            b -> kernels.adamw(b, g, m1, v1, len, 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 1f, ++step[0]),
            b -> kernels.copy(src, 0, b, 0, len),
            b -> kernels.axpy(0.5f, g, b, len),
            b -> kernels.scale(b, -1.5f, len),
            b -> kernels.fill(b, s.bOff() + 10, 100, 0.25f));
    for (int w = 0; w < writers.size(); w++) {
      Buf b = kernels.allocF32(len);
      kernels.upload(random(len, 7), 0, b, 0, len);
      for (int call = 0; call < 3; call++) viaKernels(s, a, b);
      assertNotNull(
          CpuSgemm.keptPack((CpuBuf) b, s.transB(), s.m(), s.n(), s.k(), s.bOff(), s.ldb()));
      writers.get(w).accept(b);
      assertArrayEquals(fresh(s, a, b), viaKernels(s, a, b), "after writer " + w);
      assertArrayEquals(fresh(s, a, b), viaKernels(s, a, b), "after writer " + w + ", again");
    }
  }

  @Test
  void wrappedArraysAndTrainingSizedProductsKeepNothing() {
    Shape s = SHAPES.get(0);
    CpuBuf wrapped = CpuBuf.wrap(random(s.bLength(), 8));
    for (int call = 0; call < 3; call++) {
      assertNull(CpuSgemm.keptPack(wrapped, s.transB(), s.m(), s.n(), s.k(), s.bOff(), s.ldb()));
    }
    CpuBuf owned = CpuBuf.f32(s.bLength());
    int bigM = CpuSgemm.KEEP_MAX_M + 1;
    for (int call = 0; call < 3; call++) {
      assertNull(CpuSgemm.keptPack(owned, s.transB(), bigM, s.n(), s.k(), s.bOff(), s.ldb()));
    }
  }
}
