package org.research4j.grpo.cli;

import java.util.List;
import org.research4j.transformer.tokenizer.ChatTemplate;

/** {@code --chat-template}: the chat template a checkpoint's prompts are rendered in. */
enum ChatTemplateName {
  /** ChatML, Qwen2's and Qwen2.5's. */
  CHATML("chatml"),
  /** Qwen3's (ChatML with its thinking block). */
  QWEN3("qwen3");

  private final String id;

  ChatTemplateName(String id) {
    this.id = id;
  }

  ChatTemplate template() {
    return this == QWEN3 ? ChatTemplate.qwen3() : ChatTemplate.chatml(null);
  }

  @Override
  public String toString() {
    return id;
  }

  /** The converter and the completion candidates of {@code --chat-template}. */
  static final class Converter extends ChoiceConverter<ChatTemplateName> {
    Converter() {
      super(ChatTemplateName.class, ChatTemplateName::toString, c -> List.of());
    }
  }
}
