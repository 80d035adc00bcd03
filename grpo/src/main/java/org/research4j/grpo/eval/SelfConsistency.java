package org.research4j.grpo.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.research4j.grpo.reward.AnswerMetrics;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.search.flashrag.QaExample;

/**
 * Self-consistency (Wang et al. 2023): {@code n} sampled responses per question and the answer most
 * of them give. Answers are read as {@link Scoring#read} reads them and compared in their SQuAD
 * normal form ({@link AnswerMetrics#normalize}); a response whose answer normalises to nothing does
 * not vote. The response returned is the first whose answer won, so that scoring it scores the
 * majority answer; a tie goes to the answer given first, and with no answer at all the first
 * response is returned. Its {@code toolCalls} are the retrievals of all {@code n} responses, the
 * method's cost; its tokens are the returned response's.
 */
public final class SelfConsistency implements QaMethod {
  private final ResponseSampler sampler;
  private final int n;

  public SelfConsistency(ResponseSampler sampler, int n) {
    if (n < 1)
      throw new IllegalArgumentException("self-consistency: need n >= 1 samples, got " + n);
    this.sampler = sampler;
    this.n = n;
  }

  @Override
  public List<Rollout> respond(List<QaExample> questions) {
    List<Rollout> out = new ArrayList<>(questions.size());
    for (QaExample q : questions) {
      List<Rollout> responses = sampler.sample(q, n);
      if (responses.size() != n) {
        throw new IllegalStateException(
            "self-consistency: asked for "
                + n
                + " responses to question "
                + q.id()
                + ", got "
                + responses.size());
      }
      Rollout chosen = vote(responses);
      int calls = 0;
      Map<String, Integer> byTool = new LinkedHashMap<>();
      for (Rollout r : responses) {
        calls += r.toolCalls();
        r.callsByTool().forEach((t, c) -> byTool.merge(t, c, Integer::sum));
      }
      if (byTool.values().stream().mapToInt(Integer::intValue).sum() != calls) byTool.clear();
      out.add(
          new Rollout(
              chosen.prompt(),
              chosen.response(),
              chosen.trained(),
              chosen.text(),
              chosen.finished(),
              calls,
              byTool));
    }
    return out;
  }

  /**
   * The first response giving the most frequent normalised answer; the first response if none
   * answers.
   */
  static Rollout vote(List<Rollout> responses) {
    Map<String, Integer> votes = new LinkedHashMap<>();
    Map<String, Rollout> firstGiving = new LinkedHashMap<>();
    for (Rollout r : responses) {
      String answer = AnswerMetrics.normalize(Scoring.read(r.text()));
      if (answer.isEmpty()) continue;
      votes.merge(answer, 1, Integer::sum);
      firstGiving.putIfAbsent(answer, r);
    }
    String best = null;
    for (Map.Entry<String, Integer> e : votes.entrySet()) {
      // Insertion order is the order answers were first given, so ">" keeps the earliest of a tie.
      if (best == null || e.getValue() > votes.get(best)) best = e.getKey();
    }
    return best == null ? responses.getFirst() : firstGiving.get(best);
  }
}
