package org.research4j.grpo.rollout;

import java.util.ArrayList;
import java.util.List;
import org.research4j.grpo.tool.Tool;
import org.research4j.grpo.tool.Tools;
import org.research4j.transformer.tokenizer.ChatMessage;
import org.research4j.transformer.tokenizer.ChatTemplate;

/**
 * How a question becomes a prompt: the model's chat template with the question as the user turn and
 * the assistant turn left open. {@link #instructed} tells an instruction-tuned model the ReSearch
 * format in a system turn, as the paper's prompt does; {@link #bare} gives the question alone, for
 * a model that learned the format in training (the embedded demo's from-scratch model). {@link
 * #instructed(ChatTemplate, Tools)} lists the registered tools, each in its own words ({@link
 * Tool#activity}, {@link Tool#instruction}); with the search tool alone that is the paper's {@link
 * #INSTRUCTION}, word for word. {@link #listing} only names the tools, for a model trained on the
 * format that may be given more than one set of them (the demo's {@code --tools search,code}).
 */
public record PromptTemplate(ChatTemplate chat, String system) {

  /** The paper's recipe, in its spirit: the format is explained, the model fills it in. */
  public static final String INSTRUCTION =
      "You are a helpful assistant that answers questions by reasoning and searching. Think inside"
          + " <think> </think>. To search, write a query inside <search> </search>; the results"
          + " will appear inside <result> </result>. Search as often as you need. Give the final"
          + " answer inside <answer> </answer>, as \\boxed{answer}.";

  public static PromptTemplate instructed(ChatTemplate chat) {
    return new PromptTemplate(chat, INSTRUCTION);
  }

  /** The instructed prompt for a set of tools: {@link #instruction(Tools)} as the system turn. */
  public static PromptTemplate instructed(ChatTemplate chat, Tools tools) {
    return new PromptTemplate(chat, instruction(tools));
  }

  /**
   * The system turn that explains the format with these tools: what the assistant does (reasoning
   * and each tool's activity), the think tags, each tool's instruction in registration order, and
   * the answer tags.
   */
  public static String instruction(Tools tools) {
    List<String> activities = new ArrayList<>(List.of("reasoning"));
    StringBuilder how = new StringBuilder();
    for (Tool t : tools.list()) {
      activities.add(t.activity());
      how.append(' ').append(t.instruction());
    }
    String doing =
        String.join(", ", activities.subList(0, activities.size() - 1))
            + " and "
            + activities.getLast();
    return "You are a helpful assistant that answers questions by "
        + doing
        + "."
        + " Think inside <think> </think>."
        + how
        + " Give the final answer inside <answer> </answer>, as \\boxed{answer}.";
  }

  public static PromptTemplate bare() {
    return new PromptTemplate(ChatTemplate.chatml(null), null);
  }

  /**
   * The question after a system turn that only names the tools ({@code Tools: search, code.}), in
   * registration order: for a model that learned the format in training, as {@link #bare} is, but
   * may be given different tools and must be told which. A few tokens where {@link
   * #instructed(ChatTemplate, Tools)}'s explanation costs a small from-scratch vocabulary hundreds
   * (238 with the demo's 2,048-token BPE, for search and code: half its 512-token window).
   */
  public static PromptTemplate listing(ChatTemplate chat, Tools tools) {
    return new PromptTemplate(chat, "Tools: " + String.join(", ", tools.names()) + ".");
  }

  public String render(String question) {
    List<ChatMessage> turns = new ArrayList<>(2);
    if (system != null) turns.add(ChatMessage.system(system));
    turns.add(ChatMessage.user(question.strip()));
    return chat.render(turns, true);
  }
}
