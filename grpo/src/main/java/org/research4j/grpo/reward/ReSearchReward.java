package org.research4j.grpo.reward;

import java.util.List;

/**
 * The paper's reward: 0 for a malformed response; otherwise the F1 of the boxed answer against the
 * best golden answer, or 0.1 when that F1 is 0 (a well-formed wrong answer still beats a broken
 * one, which keeps the format learnable early in training).
 */
public final class ReSearchReward {
  /** Reward of a well-formed response whose answer shares no token with any golden answer. */
  public static final double FORMAT_ONLY = 0.1;

  private ReSearchReward() {}

  /** The scored response: reward, exact match, F1 and the format verdict behind them. */
  public record Score(
      double reward, double exactMatch, double f1, ResponseFormat.Verdict verdict) {}

  public static Score score(String response, boolean finished, List<String> golden) {
    return score(response, finished, golden, FORMAT_ONLY);
  }

  /**
   * As {@link #score(String, boolean, List)} with {@code formatOnly} in place of the paper's 0.1
   * for a well-formed wrong answer (0 removes the floor a policy can settle on by answering without
   * reading).
   */
  public static Score score(
      String response, boolean finished, List<String> golden, double formatOnly) {
    return score(FormatRule.SEARCH, response, finished, golden, formatOnly);
  }

  /** As {@link #score(String, boolean, List, double)} under the format rule of a set of tools. */
  public static Score score(
      FormatRule rule, String response, boolean finished, List<String> golden, double formatOnly) {
    ResponseFormat.Verdict v = rule.check(response, finished);
    if (!v.wellFormed()) return new Score(0, 0, 0, v);
    String answer = v.answer().orElseThrow();
    double f1 = AnswerMetrics.f1(answer, golden);
    double em = AnswerMetrics.exactMatch(answer, golden);
    return new Score(f1 > 0 ? f1 : formatOnly, em, f1, v);
  }
}
