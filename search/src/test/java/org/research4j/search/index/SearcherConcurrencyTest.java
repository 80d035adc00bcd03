package org.research4j.search.index;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.search.flashrag.Passage;

/** Many threads on one searcher get exactly what one thread gets, with and without the cache. */
class SearcherConcurrencyTest {
  @TempDir Path tmp;

  @Test
  void concurrentAndBatchedSearchesEqualSequentialOnes() throws Exception {
    long seed = 20250607L;
    Random rnd = new Random(seed);
    String[] vocab = new String[300];
    for (int i = 0; i < vocab.length; i++) {
      vocab[i] = "t" + Integer.toString(i * 7919 % 100_000, 36) + "x";
    }
    List<Passage> docs = new ArrayList<>();
    for (int d = 0; d < 2000; d++) {
      StringBuilder sb = new StringBuilder();
      int len = 5 + rnd.nextInt(60);
      for (int w = 0; w < len; w++) {
        sb.append(vocab[(int) Math.min(vocab.length - 1, Math.abs(rnd.nextGaussian()) * 60)])
            .append(' ');
      }
      docs.add(Passage.of(Integer.toString(d), "doc " + d, sb.toString()));
    }
    List<String> queries = new ArrayList<>();
    for (int q = 0; q < 400; q++) {
      queries.add(
          vocab[rnd.nextInt(vocab.length)]
              + " "
              + vocab[rnd.nextInt(vocab.length)]
              + " "
              + vocab[rnd.nextInt(80)]);
    }
    Path corpus = IndexTestSupport.corpus(tmp.resolve("c.jsonl"), docs);
    Index.build(corpus, tmp.resolve("idx"), IndexOptions.defaults(), BuildListener.NONE);
    List<List<Hit>> reference;
    try (Searcher one =
        Searcher.open(
            tmp.resolve("idx"), SearcherOptions.defaults().withThreads(1).withCacheEntries(0))) {
      reference = new ArrayList<>();
      for (String q : queries) {
        reference.add(one.search(q, 5));
      }
    }
    for (int cache : new int[] {0, 50}) {
      try (Searcher shared =
          Searcher.open(
              tmp.resolve("idx"),
              SearcherOptions.defaults().withThreads(4).withCacheEntries(cache))) {
        assertEquals(
            reference, shared.search(queries, 5), "seed " + seed + ", batch, cache " + cache);
        ExecutorService callers = Executors.newFixedThreadPool(8);
        List<Future<List<List<Hit>>>> results = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          int offset = t * 50;
          results.add(
              callers.submit(
                  () -> {
                    List<List<Hit>> mine = new ArrayList<>();
                    for (int i = 0; i < queries.size(); i++) {
                      mine.add(shared.search(queries.get((i + offset) % queries.size()), 5));
                    }
                    return mine;
                  }));
        }
        for (int t = 0; t < 8; t++) {
          List<List<Hit>> mine = results.get(t).get();
          for (int i = 0; i < queries.size(); i++) {
            assertEquals(
                reference.get((i + t * 50) % queries.size()),
                mine.get(i),
                "seed " + seed + ", thread " + t + ", query " + i + ", cache " + cache);
          }
        }
        callers.shutdown();
        if (cache > 0) {
          CacheStats stats = shared.cacheStats();
          assertEquals(50, stats.entries(), "the cache holds at most its capacity");
          assertEquals(8 * 400 + 400, stats.hits() + stats.misses());
        }
      }
    }
  }

  @Test
  void kBelowOneIsRejected() throws IOException {
    Path corpus = IndexTestSupport.corpus(tmp.resolve("c.jsonl"), List.of(new Passage("a", "x")));
    Index.build(corpus, tmp.resolve("idx"), IndexOptions.defaults(), BuildListener.NONE);
    try (Searcher s = Searcher.open(tmp.resolve("idx"))) {
      org.junit.jupiter.api.Assertions.assertThrows(
          IllegalArgumentException.class, () -> s.search("x", 0));
    }
  }
}
