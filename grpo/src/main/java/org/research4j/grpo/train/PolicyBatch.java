package org.research4j.grpo.train;

import it.unimi.dsi.fastutil.floats.FloatArrayList;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.Arrays;
import java.util.List;
import org.research4j.grpo.rollout.Rollout;

/**
 * One micro-batch of rollouts laid out for the policy's forward pass: {@code ids} holds each prompt
 * + response right-padded to {@code seqLen}; {@code rows} indexes the flattened positions whose
 * next token is a trained response token ({@code targets}), so the LM head and the loss run on
 * those positions only; each row carries its sequence's advantage and loss weight. Tool-inserted
 * tokens and the prompt have no row: they are in the context, never in the loss or the KL.
 */
record PolicyBatch(
    int[] ids,
    int batch,
    int seqLen,
    int[] rows,
    int[] targets,
    float[] advantages,
    float[] weights) {

  /**
   * @param advantage per rollout, its group-relative advantage
   * @param weight per rollout, the loss weight of each of its trained tokens ({@link LossType})
   */
  static PolicyBatch of(List<Rollout> rollouts, double[] advantage, double[] weight, int padId) {
    int b = rollouts.size();
    int t = 0;
    for (Rollout r : rollouts) t = Math.max(t, r.prompt().length + r.response().length);
    int[] ids = new int[b * t];
    Arrays.fill(ids, padId);
    IntArrayList rows = new IntArrayList();
    IntArrayList targets = new IntArrayList();
    FloatArrayList adv = new FloatArrayList();
    FloatArrayList w = new FloatArrayList();
    for (int s = 0; s < b; s++) {
      Rollout r = rollouts.get(s);
      int p = r.prompt().length;
      System.arraycopy(r.prompt(), 0, ids, s * t, p);
      System.arraycopy(r.response(), 0, ids, s * t + p, r.response().length);
      for (int i = 0; i < r.response().length; i++) {
        if (!r.trained()[i]) continue;
        rows.add(s * t + p + i - 1); // the position that predicts response token i
        targets.add(r.response()[i]);
        adv.add((float) advantage[s]);
        w.add((float) weight[s]);
      }
    }
    return new PolicyBatch(
        ids, b, t, rows.toIntArray(), targets.toIntArray(), adv.toFloatArray(), w.toFloatArray());
  }

  int tokens() {
    return rows.length;
  }

  /** Trained tokens of a rollout. */
  static int trainedTokens(Rollout r) {
    int n = 0;
    for (boolean b : r.trained()) n += b ? 1 : 0;
    return n;
  }
}
