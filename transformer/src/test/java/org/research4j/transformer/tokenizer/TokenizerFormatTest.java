package org.research4j.transformer.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A hand-made tokenizer.json: BPE merge semantics, added-token flags, and refused components. */
class TokenizerFormatTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Byte alphabet (ids 0..255 = bytes) plus the given merges, Qwen2 pre-tokenizer. */
  static ObjectNode tokenizerJson(List<String[]> merges) {
    ObjectNode root = JSON.createObjectNode();
    root.putObject("normalizer").put("type", "NFC");
    ObjectNode pre = root.putObject("pre_tokenizer").put("type", "Sequence");
    ArrayNode steps = pre.putArray("pretokenizers");
    steps
        .addObject()
        .put("type", "Split")
        .put("behavior", "Isolated")
        .put("invert", false)
        .putObject("pattern")
        .put("Regex", PreTokenizer.QWEN2_PATTERN);
    steps
        .addObject()
        .put("type", "ByteLevel")
        .put("add_prefix_space", false)
        .put("use_regex", false);
    root.putObject("decoder").put("type", "ByteLevel");
    root.putObject("post_processor").put("type", "ByteLevel");
    ObjectNode model = root.putObject("model").put("type", "BPE");
    ObjectNode vocab = model.putObject("vocab");
    for (int b = 0; b < 256; b++) {
      vocab.put(String.valueOf(ByteLevel.charOf(b)), b);
    }
    ArrayNode m = model.putArray("merges");
    int id = 256;
    for (String[] pair : merges) {
      m.add(pair[0] + " " + pair[1]); // the older "left right" string form
      if (!vocab.has(pair[0] + pair[1])) {
        vocab.put(pair[0] + pair[1], id++);
      }
    }
    root.putArray("added_tokens");
    return root;
  }

  static Tokenizer of(ObjectNode json) {
    return Tokenizer.fromJson(json, "test tokenizer.json");
  }

  @Test
  void lowestRankMergesFirstWhereverItIs() {
    // "abc": with (a,b) ranked first -> ab, then (ab,c) -> abc.
    Tokenizer t1 =
        of(
            tokenizerJson(
                List.of(
                    new String[] {"a", "b"}, new String[] {"b", "c"}, new String[] {"ab", "c"})));
    assertArrayEquals(new int[] {258}, t1.encode("abc"));
    // With (b,c) ranked first -> a, bc; no merge joins a and bc.
    Tokenizer t2 =
        of(
            tokenizerJson(
                List.of(
                    new String[] {"b", "c"}, new String[] {"a", "b"}, new String[] {"ab", "c"})));
    assertArrayEquals(new int[] {'a', 256}, t2.encode("abc"));
  }

  @Test
  void equalRanksMergeLeftmostFirst() {
    Tokenizer t = of(tokenizerJson(List.<String[]>of(new String[] {"a", "a"})));
    assertArrayEquals(new int[] {256, 'a'}, t.encode("aaa"));
    assertArrayEquals(new int[] {256, 256, 'a'}, t.encode("aaaaa"));
  }

  @Test
  void addedTokenFlagsAreHonoured() {
    ObjectNode json = tokenizerJson(List.of());
    ArrayNode added = (ArrayNode) json.get("added_tokens");
    added.addObject().put("id", 300).put("content", "<L>").put("lstrip", true).put("special", true);
    added.addObject().put("id", 301).put("content", "<R>").put("rstrip", true);
    added.addObject().put("id", 302).put("content", "cat").put("single_word", true);
    added.addObject().put("id", 303).put("content", "é").put("normalized", true);
    added.addObject().put("id", 304).put("content", "<LONG>");
    added.addObject().put("id", 305).put("content", "<LONGER>");
    Tokenizer t = of(json);
    // lstrip swallows the white space before (U+00A0 included: Unicode White_Space), rstrip after.
    assertArrayEquals(new int[] {'x', 300}, t.encode("x \u00a0<L>"));
    assertArrayEquals(new int[] {301, 'y'}, t.encode("<R>\t\n y"));
    // single_word: only where no letter, digit or underscore touches it.
    assertArrayEquals(new int[] {302, ' ', 's'}, t.encode("cat s"));
    int[] inWord = t.encode("cats");
    assertTrue(
        java.util.Arrays.stream(inWord).noneMatch(i -> i == 302),
        java.util.Arrays.toString(inWord));
    // normalized: matched after NFC, so e + U+0301 is found too.
    assertArrayEquals(new int[] {303}, t.encode("e\u0301"));
    // Leftmost-longest among added tokens.
    assertArrayEquals(new int[] {305}, t.encode("<LONGER>"));
    assertArrayEquals(new int[] {304, 'E', 'R'}, t.encode("<LONG>ER"));
    assertEquals("x<L>", t.decode(t.encode("x \u00a0<L>")));
    assertEquals("x", t.decode(t.encode("x \u00a0<L>"), true));
  }

  @Test
  void unsupportedComponentsAreRefusedByName() {
    ObjectNode wordPiece = tokenizerJson(List.of());
    ((ObjectNode) wordPiece.get("model")).put("type", "WordPiece");
    TokenizerException e = assertThrows(TokenizerException.class, () -> of(wordPiece));
    assertEquals(
        "test tokenizer.json: model type \"WordPiece\" is not supported; supported: BPE (byte-level, as GPT-2 "
            + "and Qwen)",
        e.getMessage());

    ObjectNode unigram = tokenizerJson(List.of());
    ((ObjectNode) unigram.get("model")).put("type", "Unigram");
    e = assertThrows(TokenizerException.class, () -> of(unigram));
    assertTrue(e.getMessage().contains("\"Unigram\" is not supported"), e.getMessage());

    ObjectNode metaspace = tokenizerJson(List.of());
    metaspace.putObject("pre_tokenizer").put("type", "Metaspace");
    e = assertThrows(TokenizerException.class, () -> of(metaspace));
    assertTrue(
        e.getMessage().contains("pre_tokenizer \"Metaspace\" is not supported; supported:"),
        e.getMessage());

    ObjectNode fallback = tokenizerJson(List.of());
    ((ObjectNode) fallback.get("model")).put("byte_fallback", true);
    e = assertThrows(TokenizerException.class, () -> of(fallback));
    assertTrue(e.getMessage().contains("byte_fallback"), e.getMessage());

    ObjectNode nfkc = tokenizerJson(List.of());
    nfkc.putObject("normalizer").put("type", "NFKC");
    e = assertThrows(TokenizerException.class, () -> of(nfkc));
    assertTrue(
        e.getMessage().contains("normalizer") && e.getMessage().contains("NFKC"), e.getMessage());

    ObjectNode badMerge = tokenizerJson(List.of());
    ((ArrayNode) badMerge.get("model").get("merges")).add("q Z9");
    e = assertThrows(TokenizerException.class, () -> of(badMerge));
    assertTrue(
        e.getMessage().contains("merge 0") && e.getMessage().contains("not in the vocab"),
        e.getMessage());

    e =
        assertThrows(
            TokenizerException.class, () -> Tokenizer.fromJson("{\n\"model\": ", "broken.json"));
    assertTrue(e.getMessage().startsWith("broken.json:2: not valid JSON"), e.getMessage());
  }

  @Test
  void gpt2StyleByteLevelWithRegexAndPrefixSpace() {
    ObjectNode json = tokenizerJson(List.of());
    json.putObject("pre_tokenizer")
        .put("type", "ByteLevel")
        .put("add_prefix_space", true)
        .put("use_regex", true);
    Tokenizer t = of(json);
    assertEquals(
        List.of(" Hello", " world", "'s", " 123"), t.preTokenizer().pieces("Hello world's 123"));
  }

  @Test
  void byteCharactersFollowGpt2() {
    assertEquals('Ġ', ByteLevel.charOf(' '));
    assertEquals('Ċ', ByteLevel.charOf('\n'));
    assertEquals('Ā', ByteLevel.charOf(0));
    assertEquals('!', ByteLevel.charOf('!'));
    assertEquals(
        'ł', ByteLevel.charOf(0xA0)); // NBSP's byte: 0x7F..0xA0 are the 34th..67th remapped bytes
    assertEquals('Ń', ByteLevel.charOf(0xAD));
    assertEquals(256, ByteLevel.alphabet().chars().distinct().count());
    for (int b = 0; b < 256; b++) {
      assertEquals(b, ByteLevel.byteOf(ByteLevel.charOf(b)));
    }
  }
}
