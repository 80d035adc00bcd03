package org.research4j.grpo.reward;

import java.util.List;
import org.research4j.grpo.rollout.Rollout;

/**
 * What a finished rollout earns against a question's golden answers. GRPO only needs the reward;
 * the rest of the score (exact match, F1, format verdict) feeds the metrics.
 */
@FunctionalInterface
public interface Reward {

  /** The paper's: the format rule, then the F1 of the boxed answer (see {@link ReSearchReward}). */
  Reward RESEARCH = research(ReSearchReward.FORMAT_ONLY);

  /** The paper's reward with {@code formatOnly} for a well-formed wrong answer. */
  static Reward research(double formatOnly) {
    return (rollout, golden) ->
        ReSearchReward.score(rollout.text(), rollout.finished(), golden, formatOnly);
  }

  ReSearchReward.Score score(Rollout rollout, List<String> golden);
}
