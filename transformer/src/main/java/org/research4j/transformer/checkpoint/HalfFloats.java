package org.research4j.transformer.checkpoint;

/** Conversions between float32 and the 16-bit float formats of checkpoints. */
public final class HalfFloats {
  private HalfFloats() {}

  /** bfloat16 is the top half of a float32, so widening is a shift. */
  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /**
   * Rounds to the nearest bfloat16, ties to even (as PyTorch's {@code .to(torch.bfloat16)}); NaN
   * stays a quiet NaN with its sign.
   */
  public static short floatToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x0040);
    }
    int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + roundingBias) >>> 16);
  }

  /** IEEE binary16 to float32, subnormals, infinities and NaN included. */
  public static float f16ToFloat(short bits) {
    return Float.float16ToFloat(bits);
  }

  /** float32 to IEEE binary16, rounding to nearest even; overflow gives infinity. */
  public static short floatToF16(float f) {
    return Float.floatToFloat16(f);
  }
}
