package org.research4j.transformer.tokenizer;

import java.util.List;

/**
 * The Qwen chat formats (ChatML), rendered natively rather than by a Jinja engine:
 *
 * <pre>
 * &lt;|im_start|&gt;system
 * You are a helpful assistant.&lt;|im_end|&gt;
 * &lt;|im_start|&gt;user
 * Hello&lt;|im_end|&gt;
 * &lt;|im_start|&gt;assistant
 * </pre>
 *
 * <p>{@link #qwen3()} reproduces the chat_template of Qwen3's tokenizer_config.json for messages
 * without tools: the system turn first; user turns; assistant turns whose {@code <think>} block is
 * dropped for turns before the last real user query and normalised to {@code
 * <think>\n...\n</think>\n\n} after it; consecutive tool turns merged into one user turn of {@code
 * <tool_response>} blocks; the generation prompt, with an empty think block when thinking is
 * disabled. {@link #chatml(String)} is the Qwen2/Qwen2.5 form: every turn as is, plus a default
 * system turn when the conversation has none (Qwen2.5-Instruct's is "You are Qwen, created by
 * Alibaba Cloud. You are a helpful assistant."; null for none, as for a model trained here).
 *
 * <p>Not covered: tool definitions ({@code tools}) and assistant {@code tool_calls}, which need
 * JSON rendering of function schemas; callers that need them must render those turns themselves.
 */
public final class ChatTemplate {
  public static final String IM_START = "<|im_start|>";
  public static final String IM_END = "<|im_end|>";

  private final boolean qwen3;
  private final String defaultSystem;

  private ChatTemplate(boolean qwen3, String defaultSystem) {
    this.qwen3 = qwen3;
    this.defaultSystem = defaultSystem;
  }

  /** Qwen3's template (without tools). */
  public static ChatTemplate qwen3() {
    return new ChatTemplate(true, null);
  }

  /** Qwen2/Qwen2.5's ChatML with an optional default system prompt (null: none). */
  public static ChatTemplate chatml(String defaultSystemPrompt) {
    return new ChatTemplate(false, defaultSystemPrompt);
  }

  /** The prompt text, thinking enabled. */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
    return render(messages, addGenerationPrompt, true);
  }

  /**
   * The prompt text. {@code enableThinking} false makes Qwen3's generation prompt end in an empty
   * think block, which tells the model to answer directly; ChatML ignores it.
   */
  public String render(
      List<ChatMessage> messages, boolean addGenerationPrompt, boolean enableThinking) {
    if (messages.isEmpty()) {
      throw new IllegalArgumentException("a chat needs at least one message");
    }
    StringBuilder sb = new StringBuilder();
    if (qwen3) {
      renderQwen3(messages, sb);
    } else {
      renderChatml(messages, sb);
    }
    if (addGenerationPrompt) {
      sb.append(IM_START).append("assistant\n");
      if (qwen3 && !enableThinking) {
        sb.append("<think>\n\n</think>\n\n");
      }
    }
    return sb.toString();
  }

  private void renderChatml(List<ChatMessage> messages, StringBuilder sb) {
    if (!messages.getFirst().role().equals("system") && defaultSystem != null) {
      turn(sb, "system", defaultSystem);
    }
    for (int i = 0; i < messages.size(); i++) {
      ChatMessage m = messages.get(i);
      if (m.role().equals("tool")) {
        toolTurn(messages, i, sb);
      } else {
        turn(sb, m.role(), m.content());
      }
    }
  }

  private static void renderQwen3(List<ChatMessage> messages, StringBuilder sb) {
    if (messages.getFirst().role().equals("system")) {
      turn(sb, "system", messages.getFirst().content());
    }
    int lastQuery = messages.size() - 1;
    for (int i = messages.size() - 1; i >= 0; i--) {
      ChatMessage m = messages.get(i);
      if (m.role().equals("user")
          && !(m.content().startsWith("<tool_response>")
              && m.content().endsWith("</tool_response>"))) {
        lastQuery = i;
        break;
      }
    }
    for (int i = 0; i < messages.size(); i++) {
      ChatMessage m = messages.get(i);
      switch (m.role()) {
        case "user" -> turn(sb, "user", m.content());
        case "system" -> {
          if (i > 0) {
            turn(sb, "system", m.content());
          }
        }
        case "assistant" -> assistantTurn(m, i > lastQuery, i == messages.size() - 1, sb);
        case "tool" -> toolTurn(messages, i, sb);
        default -> {} // the Qwen3 template renders no other roles
      }
    }
  }

  private static void assistantTurn(
      ChatMessage m, boolean afterLastQuery, boolean last, StringBuilder sb) {
    String content = m.content();
    String reasoning = "";
    if (m.reasoningContent() != null) {
      reasoning = m.reasoningContent();
    } else {
      int close = content.indexOf("</think>");
      if (close >= 0) {
        String first = stripTrailing(content.substring(0, close));
        int open = first.lastIndexOf("<think>");
        reasoning = stripLeading(open < 0 ? first : first.substring(open + "<think>".length()));
        content =
            stripLeading(content.substring(content.lastIndexOf("</think>") + "</think>".length()));
      }
    }
    sb.append(IM_START).append("assistant\n");
    if (afterLastQuery && (last || !reasoning.isEmpty())) {
      sb.append("<think>\n")
          .append(stripLeading(stripTrailing(reasoning)))
          .append("\n</think>\n\n")
          .append(stripLeading(content));
    } else {
      sb.append(content);
    }
    sb.append(IM_END).append('\n');
  }

  /**
   * Tool results become one user turn holding a tool_response block per consecutive tool message.
   */
  private static void toolTurn(List<ChatMessage> messages, int i, StringBuilder sb) {
    if (i == 0 || !messages.get(i - 1).role().equals("tool")) {
      sb.append(IM_START).append("user");
    }
    sb.append("\n<tool_response>\n").append(messages.get(i).content()).append("\n</tool_response>");
    if (i == messages.size() - 1 || !messages.get(i + 1).role().equals("tool")) {
      sb.append(IM_END).append('\n');
    }
  }

  private static void turn(StringBuilder sb, String role, String content) {
    sb.append(IM_START).append(role).append('\n').append(content).append(IM_END).append('\n');
  }

  /** Python's {@code s.lstrip('\n')}. */
  private static String stripLeading(String s) {
    int i = 0;
    while (i < s.length() && s.charAt(i) == '\n') {
      i++;
    }
    return s.substring(i);
  }

  /** Python's {@code s.rstrip('\n')}. */
  private static String stripTrailing(String s) {
    int j = s.length();
    while (j > 0 && s.charAt(j - 1) == '\n') {
      j--;
    }
    return s.substring(0, j);
  }
}
