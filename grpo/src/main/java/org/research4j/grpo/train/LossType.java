package org.research4j.grpo.train;

import java.util.Locale;

/**
 * How per-token GRPO losses are averaged into the batch loss (TRL's {@code loss_type}). Each is a
 * per-token weight, so micro-batches sum to the loss of the whole batch.
 */
public enum LossType {
  /**
   * Σ m·loss / Σ m over the whole batch: TRL's {@code bnpo}, verl's {@code token-mean}; the
   * paper's.
   */
  TOKEN_MEAN,
  /** The mean over each sequence's trained tokens, then over sequences (the original GRPO). */
  SEQ_MEAN,
  /** Σ m·loss / (sequences × max completion length): Dr. GRPO, free of the length bias. */
  DR_GRPO;

  /** Reads TRL's and verl's spellings: bnpo / token-mean, grpo / seq-mean, dr_grpo. */
  public static LossType parse(String name) {
    return switch (name.toLowerCase(Locale.ROOT).replace('_', '-')) {
      case "token-mean", "bnpo" -> TOKEN_MEAN;
      case "seq-mean", "grpo" -> SEQ_MEAN;
      case "dr-grpo" -> DR_GRPO;
      default ->
          throw new IllegalArgumentException(
              "unknown loss type '"
                  + name
                  + "': use token-mean (bnpo), seq-mean (grpo) or dr_grpo");
    };
  }

  /**
   * The weight of each of a sequence's {@code trained} tokens, for a batch of {@code sequences}
   * sequences holding {@code batchTrained} trained tokens in all.
   */
  public double weight(int trained, int batchTrained, int sequences, int maxCompletionLength) {
    return switch (this) {
      case TOKEN_MEAN -> 1.0 / Math.max(1, batchTrained);
      case SEQ_MEAN -> 1.0 / ((double) Math.max(1, trained) * sequences);
      case DR_GRPO -> 1.0 / ((double) sequences * maxCompletionLength);
    };
  }
}
