package org.research4j.grpo.reward;

import java.util.List;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.tool.Tools;
import org.research4j.search.flashrag.QaExample;

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
   * The paper's reward under the format rule of a set of tools ({@link FormatRule#of(Tools)}): any
   * registered tool's call and result blocks are well formed.
   */
  static Reward research(double formatOnly, FormatRule rule) {
    return (rollout, golden) ->
        ReSearchReward.score(rule, rollout.text(), rollout.finished(), golden, formatOnly);
  }

  ReSearchReward.Score score(Rollout rollout, List<String> golden);

  /**
   * What {@code rollout} earns on {@code question}; by default the score against its golden
   * answers. Rewards that read more of the question (its hops) override this one.
   */
  default ReSearchReward.Score score(Rollout rollout, QaExample question) {
    return score(rollout, question.goldenAnswers());
  }

  /**
   * This reward plus {@code weight} times the share of the question's hops whose answer came back
   * in some search result of a well-formed response: a step-wise retrieval reward in the manner of
   * StepSearch's information gain, denser than the final F1. Questions without hops metadata earn
   * the base reward alone; so does a malformed response. Every {@code <result>} block counts, so
   * with the code tool registered a program's output that holds a computation hop's answer counts
   * too. The wrapper forwards both {@code score} methods; {@code Reward} has no other instance
   * method to forward.
   */
  default Reward withRetrievalBonus(double weight) {
    if (!(weight >= 0)) throw new IllegalArgumentException("retrieval bonus weight must be >= 0");
    Reward base = this;
    return new Reward() {
      @Override
      public ReSearchReward.Score score(Rollout rollout, List<String> golden) {
        return base.score(rollout, golden);
      }

      @Override
      public ReSearchReward.Score score(Rollout rollout, QaExample question) {
        ReSearchReward.Score s = base.score(rollout, question);
        List<QaExample.Hop> hops = question.hops();
        if (weight == 0 || hops.isEmpty() || !s.verdict().wellFormed()) return s;
        double share = RetrievedAnswers.share(rollout.text(), hops);
        return new ReSearchReward.Score(
            s.reward() + weight * share, s.exactMatch(), s.f1(), s.verdict());
      }
    };
  }
}
