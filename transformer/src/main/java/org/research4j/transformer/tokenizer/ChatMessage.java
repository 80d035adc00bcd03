package org.research4j.transformer.tokenizer;

/**
 * One turn of a conversation.
 *
 * @param role "system", "user", "assistant" or "tool"
 * @param content the text of the turn
 * @param reasoningContent an assistant's reasoning kept apart from its content, or null (the Qwen3
 *     template then takes it from a {@code <think>...</think>} block in the content)
 */
public record ChatMessage(String role, String content, String reasoningContent) {
  public ChatMessage {
    if (role == null || content == null) {
      throw new IllegalArgumentException("a chat message needs a role and content");
    }
  }

  public ChatMessage(String role, String content) {
    this(role, content, null);
  }

  public static ChatMessage system(String content) {
    return new ChatMessage("system", content);
  }

  public static ChatMessage user(String content) {
    return new ChatMessage("user", content);
  }

  public static ChatMessage assistant(String content) {
    return new ChatMessage("assistant", content);
  }

  public static ChatMessage tool(String content) {
    return new ChatMessage("tool", content);
  }
}
