package org.research4j.grpo.reward;

import java.util.List;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.tool.Tools;

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
    return research(formatOnly, FormatRule.SEARCH);
  }

  /**
   * The paper's reward under the format rule of a set of tools ({@link FormatRule#of(Tools)}):
   * any registered tool's call and result blocks are well formed.
   */
  static Reward research(double formatOnly, FormatRule rule) {
    return (rollout, golden) ->
        ReSearchReward.score(rule, rollout.text(), rollout.finished(), golden, formatOnly);
  }

  ReSearchReward.Score score(Rollout rollout, List<String> golden);
}
