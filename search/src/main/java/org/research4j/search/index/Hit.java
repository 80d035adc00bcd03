package org.research4j.search.index;

import org.research4j.search.flashrag.Passage;

/**
 * One retrieved passage with its BM25 score.
 *
 * @param id the passage id from the corpus
 * @param title the title, without quotes
 * @param contents the FlashRAG contents exactly as in the corpus: quoted title line, then text
 * @param score the BM25 score; higher is better
 */
public record Hit(String id, String title, String contents, float score) {

  static Hit of(Passage passage, float score) {
    return new Hit(passage.id(), passage.title(), passage.contents(), score);
  }

  /** The passage body, without the title line. */
  public String text() {
    return Passage.textOf(contents);
  }
}
