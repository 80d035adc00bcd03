package org.research4j.transformer.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text, as Hugging Face's {@code AddedVocabulary}: leftmost-longest,
 * non-overlapping matches, honouring {@code single_word}, {@code lstrip} and {@code rstrip}. One
 * instance holds the tokens of one pass: those with {@code normalized: false} are matched in the
 * raw text, those with {@code normalized: true} in each normalized remainder.
 */
final class AddedVocabulary {
  /** A piece of text: either an added token ({@code token != null}) or text between them. */
  record Piece(String text, AddedToken token) {}

  private final Map<Character, AddedToken[]> byFirstChar = new HashMap<>();

  AddedVocabulary(List<AddedToken> tokens) {
    Map<Character, List<AddedToken>> m = new HashMap<>();
    for (AddedToken t : tokens) {
      m.computeIfAbsent(t.content().charAt(0), k -> new ArrayList<>()).add(t);
    }
    // Longest first, so the first hit at a position is the leftmost-longest match.
    m.forEach(
        (c, l) -> {
          AddedToken[] a = l.toArray(AddedToken[]::new);
          Arrays.sort(
              a, Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed());
          byFirstChar.put(c, a);
        });
  }

  boolean isEmpty() {
    return byFirstChar.isEmpty();
  }

  /**
   * Splits {@code text} into added tokens and the text between them; {@code skipSpecial} leaves
   * special tokens unmatched (Hugging Face's {@code split_special_tokens}).
   */
  List<Piece> split(String text, boolean skipSpecial) {
    List<Piece> out = new ArrayList<>();
    int emitted = 0;
    int i = 0;
    while (i < text.length()) {
      AddedToken t = matchAt(text, i, skipSpecial);
      if (t == null) {
        i++;
        continue;
      }
      int start = i;
      int stop = i + t.content().length();
      i = stop;
      if (t.singleWord() && (endsWithWordChar(text, start) || startsWithWordChar(text, stop))) {
        continue;
      }
      if (t.lstrip()) {
        int s = start;
        while (s > 0 && isWhiteSpace(text.codePointBefore(s))) {
          s -= Character.charCount(text.codePointBefore(s));
        }
        start = Math.max(s, emitted);
      }
      if (t.rstrip()) {
        while (stop < text.length() && isWhiteSpace(text.codePointAt(stop))) {
          stop += Character.charCount(text.codePointAt(stop));
        }
      }
      if (emitted < start) {
        out.add(new Piece(text.substring(emitted, start), null));
      }
      out.add(new Piece(text.substring(start, stop), t));
      emitted = stop;
      i = Math.max(i, stop);
    }
    if (emitted < text.length()) {
      out.add(new Piece(text.substring(emitted), null));
    }
    return out;
  }

  private AddedToken matchAt(String text, int i, boolean skipSpecial) {
    AddedToken[] candidates = byFirstChar.get(text.charAt(i));
    if (candidates != null) {
      for (AddedToken t : candidates) {
        if (!(skipSpecial && t.special()) && text.startsWith(t.content(), i)) {
          return t;
        }
      }
    }
    return null;
  }

  private static boolean endsWithWordChar(String s, int end) {
    return end > 0 && isWordChar(s.codePointBefore(end));
  }

  private static boolean startsWithWordChar(String s, int start) {
    return start < s.length() && isWordChar(s.codePointAt(start));
  }

  /** Rust's {@code char::is_alphanumeric} (Alphabetic or Numeric) or underscore. */
  private static boolean isWordChar(int cp) {
    if (cp == '_' || Character.isAlphabetic(cp)) {
      return true;
    }
    int type = Character.getType(cp);
    return type == Character.DECIMAL_DIGIT_NUMBER
        || type == Character.LETTER_NUMBER
        || type == Character.OTHER_NUMBER;
  }

  /**
   * The Unicode White_Space property, which Rust's {@code char::is_whitespace} tests. Java's {@link
   * Character#isWhitespace} differs: it leaves out no-break spaces (U+00A0, U+2007, U+202F) and
   * U+0085.
   */
  static boolean isWhiteSpace(int cp) {
    return (cp >= 0x09 && cp <= 0x0D)
        || cp == 0x20
        || cp == 0x85
        || cp == 0xA0
        || cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200A)
        || cp == 0x2028
        || cp == 0x2029
        || cp == 0x202F
        || cp == 0x205F
        || cp == 0x3000;
  }
}
