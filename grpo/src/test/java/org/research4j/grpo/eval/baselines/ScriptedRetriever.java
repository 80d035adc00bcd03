package org.research4j.grpo.eval.baselines;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.research4j.search.index.Hit;

/**
 * A retriever that records every query and answers from a script: the scripted hits of a query, or
 * for any other query two passages whose ids and texts are derived from the query's hash.
 */
final class ScriptedRetriever implements Retriever {
  final List<String> queries = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, List<Hit>> script;

  ScriptedRetriever(Map<String, List<Hit>> script) {
    this.script = script;
  }

  static Hit hit(String id, String title, String text) {
    return new Hit(id, title, "\"" + title + "\"\n" + text, 1f);
  }

  @Override
  public List<List<Hit>> retrieve(List<String> batch) {
    queries.addAll(batch);
    List<List<Hit>> out = new ArrayList<>();
    for (String q : batch) {
      List<Hit> scripted = script.get(q);
      int h = Math.floorMod(q.hashCode(), 97);
      out.add(
          scripted != null
              ? scripted
              : List.of(
                  hit("d" + h, "Doc " + h, "passage " + h + " of the corpus"),
                  hit("e" + h, "Doc " + (h + 1), "another passage " + h)));
    }
    return out;
  }
}
