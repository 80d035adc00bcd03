package org.research4j.search.world;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The kinds of question the generated world asks. The first five are MuSiQue-like ({@link
 * #MUSIQUE}), the only ones of the default world, in the order the generator draws them from
 * (uniformly, then a template of the kind). The last three ({@link #ARITHMETIC}) need a computation
 * over retrieved facts and join the draw, after the five, only with {@link WorldConfig#arithmetic}
 * on. {@link #id} is the name written as {@code metadata.type} of the QA JSONL files and read back
 * by whoever groups questions by type.
 */
public enum QuestionType {
  /** One passage holds the answer. */
  ONE_HOP("one_hop", false),
  /** The answer of the first hop names the entity of the second. */
  TWO_HOP_BRIDGE("two_hop_bridge", false),
  /** The first hop gives a year, the second asks who held an office then. */
  TWO_HOP_TEMPORAL("two_hop_temporal", false),
  /** Two entities' years compared. */
  COMPARISON("comparison", false),
  /** A bridge of three hops. */
  THREE_HOP("three_hop", false),
  /** Searches, then a subtraction: the years between two events. */
  YEARS_BETWEEN("years_between", true),
  /** Searches, then a subtraction: someone's age at an event. */
  AGE_AT_EVENT("age_at_event", true),
  /** Searches, then an addition: the sum of two founding years. */
  YEAR_SUM("year_sum", true);

  /** The five MuSiQue-like types, in draw order: the default world's only ones. */
  public static final List<QuestionType> MUSIQUE =
      Arrays.stream(values()).filter(t -> !t.arithmetic).toList();

  /** The types that need a computation over retrieved facts ({@link WorldConfig#arithmetic}). */
  public static final List<QuestionType> ARITHMETIC =
      Arrays.stream(values()).filter(t -> t.arithmetic).toList();

  private final String id;
  private final boolean arithmetic;

  QuestionType(String id, boolean arithmetic) {
    this.id = id;
    this.arithmetic = arithmetic;
  }

  /** The name in the QA files' {@code metadata.type}. */
  public String id() {
    return id;
  }

  /** Whether questions of this type end in a computation (a {@code code} hop). */
  public boolean arithmetic() {
    return arithmetic;
  }

  /**
   * The types a world draws from, in draw order: {@link #MUSIQUE}, then with {@code arithmetic}
   * {@link #ARITHMETIC}.
   */
  public static List<QuestionType> drawn(boolean arithmetic) {
    return arithmetic ? List.of(values()) : MUSIQUE;
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
