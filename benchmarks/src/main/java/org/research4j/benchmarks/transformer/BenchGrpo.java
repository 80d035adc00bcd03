package org.research4j.benchmarks.transformer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.train.GrpoConfig;
import org.research4j.grpo.train.PolicyUpdate;
import org.research4j.kernels.Kernels;
import org.research4j.tensor.AdamW;
import org.research4j.tensor.Tape;
import org.research4j.transformer.model.Qwen2Model;

/**
 * The GRPO policy update the benchmarks time: {@link PolicyUpdate} (what {@code GrpoTrainer} runs
 * after the rollouts) on the {@link BenchModel}, with a frozen reference of the same initial
 * weights and the paper's objective (μ = 1, β = 0.001, ε = 0.2, token-mean, scaled group
 * advantages, clip 1.0, AdamW at 1e-6). The rollouts are fixed and seeded: {@code batch} sequences
 * of {@code seq} tokens, the first {@link #PROMPT} the prompt, then a response whose middle {@link
 * #RESULT} tokens play a tool result (in the context, out of the loss); groups of {@link #GROUP},
 * one in-memory micro-batch. {@code benchmarks/scripts/grpo_vs_pytorch.py} does the same update in
 * PyTorch.
 */
final class BenchGrpo implements AutoCloseable {
  static final int PROMPT = 64;
  static final int RESULT = 32;
  static final int GROUP = 4;

  /** Trained tokens of the default batch: B × (T − prompt − result). */
  static final int TRAINED = BenchModel.BATCH * (BenchModel.SEQ - PROMPT - RESULT);

  final Qwen2Model policy;
  final Qwen2Model reference;
  final Tape tape;
  final AdamW opt;
  final PolicyUpdate update;
  final List<Rollout> rollouts;
  final double[] rewards;
  final int batch;
  final int seq;
  private int step;

  BenchGrpo(Kernels kernels, int batch, int seq, long seed) {
    int response = seq - PROMPT;
    if (batch % GROUP != 0 || response <= RESULT) {
      throw new IllegalArgumentException(
          "GRPO bench: batch must be a multiple of "
              + GROUP
              + " and seq longer than "
              + (PROMPT + RESULT)
              + "; got batch "
              + batch
              + ", seq "
              + seq);
    }
    this.batch = batch;
    this.seq = seq;
    GrpoConfig config =
        GrpoConfig.paper().withBatch(batch / GROUP, GROUP).withRollout(1.0, response, 8, batch);
    policy = Qwen2Model.random(kernels, BenchModel.CONFIG, seed);
    reference = Qwen2Model.random(kernels, BenchModel.CONFIG, seed);
    tape = new Tape(kernels);
    opt =
        new AdamW(
            policy.parameters(),
            AdamW.Config.of(config.learningRate())
                .withWeightDecay(config.weightDecay())
                .withBetas(config.adamBeta1(), config.adamBeta2()));
    update = new PolicyUpdate(config, 0);
    SplittableRandom rnd = new SplittableRandom(seed + 1);
    int resultFrom = (response - RESULT) / 2;
    rollouts = new ArrayList<>(batch);
    rewards = new double[batch];
    for (int s = 0; s < batch; s++) {
      int[] ids = rnd.ints(seq, 0, BenchModel.VOCAB).toArray();
      boolean[] trained = new boolean[response];
      Arrays.fill(trained, true);
      Arrays.fill(trained, resultFrom, resultFrom + RESULT, false);
      rollouts.add(
          new Rollout(
              Arrays.copyOf(ids, PROMPT),
              Arrays.copyOfRange(ids, PROMPT, seq),
              trained,
              "",
              true,
              1));
      rewards[s] = rnd.nextDouble();
    }
  }

  /** Trained tokens of the batch (the loss's tokens). */
  int trainedTokens() {
    return batch * (seq - PROMPT - RESULT);
  }

  /** One policy update (reference and policy forward, GRPO loss, backward, clip, AdamW). */
  PolicyUpdate.Result step() {
    return update.apply(++step, policy, reference, tape, opt, rollouts, rewards);
  }

  @Override
  public void close() {
    opt.close();
    tape.close();
    reference.close();
    policy.close();
  }
}
