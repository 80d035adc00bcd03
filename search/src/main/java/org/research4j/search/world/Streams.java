package org.research4j.search.world;

import java.util.Random;

/**
 * Independent random streams per purpose, so that changing how questions are drawn does not change
 * the facts, and the facts do not change with the article phrasings.
 */
final class Streams {
  private Streams() {}

  static Random of(long seed, String purpose) {
    long h = seed * 0x9E3779B97F4A7C15L;
    for (int i = 0; i < purpose.length(); i++) {
      h = (h ^ purpose.charAt(i)) * 0x100000001B3L;
    }
    return new Random(h);
  }
}
