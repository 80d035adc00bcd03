package org.research4j.kernels.cpu;

import org.research4j.kernels.Buf;

/** A CPU buffer: a Java array, float[] or int[]. Closing is a no-op; the GC owns the memory. */
public final class CpuBuf implements Buf {
  private final float[] f;
  private final int[] i;

  private CpuBuf(float[] f, int[] i) {
    this.f = f;
    this.i = i;
  }

  public static CpuBuf f32(int n) {
    return new CpuBuf(new float[n], null);
  }

  public static CpuBuf i32(int n) {
    return new CpuBuf(null, new int[n]);
  }

  /** Wraps an existing array without copying. */
  public static CpuBuf wrap(float[] data) {
    return new CpuBuf(data, null);
  }

  /** Wraps an existing array without copying. */
  public static CpuBuf wrap(int[] data) {
    return new CpuBuf(null, data);
  }

  @Override
  public Type type() {
    return f != null ? Type.F32 : Type.I32;
  }

  @Override
  public int length() {
    return f != null ? f.length : i.length;
  }

  /** The backing float array; fails on an int buffer. */
  public float[] floats() {
    if (f == null) throw new IllegalArgumentException("expected a F32 buffer, got I32");
    return f;
  }

  /** The backing int array; fails on a float buffer. */
  public int[] ints() {
    if (i == null) throw new IllegalArgumentException("expected an I32 buffer, got F32");
    return i;
  }

  /** The float array of a buffer that must be a CPU buffer. */
  public static float[] f(Buf b) {
    return cast(b).floats();
  }

  /** The int array of a buffer that must be a CPU buffer. */
  public static int[] i(Buf b) {
    return cast(b).ints();
  }

  private static CpuBuf cast(Buf b) {
    if (b instanceof CpuBuf c) return c;
    throw new IllegalArgumentException(
        "CPU kernels got a buffer of another device: " + (b == null ? "null" : b.getClass()));
  }

  @Override
  public void close() {}
}
