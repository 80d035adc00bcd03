package org.research4j.grpo.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.IntConsumer;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.rollout.RolloutEngine;
import org.research4j.search.flashrag.QaExample;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * pass@k as Yue et al. 2025 measure it ("Does Reinforcement Learning Really Incentivize Reasoning
 * Capacity in LLMs Beyond the Base Model?"): n responses per question at temperature 1, c of them
 * correct, and the unbiased estimator of Chen et al. 2021, pass@k = 1 - C(n-c, k) / C(n, k), the
 * chance that k responses drawn without replacement from the n hold at least one correct one,
 * averaged over the questions. A response is correct when its F1 ({@link Scoring#LENIENT}) reaches
 * {@value #SUCCESS_F1}.
 */
public final class PassAtK {
  /**
   * Yue et al. count a QA response as solved from F1 0.5 on, as exact match is too strict for free
   * text.
   */
  public static final double SUCCESS_F1 = 0.5;

  private PassAtK() {}

  /**
   * One question's count: {@code correct} of the {@code n} responses reached {@link #SUCCESS_F1}.
   */
  public record Count(String id, int correct) {}

  /**
   * @param n responses per question
   * @param curve k (1, 2, 4, ..., and n) to pass@k averaged over the questions, ascending in k
   * @param counts per question, in question order
   */
  public record Result(int n, SortedMap<Integer, Double> curve, List<Count> counts) {
    public Result {
      curve = Collections.unmodifiableSortedMap(new TreeMap<>(curve));
      counts = List.copyOf(counts);
    }

    /** The curve over {@link #ks}{@code (n)} from per-question counts out of {@code n}. */
    public static Result of(int n, List<Count> counts) {
      if (counts.isEmpty()) throw new IllegalArgumentException("pass@k: no questions");
      SortedMap<Integer, Double> curve = new TreeMap<>();
      for (int k : ks(n)) {
        double sum = 0;
        for (Count c : counts) sum += estimate(n, c.correct(), k);
        curve.put(k, sum / counts.size());
      }
      return new Result(n, curve, counts);
    }
  }

  /** The k a curve is drawn at: the powers of two up to {@code n}, and {@code n} itself. */
  public static List<Integer> ks(int n) {
    if (n < 1) throw new IllegalArgumentException("pass@k: need n >= 1 samples, got " + n);
    List<Integer> ks = new ArrayList<>();
    for (long k = 1; k <= n; k *= 2) ks.add((int) k);
    if (ks.getLast() != n) ks.add(n);
    return ks;
  }

  /**
   * 1 - C(n-c, k) / C(n, k) for one question with {@code c} correct of {@code n}. The ratio is the
   * product over i = n-c+1 .. n of (1 - k/i) (Chen et al.'s numerically stable form): every factor
   * lies in [0, 1), so nothing overflows as the binomials themselves would for n in the hundreds.
   */
  public static double estimate(int n, int c, int k) {
    if (n < 1 || c < 0 || c > n || k < 1 || k > n) {
      throw new IllegalArgumentException(
          "pass@k: need 0 <= c <= n and 1 <= k <= n, got n=" + n + " c=" + c + " k=" + k);
    }
    if (n - c < k) return 1.0; // every k-subset holds a correct response
    double allWrong = 1.0;
    for (int i = n - c + 1; i <= n; i++) allWrong *= 1.0 - (double) k / i;
    return 1.0 - allWrong;
  }

  /**
   * The ReSearch agent's pass@k curve: {@link ResponseSampler#agent} then {@link
   * #sample(ResponseSampler, List, int, IntConsumer)}.
   */
  public static Result sample(
      RolloutEngine engine,
      int maxResponseTokens,
      int maxToolCalls,
      PromptTemplate template,
      Tokenizer tok,
      List<QaExample> questions,
      int n,
      long seed,
      IntConsumer progress) {
    return sample(
        ResponseSampler.agent(engine, maxResponseTokens, maxToolCalls, template, tok, seed),
        questions,
        n,
        progress);
  }

  /**
   * {@code n} responses per question from {@code sampler}, one question at a time; {@code progress}
   * gets the number of questions done after each.
   */
  public static Result sample(
      ResponseSampler sampler, List<QaExample> questions, int n, IntConsumer progress) {
    if (n < 1) throw new IllegalArgumentException("pass@k: need n >= 1 samples, got " + n);
    if (questions.isEmpty()) throw new IllegalArgumentException("pass@k: no questions");
    List<Count> counts = new ArrayList<>(questions.size());
    for (QaExample q : questions) {
      List<Rollout> responses = sampler.sample(q, n);
      if (responses.size() != n) {
        throw new IllegalStateException(
            "pass@k: asked for "
                + n
                + " responses to question "
                + q.id()
                + ", got "
                + responses.size());
      }
      int correct = 0;
      for (Rollout r : responses) {
        if (Scoring.LENIENT.score(r, q.goldenAnswers()).f1() >= SUCCESS_F1) correct++;
      }
      counts.add(new Count(q.id(), correct));
      progress.accept(counts.size());
    }
    return Result.of(n, counts);
  }
}
