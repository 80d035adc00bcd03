package org.research4j.search.world;

import java.util.Optional;

/**
 * The five MuSiQue-like kinds of question the generated world asks, in the order the generator
 * draws them from (uniformly, then a template of the kind). {@link #id} is the name written as
 * {@code metadata.type} of the QA JSONL files and read back by whoever groups questions by type.
 */
public enum QuestionType {
  /** One passage holds the answer. */
  ONE_HOP("one_hop"),
  /** The answer of the first hop names the entity of the second. */
  TWO_HOP_BRIDGE("two_hop_bridge"),
  /** The first hop gives a year, the second asks who held an office then. */
  TWO_HOP_TEMPORAL("two_hop_temporal"),
  /** Two entities' years compared. */
  COMPARISON("comparison"),
  /** A bridge of three hops. */
  THREE_HOP("three_hop");

  private final String id;

  QuestionType(String id) {
    this.id = id;
  }

  /** The name in the QA files' {@code metadata.type}. */
  public String id() {
    return id;
  }

  /** The type whose {@link #id} is {@code id}, if any (QA files from elsewhere have their own). */
  public static Optional<QuestionType> of(String id) {
    for (QuestionType t : values()) {
      if (t.id.equals(id)) return Optional.of(t);
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return id;
  }
}
