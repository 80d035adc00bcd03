package org.research4j.search.world;

/**
 * One holder of an office over a span of whole years, both ends included; the terms of an office
 * follow each other without gap or overlap, so every covered year has exactly one holder.
 */
final class Term {
  final Person holder;
  final int from;
  final int to;

  /** The passage stating this term, set when the article is written. */
  int passage = -1;

  Term(Person holder, int from, int to) {
    this.holder = holder;
    this.from = from;
    this.to = to;
  }

  boolean covers(int year) {
    return from <= year && year <= to;
  }
}
