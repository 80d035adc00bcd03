package org.research4j.grpo.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.research4j.grpo.reward.ReSearchReward;
import org.research4j.grpo.rollout.Rollout;

/** The strict and lenient readings of responses written by hand. */
class ScoringTest {
  private static final List<String> PARIS = List.of("Paris");

  private static Rollout response(String text, boolean finished) {
    return new Rollout(new int[] {1}, new int[0], new boolean[0], text, finished, 0);
  }

  @Test
  void lenientReadingFallsBackInOrder() {
    assertEquals("Paris", Scoring.read("<think>x</think><answer>\\boxed{Paris}</answer>"));
    // malformed (text outside tags), answer block cut off: its box, else its text
    assertEquals("Lyon", Scoring.read("well <answer>it is \\boxed{Lyon}"));
    assertEquals("it is Lyon", Scoring.read("<think>x</think> <answer> it is Lyon"));
    assertEquals("Paris", Scoring.read("Step one. So the answer is \\boxed{Paris}."));
    assertEquals("Paris", Scoring.read("It is in France. So the answer is Paris. Done"));
    assertEquals("Paris", Scoring.read("I think\n\nParis\n"));
    assertEquals("", Scoring.read(" "));
  }

  @Test
  void wellFormedResponsesScoreTheSameBothWays() {
    Rollout r = response("<answer>\\boxed{Paris}</answer>", true);
    ReSearchReward.Score strict = Scoring.STRICT.score(r, PARIS);
    ReSearchReward.Score lenient = Scoring.LENIENT.score(r, PARIS);
    assertEquals(1.0, strict.exactMatch());
    assertEquals(1.0, strict.reward());
    assertEquals(strict, lenient);
  }

  @Test
  void aBoxOutsideTheFormatCountsOnlyWhenLenient() {
    // "the Paris City" vs "Paris": normalised {paris, city} vs {paris}: P 1/2, R 1, F1 2/3
    Rollout r = response("Thinking. The answer is \\boxed{the Paris City}.", true);
    ReSearchReward.Score strict = Scoring.STRICT.score(r, PARIS);
    ReSearchReward.Score lenient = Scoring.LENIENT.score(r, PARIS);
    assertEquals(0.0, strict.f1());
    assertEquals(0.0, lenient.exactMatch());
    assertEquals(2.0 / 3, lenient.f1(), 1e-12);
    assertEquals(0.0, lenient.reward(), "the reward stays the strict one");
    assertEquals(1.0, Scoring.LENIENT.score(response("\\boxed{Paris}", false), PARIS).exactMatch());
  }
}
