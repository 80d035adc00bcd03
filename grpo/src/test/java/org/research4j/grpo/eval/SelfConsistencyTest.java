package org.research4j.grpo.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.search.flashrag.QaExample;

/**
 * The vote over fixed responses: normal forms, ties, responses without an answer, the retrievals.
 */
class SelfConsistencyTest {

  private static Rollout rollout(String text, int calls) {
    return new Rollout(new int[0], new int[0], new boolean[0], text, true, calls);
  }

  private static String boxed(String answer) {
    return "<think>t</think><answer>\\boxed{" + answer + "}</answer>";
  }

  /** The text SelfConsistency returns for one question answered by {@code texts}. */
  private static Rollout voted(String... texts) {
    QaExample q = new QaExample("q", "Who?", List.of("x"), Map.of());
    List<Rollout> responses = Arrays.stream(texts).map(t -> rollout(t, 1)).toList();
    return new SelfConsistency((question, n) -> responses, texts.length)
        .respond(List.of(q))
        .getFirst();
  }

  @Test
  void theMajorityOfNormalisedAnswersWins() {
    // "The Dask!" and "dask" are one answer in SQuAD normal form: two votes, to one for Varemo and
    // Tolan each.
    Rollout r = voted(boxed("Varemo"), boxed("The Dask!"), boxed("Tolan"), boxed("dask"));
    assertEquals(boxed("The Dask!"), r.text(), "the first response giving the majority answer");
  }

  @Test
  void aTieGoesToTheAnswerGivenFirst() {
    assertEquals(
        boxed("Tolan"),
        voted(boxed("Tolan"), boxed("Varemo"), boxed("varemo"), boxed("Tolan")).text());
    assertEquals(boxed("b"), voted(boxed("b"), boxed("a")).text());
  }

  @Test
  void responsesWithoutAnAnswerDoNotVote() {
    // Blank, tags only, or an answer that normalises to nothing ("The.") vote for nobody.
    assertEquals(boxed("Oru"), voted("", "<think></think>", boxed("The."), boxed("Oru")).text());
    assertEquals("   ", voted("   ", boxed("")).text(), "no answer at all: the first response");
  }

  @Test
  void theLenientReadingVotesForMalformedResponses() {
    // A cut-off <answer> and an "answer is" sentence both read as Dask, outvoting the one boxed
    // Varemo.
    assertEquals(
        "<answer>\\boxed{Dask}",
        voted(boxed("Varemo"), "<answer>\\boxed{Dask}", "So the answer is Dask.").text());
  }

  @Test
  void retrievalsOfEveryResponseAreCountedAndQuestionsKeepTheirOrder() {
    Map<String, List<Rollout>> script =
        Map.of(
            "a", List.of(rollout(boxed("1"), 2), rollout(boxed("2"), 0), rollout(boxed("2"), 3)),
            "b", List.of(rollout(boxed("9"), 1), rollout(boxed("9"), 1), rollout(boxed("8"), 1)));
    List<QaExample> questions =
        List.of(
            new QaExample("a", "A?", List.of("2"), Map.of()),
            new QaExample("b", "B?", List.of("9"), Map.of()));
    List<Rollout> out = new SelfConsistency((q, n) -> script.get(q.id()), 3).respond(questions);
    assertEquals(List.of(boxed("2"), boxed("9")), out.stream().map(Rollout::text).toList());
    assertEquals(List.of(5, 3), out.stream().map(Rollout::toolCalls).toList());
    List<Evaluation.Outcome> scored =
        Evaluation.run(
            new SelfConsistency((q, n) -> script.get(q.id()), 3),
            Scoring.LENIENT,
            questions,
            2,
            done -> {});
    assertEquals(
        1.0, Evaluation.summary(scored).exactMatch(), "the majority answers are the golden ones");
  }

  @Test
  void refusesBadSampleCounts() {
    assertThrows(IllegalArgumentException.class, () -> new SelfConsistency((q, n) -> List.of(), 0));
    QaExample q = new QaExample("q", "Who?", List.of("x"), Map.of());
    SelfConsistency two = new SelfConsistency((question, n) -> List.of(rollout(boxed("x"), 0)), 2);
    assertThrows(IllegalStateException.class, () -> two.respond(List.of(q)));
  }
}
