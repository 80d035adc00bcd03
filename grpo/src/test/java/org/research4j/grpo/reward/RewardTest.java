package org.research4j.grpo.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.search.flashrag.QaExample;

/**
 * The reward against values worked out by hand from the SQuAD definitions and the recipe
 * (docs/ARCHITECTURE.md, "The ReSearch recipe as implemented").
 */
class RewardTest {
  private static final String GOOD =
      "<think>Who founded Varemo?</think>\n<search>Varemo founder</search>"
          + "<result>\"Varemo\"\nVaremo was founded in 1812 by Tolan Ressu.</result>"
          + "<think>Tolan Ressu.</think><answer>The founder is \\boxed{Tolan Ressu}.</answer>";

  @Test
  void normalisationFollowsSquad() {
    // SQuAD deletes punctuation rather than splitting on it: "Tolan-Ressu" is one token.
    assertEquals("tolanressu", AnswerMetrics.normalize("  The Tolan-Ressu!  "));
    assertEquals("tolan ressu", AnswerMetrics.normalize("the Tolan  Ressu."));
    assertEquals("1812", AnswerMetrics.normalize("(1812)."));
    assertEquals("cafe ole", AnswerMetrics.normalize("An Cafe, ole"));
  }

  @Test
  void f1AndExactMatchByHand() {
    // prediction {tolan, ressu, junior} vs gold {tolan, ressu}: P = 2/3, R = 1, F1 = 0.8.
    assertEquals(0.8, AnswerMetrics.f1("Tolan Ressu Junior", "Tolan Ressu"), 1e-12);
    // repeated tokens count once each: {a1, a1} vs {a1}: P = 1/2, R = 1, F1 = 2/3.
    assertEquals(2.0 / 3, AnswerMetrics.f1("x x", "x"), 1e-12);
    assertEquals(0, AnswerMetrics.f1("", "x"), 0);
    assertEquals(1, AnswerMetrics.f1("Ressu", List.of("Tolan", "the Ressu")), 0);
    assertEquals(1, AnswerMetrics.exactMatch("the  TOLAN ressu.", List.of("x", "Tolan Ressu")), 0);
    assertEquals(0, AnswerMetrics.exactMatch("Tolan", List.of("Tolan Ressu")), 0);
  }

  @Test
  void theFormatFloorIsTheOnlyThingTheFormatRewardOptionChanges() {
    ReSearchReward.Score paper = ReSearchReward.score(GOOD, true, List.of("Someone Else"));
    ReSearchReward.Score none = ReSearchReward.score(GOOD, true, List.of("Someone Else"), 0);
    assertEquals(ReSearchReward.FORMAT_ONLY, paper.reward(), 0);
    assertEquals(0, none.reward(), 0);
    assertEquals(
        0.8, ReSearchReward.score(GOOD, true, List.of("Tolan Ressu Vey"), 0).reward(), 1e-12);
    assertEquals(
        0,
        ReSearchReward.score(GOOD, false, List.of("Tolan Ressu"), 0.5).reward(),
        0,
        "a cut-off response earns nothing whatever the floor");
  }

  @Test
  void wellFormedResponseScoresItsF1() {
    ReSearchReward.Score s = ReSearchReward.score(GOOD, true, List.of("Tolan Ressu"));
    assertTrue(s.verdict().wellFormed(), s.verdict().problem());
    assertEquals(1, s.verdict().searches());
    assertEquals(1.0, s.reward(), 0);
    assertEquals(1.0, s.exactMatch(), 0);
    ReSearchReward.Score partial = ReSearchReward.score(GOOD, true, List.of("Tolan Ressu Vey"));
    assertEquals(0.8, partial.reward(), 1e-12); // P = 1, R = 2/3
    ReSearchReward.Score wrong = ReSearchReward.score(GOOD, true, List.of("Mira"));
    assertEquals(ReSearchReward.FORMAT_ONLY, wrong.reward(), 0);
    assertEquals(0, wrong.f1(), 0);
  }

  @Test
  void everyFormatViolationScoresZeroAndSaysWhy() {
    String[][] cases = {
      {
        GOOD.replace("</think>\n<search>", "</think>\n<think>x</think><search>")
            .replace("<result>", "<think>y</think><result>"),
        "a search without its <result>"
      },
      {
        GOOD.replace("<answer>", "<answer>\\boxed{x}</answer><answer>"), "<answer> after the answer"
      },
      {GOOD.replace("\\boxed{Tolan Ressu}", "Tolan Ressu"), "no \\boxed{} in the answer"},
      {GOOD.replace("</think><answer>", "</think>"), "</answer> without <answer>"},
      {GOOD + " and more", "text after </answer>"},
      {"hello " + GOOD, "text outside a tag before <think>"},
      {
        GOOD.replace("<think>Tolan Ressu.</think>", "<think>Tolan <search>x</search></think>"),
        "<search> inside <think>"
      },
      {GOOD.replace("</answer>", ""), "<answer> never closed"},
      {GOOD.substring(0, GOOD.indexOf("<think>Tolan")), "no <answer>"},
    };
    for (String[] c : cases) {
      ReSearchReward.Score s = ReSearchReward.score(c[0], true, List.of("Tolan Ressu"));
      assertFalse(s.verdict().wellFormed(), c[0]);
      assertEquals(c[1], s.verdict().problem(), c[0]);
      assertEquals(0, s.reward(), 0);
    }
    ReSearchReward.Score cut = ReSearchReward.score(GOOD, false, List.of("Tolan Ressu"));
    assertEquals("cut off before EOS", cut.verdict().problem());
    assertEquals(0, cut.reward(), 0);
  }

  @Test
  void boxedMatchesNestedBraces() {
    assertEquals("a{b}c", ResponseFormat.boxed("x \\boxed{ a{b}c } y").orElseThrow());
    assertTrue(ResponseFormat.boxed("\\boxed{unclosed").isEmpty());
  }

  @Test
  void theRetrievalBonusPaysTheShareOfHopAnswersTheResultsHeld() {
    // Two hops: "Tolan Ressu" is in GOOD's result, "Pailplim" is not; "Tolan" alone is not a hop
    // answer; "1812" would be, but it is the second hop's of another question.
    QaExample q =
        new QaExample(
            "q",
            "Where was the founder of Varemo born?",
            List.of("Pailplim"),
            Map.of(
                "hops",
                List.of(
                    Map.of("question", "Who founded Varemo?", "answer", "Tolan Ressu"),
                    Map.of("question", "Where was Tolan Ressu born?", "answer", "Pailplim"))));
    Rollout r = new Rollout(new int[0], new int[0], new boolean[0], GOOD, true, 1);
    Reward paper = Reward.research(0);
    assertEquals(0, paper.score(r, q).reward(), 0, "wrong answer, no floor");
    assertEquals(
        0.25, paper.withRetrievalBonus(0.5).score(r, q).reward(), 1e-12, "0.5 x one hop of two");
    assertEquals(0, paper.withRetrievalBonus(0.5).score(r, q).f1(), 0, "F1 is not shaped");
    Rollout cut = new Rollout(new int[0], new int[0], new boolean[0], GOOD, false, 1);
    assertEquals(
        0,
        paper.withRetrievalBonus(0.5).score(cut, q).reward(),
        0,
        "a malformed response earns no bonus");
    QaExample plain = new QaExample("p", "Who founded Varemo?", List.of("Tolan Ressu"), Map.of());
    assertEquals(
        1.0,
        paper.withRetrievalBonus(0.5).score(r, plain).reward(),
        0,
        "no hops metadata: the base reward alone");
    assertEquals(
        1.0 + 0.5 * 1.0 / 2,
        Reward.research(0.1)
            .withRetrievalBonus(0.5)
            .score(r, new QaExample("q2", "?", List.of("Tolan Ressu"), q.metadata()))
            .reward(),
        1e-12);
  }

  @Test
  void wholeWordsOnly() {
    assertTrue(RetrievedAnswers.holds("born in Mainsto.", "Mainsto"));
    assertFalse(RetrievedAnswers.holds("Mainstow was", "Mainsto"));
    assertFalse(RetrievedAnswers.holds("in 19280", "1928"));
    assertTrue(RetrievedAnswers.holds("1928", "1928"));
    assertFalse(RetrievedAnswers.holds("anything", ""));
  }
}
