package org.research4j.grpo.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.research4j.search.flashrag.QaExample;

class HopDiagnosticsTest {
  private static final Map<String, String> PASSAGES =
      Map.of(
          "1", "\"Vremer Industries\"\nVremer Industries was founded by Mybous Flopom.",
          "2", "\"Mybous Flopom\"\nMybous Flopom was born in Mainsto.");

  private static final QaExample Q =
      new QaExample(
          "q",
          "Where was the founder of Vremer Industries born?",
          List.of("Mainsto"),
          Map.of(
              "entities",
              List.of("Vremer Industries"),
              "hops",
              List.of(
                  Map.of(
                      "question",
                      "Who founded Vremer Industries?",
                      "answer",
                      "Mybous Flopom",
                      "passage",
                      "1"),
                  Map.of(
                      "question",
                      "Where was Mybous Flopom born?",
                      "answer",
                      "Mainsto",
                      "passage",
                      "2"))));

  private static String result(String... ids) {
    StringBuilder b = new StringBuilder("\n");
    for (String id : ids) b.append(PASSAGES.get(id)).append('\n');
    return b.toString();
  }

  @Test
  void aPerfectTracePassesEveryHop() {
    String response =
        "<think>Who founded Vremer Industries?</think><search>Who founded Vremer Industries?</search>"
            + "<result>"
            + result("1")
            + "</result><think> Mybous Flopom</think>"
            + "<search>Where was Mybous Flopom born?</search><result>"
            + result("2", "1")
            + "</result>"
            + "<answer>\\boxed{ Mainsto}</answer>";
    List<HopDiagnostics.Hop> hops = HopDiagnostics.of(Q, response, PASSAGES::get);
    assertEquals(2, hops.size());
    for (HopDiagnostics.Hop h : hops) {
      assertTrue(h.queried(), "hop " + h.position());
      assertEquals(Optional.of(true), h.goldRetrieved(), "hop " + h.position());
      assertTrue(h.answerRetrieved(), "hop " + h.position());
      assertTrue(h.read(), "hop " + h.position());
    }
    assertEquals(List.of("Mybous Flopom"), hops.get(1).entities());
  }

  @Test
  void aMisspelledEntityAndAMisreadAnswerAreTold() {
    // The second query misspells the bridge entity, yet the passage comes back; the model then
    // writes a different city than the one it was shown.
    String response =
        "<search>Vremer Industries</search><result>"
            + result("1")
            + "</result><think> Mybous Flopam</think><search>Mybous Flopam born</search><result>"
            + result("2")
            + "</result><answer>\\boxed{ Mainstow}</answer>";
    List<HopDiagnostics.Hop> hops = HopDiagnostics.of(Q, response, id -> null);
    HopDiagnostics.Hop first = hops.get(0);
    HopDiagnostics.Hop second = hops.get(1);
    assertTrue(first.queried());
    assertTrue(first.answerRetrieved());
    assertFalse(first.read(), "wrote Flopam for Flopom");
    assertEquals(Optional.empty(), first.goldRetrieved(), "passage text unknown");
    assertFalse(second.queried());
    assertTrue(second.answerRetrieved());
    assertFalse(second.read(), "Mainstow is not Mainsto");
  }

  /** A computation hop (the code tool's) is not a search hop: only the search hops are checked. */
  @Test
  void aComputationHopIsLeftOut() {
    QaExample q =
        new QaExample(
            "c",
            "How many years apart were Kesto and Oru founded?",
            List.of("65"),
            Map.of(
                "entities",
                List.of("Kesto", "Oru"),
                "hops",
                List.of(
                    Map.of("question", "In what year was Kesto founded?", "answer", "1871"),
                    Map.of("question", "In what year was Oru founded?", "answer", "1936"),
                    Map.of(
                        "question",
                        "How many years are there from 1871 to 1936?",
                        "answer",
                        "65",
                        "program",
                        "console.log(1936 - 1871)",
                        "tool",
                        "code"))));
    String response =
        "<search>In what year was Kesto founded?</search><result>\nKesto was founded in 1871.\n"
            + "</result><think> 1871</think><search>In what year was Oru founded?</search><result>\n"
            + "Oru was founded in 1936.\n</result><think> 1936</think><code>console.log(1936 - 1871)"
            + "</code><result>\n65\n</result><answer>\\boxed{ 65}</answer>";
    List<HopDiagnostics.Hop> hops = HopDiagnostics.of(q, response, id -> null);
    assertEquals(List.of(1, 2), hops.stream().map(HopDiagnostics.Hop::position).toList());
    for (HopDiagnostics.Hop h : hops) {
      assertTrue(h.queried(), "hop " + h.position());
      assertTrue(h.answerRetrieved(), "hop " + h.position());
      assertTrue(h.read(), "hop " + h.position());
    }
  }

  @Test
  void summaryRatesCountReadOnlyWhereTheAnswerWasRetrieved() {
    String good =
        "<search>Who founded Vremer Industries?</search><result>"
            + result("1")
            + "</result><think> Mybous Flopom</think><answer>\\boxed{ x}</answer>";
    String none = "<answer>\\boxed{ Mainsto}</answer>";
    HopDiagnostics.Summary s =
        HopDiagnostics.Summary.of(
            List.of(
                HopDiagnostics.of(Q, good, PASSAGES::get),
                HopDiagnostics.of(Q, none, PASSAGES::get)));
    assertEquals(4, s.get("hops"), 0);
    assertEquals(0.25, s.get("query_entity"), 1e-12);
    assertEquals(0.25, s.get("gold_retrieved"), 1e-12);
    assertEquals(0.25, s.get("answer_retrieved"), 1e-12);
    assertEquals(1.0, s.get("read_exact"), 1e-12);
    assertEquals(0.5, s.get("hop1_query_entity"), 1e-12);
    assertEquals(0.0, s.get("hop2_answer_retrieved"), 1e-12);
    assertTrue(
        Double.isNaN(s.get("hop2_read_exact")), "no hop-2 answer retrieved: nothing to count");
  }
}
