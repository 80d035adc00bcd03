package org.research4j.transformer.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face's {@code tokenizer.json}, both ways, side by side so that what is written is what is
 * read: {@link #read} checks a file's components against what {@link Tokenizer} supports and builds
 * it ({@link Tokenizer#load}, {@link Tokenizer#fromJson}); {@link #write} lays out the tree of a
 * tokenizer {@link BpeTrainer} trained, which is then read back by {@link #read}.
 */
final class TokenizerJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TokenizerJson() {}

  /** Parses tokenizer.json text; {@code where} names its source in messages. */
  static Tokenizer read(String text, String where) {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new TokenizerException(
          where + ":" + e.getLocation().getLineNr() + ": not valid JSON: " + e.getOriginalMessage(),
          e);
    }
    return build(root, text.getBytes(StandardCharsets.UTF_8), where);
  }

  /** Builds a tokenizer from a parsed tokenizer.json tree. */
  static Tokenizer read(JsonNode root, String where) {
    try {
      return build(root, JSON.writeValueAsBytes(root), where);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Tokenizer build(JsonNode root, byte[] bytes, String where) {
    if (root == null || !root.isObject()) {
      throw new TokenizerException(where + ": tokenizer.json is not a JSON object");
    }
    JsonNode model = root.path("model");
    String type = model.path("type").asText(model.has("merges") ? "BPE" : "(none)");
    if (!type.equals("BPE")) {
      throw new TokenizerException(
          where
              + ": model type \""
              + type
              + "\" is not supported; supported: BPE "
              + "(byte-level, as GPT-2 and Qwen)");
    }
    if (model.path("dropout").isNumber() && model.path("dropout").asDouble() != 0.0) {
      throw new TokenizerException(
          where + ": BPE dropout " + model.get("dropout") + " is not supported; only null");
    }
    if (model.path("byte_fallback").asBoolean(false)) {
      throw new TokenizerException(
          where
              + ": BPE byte_fallback true (a SentencePiece-style BPE) is not supported; "
              + "only byte-level BPE");
    }
    for (String key : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
      if (!model.path(key).asText("").isEmpty()) {
        throw new TokenizerException(
            where
                + ": BPE "
                + key
                + " \""
                + model.get(key).asText()
                + "\" is not supported; only empty");
      }
    }
    boolean nfc = readNormalizer(root.get("normalizer"), where);
    PreTokenizer pre = PreTokenizer.fromJson(root.get("pre_tokenizer"), where);
    requireByteLevelOrNull(root.get("decoder"), "decoder", false, where);
    requireByteLevelOrNull(root.get("post_processor"), "post_processor", true, where);

    Map<String, Integer> vocab = new LinkedHashMap<>();
    JsonNode v = model.path("vocab");
    if (!v.isObject()) {
      throw new TokenizerException(where + ": model.vocab must be an object of token -> id");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
        throw new TokenizerException(
            where + ": vocab entry \"" + e.getKey() + "\" has a bad id " + e.getValue());
      }
      vocab.put(e.getKey(), e.getValue().asInt());
    }
    List<String[]> merges = new ArrayList<>();
    for (JsonNode m : model.path("merges")) {
      if (m.isArray() && m.size() == 2) {
        merges.add(new String[] {m.get(0).asText(), m.get(1).asText()});
      } else if (m.isTextual() && m.asText().indexOf(' ', 1) > 0) {
        String s = m.asText();
        int sp = s.indexOf(' ', 1);
        merges.add(new String[] {s.substring(0, sp), s.substring(sp + 1)});
      } else {
        throw new TokenizerException(
            where
                + ": merge "
                + merges.size()
                + " is "
                + m
                + "; expected [\"left\", \"right\"] or \"left right\"");
      }
    }
    Bpe bpe = new Bpe(vocab, merges, where);

    List<AddedToken> added = new ArrayList<>();
    for (JsonNode a : root.path("added_tokens")) {
      if (!a.has("id") || !a.has("content")) {
        throw new TokenizerException(where + ": added token " + a + " needs id and content");
      }
      added.add(
          new AddedToken(
              a.get("id").asInt(),
              a.get("content").asText(),
              a.path("single_word").asBoolean(false),
              a.path("lstrip").asBoolean(false),
              a.path("rstrip").asBoolean(false),
              a.path("normalized").asBoolean(false),
              a.path("special").asBoolean(false)));
    }
    return new Tokenizer(bytes, bpe, pre, nfc, added);
  }

  private static boolean readNormalizer(JsonNode n, String where) {
    if (n == null || n.isNull()) {
      return false;
    }
    String type = n.path("type").asText();
    if (type.equals("NFC")) {
      return true;
    }
    if (type.equals("Sequence") && n.path("normalizers").isEmpty()) {
      return false;
    }
    if (type.equals("Sequence") && n.path("normalizers").size() == 1) {
      return readNormalizer(n.path("normalizers").get(0), where);
    }
    throw new TokenizerException(
        where + ": normalizer " + n + " is not supported; supported: null or {\"type\": \"NFC\"}");
  }

  private static void requireByteLevelOrNull(
      JsonNode n, String what, boolean nullOk, String where) {
    if ((n == null || n.isNull()) && nullOk) {
      return;
    }
    String type = n == null || n.isNull() ? "null" : n.path("type").asText();
    if (!type.equals("ByteLevel")) {
      throw new TokenizerException(
          where
              + ": "
              + what
              + " \""
              + type
              + "\" is not supported; supported: ByteLevel"
              + (nullOk ? " or null" : ""));
    }
  }

  /**
   * The tokenizer.json tree of a byte-level BPE trained here: {@code tokens} in id order (the 256
   * byte characters first, then one per merge), the {@code merges} in the order they were learned,
   * the {@code added} tokens; NFC normalizer, the Qwen2 pre-tokenizer, ByteLevel decoder and
   * post-processor.
   */
  static ObjectNode write(List<String> tokens, List<String[]> merges, List<AddedToken> added) {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode at = root.putArray("added_tokens");
    for (AddedToken t : added) {
      at.addObject()
          .put("id", t.id())
          .put("content", t.content())
          .put("single_word", t.singleWord())
          .put("lstrip", t.lstrip())
          .put("rstrip", t.rstrip())
          .put("normalized", t.normalized())
          .put("special", t.special());
    }
    root.putObject("normalizer").put("type", "NFC");
    ObjectNode pre = root.putObject("pre_tokenizer");
    pre.put("type", "Sequence");
    ArrayNode steps = pre.putArray("pretokenizers");
    ObjectNode split = steps.addObject();
    split.put("type", "Split");
    split.putObject("pattern").put("Regex", PreTokenizer.QWEN2_PATTERN);
    split.put("behavior", "Isolated").put("invert", false);
    byteLevel(steps.addObject());
    byteLevel(root.putObject("post_processor"));
    byteLevel(root.putObject("decoder"));
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    model.putNull("dropout");
    model.putNull("unk_token");
    model.put("continuing_subword_prefix", "");
    model.put("end_of_word_suffix", "");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("ignore_merges", false);
    ObjectNode vocab = model.putObject("vocab");
    for (int i = 0; i < tokens.size(); i++) {
      vocab.put(tokens.get(i), i);
    }
    ArrayNode m = model.putArray("merges");
    for (String[] pair : merges) {
      m.addArray().add(pair[0]).add(pair[1]);
    }
    return root;
  }

  private static void byteLevel(ObjectNode n) {
    n.put("type", "ByteLevel")
        .put("add_prefix_space", false)
        .put("trim_offsets", false)
        .put("use_regex", false);
  }
}
