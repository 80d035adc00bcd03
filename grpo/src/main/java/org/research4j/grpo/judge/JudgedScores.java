package org.research4j.grpo.judge;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.research4j.grpo.eval.Evaluation;
import org.research4j.grpo.eval.Scoring;
import org.research4j.grpo.reward.FormatRule;

/**
 * The LLM-as-judge score (LJ) of a method's outcomes: each outcome's answer, read as exact match
 * reads it ({@link Scoring#read}), judged against its question's golden answers; LJ is the share
 * judged correct, overall and per question type (as {@link Evaluation#byType} groups).
 */
public record JudgedScores(
    List<LlmJudge.Verdict> verdicts, double all, Map<String, Double> byType) {

  public static JudgedScores of(LlmJudge judge, List<Evaluation.Outcome> outcomes) {
    return of(judge, outcomes, FormatRule.SEARCH);
  }

  /** As {@link #of(LlmJudge, List)}, the answers read under {@code rule} (the agent's tools). */
  public static JudgedScores of(
      LlmJudge judge, List<Evaluation.Outcome> outcomes, FormatRule rule) {
    List<LlmJudge.Item> items = new ArrayList<>(outcomes.size());
    for (Evaluation.Outcome o : outcomes) {
      items.add(
          new LlmJudge.Item(
              o.question().question(),
              o.question().goldenAnswers(),
              Scoring.read(o.rollout().text(), rule)));
    }
    List<LlmJudge.Verdict> v = judge.judge(items);
    Map<String, double[]> groups = new TreeMap<>();
    double yes = 0;
    for (int i = 0; i < v.size(); i++) {
      double c = v.get(i).correct() ? 1 : 0;
      yes += c;
      double[] g = groups.computeIfAbsent(outcomes.get(i).question().type(), t -> new double[2]);
      g[0] += c;
      g[1]++;
    }
    Map<String, Double> byType = new TreeMap<>();
    groups.forEach((t, g) -> byType.put(t, g[0] / g[1]));
    return new JudgedScores(List.copyOf(v), yes / Math.max(1, v.size()), byType);
  }
}
