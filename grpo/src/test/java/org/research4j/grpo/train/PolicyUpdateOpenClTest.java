package org.research4j.grpo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.kernels.opencl.ClTestDevice;
import org.research4j.tensor.AdamW;
import org.research4j.tensor.Parameter;
import org.research4j.tensor.Tape;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.model.Qwen2Model;

/**
 * The GRPO policy update on OpenCL (PoCL in CI) against the same update on the CPU kernels: two
 * updates per batch (μ = 2, so the second runs off ratio 1 with old log-probs fixed before the
 * first), a reference model, masked tool spans and micro-batches. Loss, KL, gradient norm and every
 * parameter gradient of the last update must agree.
 */
class PolicyUpdateOpenClTest {
  private static final long SEED = 424242L;
  private static final Qwen2Config CONFIG = Qwen2Config.of(97, 32, 64, 2, 2, 1, 128);

  @Test
  void updateOnOpenClMatchesCpu() {
    Random rnd = new Random(SEED);
    List<Rollout> rollouts = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      int[] prompt = new int[3 + rnd.nextInt(5)];
      for (int t = 0; t < prompt.length; t++) prompt[t] = rnd.nextInt(97);
      int len = 4 + rnd.nextInt(10);
      int[] resp = new int[len];
      boolean[] trained = new boolean[len];
      for (int t = 0; t < len; t++) {
        resp[t] = rnd.nextInt(97);
        trained[t] = t < 2 || t >= len - 2 || rnd.nextBoolean();
      }
      rollouts.add(new Rollout(prompt, resp, trained, "", true, 0));
    }
    double[] rewards = {1, 0.1, 0, 0.5, 0.2, 0.9};
    GrpoConfig c =
        GrpoConfig.paper()
            .withBatch(2, 3)
            .withOptimizer(5e-2f, 0, 0f, 1f)
            .withObjective(0.04f, 0.2f, 0.28f, LossType.TOKEN_MEAN, true, 2)
            .withRollout(1.0, 16, 2, 4);
    Map<String, float[]> want = new HashMap<>();
    PolicyUpdate.Result r1 = update(new CpuKernels(), c, rollouts, rewards, want);
    Map<String, float[]> got = new HashMap<>();
    PolicyUpdate.Result r2 = update(ClTestDevice.kernels(), c, rollouts, rewards, got);

    String where = " (seed " + SEED + ")";
    assertTrue(r1.kl() > 0, "the second update runs off the reference" + where);
    assertEquals(r1.loss(), r2.loss(), 1e-5 * Math.abs(r1.loss()) + 1e-7, "loss" + where);
    assertEquals(r1.kl(), r2.kl(), 1e-3 * r1.kl(), "kl" + where);
    assertEquals(r1.gradNorm(), r2.gradNorm(), 1e-4 * r1.gradNorm(), "grad norm" + where);
    assertEquals(r1.clipFraction(), r2.clipFraction(), 0, "clip fraction" + where);
    double scale = 0, worst = 0;
    for (float[] g : want.values()) for (float v : g) scale = Math.max(scale, Math.abs(v));
    for (Map.Entry<String, float[]> e : want.entrySet()) {
      float[] a = e.getValue(), b = got.get(e.getKey());
      for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    assertTrue(
        worst <= 1e-4 * scale, "worst gradient difference " + worst + " of " + scale + where);
  }

  private static PolicyUpdate.Result update(
      Kernels k,
      GrpoConfig c,
      List<Rollout> rollouts,
      double[] rewards,
      Map<String, float[]> grads) {
    try (Qwen2Model policy = Qwen2Model.random(k, CONFIG, 3);
        Qwen2Model reference = Qwen2Model.random(k, CONFIG, 3);
        Tape tape = new Tape(k);
        AdamW opt = new AdamW(policy.parameters(), AdamW.Config.of(c.learningRate()))) {
      PolicyUpdate.Result r =
          new PolicyUpdate(c, 0).apply(1, policy, reference, tape, opt, rollouts, rewards);
      for (Parameter p : policy.parameters()) grads.put(p.name(), p.gradToFloatArray());
      return r;
    }
  }
}
