package org.research4j.search.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.search.flashrag.Passage;

/**
 * Scores from the index against BM25 computed by hand, in Lucene's form: idf = ln(1 + (N - n + 0.5)
 * / (n + 0.5)), score = Σ boost · idf · tf / (tf + k1 · (1 - b + b · dl / avgdl)). Document lengths
 * stay below 24 tokens, which Lucene's one-byte norm encodes exactly, so the only difference is
 * float arithmetic: relative tolerance 1e-5.
 */
class Bm25ScoreTest {
  @TempDir Path tmp;

  /** Contents without a title line: every token is a body token. All words survive analysis. */
  private static final List<Passage> DOCS =
      List.of(
          new Passage("d0", "red blue red"),
          new Passage("d1", "blue green"),
          new Passage("d2", "red red red green fox"),
          new Passage("d3", "cat dog"),
          new Passage("d4", "red cat dog fox blue green cat"));

  private static double expected(
      List<String> query, List<String> doc, List<List<String>> all, double k1, double b) {
    double avgdl = all.stream().mapToInt(List::size).sum() / (double) all.size();
    Map<String, Integer> boost = new HashMap<>();
    for (String t : query) {
      boost.merge(t, 1, Integer::sum);
    }
    double score = 0;
    for (Map.Entry<String, Integer> e : boost.entrySet()) {
      String term = e.getKey();
      long n = all.stream().filter(d -> d.contains(term)).count();
      long tf = doc.stream().filter(term::equals).count();
      if (tf == 0) {
        continue;
      }
      double idf = Math.log(1 + (all.size() - n + 0.5) / (n + 0.5));
      score += e.getValue() * idf * tf / (tf + k1 * (1 - b + b * doc.size() / avgdl));
    }
    return score;
  }

  private void check(Searcher searcher, String query, double k1, double b) {
    List<List<String>> tokens = DOCS.stream().map(p -> List.of(p.contents().split(" "))).toList();
    List<String> q = List.of(query.split(" "));
    List<Hit> hits = searcher.search(query, 10);
    int matching = 0;
    for (int d = 0; d < DOCS.size(); d++) {
      double want = expected(q, tokens.get(d), tokens, k1, b);
      String id = DOCS.get(d).id();
      Hit hit = hits.stream().filter(h -> h.id().equals(id)).findFirst().orElse(null);
      if (want == 0) {
        assertEquals(null, hit, query + ": " + id + " matches no term and must not be returned");
        continue;
      }
      matching++;
      assertTrue(hit != null, query + ": " + id + " missing from " + hits);
      assertEquals(
          want, hit.score(), want * 1e-5, query + " k1=" + k1 + " b=" + b + ": score of " + id);
      assertEquals(DOCS.get(d).contents(), hit.contents());
    }
    assertEquals(matching, hits.size());
    for (int i = 1; i < hits.size(); i++) {
      assertTrue(hits.get(i - 1).score() >= hits.get(i).score(), "hits best first: " + hits);
    }
  }

  @Test
  void scoresMatchTheHandComputedFormulaWithDefaults() throws IOException {
    Path corpus = IndexTestSupport.corpus(tmp.resolve("c.jsonl"), DOCS);
    IndexMeta meta =
        Index.build(corpus, tmp.resolve("idx"), IndexOptions.defaults(), BuildListener.NONE);
    assertEquals(0.9f, meta.k1());
    assertEquals(0.4f, meta.b());
    try (Searcher s =
        Searcher.open(tmp.resolve("idx"), SearcherOptions.defaults().withCacheEntries(0))) {
      check(s, "red fox", 0.9, 0.4);
      check(s, "cat", 0.9, 0.4);
      check(s, "green blue dog", 0.9, 0.4);
      // A repeated query term is one clause boosted by its count (Anserini's bag of words).
      check(s, "red red fox", 0.9, 0.4);
    }
  }

  @Test
  void k1AndBAreTakenFromTheIndexOrOverriddenAtSearchTime() throws IOException {
    Path corpus = IndexTestSupport.corpus(tmp.resolve("c.jsonl"), DOCS);
    IndexMeta meta =
        Index.build(
            corpus,
            tmp.resolve("idx"),
            IndexOptions.defaults().withBm25(1.2f, 0.75f).withThreads(3),
            BuildListener.NONE);
    assertEquals(1.2f, meta.k1());
    try (Searcher s = Searcher.open(tmp.resolve("idx"))) {
      assertEquals(1.2f, s.k1());
      assertEquals(0.75f, s.b());
      check(s, "red fox", 1.2, 0.75);
    }
    try (Searcher s =
        Searcher.open(tmp.resolve("idx"), SearcherOptions.defaults().withBm25(2.0f, 1.0f))) {
      check(s, "red fox cat", 2.0, 1.0);
    }
  }

  @Test
  void aQueryOfStopWordsFindsNothing() throws IOException {
    Path corpus = IndexTestSupport.corpus(tmp.resolve("c.jsonl"), DOCS);
    Index.build(corpus, tmp.resolve("idx"), IndexOptions.defaults(), BuildListener.NONE);
    try (Searcher s = Searcher.open(tmp.resolve("idx"))) {
      assertEquals(List.of(), s.search("the of and", 3));
      assertEquals(List.of(), s.search("", 3));
      assertEquals(2, s.search("red", 2).size(), "k caps the hits");
    }
  }
}
