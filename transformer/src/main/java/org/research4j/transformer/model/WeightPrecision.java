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
 * </ul>
 */
public enum WeightPrecision {
  F32,
  BF16;

  /** Parses {@code f32}/{@code fp32}/{@code float32} or {@code bf16}/{@code bfloat16}, any case. */
  public static WeightPrecision parse(String s) {
    return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "f32", "fp32", "float32" -> F32;
      case "bf16", "bfloat16" -> BF16;
      default ->
          throw new IllegalArgumentException(
              "weight precision must be f32 or bf16, got '" + s + "'");
    };
  }
}
