package org.research4j.transformer.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Cuts normalized text into words and turns each into byte characters ({@link ByteLevel}), as
 * Hugging Face's pre-tokenizers {@code Split} (behaviour Isolated) and {@code ByteLevel} do; BPE
 * then runs inside each word.
 *
 * <p>Regexes: Hugging Face compiles the pattern with Oniguruma, where {@code \s}, {@code \p{L}},
 * {@code \p{N}} and case-insensitive groups are Unicode-aware. Java's {@code \s} is ASCII-only
 * unless {@link Pattern#UNICODE_CHARACTER_CLASS} is set; with it, {@code \s} is the Unicode
 * White_Space property (U+00A0, U+3000, U+2028, ... included) exactly as in Oniguruma, and {@code
 * (?i:...)} folds case Unicode-wise (so {@code 's} also matches {@code 'ſ}). Both engines pick the
 * leftmost alternative that matches (backtracking), so find-all gives the same pieces.
 */
public final class PreTokenizer {
  /** Qwen2/Qwen2.5/Qwen3's split pattern. */
  public static final String QWEN2_PATTERN =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
          + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

  /** GPT-2's pattern, used by a ByteLevel pre-tokenizer with {@code use_regex: true}. */
  public static final String GPT2_PATTERN =
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

  private static final String SUPPORTED =
      "supported: {\"type\": \"ByteLevel\"} alone, or {\"type\": \"Sequence\"} of "
          + "{\"type\": \"Split\", \"behavior\": \"Isolated\", \"invert\": false} steps ending in a ByteLevel";

  private final List<Pattern> splits;
  private final boolean addPrefixSpace;

  private PreTokenizer(List<Pattern> splits, boolean addPrefixSpace) {
    this.splits = List.copyOf(splits);
    this.addPrefixSpace = addPrefixSpace;
  }

  /** Qwen2's pre-tokenizer: its Split regex, then ByteLevel without prefix space or regex. */
  public static PreTokenizer qwen2() {
    return new PreTokenizer(List.of(compile(QWEN2_PATTERN, "Qwen2 pattern")), false);
  }

  /** Reads the {@code pre_tokenizer} object of a tokenizer.json. */
  static PreTokenizer fromJson(JsonNode node, String where) {
    if (node == null || node.isNull()) {
      throw new TokenizerException(where + ": pre_tokenizer null is not supported; " + SUPPORTED);
    }
    List<JsonNode> steps = new ArrayList<>();
    if ("Sequence".equals(node.path("type").asText())) {
      node.path("pretokenizers").forEach(steps::add);
    } else {
      steps.add(node);
    }
    List<Pattern> splits = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      JsonNode s = steps.get(i);
      String type = s.path("type").asText("(none)");
      boolean last = i == steps.size() - 1;
      switch (type) {
        case "Split" -> {
          if (last) {
            throw new TokenizerException(
                where + ": pre_tokenizer Split must be followed by ByteLevel; " + SUPPORTED);
          }
          String behavior = s.path("behavior").asText();
          if (!behavior.equals("Isolated") || s.path("invert").asBoolean(false)) {
            throw new TokenizerException(
                where
                    + ": pre_tokenizer Split with behavior \""
                    + behavior
                    + "\" and invert "
                    + s.path("invert").asBoolean(false)
                    + " is not supported; "
                    + SUPPORTED);
          }
          JsonNode p = s.path("pattern");
          if (p.has("Regex")) {
            splits.add(compile(p.get("Regex").asText(), where));
          } else if (p.has("String")) {
            splits.add(Pattern.compile(Pattern.quote(p.get("String").asText())));
          } else {
            throw new TokenizerException(
                where
                    + ": pre_tokenizer Split needs a pattern {\"Regex\": ...} or {\"String\": ...}");
          }
        }
        case "ByteLevel" -> {
          if (!last) {
            throw new TokenizerException(
                where + ": pre_tokenizer ByteLevel must be the last step; " + SUPPORTED);
          }
          if (s.path("use_regex").asBoolean(true)) {
            splits.add(compile(GPT2_PATTERN, "GPT-2 pattern"));
          }
          return new PreTokenizer(splits, s.path("add_prefix_space").asBoolean(false));
        }
        default ->
            throw new TokenizerException(
                where + ": pre_tokenizer \"" + type + "\" is not supported; " + SUPPORTED);
      }
    }
    throw new TokenizerException(where + ": pre_tokenizer has no ByteLevel step; " + SUPPORTED);
  }

  private static Pattern compile(String regex, String where) {
    try {
      return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    } catch (PatternSyntaxException e) {
      throw new TokenizerException(
          where + ": pre_tokenizer regex cannot be compiled in Java: " + e.getMessage(), e);
    }
  }

  /** Sends each word of {@code text}, in byte characters, to {@code words}. */
  public void split(String text, Consumer<String> words) {
    if (text.isEmpty()) {
      return;
    }
    String t = addPrefixSpace && text.charAt(0) != ' ' ? " " + text : text;
    splitRaw(0, t, piece -> words.accept(ByteLevel.encode(piece)));
  }

  /** The pieces of {@code text} before byte-level mapping, for tests and inspection. */
  public List<String> pieces(String text) {
    List<String> out = new ArrayList<>();
    if (!text.isEmpty()) {
      String t = addPrefixSpace && text.charAt(0) != ' ' ? " " + text : text;
      splitRaw(0, t, out::add);
    }
    return out;
  }

  private void splitRaw(int step, String text, Consumer<String> out) {
    if (step == splits.size()) {
      out.accept(text);
      return;
    }
    Matcher m = splits.get(step).matcher(text);
    int prev = 0;
    while (m.find()) {
      if (m.start() > prev) {
        splitRaw(step + 1, text.substring(prev, m.start()), out);
      }
      if (m.end() > m.start()) {
        splitRaw(step + 1, text.substring(m.start(), m.end()), out);
      }
      prev = m.end();
    }
    if (prev < text.length()) {
      splitRaw(step + 1, text.substring(prev), out);
    }
  }
}
