package org.research4j.grpo.eval.baselines;

import java.util.List;
import org.research4j.grpo.eval.QaMethod;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.search.flashrag.QaExample;

/** Naive Generation: the model answers at once, from what it knows, without retrieval. */
public final class NaiveGeneration implements QaMethod {
  private final BaselineModel model;

  public NaiveGeneration(BaselineModel model) {
    this.model = model;
  }

  @Override
  public List<Rollout> respond(List<QaExample> questions) {
    return model.answer(questions, null, null, 0);
  }
}
