package org.research4j.grpo.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntConsumer;
import org.research4j.grpo.reward.ReSearchReward;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.rollout.RolloutEngine;
import org.research4j.search.flashrag.QaExample;
import org.research4j.transformer.tokenizer.Tokenizer;

/** Runs a policy on questions and scores every response with the ReSearch reward. */
public final class Evaluation {
  private Evaluation() {}

  /** One question's response and score. */
  public record Outcome(QaExample question, Rollout rollout, ReSearchReward.Score score) {}

  /** Means over a set of outcomes. */
  public record Summary(int count, double exactMatch, double f1, double reward, double wellFormed,
      double searches, double responseTokens) {

    static Summary of(List<Outcome> outcomes) {
      int n = outcomes.size();
      double em = 0, f1 = 0, reward = 0, ok = 0, searches = 0, length = 0;
      for (Outcome o : outcomes) {
        em += o.score().exactMatch();
        f1 += o.score().f1();
        reward += o.score().reward();
        ok += o.score().verdict().wellFormed() ? 1 : 0;
        searches += o.rollout().toolCalls();
        length += o.rollout().response().length;
      }
      double d = Math.max(1, n);
      return new Summary(n, em / d, f1 / d, reward / d, ok / d, searches / d, length / d);
    }
  }

  public static List<Outcome> run(RolloutEngine engine, RolloutEngine.Config config,
      PromptTemplate template, Tokenizer tok, List<QaExample> questions, int batchSize,
      IntConsumer progress) {
    List<Outcome> out = new ArrayList<>(questions.size());
    for (int i = 0; i < questions.size(); i += batchSize) {
      List<QaExample> batch = questions.subList(i, Math.min(questions.size(), i + batchSize));
      List<int[]> prompts = new ArrayList<>(batch.size());
      for (QaExample q : batch) prompts.add(tok.encode(template.render(q.question())));
      List<Rollout> rollouts = engine.run(prompts, config);
      for (int j = 0; j < batch.size(); j++) {
        Rollout r = rollouts.get(j);
        out.add(new Outcome(batch.get(j), r,
            ReSearchReward.score(r.text(), r.finished(), batch.get(j).goldenAnswers())));
      }
      progress.accept(out.size());
    }
    return out;
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
