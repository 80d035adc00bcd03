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
 * @param type which of the five MuSiQue-like kinds it is
 * @param template which template made it, for per-template analysis
 * @param hops the reasoning chain, one single-fact sub-question per hop
 * @param entities the canonical names the question text names, all from one split
 */
record Question(String text, List<String> answers, QuestionType type, String template, List<Hop> hops,
    List<String> entities) {

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
    meta.put("type", type.id());
    meta.put("template", template);
    meta.put("supporting_passages", support);
    meta.put("hops", hopList);
    meta.put("entities", entities);
    return new QaExample(id, text, answers, meta);
  }
}
