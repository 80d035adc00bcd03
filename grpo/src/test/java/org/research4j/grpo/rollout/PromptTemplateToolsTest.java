package org.research4j.grpo.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.research4j.grpo.tool.CodeTool;
import org.research4j.grpo.tool.SearchTool;
import org.research4j.grpo.tool.Tool;
import org.research4j.grpo.tool.Tools;
import org.research4j.transformer.tokenizer.ChatTemplate;

/**
 * The instructed prompt lists the registered tools: with search alone it is the paper's instruction
 * word for word; with more tools each adds its own sentence, in registration order. The listing
 * only names them.
 */
class PromptTemplateToolsTest {

  /** A tool with only tags (and, when given, the prompt's words for it). */
  private static class Tagged implements Tool {
    final String call;
    final String result;
    final String activity;
    final String instruction;

    Tagged(String call, String result) {
      this(call, result, null, null);
    }

    Tagged(String call, String result, String activity, String instruction) {
      this.call = call;
      this.result = result;
      this.activity = activity;
      this.instruction = instruction;
    }

    public String activity() {
      return activity == null ? Tool.super.activity() : activity;
    }

    public String instruction() {
      return instruction == null ? Tool.super.instruction() : instruction;
    }

    public String callOpen() {
      return "<" + call + ">";
    }

    public String callClose() {
      return "</" + call + ">";
    }

    public String resultOpen() {
      return "<" + result + ">";
    }

    public String resultClose() {
      return "</" + result + ">";
    }

    public List<String> call(List<String> inputs) {
      return inputs;
    }
  }

  /** The search and code tools' tags and words, without an index or an interpreter behind them. */
  private static final Tool SEARCH =
      new Tagged("search", "result", SearchTool.ACTIVITY, SearchTool.INSTRUCTION);

  private static final Tool CODE =
      new Tagged("code", "result", CodeTool.ACTIVITY, CodeTool.INSTRUCTION);

  @Test
  void searchAloneIsThePapersInstruction() {
    assertEquals(PromptTemplate.INSTRUCTION, PromptTemplate.instruction(Tools.of(SEARCH)));
    ChatTemplate chat = ChatTemplate.chatml(null);
    assertEquals(
        PromptTemplate.instructed(chat).render("Q?"),
        PromptTemplate.instructed(chat, Tools.of(SEARCH)).render("Q?"));
  }

  @Test
  void moreToolsAreListedInOrder() {
    Tool code = CODE;
    assertEquals(
        "You are a helpful assistant that answers questions by reasoning, searching and"
            + " running code. Think inside <think> </think>. To search, write a query inside <search>"
            + " </search>; the results will appear inside <result> </result>. Search as often as you"
            + " need. To compute, write a short JavaScript program inside <code> </code> and print what"
            + " you need with console.log; its output will appear inside <result> </result>. Give the"
            + " final answer inside <answer> </answer>, as \\boxed{answer}.",
        PromptTemplate.instruction(Tools.of(SEARCH, code)));
    assertEquals(
        "You are a helpful assistant that answers questions by reasoning, searching,"
            + " running code and calling upper. Think inside <think> </think>. To search, write a query"
            + " inside <search> </search>; the results will appear inside <result> </result>. Search as"
            + " often as you need. To compute, write a short JavaScript program inside <code> </code>"
            + " and print what you need with console.log; its output will appear inside <result>"
            + " </result>. To call upper, write its input inside <upper> </upper>; its output will"
            + " appear inside <output> </output>. Give the final answer inside <answer> </answer>, as"
            + " \\boxed{answer}.",
        PromptTemplate.instruction(Tools.of(SEARCH, code, new Tagged("upper", "output"))));
  }

  @Test
  void theListingNamesTheToolsInOrderAndNothingElse() {
    ChatTemplate chat = ChatTemplate.chatml(null);
    assertEquals(
        "<|im_start|>system\nTools: search, code.<|im_end|>\n<|im_start|>user\nQ?<|im_end|>\n"
            + "<|im_start|>assistant\n",
        PromptTemplate.listing(chat, Tools.of(SEARCH, CODE)).render("Q?"));
    assertEquals("Tools: search.", PromptTemplate.listing(chat, Tools.of(SEARCH)).system());
  }

  @Test
  void toolsAreFoundByNameAndTag() {
    Tool upper = new Tagged("upper", "output");
    Tools tools = Tools.of(SEARCH, upper);
    assertEquals(List.of("search", "upper"), tools.names());
    assertEquals(List.of("</search>", "</upper>"), tools.callCloses());
    assertEquals(upper, tools.byCallClose("</upper>"));
    assertEquals(upper, tools.byName("upper"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> tools.byName("code"));
    assertEquals("no tool named 'code'; registered: [search, upper]", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> Tools.of(SEARCH, new Tagged("search", "x")));
    assertEquals("tools: two tools named search", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Tagged("a b", "r").tags());
    assertEquals(
        "tool name: must be lower-case letters, digits or _ and start with a letter, got 'a b'",
        e.getMessage());
  }
}
