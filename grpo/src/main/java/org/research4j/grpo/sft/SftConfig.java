package org.research4j.grpo.sft;

/**
 * Options of a supervised run. Names follow TRL's where one exists ({@code learning_rate} is {@code
 * learningRate}, {@code max_grad_norm} is {@code maxGradNorm}, {@code adam_beta1} is {@code
 * adamBeta1}). Start from {@link #defaults()} and change what differs with the named {@code with}
 * methods.
 *
 * @param steps optimiser steps in all (a resumed run continues to this number)
 * @param batchSize sequences per step
 * @param seqLen tokens per sequence; longer examples are cut, shorter ones right-padded
 * @param learningRate peak learning rate, reached after {@code warmupSteps} of linear warm-up and
 *     followed by cosine decay to {@code minLrFraction} of it
 * @param warmupSteps steps of linear warm-up from 0 to {@code learningRate}
 * @param minLrFraction where the cosine decay ends, as a fraction of {@code learningRate}
 * @param weightDecay AdamW's decoupled weight decay (on weight matrices and embeddings)
 * @param maxGradNorm the global gradient norm is clipped to this
 * @param adamBeta1 AdamW's β1, the decay of the first moment ({@link #DEFAULT_ADAM_BETA1})
 * @param adamBeta2 AdamW's β2, the decay of the second moment ({@link #DEFAULT_ADAM_BETA2})
 * @param seed seeds the batches: batch {@code s} is drawn from a generator seeded by {@code (seed,
 *     s)}
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
    float adamBeta1,
    float adamBeta2,
    long seed,
    int checkpointEvery,
    int evalEvery) {

  /** β1 of AdamW as everyone uses it (PyTorch, TRL, the LLaMA and GPT-3 recipes). */
  public static final float DEFAULT_ADAM_BETA1 = 0.9f;

  /**
   * β2 = 0.95, the language-model pre-training choice (GPT-3, LLaMA), not PyTorch's 0.999: the
   * supervised stages here train a model from scratch with a large learning rate, and a second
   * moment that forgets old gradients faster keeps the step size honest when the gradient's scale
   * moves quickly (early training, loss spikes). GRPO fine-tunes with a tiny learning rate and
   * keeps TRL's 0.999 ({@code GrpoConfig.DEFAULT_ADAM_BETA2}).
   */
  public static final float DEFAULT_ADAM_BETA2 = 0.95f;

  public SftConfig {
    if (steps < 1 || batchSize < 1 || seqLen < 2) {
      throw new IllegalArgumentException(
          "SftConfig: steps, batch size must be >= 1 and seq len >= 2, got steps="
              + steps
              + ", batch="
              + batchSize
              + ", seqLen="
              + seqLen);
    }
    if (!(learningRate > 0) || warmupSteps < 0 || !(minLrFraction >= 0 && minLrFraction <= 1)) {
      throw new IllegalArgumentException(
          "SftConfig: need learning rate > 0, warm-up >= 0 and min-lr fraction in [0, 1]");
    }
    if (!(adamBeta1 >= 0 && adamBeta1 < 1) || !(adamBeta2 >= 0 && adamBeta2 < 1)) {
      throw new IllegalArgumentException(
          "SftConfig: AdamW betas must be in [0, 1), got " + adamBeta1 + ", " + adamBeta2);
    }
    if (checkpointEvery < 1 || evalEvery < 0) {
      throw new IllegalArgumentException("SftConfig: checkpointEvery >= 1 and evalEvery >= 0");
    }
  }

  /**
   * The starting point: 1000 steps of 8 sequences of 256 tokens, learning rate 1e-3 without warm-up
   * decaying to a tenth of it, weight decay 0.1, gradient norm clipped at 1, AdamW betas ({@value
   * #DEFAULT_ADAM_BETA1}, {@value #DEFAULT_ADAM_BETA2}), seed 0, a checkpoint every 100 steps, the
   * held-out loss only at the start and the end.
   */
  public static SftConfig defaults() {
    return new SftConfig(
        1000, 8, 256, 1e-3f, 0, 0.1f, 0.1f, 1f, DEFAULT_ADAM_BETA1, DEFAULT_ADAM_BETA2, 0, 100, 0);
  }

  /** Optimiser steps in all. */
  public SftConfig withSteps(int s) {
    return new SftConfig(
        s,
        batchSize,
        seqLen,
        learningRate,
        warmupSteps,
        minLrFraction,
        weightDecay,
        maxGradNorm,
        adamBeta1,
        adamBeta2,
        seed,
        checkpointEvery,
        evalEvery);
  }

  /** Sequences per step and tokens per sequence. */
  public SftConfig withBatch(int sequences, int tokens) {
    return new SftConfig(
        steps,
        sequences,
        tokens,
        learningRate,
        warmupSteps,
        minLrFraction,
        weightDecay,
        maxGradNorm,
        adamBeta1,
        adamBeta2,
        seed,
        checkpointEvery,
        evalEvery);
  }

  /** Peak learning rate, warm-up steps, weight decay, gradient-norm clip. */
  public SftConfig withOptimizer(float lr, int warmup, float decay, float clip) {
    return new SftConfig(
        steps,
        batchSize,
        seqLen,
        lr,
        warmup,
        minLrFraction,
        decay,
        clip,
        adamBeta1,
        adamBeta2,
        seed,
        checkpointEvery,
        evalEvery);
  }

  /** Where the cosine decay ends, as a fraction of the peak learning rate. */
  public SftConfig withMinLrFraction(float fraction) {
    return new SftConfig(
        steps,
        batchSize,
        seqLen,
        learningRate,
        warmupSteps,
        fraction,
        weightDecay,
        maxGradNorm,
        adamBeta1,
        adamBeta2,
        seed,
        checkpointEvery,
        evalEvery);
  }

  /** AdamW's β1 and β2. */
  public SftConfig withAdamBetas(float beta1, float beta2) {
    return new SftConfig(
        steps,
        batchSize,
        seqLen,
        learningRate,
        warmupSteps,
        minLrFraction,
        weightDecay,
        maxGradNorm,
        beta1,
        beta2,
        seed,
        checkpointEvery,
        evalEvery);
  }

  /**
   * The seed, a checkpoint every {@code checkpoint} steps, the held-out loss every {@code eval}.
   */
  public SftConfig withRun(long s, int checkpoint, int eval) {
    return new SftConfig(
        steps,
        batchSize,
        seqLen,
        learningRate,
        warmupSteps,
        minLrFraction,
        weightDecay,
        maxGradNorm,
        adamBeta1,
        adamBeta2,
        s,
        checkpoint,
        eval);
  }

  /** Learning rate at 1-based {@code step}: linear warm-up, then cosine to the floor. */
  public float learningRateAt(int step) {
    if (step <= warmupSteps) return learningRate * step / Math.max(1, warmupSteps);
    double progress = (double) (step - warmupSteps) / Math.max(1, steps - warmupSteps);
    double cosine = 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
    return (float) (learningRate * (minLrFraction + (1 - minLrFraction) * cosine));
  }
}
