package org.research4j.search.world;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * An encyclopedia article before chunking: a title and sentences, some of which state a fact that
 * questions ask about. Such a sentence carries a callback that learns which passage the chunker put
 * it in, which is how every question knows its supporting passages.
 */
final class Article {
  final String title;
  final List<String> sentences = new ArrayList<>();
  final List<IntConsumer> placed = new ArrayList<>();

  Article(String title) {
    this.title = title;
  }

  /** A sentence no question depends on. */
  Article say(String sentence) {
    return state(sentence, null);
  }

  /** A sentence stating a fact; {@code where} receives its passage ordinal. */
  Article state(String sentence, IntConsumer where) {
    sentences.add(sentence);
    placed.add(where);
    return this;
  }
}
