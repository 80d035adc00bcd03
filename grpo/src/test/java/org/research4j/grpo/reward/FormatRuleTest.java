package org.research4j.grpo.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.research4j.grpo.tool.ToolTags;

/**
 * The format rule for several tools, against verdicts worked out by hand: each tool's call block
 * must be followed at once by its result block, a result block only after a call of a tool that
 * answers with it, calls counted per tool; and the search-only rule is the paper's.
 */
class FormatRuleTest {
  private static final ToolTags CODE = new ToolTags("code", "code", "result");
  private static final ToolTags UPPER = new ToolTags("upper", "upper", "output");
  private static final FormatRule RULE = FormatRule.of(List.of(ToolTags.SEARCH, CODE, UPPER));

  private static final String SEARCH = "<search>Kesto</search><result>Kesto 1871</result>";
  private static final String RUN = "<code>console.log(2025 - 1871)</code><result>154</result>";
  private static final String SHOUT = "<upper>kesto</upper><output>KESTO</output>";
  private static final String ANSWER = "<answer>\\boxed{154}</answer>";

  private static String problem(String response) {
    return RULE.check(response, true).problem();
  }

  @Test
  void everyToolsBlocksAreWellFormed() {
    String r = "<think>a</think>" + SEARCH + " " + RUN + "\n" + SHOUT + RUN + ANSWER;
    ResponseFormat.Verdict v = RULE.check(r, true);
    assertTrue(v.wellFormed(), v.problem());
    assertEquals("154", v.answer().orElseThrow());
    assertEquals(Map.of("search", 1, "code", 2, "upper", 1), v.calls());
    assertEquals(1, v.searches());
    assertEquals(4, v.toolCalls());
  }

  @Test
  void aCallNeedsItsOwnResultAtOnce() {
    assertEquals("a code without its <result>", problem("<code>1</code>" + ANSWER));
    assertEquals("a code without its <result>", problem("<code>1</code><think>x</think>"));
    assertEquals("a upper without its <output>", problem("<upper>a</upper><result>A</result>"));
    assertEquals("a search without its <result>", problem("<search>a</search><output>A</output>"));
    assertEquals("a code without its <result>", problem("<code>1</code>"));
  }

  @Test
  void aResultOnlyAfterACallThatAnswersWithIt() {
    assertEquals(
        "<result> not right after a search or code",
        problem("<think>x</think><result>y</result>" + ANSWER));
    assertEquals("<output> not right after a upper", problem("<output>y</output>" + ANSWER));
    assertEquals("<result> not right after a search or code", problem(RUN + "<result>y</result>"));
  }

  @Test
  void tagsDoNotNestAndCountsStopWhereTheCheckStops() {
    ResponseFormat.Verdict v = RULE.check(SEARCH + "<code>let a = '<think>'</code>", true);
    assertEquals("<think> inside <code>", v.problem());
    assertEquals(Map.of("search", 1, "code", 0, "upper", 0), v.calls());
    assertEquals("cut off before EOS", RULE.check(SEARCH + ANSWER, false).problem());
  }

  @Test
  void searchOnlyIsThePapersRule() {
    // <code> is no tag of the paper's rule: it is text, outside any block.
    assertEquals(
        "text outside a tag before <result>",
        FormatRule.SEARCH.check(RUN + ANSWER, true).problem());
    assertEquals(
        "<result> not right after a search",
        FormatRule.SEARCH.check("<result>x</result>" + ANSWER, true).problem());
    assertEquals(Map.of("search", 1), FormatRule.SEARCH.check(SEARCH + ANSWER, true).calls());
  }

  @Test
  void badToolSetsAreRefusedByName() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                FormatRule.of(
                    List.of(ToolTags.SEARCH, new ToolTags("lookup", "search", "result"))));
    assertEquals("tools: two tools call with <search>", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> FormatRule.of(List.of(new ToolTags("plan", "think", "result"))));
    assertEquals("tools: tool plan uses <think>, which is the response's own", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                FormatRule.of(List.of(ToolTags.SEARCH, new ToolTags("echo", "result", "echoed"))));
    assertEquals("tools: <result> is both a call and a result tag", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new ToolTags("Code", "code", "result"));
    assertTrue(e.getMessage().startsWith("tool name: must be lower-case"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> FormatRule.of(List.of()));
    assertEquals("tools: register at least one tool", e.getMessage());
  }
}
