package org.research4j.grpo.sft;

/**
 * Options of a supervised run. Names follow TRL's where one exists ({@code learning_rate} is
 * {@code learningRate}, {@code max_grad_norm} is {@code maxGradNorm}).
 *
 * @param steps optimiser steps in all (a resumed run continues to this number)
 * @param batchSize sequences per step
 * @param seqLen tokens per sequence; longer examples are cut, shorter ones right-padded
 * @param learningRate peak learning rate, reached after {@code warmupSteps} of linear warm-up and
 *     followed by cosine decay to {@code minLrFraction} of it
 * @param checkpointEvery save a resumable checkpoint every this many steps (and at the end)
 * @param evalEvery compute the held-out loss every this many steps (0: only at the end)
 */
public record SftConfig(
    int steps,
    int batchSize,
    int seqLen,
    float learningRate,
    int warmupSteps,
    float minLrFraction,
    float weightDecay,
    float maxGradNorm,
    long seed,
    int checkpointEvery,
    int evalEvery) {

  public SftConfig {
    if (steps < 1 || batchSize < 1 || seqLen < 2) {
      throw new IllegalArgumentException(
          "SftConfig: steps, batch size must be >= 1 and seq len >= 2, got steps="
              + steps + ", batch=" + batchSize + ", seqLen=" + seqLen);
    }
    if (!(learningRate > 0) || warmupSteps < 0 || !(minLrFraction >= 0 && minLrFraction <= 1)) {
      throw new IllegalArgumentException(
          "SftConfig: need learning rate > 0, warm-up >= 0 and min-lr fraction in [0, 1]");
    }
    if (checkpointEvery < 1 || evalEvery < 0) {
      throw new IllegalArgumentException("SftConfig: checkpointEvery >= 1 and evalEvery >= 0");
    }
  }

  /** Learning rate at 1-based {@code step}: linear warm-up, then cosine to the floor. */
  public float learningRateAt(int step) {
    if (step <= warmupSteps) return learningRate * step / Math.max(1, warmupSteps);
    double progress = (double) (step - warmupSteps) / Math.max(1, steps - warmupSteps);
    double cosine = 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
    return (float) (learningRate * (minLrFraction + (1 - minLrFraction) * cosine));
  }
}
