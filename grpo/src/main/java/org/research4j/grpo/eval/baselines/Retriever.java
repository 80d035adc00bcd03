package org.research4j.grpo.eval.baselines;

import java.util.List;
import org.research4j.search.index.Hit;

/**
 * Top-k passages for a batch of queries, with their ids (IRCoT shows each passage once); {@code
 * SearchTool::hits} is the agent's search tool as a retriever.
 */
@FunctionalInterface
public interface Retriever {

  /** One list of hits per query, best first, in the queries' order. */
  List<List<Hit>> retrieve(List<String> queries);
}
