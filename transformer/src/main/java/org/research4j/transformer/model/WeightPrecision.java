package org.research4j.transformer.model;

/**
 * How a {@link Qwen2Model} keeps its weights in memory.
 *
 * <ul>
 *   <li>{@link #F32}: float32 parameters with gradients: the model trains.
 *   <li>{@link #BF16}: frozen, inference only. Every matrix (embedding, projections, LM head) is
 *       kept in bfloat16, half the bytes of float32, read widened to float32 by the kernels and
 *       accumulated in float32; RMSNorm gains and biases stay float32. No gradient buffers either,
 *       so the model costs about a quarter of a trainable float32 one. A bfloat16 checkpoint loads
 *       without any loss; a float32 one is rounded to the nearest bfloat16 (relative error at most
 *       2^-9 per weight). For GRPO's frozen reference model and models that only generate.
 *   <li>{@link #INT8}: frozen, inference only, like {@link #BF16} but every matrix (embedding,
 *       projections, LM head; tied embeddings share one table) is kept in int8 with one float32
 *       scale per row, a quarter of float32's bytes and half of bfloat16's, plus 4 bytes a row:
 *       symmetric per-row quantization ({@code org.research4j.kernels.Int8}), {@code scale =
 *       max|w_row| / 127}, {@code q = round(w / scale)} in {@code [-127, 127]}, so each weight
 *       moves by at most {@code scale / 2 = max|w_row| / 254} (a zero row has scale 0 and stays
 *       exactly zero). The kernels dequantize to float32 where they read and accumulate in float32;
 *       RMSNorm gains and biases stay float32. Any checkpoint (float32 or bfloat16) is quantized on
 *       load. For batch-1 decoding, which is bound by the bytes of weights read per token, it
 *       halves those bytes against bfloat16. Measured accuracy against the float32 model on the
 *       same weights: see {@link #INT8}.
 * </ul>
 */
public enum WeightPrecision {
  F32,
  BF16,

  /**
   * int8 matrices with one float32 scale per row (see the class comment). Accuracy against the
   * float32 model on the same weights, measured 2026-11-29:
   *
   * <ul>
   *   <li>The demo's GRPO model ({@code bin/research demo}, seed 42, step 60; 4 layers, hidden
   *       128), 200 test questions ({@code benchmarks/.../transformer/Int8Accuracy}): logits {@code
   *       max|int8 - f32| / max|f32|} 1.76e-2 (max abs 0.46 of 26.2), mean {@code |int8 - f32|} /
   *       mean {@code |f32|} 1.09e-2; the top logit is float32's at 99.0 % of positions; greedy
   *       decoding over 64 tokens: 183 of 200 responses identical, 95.3 % of generated tokens
   *       before the first difference. bfloat16 on the same run: 2.6e-3, 2.3e-3, 99.6 %, 199 of
   *       200.
   *   <li>The tiny test checkpoint ({@code qwen2-tiny-tied}, random weights, two layers): relative
   *       1.85e-2 (bfloat16: 5.3e-3); {@code Int8WeightsTest} asserts {@code <= 3e-2}.
   * </ul>
   */
  INT8;

  /**
   * Parses {@code f32}/{@code fp32}/{@code float32}, {@code bf16}/{@code bfloat16} or {@code
   * int8}/{@code i8}/{@code q8}, any case.
   */
  public static WeightPrecision parse(String s) {
    return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "f32", "fp32", "float32" -> F32;
      case "bf16", "bfloat16" -> BF16;
      case "int8", "i8", "q8" -> INT8;
      default ->
          throw new IllegalArgumentException(
              "weight precision must be f32, bf16 or int8, got '" + s + "'");
    };
  }
}
