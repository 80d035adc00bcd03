package org.research4j.grpo.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntConsumer;
import org.research4j.grpo.reward.FormatRule;
import org.research4j.grpo.reward.ReSearchReward;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.rollout.RolloutEngine;
import org.research4j.search.flashrag.QaExample;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * Runs a policy (the agent, or any {@link QaMethod}) on questions in batches and scores every
 * response with the ReSearch reward.
 */
public final class Evaluation {
  private Evaluation() {}

  /** One question's response and score. */
  public record Outcome(QaExample question, Rollout rollout, ReSearchReward.Score score) {}

  /**
   * Means over a set of outcomes. {@code searches} counts the calls of every tool (with the search
   * tool alone, the searches); {@code callsByTool} splits them by tool, for the tools the responses
   * attribute their calls to (empty when none does). {@code responseTokens} counts every token
   * after the prompt (tool results included); {@code generatedTokens} only those the model drew.
   */
  public record Summary(
      int count,
      double exactMatch,
      double f1,
      double reward,
      double wellFormed,
      double searches,
      double responseTokens,
      double generatedTokens,
      Map<String, Double> callsByTool) {

    public Summary {
      callsByTool = Collections.unmodifiableMap(new LinkedHashMap<>(callsByTool));
    }

    /** A summary without calls by tool. */
    public Summary(
        int count,
        double exactMatch,
        double f1,
        double reward,
        double wellFormed,
        double searches,
        double responseTokens,
        double generatedTokens) {
      this(
          count,
          exactMatch,
          f1,
          reward,
          wellFormed,
          searches,
          responseTokens,
          generatedTokens,
          Map.of());
    }

    static Summary of(List<Outcome> outcomes) {
      int n = outcomes.size();
      double em = 0, f1 = 0, reward = 0, ok = 0, searches = 0, length = 0, generated = 0;
      Map<String, Double> byTool = new LinkedHashMap<>();
      for (Outcome o : outcomes) {
        em += o.score().exactMatch();
        f1 += o.score().f1();
        reward += o.score().reward();
        ok += o.score().verdict().wellFormed() ? 1 : 0;
        searches += o.rollout().toolCalls();
        o.rollout().callsByTool().forEach((t, c) -> byTool.merge(t, (double) c, Double::sum));
        length += o.rollout().response().length;
        for (boolean t : o.rollout().trained()) generated += t ? 1 : 0;
      }
      double d = Math.max(1, n);
      byTool.replaceAll((t, c) -> c / d);
      return new Summary(
          n, em / d, f1 / d, reward / d, ok / d, searches / d, length / d, generated / d, byTool);
    }
  }

  /**
   * The agent, scored strictly (the reward's reading of the answer) under the format rule of the
   * engine's tools.
   */
  public static List<Outcome> run(
      RolloutEngine engine,
      RolloutEngine.Config config,
      PromptTemplate template,
      Tokenizer tok,
      List<QaExample> questions,
      int batchSize,
      IntConsumer progress) {
    return run(
        agent(engine, config, template, tok),
        Scoring.STRICT,
        FormatRule.of(engine.tools()),
        questions,
        batchSize,
        progress);
  }

  /** {@code method} on {@code questions}, {@code batchSize} at a time (the paper's format rule). */
  public static List<Outcome> run(
      QaMethod method,
      Scoring scoring,
      List<QaExample> questions,
      int batchSize,
      IntConsumer progress) {
    return run(method, scoring, FormatRule.SEARCH, questions, batchSize, progress);
  }

  /** {@code method} on {@code questions}, {@code batchSize} at a time, under {@code rule}. */
  public static List<Outcome> run(
      QaMethod method,
      Scoring scoring,
      FormatRule rule,
      List<QaExample> questions,
      int batchSize,
      IntConsumer progress) {
    if (batchSize < 1)
      throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    List<Outcome> out = new ArrayList<>(questions.size());
    for (int i = 0; i < questions.size(); i += batchSize) {
      List<QaExample> batch = questions.subList(i, Math.min(questions.size(), i + batchSize));
      List<Rollout> rollouts = method.respond(batch);
      for (int j = 0; j < batch.size(); j++) {
        Rollout r = rollouts.get(j);
        out.add(new Outcome(batch.get(j), r, scoring.score(r, batch.get(j).goldenAnswers(), rule)));
      }
      progress.accept(out.size());
    }
    return out;
  }

  /** The ReSearch agent as a {@link QaMethod}: the rollout engine on the rendered questions. */
  public static QaMethod agent(
      RolloutEngine engine, RolloutEngine.Config config, PromptTemplate template, Tokenizer tok) {
    return questions -> {
      List<int[]> prompts = new ArrayList<>(questions.size());
      for (QaExample q : questions) prompts.add(tok.encode(template.render(q.question())));
      return engine.run(prompts, config);
    };
  }

  public static Summary summary(List<Outcome> outcomes) {
    return Summary.of(outcomes);
  }

  /** Summaries per question type ({@code metadata.type}), in name order. */
  public static Map<String, Summary> byType(List<Outcome> outcomes) {
    Map<String, List<Outcome>> groups = new TreeMap<>();
    for (Outcome o : outcomes) {
      groups.computeIfAbsent(o.question().type(), t -> new ArrayList<>()).add(o);
    }
    Map<String, Summary> out = new TreeMap<>();
    groups.forEach((t, g) -> out.put(t, Summary.of(g)));
    return out;
  }
}
