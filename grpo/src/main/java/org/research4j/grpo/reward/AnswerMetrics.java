package org.research4j.grpo.reward;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * SQuAD-style answer comparison, as the paper and FlashRAG score: normalise (lower case, drop
 * punctuation and the articles a/an/the, collapse whitespace), then exact match, or token F1 over
 * the bag of normalised tokens. Against several golden answers the best score counts.
 */
public final class AnswerMetrics {
  private static final Set<String> ARTICLES = Set.of("a", "an", "the");

  private AnswerMetrics() {}

  /** The SQuAD normal form of an answer. */
  public static String normalize(String s) {
    String t = Normalizer.normalize(s, Normalizer.Form.NFC).toLowerCase(java.util.Locale.ROOT);
    StringBuilder b = new StringBuilder(t.length());
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      int type = Character.getType(c);
      boolean punct =
          type == Character.CONNECTOR_PUNCTUATION
              || type == Character.DASH_PUNCTUATION
              || type == Character.START_PUNCTUATION
              || type == Character.END_PUNCTUATION
              || type == Character.INITIAL_QUOTE_PUNCTUATION
              || type == Character.FINAL_QUOTE_PUNCTUATION
              || type == Character.OTHER_PUNCTUATION
              || type == Character.MATH_SYMBOL
              || type == Character.CURRENCY_SYMBOL
              || type == Character.MODIFIER_SYMBOL;
      if (!punct) b.append(c);
    }
    List<String> kept = new ArrayList<>();
    for (String w : b.toString().trim().split("\\s+")) {
      if (!w.isEmpty() && !ARTICLES.contains(w)) kept.add(w);
    }
    return String.join(" ", kept);
  }

  /** 1 if the normalised prediction equals one normalised golden answer, else 0. */
  public static double exactMatch(String prediction, List<String> golden) {
    String p = normalize(prediction);
    for (String g : golden) if (p.equals(normalize(g))) return 1;
    return 0;
  }

  /** The best token F1 of {@code prediction} against any of {@code golden}. */
  public static double f1(String prediction, List<String> golden) {
    double best = 0;
    for (String g : golden) best = Math.max(best, f1(prediction, g));
    return best;
  }

  /** Token F1 of two answers after normalisation; 0 when either is empty. */
  public static double f1(String prediction, String golden) {
    String[] p = tokens(prediction);
    String[] g = tokens(golden);
    if (p.length == 0 || g.length == 0) return 0;
    Map<String, Integer> counts = new HashMap<>();
    for (String w : g) counts.merge(w, 1, Integer::sum);
    int common = 0;
    for (String w : p) {
      Integer c = counts.get(w);
      if (c != null && c > 0) {
        common++;
        counts.put(w, c - 1);
      }
    }
    if (common == 0) return 0;
    double precision = (double) common / p.length;
    double recall = (double) common / g.length;
    return 2 * precision * recall / (precision + recall);
  }

  private static String[] tokens(String s) {
    String n = normalize(s);
    return n.isEmpty() ? new String[0] : n.split(" ");
  }
}
