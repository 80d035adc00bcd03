package org.research4j.kernels;

/**
 * Symmetric per-row int8 quantization of weight matrices on the host, for {@link
 * Kernels#allocInt8Matrix}: a row {@code w[0..cols)} becomes {@code scale = max|w| / 127} and
 * {@code q[c] = round(w[c] / scale)} clamped to {@code [-127, 127]}; it stands for the
 * <b>dequantized</b> values {@code (float) q[c] * scale} (float32 product), which is what every
 * int8 kernel multiplies with.
 *
 * <p><b>Error bound.</b> Each weight moves by at most half a quantization step: {@code |w -
 * dequant(q)| <= scale / 2} (plus a few float32 roundings of the division and the product, below
 * {@code 2^-22 * max|w|}), that is at most {@code max|w_row| / 254} per weight: relative to the
 * row's largest weight, 0.39 %; small weights of a row with a large one lose more of their own
 * digits than in bfloat16. A row of zeros gets {@code scale = 0} and dequantizes to zeros exactly
 * (no NaN); so does a row whose largest magnitude is below {@code 127 * Float.MIN_VALUE}, where the
 * scale would underflow (its error is then that largest magnitude, under 2e-43). Weights must be
 * finite.
 */
public final class Int8 {
  /** The largest quantized magnitude: values are in {@code [-127, 127]} (-128 is never used). */
  public static final int MAX = 127;

  private Int8() {}

  /**
   * Quantizes one row {@code src[srcOff..srcOff+cols)} into {@code dst[dstOff..)} and returns its
   * scale (0 for a zero row).
   *
   * @throws IllegalArgumentException if a weight is NaN or infinite
   */
  public static float quantizeRow(float[] src, int srcOff, int cols, byte[] dst, int dstOff) {
    float max = 0f;
    for (int c = 0; c < cols; c++) {
      float v = src[srcOff + c];
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException(
            "int8 quantization: weight " + c + " of the row is " + v + "; weights must be finite");
      }
      max = Math.max(max, Math.abs(v));
    }
    float scale = max / MAX;
    if (scale == 0f) {
      java.util.Arrays.fill(dst, dstOff, dstOff + cols, (byte) 0);
      return 0f;
    }
    for (int c = 0; c < cols; c++) {
      int q = Math.round(src[srcOff + c] / scale);
      dst[dstOff + c] = (byte) Math.max(-MAX, Math.min(MAX, q));
    }
    return scale;
  }

  /**
   * Quantizes a row-major {@code [rows, cols]} matrix: {@code q} receives {@code rows * cols}
   * values, {@code scales} one per row.
   */
  public static void quantize(float[] w, int rows, int cols, byte[] q, float[] scales) {
    long n = (long) rows * cols;
    if (w.length < n || q.length < n || scales.length < rows) {
      throw new IllegalArgumentException(
          String.format(
              "int8 quantization of a [%d, %d] matrix: w has %d values, q %d, scales %d",
              rows, cols, w.length, q.length, scales.length));
    }
    // Rows are independent: a large matrix (a checkpoint being loaded) is quantized in parallel,
    // with the same result.
    java.util.stream.IntStream range = java.util.stream.IntStream.range(0, rows);
    if (n >= 1 << 20) range = range.parallel();
    range.forEach(r -> scales[r] = quantizeRow(w, r * cols, cols, q, r * cols));
  }

  /** The value an int8 weight stands for: {@code (float) q * scale}. */
  public static float dequantize(byte q, float scale) {
    return q * scale;
  }

  /** Dequantizes a row-major {@code [rows, cols]} matrix into {@code dst} (row-major). */
  public static void dequantize(byte[] q, float[] scales, int rows, int cols, float[] dst) {
    for (int r = 0; r < rows; r++) {
      float s = scales[r];
      for (int c = 0; c < cols; c++) dst[r * cols + c] = q[r * cols + c] * s;
    }
  }
}
