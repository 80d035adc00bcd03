package org.research4j.search.world;

import java.util.HashSet;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.apache.lucene.analysis.en.EnglishAnalyzer;

/**
 * Invents pronounceable names from syllables and keeps every name it hands out distinct, across all
 * kinds of entity, so that a name in a question points at one entity only. Also makes the
 * near-twins used as distractors: a new name one vowel away from an existing one.
 */
final class NameRegistry {
  private static final String[] ONSETS = {
    "b", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "gr",
    "kr", "tr", "st", "th", "sh", "ch", "vr", "fl", "pl", "sk"
  };
  private static final String[] NUCLEI = {
    "a", "e", "i", "o", "u", "a", "e", "o", "a", "e", "i", "o", "ai", "ei", "ou", "y"
  };

  /** Inside a name only light codas, so that names stay short enough to read and to tokenise. */
  private static final String[] INNER_CODAS = {"", "", "", "", "", "", "n", "r", "l", "s"};

  private static final String[] CODAS = {
    "", "", "", "n", "r", "l", "s", "th", "m", "nd", "rk", "lt", "st", "v"
  };
  private static final String VOWELS = "aeiouy";

  private final Random rnd;
  private final Set<String> used = new HashSet<>();

  NameRegistry(Random rnd) {
    this.rnd = rnd;
  }

  /**
   * A name of two or three syllables not handed out before, and not a stop word ("Then" can come
   * out of the syllables), which the search analyser would drop.
   */
  String fresh() {
    while (true) {
      String name = candidate(rnd.nextInt(8) == 0 ? 3 : 2);
      String lower = name.toLowerCase(Locale.ROOT);
      if (name.length() >= 4
          && !EnglishAnalyzer.ENGLISH_STOP_WORDS_SET.contains(lower)
          && used.add(lower)) {
        return name;
      }
    }
  }

  /**
   * A new name one inner vowel away from {@code like} ("Belmara" → "Belmora"), or a fresh one when
   * every such variant is taken. The last letter stays, so the two differ in more than an English
   * suffix the stemmer would strip.
   */
  String twin(String like) {
    for (int attempt = 0; attempt < 20; attempt++) {
      char[] c = like.toCharArray();
      int pos = 1 + rnd.nextInt(Math.max(1, c.length - 2));
      if (VOWELS.indexOf(c[pos]) < 0) {
        continue;
      }
      char v;
      do {
        v = VOWELS.charAt(rnd.nextInt(5));
      } while (v == c[pos]);
      c[pos] = v;
      String name = new String(c);
      if (used.add(name.toLowerCase(Locale.ROOT))) {
        return name;
      }
    }
    return fresh();
  }

  private String candidate(int syllables) {
    StringBuilder sb = new StringBuilder();
    for (int s = 0; s < syllables; s++) {
      sb.append(ONSETS[rnd.nextInt(ONSETS.length)]);
      sb.append(NUCLEI[rnd.nextInt(NUCLEI.length)]);
      String[] codas = s == syllables - 1 ? CODAS : INNER_CODAS;
      sb.append(codas[rnd.nextInt(codas.length)]);
    }
    sb.setCharAt(0, Character.toUpperCase(sb.charAt(0)));
    return sb.toString();
  }
}
