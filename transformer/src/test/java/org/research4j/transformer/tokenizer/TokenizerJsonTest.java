package org.research4j.transformer.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** tokenizer.json written and read by the one class that knows its layout. */
class TokenizerJsonTest {

  @Test
  void whatIsWrittenIsReadBack() {
    List<String> tokens = new ArrayList<>();
    for (int b = 0; b < 256; b++) tokens.add(String.valueOf(ByteLevel.charOf(b)));
    tokens.add("ab");
    tokens.add("abc");
    List<String[]> merges = List.of(new String[] {"a", "b"}, new String[] {"ab", "c"});
    ObjectNode tree =
        TokenizerJson.write(
            tokens,
            merges,
            List.of(AddedToken.special(258, "<|endoftext|>"), AddedToken.text(259, "<think>")));

    List<String> keys = new ArrayList<>();
    tree.fieldNames().forEachRemaining(keys::add);
    assertEquals(
        List.of(
            "version",
            "truncation",
            "padding",
            "added_tokens",
            "normalizer",
            "pre_tokenizer",
            "post_processor",
            "decoder",
            "model"),
        keys,
        "Hugging Face's layout");
    assertEquals("[[\"a\",\"b\"],[\"ab\",\"c\"]]", tree.path("model").path("merges").toString());
    assertEquals(257, tree.path("model").path("vocab").path("abc").asInt());

    Tokenizer tok = TokenizerJson.read(tree, "written");
    assertEquals(260, tok.vocabSize());
    assertArrayEquals(new int[] {257, 259, 256, 258}, tok.encode("abc<think>ab<|endoftext|>"));
    assertEquals("abc<think>ab<|endoftext|>", tok.decode(new int[] {257, 259, 256, 258}));
  }
}
