package org.research4j.transformer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** 16-bit float conversions against bit patterns worked out by hand from the IEEE layouts. */
class HalfFloatsTest {

  @Test
  void bf16DecodesHandComputedPatterns() {
    // bf16 = sign | 8-bit exponent (bias 127) | 7-bit mantissa: the top half of a float32.
    assertEquals(1.0f, HalfFloats.bf16ToFloat((short) 0x3F80));
    assertEquals(-2.0f, HalfFloats.bf16ToFloat((short) 0xC000));
    assertEquals(0.5f, HalfFloats.bf16ToFloat((short) 0x3F00));
    assertEquals(1.0078125f, HalfFloats.bf16ToFloat((short) 0x3F81)); // 1 + 2^-7
    assertEquals(Float.POSITIVE_INFINITY, HalfFloats.bf16ToFloat((short) 0x7F80));
    assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.bf16ToFloat((short) 0xFF80));
    assertTrue(Float.isNaN(HalfFloats.bf16ToFloat((short) 0x7FC0)));
    assertEquals(
        0x1p-133f, HalfFloats.bf16ToFloat((short) 0x0001)); // smallest subnormal: 2^-126 * 2^-7
    assertEquals(
        Float.floatToRawIntBits(-0.0f),
        Float.floatToRawIntBits(HalfFloats.bf16ToFloat((short) 0x8000)));
  }

  @Test
  void f16DecodesHandComputedPatterns() {
    // f16 = sign | 5-bit exponent (bias 15) | 10-bit mantissa.
    assertEquals(1.0f, HalfFloats.f16ToFloat((short) 0x3C00));
    assertEquals(-2.0f, HalfFloats.f16ToFloat((short) 0xC000));
    assertEquals(65504.0f, HalfFloats.f16ToFloat((short) 0x7BFF)); // largest finite
    assertEquals(
        0x1p-24f, HalfFloats.f16ToFloat((short) 0x0001)); // smallest subnormal 2^-14 * 2^-10
    assertEquals(0x3FFp-24f, HalfFloats.f16ToFloat((short) 0x03FF)); // largest subnormal
    assertEquals(0x1p-14f, HalfFloats.f16ToFloat((short) 0x0400)); // smallest normal
    assertEquals(Float.POSITIVE_INFINITY, HalfFloats.f16ToFloat((short) 0x7C00));
    assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.f16ToFloat((short) 0xFC00));
    assertTrue(Float.isNaN(HalfFloats.f16ToFloat((short) 0x7E00)));
    assertEquals(
        0.333251953125f,
        HalfFloats.f16ToFloat((short) 0x3555)); // 1/3 rounded: 0x155/1024 * 2^-2 + 2^-2
  }

  @Test
  void bf16RoundsToNearestEven() {
    // 1 + 2^-8 lies exactly between bf16 1.0 (0x3F80) and 1 + 2^-7 (0x3F81): ties go to the even
    // 0x3F80.
    assertEquals((short) 0x3F80, HalfFloats.floatToBf16(1.0f + 0x1p-8f));
    // 1 + 3*2^-8 lies between 0x3F81 and 0x3F82: the tie goes to the even 0x3F82.
    assertEquals((short) 0x3F82, HalfFloats.floatToBf16(1.0f + 3 * 0x1p-8f));
    // Just above the midpoint rounds up.
    assertEquals((short) 0x3F81, HalfFloats.floatToBf16(Math.nextUp(1.0f + 0x1p-8f)));
    assertEquals((short) 0x7F80, HalfFloats.floatToBf16(Float.POSITIVE_INFINITY));
    // The largest float rounds past the largest bf16 to infinity, as in PyTorch.
    assertEquals((short) 0x7F80, HalfFloats.floatToBf16(Float.MAX_VALUE));
    short nan = HalfFloats.floatToBf16(Float.NaN);
    assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(nan)));
  }

  @Test
  void f16EncodesHandComputedPatterns() {
    assertEquals((short) 0x3C00, HalfFloats.floatToF16(1.0f));
    assertEquals((short) 0x0001, HalfFloats.floatToF16(0x1p-24f));
    assertEquals((short) 0x7C00, HalfFloats.floatToF16(70000f)); // overflow
    assertEquals((short) 0x3555, HalfFloats.floatToF16(1f / 3f));
  }
}
