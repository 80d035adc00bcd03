package org.research4j.grpo.eval.baselines;

import java.util.List;
import org.research4j.grpo.eval.QaMethod;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.search.flashrag.QaExample;

/** Naive RAG: retrieve the top-k passages with the question, put them before it, answer. */
public final class NaiveRag implements QaMethod {
  private final BaselineModel model;
  private final Retriever retriever;

  public NaiveRag(BaselineModel model, Retriever retriever) {
    this.model = model;
    this.retriever = retriever;
  }

  @Override
  public List<Rollout> respond(List<QaExample> questions) {
    List<String> queries = questions.stream().map(QaExample::question).toList();
    return model.answer(questions, queries, retriever.retrieve(queries), 1);
  }
}
