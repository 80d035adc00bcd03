package org.research4j.grpo.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.tool.CodeTool;
import org.research4j.grpo.tool.Tool;
import org.research4j.grpo.tool.Tools;
import org.research4j.search.flashrag.QaExample;
import org.research4j.transformer.tokenizer.BpeTrainer;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * Warm-start traces with the code tool: an arithmetic question's search hops search, its
 * computation hop runs its program with the real interpreter and reads the real output; the
 * computation hops alone make the code tool's simple cases.
 */
class ToolTracesTest {
  private static final Tokenizer TOK =
      BpeTrainer.research(300)
          .train(
              List.of(
                  "How many years apart were Kesto and Oru founded? Kesto was founded in 1871.",
                  "<|im_start|>user <|im_end|> assistant"));
  private static final int EOT = TOK.idOf("<|im_end|>");

  /** Answers "In what year was X founded?" from a fixed table. */
  private static final class Search implements Tool {
    public String callOpen() {
      return "<search>";
    }

    public String callClose() {
      return "</search>";
    }

    public String resultOpen() {
      return "<result>";
    }

    public String resultClose() {
      return "</result>";
    }

    public List<String> call(List<String> inputs) {
      return inputs.stream()
          .map(
              q ->
                  q.contains("Kesto")
                      ? "\nKesto was founded in 1871.\n"
                      : "\nOru was founded in 1936.\n")
          .toList();
    }
  }

  private static QaExample yearsBetween() {
    List<Map<String, String>> hops =
        List.of(
            Map.of(
                "question",
                "In what year was Kesto founded?",
                "answer",
                "1871",
                "passage",
                "0",
                "tool",
                "search"),
            Map.of(
                "question",
                "In what year was Oru founded?",
                "answer",
                "1936",
                "passage",
                "1",
                "tool",
                "search"),
            Map.of(
                "question",
                "How many years are there from 1871 to 1936?",
                "answer",
                "65",
                "program",
                "console.log(1936 - 1871)",
                "tool",
                "code"));
    return new QaExample(
        "q0",
        "How many years apart were Kesto and Oru founded?",
        List.of("65"),
        Map.of("type", "years_between", "hops", hops, "entities", List.of("Kesto", "Oru")));
  }

  @Test
  void searchHopsSearchAndTheComputationRunsItsProgram() {
    try (CodeTool code = new CodeTool(CodeTool.Limits.defaults().withParallelism(1))) {
      Tools tools = Tools.of(new Search(), code);
      PromptTemplate template = PromptTemplate.bare();
      List<SftExample> traces =
          SearchTraces.build(List.of(yearsBetween()), tools, template, TOK, EOT, null, 0, true);
      assertEquals(1, traces.size());
      SftExample t = traces.getFirst();
      int prompt = TOK.encode(template.render(yearsBetween().question())).length;
      String response = TOK.decode(Arrays.copyOfRange(t.tokens(), prompt, t.length() - 1));
      assertEquals(
          "<think>In what year was Kesto founded?</think><search>In what year was Kesto"
              + " founded?</search><result>\nKesto was founded in 1871.\n</result><think> 1871</think>"
              + "<think>In what year was Oru founded?</think><search>In what year was Oru founded?"
              + "</search><result>\nOru was founded in 1936.\n</result><think> 1936</think>"
              + "<think>How many years are there from 1871 to 1936?</think><code>console.log(1936 -"
              + " 1871)</code><result>\n65\n</result><think> 65</think><answer>\\boxed{ 65}</answer>",
          response);
      assertEquals(EOT, t.tokens()[t.length() - 1]);
      // Untrained: the prompt and the three results with their tags.
      int untrained = 0;
      for (boolean b : t.trained()) untrained += b ? 0 : 1;
      int results = 0;
      for (String r :
          List.of("\nKesto was founded in 1871.\n", "\nOru was founded in 1936.\n", "\n65\n")) {
        results +=
            TOK.encode(r, true).length
                + TOK.encode("<result>").length
                + TOK.encode("</result>").length;
      }
      assertEquals(prompt + results, untrained);

      List<QaExample> simple = SearchTraces.computations(List.of(yearsBetween()));
      assertEquals(1, simple.size());
      assertEquals("How many years are there from 1871 to 1936?", simple.getFirst().question());
      assertEquals(List.of("65"), simple.getFirst().goldenAnswers());
      String alone =
          TOK.decode(
              SearchTraces.build(simple, tools, template, TOK, EOT, null, 0, true)
                  .getFirst()
                  .tokens());
      assertTrue(
          alone.endsWith(
              "<think>How many years are there from 1871 to 1936?</think><code>"
                  + "console.log(1936 - 1871)</code><result>\n65\n</result><think> 65</think><answer>"
                  + "\\boxed{ 65}</answer><|im_end|>"),
          alone);

      List<QaExample> given = SearchTraces.computations(List.of(yearsBetween()), true);
      assertEquals(1, given.size());
      assertEquals(
          "In what year was Kesto founded? 1871. In what year was Oru founded? 1936. "
              + yearsBetween().question(),
          given.getFirst().question());
      assertEquals(List.of("65"), given.getFirst().goldenAnswers());
      assertEquals("computation", given.getFirst().type());
      String read =
          TOK.decode(
              SearchTraces.build(given, tools, template, TOK, EOT, null, 0, true)
                  .getFirst()
                  .tokens());
      assertTrue(read.contains("In what year was Oru founded? 1936. "), read);
      assertTrue(
          read.endsWith(
              "<think>How many years are there from 1871 to 1936?</think><code>"
                  + "console.log(1936 - 1871)</code><result>\n65\n</result><think> 65</think><answer>"
                  + "\\boxed{ 65}</answer><|im_end|>"),
          read);
      assertFalse(read.contains("<search>"), "no search call in a simple case: " + read);
    }
  }

  @Test
  void aComputationWithoutTheCodeToolIsRefusedByName() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SearchTraces.build(
                    new ArrayList<>(List.of(yearsBetween())),
                    Tools.of(new Search()),
                    PromptTemplate.bare(),
                    TOK,
                    EOT,
                    null,
                    0,
                    false));
    assertEquals(
        "question q0: a hop needs the code tool, which is not registered ([search])",
        e.getMessage());
  }
}
