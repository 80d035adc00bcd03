package org.research4j.kernels.cpu;

import org.research4j.kernels.Buf;

/**
 * A CPU buffer: a Java array, float[], int[] or short[] (bfloat16 bits). Closing is a no-op; the GC
 * owns the memory.
 */
public final class CpuBuf implements Buf {
  private final float[] f;
  private final int[] i;
  private final short[] h;

  private CpuBuf(float[] f, int[] i) {
    this(f, i, null);
  }

  private CpuBuf(float[] f, int[] i, short[] h) {
    this.f = f;
    this.i = i;
    this.h = h;
  }

  /** A zero-filled bfloat16 buffer of {@code n} elements. */
  public static CpuBuf bf16(int n) {
    return new CpuBuf(null, null, new short[n]);
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
    return f != null ? Type.F32 : i != null ? Type.I32 : Type.BF16;
  }

  @Override
  public int length() {
    return f != null ? f.length : i != null ? i.length : h.length;
  }

  /** The backing float array; fails on an int buffer. */
  public float[] floats() {
    if (f == null) throw new IllegalArgumentException("expected a F32 buffer, got " + type());
    return f;
  }

  /** The backing int array; fails on a float buffer. */
  public int[] ints() {
    if (i == null) throw new IllegalArgumentException("expected an I32 buffer, got " + type());
    return i;
  }

  /** The backing bfloat16 bits; fails on a float or int buffer. */
  public short[] shorts() {
    if (h == null) throw new IllegalArgumentException("expected a BF16 buffer, got " + type());
    return h;
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
