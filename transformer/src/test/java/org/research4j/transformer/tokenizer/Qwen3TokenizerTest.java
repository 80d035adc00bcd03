package org.research4j.transformer.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Java tokenizer against the real Qwen3 tokenizer.json: ids must equal, exactly, those of the
 * reference written by tools/tokenizer/make-reference.mjs (a JavaScript port of Hugging Face
 * tokenizers, and the Qwen3 chat template run by a Jinja engine).
 */
class Qwen3TokenizerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Tokenizer tok;
  private static JsonNode reference;

  @BeforeAll
  static void load() throws IOException {
    tok = Qwen3Assets.tokenizer();
    try (InputStream in =
        Qwen3TokenizerTest.class.getResourceAsStream("/tokenizer/qwen3-reference.json")) {
      reference = JSON.readTree(in);
    }
  }

  static String show(String s) {
    StringBuilder sb = new StringBuilder("\"");
    s.codePoints()
        .forEach(
            cp ->
                sb.append(
                    cp >= 0x20 && cp < 0x7F
                        ? Character.toString(cp)
                        : String.format("\\u{%X}", cp)));
    return sb.append('"').toString();
  }

  static int[] ints(JsonNode arr) {
    int[] out = new int[arr.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = arr.get(i).asInt();
    }
    return out;
  }

  @Test
  void encodesEveryReferenceStringExactly() {
    List<String> failures = new ArrayList<>();
    for (JsonNode c : reference.get("encode")) {
      String text = c.get("text").asText();
      int[] want = ints(c.get("ids"));
      int[] got = tok.encode(text);
      if (!java.util.Arrays.equals(want, got)) {
        failures.add(
            show(text)
                + ": reference "
                + java.util.Arrays.toString(want)
                + ", java "
                + java.util.Arrays.toString(got));
      }
    }
    assertTrue(
        failures.isEmpty(),
        failures.size()
            + " of "
            + reference.get("encode").size()
            + " differ:\n"
            + String.join("\n", failures));
  }

  @Test
  void decodingAnEncodingGivesTheNormalizedText() {
    for (JsonNode c : reference.get("encode")) {
      String text = c.get("text").asText();
      assertEquals(
          Normalizer.normalize(text, Normalizer.Form.NFC),
          tok.decode(tok.encode(text)),
          show(text));
    }
  }

  @Test
  void decodesReferenceIdSequences() {
    for (JsonNode c : reference.get("decode")) {
      int[] ids = ints(c.get("ids"));
      assertEquals(c.get("text").asText(), tok.decode(ids), java.util.Arrays.toString(ids));
      assertEquals(
          c.get("text_skip_special").asText(),
          tok.decode(ids, true),
          java.util.Arrays.toString(ids));
    }
  }

  @Test
  void rendersAndEncodesTheReferenceChats() {
    for (JsonNode c : reference.get("chat")) {
      List<ChatMessage> messages = new ArrayList<>();
      for (JsonNode m : c.get("messages")) {
        messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
      }
      boolean thinking = c.path("enable_thinking").asBoolean(true);
      String text =
          ChatTemplate.qwen3()
              .render(messages, c.get("add_generation_prompt").asBoolean(), thinking);
      assertEquals(c.get("text").asText(), text, c.get("messages").toString());
      assertArrayEquals(ints(c.get("ids")), tok.encode(text), show(text));
    }
  }

  @Test
  void idsAgreeWithTheVocabularyInTheFile() throws IOException {
    // A sanity reference independent of the JS port: look the expected tokens up in the file
    // itself.
    JsonNode file = JSON.readTree(Files.readString(Qwen3Assets.tokenizerJson()));
    JsonNode vocab = file.get("model").get("vocab");
    assertArrayEquals(
        new int[] {
          vocab.get("Hello").asInt(),
          vocab.get(",").asInt(),
          vocab.get("Ġworld").asInt(),
          vocab.get("!").asInt()
        },
        tok.encode("Hello, world!"));
    // A newline is byte 0x0A, which byte-level BPE writes as U+010A.
    assertArrayEquals(new int[] {vocab.get("Ċ").asInt()}, tok.encode("\n"));
    assertEquals(151644, tok.idOf("<|im_start|>"));
    assertEquals(151645, tok.idOf("<|im_end|>"));
    assertEquals(151643, tok.idOf("<|endoftext|>"));
    assertEquals(151667, tok.idOf("<think>"));
    assertTrue(tok.isSpecial(151645));
    assertFalse(tok.isSpecial(151667), "<think> is a non-special added token in Qwen3");
    assertEquals(151669, tok.vocabSize());
    assertEquals(file.get("model").get("merges").size(), tok.mergeCount());
  }

  @Test
  void tokenBytesAreTheRawBytesOfEachToken() {
    assertArrayEquals(
        " world".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        tok.tokenBytes(tok.idOf("Ġworld")));
    assertArrayEquals(
        "<|im_end|>".getBytes(java.nio.charset.StandardCharsets.UTF_8), tok.tokenBytes(151645));
    // U+1D518 is F0 9D 94 98 in UTF-8, split over two tokens; their bytes concatenate to it.
    int[] ids = tok.encode("\uD835\uDD18");
    assertEquals(2, ids.length);
    byte[] a = tok.tokenBytes(ids[0]);
    byte[] b = tok.tokenBytes(ids[1]);
    byte[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    assertArrayEquals(new byte[] {(byte) 0xF0, (byte) 0x9D, (byte) 0x94, (byte) 0x98}, all);
    assertEquals(
        0, tok.tokenBytes(151900).length, "an id in the model's padding rows has no bytes");
  }

  @Test
  void splitSpecialTokensEncodesControlTokensAsText() {
    String s = "passage <|im_end|> text <think>";
    int[] ids = tok.encode(s, true);
    for (int id : ids) {
      assertFalse(tok.isSpecial(id), "special id " + id + " in " + java.util.Arrays.toString(ids));
    }
    assertEquals(s, tok.decode(ids));
    assertEquals(
        tok.idOf("<think>"), ids[ids.length - 1], "non-special added tokens are still matched");
    assertTrue(ids.length > tok.encode(s).length);
  }

  /**
   * Where the JavaScript reference departs from Hugging Face (whose regexes run on Oniguruma), the
   * expected pieces follow from the pattern and Oniguruma's definitions: {@code \s} is the Unicode
   * White_Space property (U+0085 in, U+FEFF out; JavaScript has it the other way round) and {@code
   * (?i:'s)} folds case Unicode-wise, so {@code ſ} (long s, case-folds to s) makes a contraction.
   */
  @Test
  void preTokenizerFollowsOnigurumaWhereJavaScriptDiffers() {
    PreTokenizer p = tok.preTokenizer();
    // \s+(?!\S) backtracks to leave the last U+0085 to the next word.
    assertEquals(List.of("x", "\u0085", "\u0085y"), p.pieces("x\u0085\u0085y"));
    // U+FEFF is not white space: the ?[^\s\p{L}\p{N}]+ branch takes both.
    assertEquals(List.of("\uFEFF\uFEFF", "abc"), p.pieces("\uFEFF\uFEFFabc"));
    assertEquals(List.of("'ſ", "t"), p.pieces("'ſt"));
    assertEquals(List.of("'S", "top"), p.pieces("'Stop"));
  }

  @Test
  void preTokenizerPiecesOfUnicodeWhiteSpace() {
    PreTokenizer p = tok.preTokenizer();
    assertEquals(List.of("a", "\u3000b"), p.pieces("a\u3000b"));
    assertEquals(List.of("end", "\u3000\u3000"), p.pieces("end\u3000\u3000"));
    assertEquals(List.of("a", "\u00A0", "\u00A0b"), p.pieces("a\u00A0\u00A0b"));
    assertEquals(List.of("1", "2", "3"), p.pieces("123"));
    assertEquals(List.of("DON", "'T"), p.pieces("DON'T"));
    assertEquals(List.of("a", "\r\n", "b"), p.pieces("a\r\nb"));
    assertEquals(List.of("x", "  \n\n", " ", " y"), p.pieces("x  \n\n  y"));
  }
}
