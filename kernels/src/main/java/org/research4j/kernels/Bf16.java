package org.research4j.kernels;

/**
 * bfloat16 on the host: the top half of a float32 (sign, 8 exponent bits, 7 mantissa bits), so
 * widening is a shift and rounding keeps float32's range with about 3 significant decimal digits
 * (relative rounding error at most 2^-9 = 0.2 %).
 */
public final class Bf16 {
  private Bf16() {}

  /** bfloat16 bits to float32: exact. */
  public static float toFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /**
   * float32 to the nearest bfloat16, ties to even (as PyTorch's {@code .to(torch.bfloat16)}); a NaN
   * stays a quiet NaN with its sign.
   */
  public static short round(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x0040);
    return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
  }

  /** Rounds {@code src[srcOff..srcOff+n)} into {@code dst[dstOff..)}. */
  public static void round(float[] src, int srcOff, short[] dst, int dstOff, int n) {
    for (int i = 0; i < n; i++) dst[dstOff + i] = round(src[srcOff + i]);
  }

  /** A new array of {@code src} rounded to bfloat16. */
  public static short[] round(float[] src) {
    short[] out = new short[src.length];
    round(src, 0, out, 0, src.length);
    return out;
  }

  /** Widens {@code src[srcOff..srcOff+n)} into {@code dst[dstOff..)}. */
  public static void toFloat(short[] src, int srcOff, float[] dst, int dstOff, int n) {
    for (int i = 0; i < n; i++) dst[dstOff + i] = toFloat(src[srcOff + i]);
  }
}
