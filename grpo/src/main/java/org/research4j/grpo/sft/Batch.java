package org.research4j.grpo.sft;

import java.util.Arrays;
import java.util.List;
import org.research4j.tensor.Ops;

/**
 * A right-padded batch for next-token training: {@code ids[s, t]} is the input token and {@code
 * targets[s, t]} the token position {@code t} must predict, or {@link Ops#IGNORE_INDEX} where
 * nothing is learned (untrained tokens, padding). Right padding keeps causal attention exact for
 * the real tokens, which never see the padding after them.
 */
record Batch(int[] ids, int[] targets, int batchSize, int seqLen, int trainedTokens) {

  static Batch of(List<SftExample> examples, int maxLen, int padId) {
    int b = examples.size();
    // As long as the longest example, rounded up to a multiple of 32, not maxLen: short traces
    // padded to the full window would spend most of a step on padding.
    int longest = 1;
    for (SftExample e : examples) longest = Math.max(longest, e.length() - 1);
    int seqLen = Math.min(maxLen, (longest + 31) / 32 * 32);
    int[] ids = new int[b * seqLen];
    int[] targets = new int[b * seqLen];
    Arrays.fill(ids, padId);
    Arrays.fill(targets, Ops.IGNORE_INDEX);
    int trained = 0;
    for (int s = 0; s < b; s++) {
      SftExample e = examples.get(s);
      int n = Math.min(e.length() - 1, seqLen);
      for (int t = 0; t < n; t++) {
        ids[s * seqLen + t] = e.tokens()[t];
        if (e.trained()[t + 1]) {
          targets[s * seqLen + t] = e.tokens()[t + 1];
          trained++;
        }
      }
    }
    return new Batch(ids, targets, b, seqLen, trained);
  }
}
