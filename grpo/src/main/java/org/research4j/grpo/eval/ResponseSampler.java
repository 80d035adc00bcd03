package org.research4j.grpo.eval;

import java.util.Collections;
import java.util.List;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.rollout.RolloutEngine;
import org.research4j.search.flashrag.QaExample;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * Draws {@code n} independent responses to one question: the samples that pass@k counts and
 * self-consistency votes over.
 */
@FunctionalInterface
public interface ResponseSampler {

  /**
   * Yue et al. 2025 sample at temperature 1, the policy's own distribution without sharpening, so
   * that pass@k at large k measures what the model can reach at all.
   */
  double TEMPERATURE = 1.0;

  /** {@code n} responses to {@code question}. */
  List<Rollout> sample(QaExample question, int n);

  /**
   * The ReSearch agent at {@link #TEMPERATURE}: the question's prompt repeated {@code n} times in
   * one engine batch, as GRPO draws its group of G. The draws of a question depend only on {@code
   * seed} and its id, not on which questions come before it or how many are asked.
   */
  static ResponseSampler agent(
      RolloutEngine engine,
      int maxResponseTokens,
      int maxToolCalls,
      PromptTemplate template,
      Tokenizer tok,
      long seed) {
    return (question, n) -> {
      if (n < 1) throw new IllegalArgumentException("samples per question must be >= 1, got " + n);
      List<int[]> prompts =
          Collections.nCopies(n, tok.encode(template.render(question.question())));
      SamplingConfig sampling =
          SamplingConfig.sampling(TEMPERATURE, seed * 1_000_003L + question.id().hashCode());
      return engine.run(
          prompts, new RolloutEngine.Config(maxResponseTokens, maxToolCalls, sampling));
    };
  }
}
