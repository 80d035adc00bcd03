package org.research4j.transformer.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ChatML renderings written out by hand from the Qwen2.5 and Qwen3 templates' rules (the Qwen3
 * template is also checked against a Jinja rendering in {@link Qwen3TokenizerTest}).
 */
class ChatTemplateTest {
  static final String QWEN25_SYSTEM =
      "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

  @Test
  void chatmlAddsTheDefaultSystemTurnOnlyWhenThereIsNone() {
    ChatTemplate t = ChatTemplate.chatml(QWEN25_SYSTEM);
    assertEquals(
        "<|im_start|>system\n"
            + QWEN25_SYSTEM
            + "<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
            + "<|im_start|>assistant\n",
        t.render(List.of(ChatMessage.user("hi")), true));
    assertEquals(
        "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>\n",
        t.render(
            List.of(ChatMessage.system("S"), ChatMessage.user("hi"), ChatMessage.assistant("yo")),
            false));
  }

  @Test
  void chatmlWithoutDefaultKeepsAssistantContentAsIs() {
    ChatTemplate t = ChatTemplate.chatml(null);
    assertEquals(
        "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>a</think>b<|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\nr1\n</tool_response>\n<tool_response>\nr2\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n",
        t.render(
            List.of(
                ChatMessage.user("q"),
                ChatMessage.assistant("<think>a</think>b"),
                ChatMessage.tool("r1"),
                ChatMessage.tool("r2")),
            true));
  }

  @Test
  void qwen3DropsReasoningBeforeTheLastQueryAndUsesReasoningContent() {
    List<ChatMessage> chat =
        List.of(
            ChatMessage.user("q1"),
            ChatMessage.assistant("<think>\nold\n</think>\n\na1"),
            ChatMessage.user("q2"),
            new ChatMessage("assistant", "\n\na2", "\nnew reasoning\n"));
    assertEquals(
        "<|im_start|>user\nq1<|im_end|>\n<|im_start|>assistant\na1<|im_end|>\n"
            + "<|im_start|>user\nq2<|im_end|>\n<|im_start|>assistant\n<think>\nnew reasoning\n</think>\n\na2<|im_end|>\n",
        ChatTemplate.qwen3().render(chat, false));
  }

  @Test
  void qwen3IgnoresUnknownRolesAndSkipsGenerationThinkingWhenAsked() {
    List<ChatMessage> chat = List.of(new ChatMessage("narrator", "x"), ChatMessage.user("q"));
    assertEquals(
        "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
        ChatTemplate.qwen3().render(chat, true, false));
  }
}
