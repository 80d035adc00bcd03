package org.research4j.grpo.eval;

import java.util.List;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.search.flashrag.QaExample;

/**
 * A way of answering questions with a model and a search tool: the ReSearch agent or one of the
 * paper's baselines. One response per question, in order, as a {@link Rollout}: the tokens after
 * the prompt, with {@code trained} false where the method (not the model) inserted them, and {@code
 * toolCalls} the number of retrievals made for the question.
 */
@FunctionalInterface
public interface QaMethod {

  List<Rollout> respond(List<QaExample> questions);
}
