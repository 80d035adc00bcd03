package org.research4j.grpo.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.tensor.AdamW;
import org.research4j.tensor.GradClip;
import org.research4j.tensor.Ops;
import org.research4j.tensor.Tape;
import org.research4j.tensor.Tensor;
import org.research4j.transformer.model.Qwen2Model;

/**
 * The training half of a GRPO step (docs/ARCHITECTURE.md, "The ReSearch recipe as implemented"):
 * from scored rollouts to updated policy weights. Group advantages and loss weights per sequence,
 * micro-batches laid out as {@link PolicyBatch}es, the reference's log-probs without gradient, the
 * per-token clipped and KL-regularised loss, gradients accumulated over micro-batches, a
 * global-norm clip and an AdamW step, {@code μ} times. Public so that benchmarks time exactly what
 * {@link GrpoTrainer} runs.
 */
public final class PolicyUpdate {
  /** What the updates measured (the KL and clipping of the last of the μ updates). */
  public record Result(double loss, double kl, double clipFraction, double gradNorm) {}

  private final GrpoConfig config;
  private final int padId;

  /** {@code padId} fills the tail of sequences shorter than the longest of their micro-batch. */
  public PolicyUpdate(GrpoConfig config, int padId) {
    this.config = config;
    this.padId = padId;
  }

  /**
   * The μ policy updates on scored rollouts ({@code rewards[i]} for {@code rollouts[i]}, in groups
   * of G). Leaves the last update's accumulated (unclipped) gradient in the parameters.
   */
  public Result apply(
      int step,
      Qwen2Model policy,
      Qwen2Model reference,
      Tape tape,
      AdamW opt,
      List<Rollout> rollouts,
      double[] rewards) {
    int n = rollouts.size();
    int trainedTotal = 0;
    for (Rollout r : rollouts) trainedTotal += PolicyBatch.trainedTokens(r);
    double[] adv = Advantages.grouped(rewards, config.numGenerations(), config.scaleRewards());
    double[] weight = new double[n];
    for (int i = 0; i < n; i++) {
      weight[i] =
          config
              .lossType()
              .weight(
                  PolicyBatch.trainedTokens(rollouts.get(i)),
                  trainedTotal,
                  n,
                  config.maxCompletionLength());
    }
    List<PolicyBatch> micro = new ArrayList<>();
    for (int i = 0; i < n; i += config.microBatch()) {
      int to = Math.min(n, i + config.microBatch());
      micro.add(
          PolicyBatch.of(
              rollouts.subList(i, to),
              Arrays.copyOfRange(adv, i, to),
              Arrays.copyOfRange(weight, i, to),
              padId));
    }

    // μ > 1: the "old" policy is the one that sampled, so its log-probs are fixed before any
    // update.
    List<float[]> old = new ArrayList<>();
    if (config.numIterations() > 1) {
      for (PolicyBatch b : micro) {
        tape.reset();
        try (var ignored = tape.noGrad()) {
          old.add(logProbs(tape, policy, b).toFloatArray());
        }
      }
    }
    float lr = config.learningRateAt(step);
    double loss = 0, klSum = 0, norm = 0;
    long clipped = 0, tokens = 0;
    for (int it = 0; it < config.numIterations(); it++) {
      boolean lastIteration = it == config.numIterations() - 1;
      policy.parameters().zeroGrad();
      loss = 0;
      for (int m = 0; m < micro.size(); m++) {
        PolicyBatch b = micro.get(m);
        if (b.tokens() == 0) continue;
        tape.reset();
        Ops ops = tape.ops();
        Tensor logp = logProbs(tape, policy, b);
        Tensor oldLogp = old.isEmpty() ? ops.detach(logp) : tape.tensor(old.get(m), b.tokens());
        Tensor ref = ops.detach(logp); // β = 0: no reference, a KL of exactly 0
        if (reference != null) {
          try (var ignored = tape.noGrad()) {
            ref = logProbs(tape, reference, b);
          }
        }
        Ops.GrpoLoss l =
            ops.grpoLoss(
                logp,
                oldLogp,
                ref,
                tape.tensor(b.advantages(), b.tokens()),
                tape.tensor(b.weights(), b.tokens()),
                config.epsilon(),
                config.epsilonHigh(),
                config.beta());
        tape.backward(l.loss());
        loss += l.loss().item();
        if (lastIteration) {
          for (float k : l.kl().toFloatArray()) klSum += k;
          clipped += clippedTokens(logp.toFloatArray(), oldLogp.toFloatArray(), b.advantages());
          tokens += b.tokens();
        }
      }
      if (!Double.isFinite(loss)) {
        throw new IllegalStateException(
            "GRPO loss is "
                + loss
                + " at step "
                + step
                + "; rerun with RESEARCH4J_DEBUG_NAN=1 to find the op, or lower the learning rate");
      }
      norm = GradClip.globalNorm(policy.parameters());
      opt.step(lr, GradClip.coefficient(norm, config.maxGradNorm()));
    }
    tape.reset();
    return new Result(
        loss, tokens == 0 ? 0 : klSum / tokens, tokens == 0 ? 0 : (double) clipped / tokens, norm);
  }

  /**
   * Log-probability of every target token of {@code b} under {@code model}, shape {@code [rows]}:
   * of the distribution the rollouts were sampled from, softmax(logits / temperature), as TRL
   * computes it for the policy, the old policy and the reference alike.
   */
  Tensor logProbs(Tape tape, Qwen2Model model, PolicyBatch b) {
    Ops ops = tape.ops();
    Tensor logits =
        model.logits(
            ops, tape.ints(b.ids(), b.batch(), b.seqLen()), tape.ints(b.rows(), b.tokens()));
    if (config.temperature() != 1) logits = ops.scale(logits, (float) (1 / config.temperature()));
    return ops.tokenLogProbs(logits, tape.ints(b.targets(), b.tokens()), Ops.IGNORE_INDEX);
  }

  /** Tokens where the clipped term is the active one (the gradient is cut there). */
  private long clippedTokens(float[] logp, float[] old, float[] adv) {
    long c = 0;
    for (int i = 0; i < logp.length; i++) {
      double ratio = Math.exp(logp[i] - old[i]);
      if ((adv[i] > 0 && ratio > 1 + config.epsilonHigh())
          || (adv[i] < 0 && ratio < 1 - config.epsilon())) {
        c++;
      }
    }
    return c;
  }
}
