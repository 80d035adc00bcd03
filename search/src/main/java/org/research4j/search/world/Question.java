package org.research4j.search.world;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.research4j.search.flashrag.QaExample;

/**
 * A generated question before it is written as FlashRAG QA.
 *
 * @param text the question
 * @param answers the canonical answer first, then aliases
 * @param type one of the five MuSiQue-like types
 * @param template which template made it, for per-template analysis
 * @param hops the reasoning chain, one single-fact sub-question per hop
 * @param entities the canonical names the question text names, all from one split
 */
record Question(String text, List<String> answers, String type, String template, List<Hop> hops,
    List<String> entities) {

  static final String ONE_HOP = "one_hop";
  static final String TWO_HOP_BRIDGE = "two_hop_bridge";
  static final String TWO_HOP_TEMPORAL = "two_hop_temporal";
  static final String COMPARISON = "comparison";
  static final String THREE_HOP = "three_hop";
  static final List<String> TYPES =
      List.of(ONE_HOP, TWO_HOP_BRIDGE, TWO_HOP_TEMPORAL, COMPARISON, THREE_HOP);

  /**
   * One step: a question a single passage answers, so that a reader (or a warm-start trace) can
   * use it as the search query for that step.
   */
  record Hop(String question, String answer, int passage) {}

  QaExample toQa(String id) {
    List<String> support = new ArrayList<>();
    List<Map<String, Object>> hopList = new ArrayList<>();
    for (Hop h : hops) {
      String passage = Integer.toString(h.passage());
      if (!support.contains(passage)) {
        support.add(passage);
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("question", h.question());
      m.put("answer", h.answer());
      m.put("passage", passage);
      hopList.add(m);
    }
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("type", type);
    meta.put("template", template);
    meta.put("supporting_passages", support);
    meta.put("hops", hopList);
    meta.put("entities", entities);
    return new QaExample(id, text, answers, meta);
  }
}
