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
 * @param type which kind it is: one of the five MuSiQue-like ones, or with arithmetic on one of
 *     {@link QuestionType#ARITHMETIC}
 * @param template which template made it, for per-template analysis
 * @param hops the reasoning chain, one single-fact sub-question per hop
 * @param entities the canonical names the question text names, all from one split
 */
record Question(
    String text,
    List<String> answers,
    QuestionType type,
    String template,
    List<Hop> hops,
    List<String> entities) {

  /** A hop answered by a search ({@link Hop#tool}). */
  static final String SEARCH = "search";

  /** A hop answered by running a program ({@link Hop#tool}). */
  static final String CODE = "code";

  /**
   * One step: a question a single passage answers, so that a reader (or a warm-start trace) can use
   * it as the search query for that step; or, in an arithmetic question, a computation over the
   * earlier hops' answers, with the program that does it ({@code passage} -1).
   *
   * @param tool null in the five MuSiQue-like types (every hop a search, written without the key,
   *     as always); in arithmetic questions {@link #SEARCH} or {@link #CODE}, written as {@code
   *     tool}
   * @param program the JavaScript that computes a code hop's answer; null for a search hop
   */
  record Hop(String question, String answer, int passage, String tool, String program) {

    Hop(String question, String answer, int passage) {
      this(question, answer, passage, null, null);
    }

    /** This search hop, marked as a search (for arithmetic questions). */
    Hop searched() {
      return new Hop(question, answer, passage, SEARCH, null);
    }

    /** A computation: {@code question} in words, answered by running {@code program}. */
    static Hop computed(String question, String answer, String program) {
      return new Hop(question, answer, -1, CODE, program);
    }
  }

  QaExample toQa(String id) {
    List<String> support = new ArrayList<>();
    List<Map<String, Object>> hopList = new ArrayList<>();
    for (Hop h : hops) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("question", h.question());
      m.put("answer", h.answer());
      if (CODE.equals(h.tool())) {
        m.put("program", h.program());
      } else {
        String passage = Integer.toString(h.passage());
        if (!support.contains(passage)) {
          support.add(passage);
        }
        m.put("passage", passage);
      }
      if (h.tool() != null) {
        m.put("tool", h.tool());
      }
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
