package org.research4j.grpo.sft;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counterfactual names for warm-start traces. A small model trained on an encyclopedia can answer a
 * training question about an entity it read from memory, so traces about those entities teach
 * recall, not reading; and it never has to copy a name it cannot predict. Renaming every name word
 * of a trace's hop chain (the question's entities and the hops' answers) consistently, in the
 * question, the queries, the retrieved passages and the answers, to other name words of the world
 * leaves a trace in which only copying from the context is right: the renamed entity has no facts
 * in memory, or facts that contradict the passage.
 *
 * <p>Names are renamed word by word ("Heistand Holdings" becomes "Vustur Holdings"), so a word
 * outside the pool (a company suffix, a year) stays; a replacement is never a word the trace
 * already holds, so a renaming cannot make two names one.
 */
public final class NameSwap {
  private static final Pattern WORD = Pattern.compile("\\p{L}+");

  private final List<String> pool;
  private final Set<String> poolSet;

  /** {@code pool}: the name words a replacement is drawn from, and the only words renamed. */
  public NameSwap(Set<String> pool) {
    if (pool.size() < 16)
      throw new IllegalArgumentException("name pool too small: " + pool.size() + " words");
    this.pool = List.copyOf(new LinkedHashSet<>(pool));
    this.poolSet = Set.copyOf(pool);
  }

  /** The pool, in a fixed order. */
  public List<String> words() {
    return pool;
  }

  /**
   * The name words of titles ({@code "Loza Rairel"}, {@code "Flestim Foundry"}): every word of a
   * title except those that are never a title's first word yet end many titles (a company's
   * "Holdings", "Mills"): those are kinds, not names.
   */
  public static Set<String> nameWords(List<String> titles) {
    Map<String, int[]> seen = new HashMap<>();
    for (String t : titles) {
      String[] w = t.strip().split("\\s+");
      for (int i = 0; i < w.length; i++) {
        if (!WORD.matcher(w[i]).matches()) continue;
        int[] c = seen.computeIfAbsent(w[i], k -> new int[2]);
        c[0]++;
        if (i == 0) c[1]++;
      }
    }
    Set<String> out = new LinkedHashSet<>();
    seen.forEach(
        (w, c) -> {
          boolean kind = c[1] == 0 && c[0] >= 15;
          if (!kind && Character.isUpperCase(w.charAt(0))) out.add(w);
        });
    return out;
  }

  /**
   * A renaming of the pool words in {@code names} to pool words absent from {@code context}, drawn
   * from {@code rnd}; the same word always maps to the same replacement.
   */
  public Map<String, String> renaming(List<String> names, String context, Random rnd) {
    Map<String, String> map = new HashMap<>();
    Set<String> taken = new java.util.HashSet<>();
    Matcher m = WORD.matcher(context);
    while (m.find()) taken.add(m.group());
    for (String name : names) {
      Matcher w = WORD.matcher(name);
      while (w.find()) {
        String word = w.group();
        if (!poolSet.contains(word) || map.containsKey(word)) continue;
        String to;
        int tries = 0;
        do {
          to = pool.get(rnd.nextInt(pool.size()));
        } while ((taken.contains(to) || map.containsValue(to)) && ++tries < 100);
        map.put(word, to);
      }
    }
    return map;
  }

  /** {@code text} with every whole word that {@code map} renames replaced. */
  public static String apply(String text, Map<String, String> map) {
    if (map.isEmpty()) return text;
    Matcher m = WORD.matcher(text);
    StringBuilder b = new StringBuilder(text.length());
    while (m.find())
      m.appendReplacement(b, Matcher.quoteReplacement(map.getOrDefault(m.group(), m.group())));
    m.appendTail(b);
    return b.toString();
  }

  /** Renamed copies of {@code texts}. */
  public static List<String> apply(List<String> texts, Map<String, String> map) {
    List<String> out = new ArrayList<>(texts.size());
    for (String t : texts) out.add(apply(t, map));
    return out;
  }
}
