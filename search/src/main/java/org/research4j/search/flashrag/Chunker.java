package org.research4j.search.flashrag;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Cuts plain text into passages of at most {@code maxWords} words, the unit dense and sparse
 * retrievers in the field are trained and evaluated on (DPR's 100-word Wikipedia passages).
 *
 * <p>Unlike DPR's fixed windows, whole sentences are packed greedily so that a fact stated in one
 * sentence is never cut in half; only a sentence longer than {@code maxWords} is split, into
 * near-equal word windows. Words are whitespace-separated tokens and are kept in order, none lost.
 */
public final class Chunker {
  public static final int DEFAULT_WORDS = 100;

  /** Words ending in a period that do not end a sentence. */
  private static final Set<String> ABBREVIATIONS =
      Set.of(
          "mr.", "mrs.", "ms.", "dr.", "st.", "jr.", "sr.", "prof.", "vs.", "etc.", "e.g.", "i.e.",
          "no.", "mt.", "inc.", "ltd.", "co.");

  private final int maxWords;

  public Chunker(int maxWords) {
    if (maxWords < 1) {
      throw new IllegalArgumentException("maxWords must be at least 1, got " + maxWords);
    }
    this.maxWords = maxWords;
  }

  public int maxWords() {
    return maxWords;
  }

  /** The passages of a text, each its sentences joined by single spaces. */
  public List<String> chunk(String text) {
    List<String> passages = new ArrayList<>();
    for (List<String> group : pack(sentences(text))) {
      passages.add(String.join(" ", group));
    }
    return passages;
  }

  /**
   * Packs sentences, in order, into groups of at most {@code maxWords} words: a sentence joins the
   * current group when it fits, else starts the next. A sentence longer than the limit is first
   * split into near-equal windows, each packed as a sentence of its own.
   */
  public List<List<String>> pack(List<String> sentences) {
    List<List<String>> groups = new ArrayList<>();
    List<String> current = new ArrayList<>();
    int words = 0;
    for (String sentence : sentences) {
      for (String piece : splitLong(sentence)) {
        int n = wordCount(piece);
        if (n == 0) {
          continue;
        }
        if (words + n > maxWords && !current.isEmpty()) {
          groups.add(current);
          current = new ArrayList<>();
          words = 0;
        }
        current.add(piece);
        words += n;
      }
    }
    if (!current.isEmpty()) {
      groups.add(current);
    }
    return groups;
  }

  private List<String> splitLong(String sentence) {
    String[] words = words(sentence);
    if (words.length <= maxWords) {
      return List.of(String.join(" ", words));
    }
    int pieces = (words.length + maxWords - 1) / maxWords;
    List<String> out = new ArrayList<>(pieces);
    for (int i = 0; i < pieces; i++) {
      int from = (int) ((long) words.length * i / pieces);
      int to = (int) ((long) words.length * (i + 1) / pieces);
      out.add(String.join(" ", Arrays.copyOfRange(words, from, to)));
    }
    return out;
  }

  /**
   * Splits text at sentence ends: a word ending in '.', '!' or '?' (before any closing quotes or
   * brackets), unless it is an initial such as "T." or a common abbreviation.
   */
  public static List<String> sentences(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder sentence = new StringBuilder();
    for (String word : words(text)) {
      if (!sentence.isEmpty()) {
        sentence.append(' ');
      }
      sentence.append(word);
      if (endsSentence(word)) {
        out.add(sentence.toString());
        sentence.setLength(0);
      }
    }
    if (!sentence.isEmpty()) {
      out.add(sentence.toString());
    }
    return out;
  }

  private static boolean endsSentence(String word) {
    int end = word.length();
    while (end > 0 && "\"')]".indexOf(word.charAt(end - 1)) >= 0) {
      end--;
    }
    if (end == 0) {
      return false;
    }
    char last = word.charAt(end - 1);
    if (last == '!' || last == '?') {
      return true;
    }
    if (last != '.') {
      return false;
    }
    String core = word.substring(0, end);
    boolean initial = core.length() == 2 && Character.isUpperCase(core.charAt(0));
    return !initial && !ABBREVIATIONS.contains(core.toLowerCase(Locale.ROOT));
  }

  /** Whitespace-separated words. */
  public static String[] words(String text) {
    String s = text.strip();
    return s.isEmpty() ? new String[0] : s.split("\\s+");
  }

  public static int wordCount(String text) {
    return words(text).length;
  }
}
