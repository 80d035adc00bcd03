package org.research4j.grpo.rollout;

import java.util.ArrayList;
import java.util.List;
import org.research4j.transformer.tokenizer.ChatMessage;
import org.research4j.transformer.tokenizer.ChatTemplate;

/**
 * How a question becomes a prompt: the model's chat template with the question as the user turn
 * and the assistant turn left open. {@link #instructed} tells an instruction-tuned model the
 * ReSearch format in a system turn, as the paper's prompt does; {@link #bare} gives the question
 * alone, for a model that learned the format in training (the embedded demo's from-scratch model).
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

  public static PromptTemplate bare() {
    return new PromptTemplate(ChatTemplate.chatml(null), null);
  }

  public String render(String question) {
    List<ChatMessage> turns = new ArrayList<>(2);
    if (system != null) turns.add(ChatMessage.system(system));
    turns.add(ChatMessage.user(question.strip()));
    return chat.render(turns, true);
  }
}
