package org.research4j.search.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The question types keep the names the QA files have always carried, in the drawing order. */
class QuestionTypeTest {

  @Test
  void idsAreTheJsonlNamesInDrawingOrder() {
    assertEquals(
        List.of("one_hop", "two_hop_bridge", "two_hop_temporal", "comparison", "three_hop"),
        QuestionType.MUSIQUE.stream().map(QuestionType::id).toList());
    assertEquals(QuestionType.MUSIQUE, QuestionType.drawn(false), "the default world's draw");
    assertEquals(
        List.of("years_between", "age_at_event", "year_sum"),
        QuestionType.ARITHMETIC.stream().map(QuestionType::id).toList());
    assertEquals(
        Arrays.asList(QuestionType.values()),
        QuestionType.drawn(true),
        "with arithmetic: the five, then the three");
    assertTrue(QuestionType.ARITHMETIC.stream().allMatch(QuestionType::arithmetic));
    assertFalse(QuestionType.MUSIQUE.stream().anyMatch(QuestionType::arithmetic));
    assertEquals(Optional.of(QuestionType.TWO_HOP_TEMPORAL), QuestionType.of("two_hop_temporal"));
    assertEquals(Optional.empty(), QuestionType.of("bridge"), "a type from another data set");
    assertEquals("comparison", QuestionType.COMPARISON.toString());
  }

  @Test
  void aQuestionWritesItsTypeByName() {
    Question q =
        new Question(
            "Where is Kesto?",
            List.of("Varemo"),
            QuestionType.ONE_HOP,
            "city_country",
            List.of(new Question.Hop("Where is Kesto?", "Varemo", 7)),
            List.of("Kesto"));
    assertEquals("one_hop", q.toQa("train_0").type());
  }
}
