package org.research4j.grpo.train;

/**
 * Options of a GRPO run. Names follow TRL's {@code GRPOConfig} where one exists ({@code
 * num_generations} is {@code numGenerations}, {@code beta}, {@code epsilon}, {@code epsilon_high},
 * {@code learning_rate}, {@code temperature}, {@code max_completion_length}, {@code loss_type},
 * {@code scale_rewards}, {@code num_iterations}, {@code adam_beta1}, {@code adam_beta2}); {@link
 * #paper()} holds the paper's values, and the named {@code with} methods change them.
 *
 * @param steps rollout batches in all (a resumed run continues to this number)
 * @param questionsPerStep questions per step; each gets {@code numGenerations} rollouts
 * @param numGenerations G, the group size (5 in the paper)
 * @param learningRate after {@code warmupSteps} of linear warm-up, constant
 * @param warmupSteps steps of linear warm-up from 0 to {@code learningRate}
 * @param weightDecay AdamW's decoupled weight decay (on weight matrices and embeddings)
 * @param maxGradNorm the global gradient norm is clipped to this
 * @param adamBeta1 AdamW's β1 (TRL's {@code adam_beta1}, {@link #DEFAULT_ADAM_BETA1})
 * @param adamBeta2 AdamW's β2 (TRL's {@code adam_beta2}, {@link #DEFAULT_ADAM_BETA2})
 * @param beta weight of the k3 KL to the frozen reference (0.001); 0 skips the reference model
 * @param epsilon lower clip of the ratio, 1 − ε (0.2)
 * @param epsilonHigh upper clip, 1 + ε_high (DAPO's clip-higher; equal to ε in the paper)
 * @param numIterations policy updates per batch of rollouts (μ); above 1 the ratio leaves 1
 * @param maxCompletionLength response budget in tokens, tool results included
 * @param maxToolCalls cap on searches per response (the paper has none but the length budget)
 * @param microBatch rollouts per forward pass; the gradient is accumulated over micro-batches
 * @param checkpointEvery save a resumable checkpoint every this many steps (and at the end)
 * @param evalEvery greedy evaluation on the dev questions every this many steps (0: never)
 * @param dynamicSampling DAPO's dynamic sampling (verl's {@code algorithm.filter_groups}): groups
 *     whose rewards are all equal are dropped and further questions are drawn and rolled out until
 *     the step has {@code questionsPerStep} groups with variance (off in the paper)
 * @param maxNumGenBatches with dynamic sampling, rollout rounds per step at most, the first
 *     included (verl's {@code max_num_gen_batches}, but at least 1 and never an error): when it is
 *     reached the step trains on the groups it has
 * @param passRateFilter skip, once, a question whose latest group all passed (answer F1 ≥ 0.5) the
 *     next time the question order reaches it (off in the paper)
 */
public record GrpoConfig(
    int steps,
    int questionsPerStep,
    int numGenerations,
    float learningRate,
    int warmupSteps,
    float weightDecay,
    float maxGradNorm,
    float adamBeta1,
    float adamBeta2,
    float beta,
    float epsilon,
    float epsilonHigh,
    LossType lossType,
    boolean scaleRewards,
    int numIterations,
    double temperature,
    int maxCompletionLength,
    int maxToolCalls,
    int microBatch,
    long seed,
    int checkpointEvery,
    int evalEvery,
    boolean dynamicSampling,
    int maxNumGenBatches,
    boolean passRateFilter) {

  /** β1 of AdamW as everyone uses it (PyTorch, TRL's {@code adam_beta1}). */
  public static final float DEFAULT_ADAM_BETA1 = 0.9f;

  /**
   * β2 = 0.999, PyTorch's and TRL's default ({@code adam_beta2}), which the paper's fine-tuning
   * keeps: GRPO moves a trained model with a tiny learning rate, where a long memory of squared
   * gradients smooths the noisy per-batch policy gradient. The supervised stages, which train from
   * scratch, use the pre-training 0.95 instead ({@code SftConfig.DEFAULT_ADAM_BETA2}).
   */
  public static final float DEFAULT_ADAM_BETA2 = 0.999f;

  public GrpoConfig {
    if (steps < 1
        || questionsPerStep < 1
        || numGenerations < 2
        || numIterations < 1
        || microBatch < 1) {
      throw new IllegalArgumentException(
          "GrpoConfig: need steps, questions per step, iterations,"
              + " micro-batch >= 1 and num_generations >= 2 (a group of one has no advantage); got steps="
              + steps
              + ", questions="
              + questionsPerStep
              + ", G="
              + numGenerations
              + ", iterations="
              + numIterations
              + ", microBatch="
              + microBatch);
    }
    if (!(learningRate > 0)
        || warmupSteps < 0
        || !(beta >= 0)
        || !(epsilon > 0)
        || !(epsilonHigh > 0)
        || !(temperature > 0)
        || !(maxGradNorm > 0)) {
      throw new IllegalArgumentException(
          "GrpoConfig: learning rate, epsilon, epsilon_high,"
              + " temperature and max grad norm must be > 0, beta and warm-up >= 0");
    }
    if (maxCompletionLength < 1 || maxToolCalls < 0 || checkpointEvery < 1 || evalEvery < 0) {
      throw new IllegalArgumentException(
          "GrpoConfig: max completion length and checkpointEvery >= 1,"
              + " max tool calls and evalEvery >= 0");
    }
    if (!(adamBeta1 >= 0 && adamBeta1 < 1) || !(adamBeta2 >= 0 && adamBeta2 < 1)) {
      throw new IllegalArgumentException(
          "GrpoConfig: AdamW betas must be in [0, 1), got " + adamBeta1 + ", " + adamBeta2);
    }
    if (maxNumGenBatches < 1) {
      throw new IllegalArgumentException(
          "GrpoConfig: max_num_gen_batches (rollout rounds per step,"
              + " the first included) must be >= 1, got "
              + maxNumGenBatches);
    }
  }

  /**
   * The paper's recipe (docs/ARCHITECTURE.md, "Defaults and where they live"): G = 5, β = 0.001, ε
   * = 0.2, learning rate 1e-6, temperature 1, token-mean loss, scaled rewards, one update per
   * batch, gradient norm clipped at 1; no dynamic sampling (a cap of 4 rollout rounds when it is
   * turned on), no pass-rate filter.
   */
  public static GrpoConfig paper() {
    return new GrpoConfig(
        100,
        32,
        5,
        1e-6f,
        0,
        0f,
        1f,
        DEFAULT_ADAM_BETA1,
        DEFAULT_ADAM_BETA2,
        0.001f,
        0.2f,
        0.2f,
        LossType.TOKEN_MEAN,
        true,
        1,
        1.0,
        1024,
        8,
        8,
        0,
        50,
        0,
        false,
        4,
        false);
  }

  /** Rollout batches in all. */
  public GrpoConfig withSteps(int s) {
    return new GrpoConfig(
        s,
        questionsPerStep,
        numGenerations,
        learningRate,
        warmupSteps,
        weightDecay,
        maxGradNorm,
        adamBeta1,
        adamBeta2,
        beta,
        epsilon,
        epsilonHigh,
        lossType,
        scaleRewards,
        numIterations,
        temperature,
        maxCompletionLength,
        maxToolCalls,
        microBatch,
        seed,
        checkpointEvery,
        evalEvery,
        dynamicSampling,
        maxNumGenBatches,
        passRateFilter);
  }

  /** Questions per step and their group size. */
  public GrpoConfig withBatch(int questions, int generations) {
    return new GrpoConfig(
        steps,
        questions,
        generations,
        learningRate,
        warmupSteps,
        weightDecay,
        maxGradNorm,
        adamBeta1,
        adamBeta2,
        beta,
        epsilon,
        epsilonHigh,
        lossType,
        scaleRewards,
        numIterations,
        temperature,
        maxCompletionLength,
        maxToolCalls,
        microBatch,
        seed,
        checkpointEvery,
        evalEvery,
        dynamicSampling,
        maxNumGenBatches,
        passRateFilter);
  }

  /** Learning rate, warm-up steps, weight decay, gradient-norm clip. */
  public GrpoConfig withOptimizer(float lr, int warmup, float decay, float clip) {
    return new GrpoConfig(
        steps,
        questionsPerStep,
        numGenerations,
        lr,
        warmup,
        decay,
        clip,
        adamBeta1,
        adamBeta2,
        beta,
        epsilon,
        epsilonHigh,
        lossType,
        scaleRewards,
        numIterations,
        temperature,
        maxCompletionLength,
        maxToolCalls,
        microBatch,
        seed,
        checkpointEvery,
        evalEvery,
        dynamicSampling,
        maxNumGenBatches,
        passRateFilter);
  }

  /** AdamW's β1 and β2. */
  public GrpoConfig withAdamBetas(float beta1, float beta2) {
    return new GrpoConfig(
        steps,
        questionsPerStep,
        numGenerations,
        learningRate,
        warmupSteps,
        weightDecay,
        maxGradNorm,
        beta1,
        beta2,
        beta,
        epsilon,
        epsilonHigh,
        lossType,
        scaleRewards,
        numIterations,
        temperature,
        maxCompletionLength,
        maxToolCalls,
        microBatch,
        seed,
        checkpointEvery,
        evalEvery,
        dynamicSampling,
        maxNumGenBatches,
        passRateFilter);
  }

  /** β, ε, ε_high, the loss type, reward scaling and μ: the objective. */
  public GrpoConfig withObjective(
      float b, float eps, float epsHigh, LossType loss, boolean scale, int iterations) {
    return new GrpoConfig(
        steps,
        questionsPerStep,
        numGenerations,
        learningRate,
        warmupSteps,
        weightDecay,
        maxGradNorm,
        adamBeta1,
        adamBeta2,
        b,
        eps,
        epsHigh,
        loss,
        scale,
        iterations,
        temperature,
        maxCompletionLength,
        maxToolCalls,
        microBatch,
        seed,
        checkpointEvery,
        evalEvery,
        dynamicSampling,
        maxNumGenBatches,
        passRateFilter);
  }

  /** Sampling temperature, response budget, search cap and rollouts per forward pass. */
  public GrpoConfig withRollout(double temp, int maxCompletion, int maxCalls, int micro) {
    return new GrpoConfig(
        steps,
        questionsPerStep,
        numGenerations,
        learningRate,
        warmupSteps,
        weightDecay,
        maxGradNorm,
        adamBeta1,
        adamBeta2,
        beta,
        epsilon,
        epsilonHigh,
        lossType,
        scaleRewards,
        numIterations,
        temp,
        maxCompletion,
        maxCalls,
        micro,
        seed,
        checkpointEvery,
        evalEvery,
        dynamicSampling,
        maxNumGenBatches,
        passRateFilter);
  }

  /** The seed, a checkpoint every {@code checkpoint} steps, an evaluation every {@code eval}. */
  public GrpoConfig withRun(long s, int checkpoint, int eval) {
    return new GrpoConfig(
        steps,
        questionsPerStep,
        numGenerations,
        learningRate,
        warmupSteps,
        weightDecay,
        maxGradNorm,
        adamBeta1,
        adamBeta2,
        beta,
        epsilon,
        epsilonHigh,
        lossType,
        scaleRewards,
        numIterations,
        temperature,
        maxCompletionLength,
        maxToolCalls,
        microBatch,
        s,
        checkpoint,
        eval,
        dynamicSampling,
        maxNumGenBatches,
        passRateFilter);
  }

  /**
   * DAPO's dynamic sampling on or off ({@code --dynamic-sampling}): flat groups are dropped and
   * replaced by groups of further questions, up to {@link #maxNumGenBatches} rollout rounds a step.
   */
  public GrpoConfig withDynamicSampling(boolean on) {
    return new GrpoConfig(
        steps,
        questionsPerStep,
        numGenerations,
        learningRate,
        warmupSteps,
        weightDecay,
        maxGradNorm,
        adamBeta1,
        adamBeta2,
        beta,
        epsilon,
        epsilonHigh,
        lossType,
        scaleRewards,
        numIterations,
        temperature,
        maxCompletionLength,
        maxToolCalls,
        microBatch,
        seed,
        checkpointEvery,
        evalEvery,
        on,
        maxNumGenBatches,
        passRateFilter);
  }

  /**
   * Rollout rounds per step at most under dynamic sampling, the first included ({@code
   * --max-num-gen-batches}).
   */
  public GrpoConfig withMaxNumGenBatches(int rounds) {
    return new GrpoConfig(
        steps,
        questionsPerStep,
        numGenerations,
        learningRate,
        warmupSteps,
        weightDecay,
        maxGradNorm,
        adamBeta1,
        adamBeta2,
        beta,
        epsilon,
        epsilonHigh,
        lossType,
        scaleRewards,
        numIterations,
        temperature,
        maxCompletionLength,
        maxToolCalls,
        microBatch,
        seed,
        checkpointEvery,
        evalEvery,
        dynamicSampling,
        rounds,
        passRateFilter);
  }

  /** The pass-rate filter on or off ({@code --pass-rate-filter}; {@link QuestionStream}). */
  public GrpoConfig withPassRateFilter(boolean on) {
    return new GrpoConfig(
        steps,
        questionsPerStep,
        numGenerations,
        learningRate,
        warmupSteps,
        weightDecay,
        maxGradNorm,
        adamBeta1,
        adamBeta2,
        beta,
        epsilon,
        epsilonHigh,
        lossType,
        scaleRewards,
        numIterations,
        temperature,
        maxCompletionLength,
        maxToolCalls,
        microBatch,
        seed,
        checkpointEvery,
        evalEvery,
        dynamicSampling,
        maxNumGenBatches,
        on);
  }

  /** Learning rate at 1-based {@code step}: linear warm-up, then constant. */
  public float learningRateAt(int step) {
    return step <= warmupSteps ? learningRate * step / Math.max(1, warmupSteps) : learningRate;
  }
}
