package org.research4j.grpo.eval.baselines;

import java.util.List;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.tool.SearchTool;
import org.research4j.search.index.Hit;
import org.research4j.transformer.tokenizer.ChatMessage;
import org.research4j.transformer.tokenizer.ChatTemplate;

/**
 * How a baseline talks to the model. {@link Kind#TAGS}: the bare question as the prompt (as {@link
 * PromptTemplate#bare}), the method's passages and answer cue prefilled in the ReSearch tags, for a
 * model that learned only that format. {@link Kind#INSTRUCTED}: a system turn explains the task and
 * holds the passages, the question is the user turn, for an instruction-tuned model.
 */
public record PromptStyle(Kind kind, ChatTemplate chat) {

  public enum Kind {
    TAGS,
    INSTRUCTED
  }

  static final String SEARCH_OPEN = "<search>";
  static final String SEARCH_CLOSE = "</search>";
  static final String RESULT_OPEN = "<result>";
  static final String RESULT_CLOSE = "</result>";
  static final String THINK_CLOSE = "</think>";
  static final String ANSWER_OPEN = "<answer>";

  /** Naive Generation: FlashRAG's "only give me the answer", with the box the scorer reads. */
  public static final String ANSWER =
      "Answer the question. Give only the answer, as \\boxed{answer}, with no explanation.";

  /** Naive RAG and each Iter-RetGen round. */
  public static final String ANSWER_FROM_DOCUMENTS =
      "Answer the question using the documents"
          + " below. Give only the answer, as \\boxed{answer}, with no explanation.\n\nDocuments:";

  /** IRCoT: reasoning one sentence at a time, its last sentence carrying the answer. */
  public static final String REASON_FROM_DOCUMENTS =
      "Answer the question using the documents"
          + " below. Reason step by step, one sentence at a time. When you know the answer, write"
          + " \"So the answer is \\boxed{answer}.\"\n\nDocuments:";

  public PromptStyle {
    if (kind == null || chat == null)
      throw new IllegalArgumentException("prompt style: kind and chat template needed");
  }

  /** The ReSearch tag format, bare ChatML prompt: the embedded demo model's. */
  public static PromptStyle tags() {
    return new PromptStyle(Kind.TAGS, ChatTemplate.chatml(null));
  }

  public static PromptStyle instructed(ChatTemplate chat) {
    return new PromptStyle(Kind.INSTRUCTED, chat);
  }

  public boolean isTags() {
    return kind == Kind.TAGS;
  }

  /**
   * The prompt text: tags, the question alone; instructed, {@code instruction} (followed by the
   * passages when there are any) as the system turn and the question as the user turn.
   */
  String prompt(String question, String instruction, List<Hit> passages) {
    if (isTags()) return new PromptTemplate(chat, null).render(question);
    String system = passages == null ? instruction : instruction + SearchTool.format(passages);
    return chat.render(
        List.of(ChatMessage.system(system.strip()), ChatMessage.user(question.strip())), true);
  }
}
