package org.research4j.search.flashrag;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One FlashRAG QA item: {@code {"id", "question", "golden_answers": [...], "metadata": {...}}}. Any
 * answer in {@code goldenAnswers} counts as correct; metadata is free-form and kept as read (maps
 * in field order, lists, strings, numbers, booleans).
 */
public record QaExample(
    String id, String question, List<String> goldenAnswers, Map<String, Object> metadata) {

  public QaExample {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(question, "question");
    goldenAnswers = List.copyOf(goldenAnswers);
    metadata =
        metadata == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  /** {@code metadata.type}, or "" when absent. */
  public String type() {
    return metadata.get("type") instanceof String s ? s : "";
  }

  /**
   * One step of a multi-hop question, as {@code metadata.hops} records it: the sub-question, its
   * answer and the id of the passage that holds it (null when not recorded); {@code tool}, the tool
   * the step needs ({@code search} or {@code code}; null when not recorded, a search), and for a
   * computation the {@code program} that gives its answer (else null).
   */
  public record Hop(String question, String answer, String passage, String tool, String program) {

    public Hop(String question, String answer, String passage) {
      this(question, answer, passage, null, null);
    }

    /** True for a step answered by running a program rather than by a passage. */
    public boolean isComputation() {
      return "code".equals(tool);
    }
  }

  /**
   * The hops from {@code metadata.hops} (the generated world records them), those with a question
   * and an answer, in order; empty when the data set does not record them.
   */
  public List<Hop> hops() {
    List<Hop> out = new ArrayList<>();
    if (metadata.get("hops") instanceof List<?> list) {
      for (Object o : list) {
        if (o instanceof Map<?, ?> m && m.get("question") != null && m.get("answer") != null) {
          out.add(
              new Hop(
                  String.valueOf(m.get("question")),
                  String.valueOf(m.get("answer")),
                  m.get("passage") == null ? null : String.valueOf(m.get("passage")),
                  m.get("tool") == null ? null : String.valueOf(m.get("tool")),
                  m.get("program") == null ? null : String.valueOf(m.get("program"))));
        }
      }
    }
    return out;
  }

  /** The entities the question names, from {@code metadata.entities}; empty when not recorded. */
  public List<String> entities() {
    if (metadata.get("entities") instanceof List<?> es) {
      return es.stream().map(String::valueOf).toList();
    }
    return List.of();
  }

  /**
   * The ids of the passages that support the answer, in hop order, from {@code
   * metadata.supporting_passages}; empty when the data set does not record them.
   */
  public List<String> supportingPassages() {
    if (metadata.get("supporting_passages") instanceof List<?> ids) {
      return ids.stream().map(String::valueOf).toList();
    }
    return List.of();
  }
}
