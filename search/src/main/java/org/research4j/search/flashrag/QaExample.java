package org.research4j.search.flashrag;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One FlashRAG QA item: {@code {"id", "question", "golden_answers": [...], "metadata": {...}}}.
 * Any answer in {@code goldenAnswers} counts as correct; metadata is free-form and kept as read
 * (maps in field order, lists, strings, numbers, booleans).
 */
public record QaExample(
    String id, String question, List<String> goldenAnswers, Map<String, Object> metadata) {

  public QaExample {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(question, "question");
    goldenAnswers = List.copyOf(goldenAnswers);
    metadata = metadata == null
        ? Map.of()
        : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  /** {@code metadata.type}, or "" when absent. */
  public String type() {
    return metadata.get("type") instanceof String s ? s : "";
  }

  /**
   * The ids of the passages that support the answer, in hop order, from
   * {@code metadata.supporting_passages}; empty when the data set does not record them.
   */
  public List<String> supportingPassages() {
    if (metadata.get("supporting_passages") instanceof List<?> ids) {
      return ids.stream().map(String::valueOf).toList();
    }
    return List.of();
  }
}
