package org.research4j.search.index;

/**
 * How to search an index.
 *
 * @param k1 BM25 k1, or null for the value recorded at build time
 * @param b BM25 b, or null for the value recorded at build time
 * @param threads threads that share out the queries of one batch (1: the caller does all)
 * @param cacheEntries results kept for repeated (query, k) pairs; 0 turns the cache off
 */
public record SearcherOptions(Float k1, Float b, int threads, int cacheEntries) {

  public static final int DEFAULT_CACHE_ENTRIES = 10_000;

  public SearcherOptions {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    if (cacheEntries < 0) {
      throw new IllegalArgumentException("cacheEntries must be >= 0, got " + cacheEntries);
    }
  }

  public static SearcherOptions defaults() {
    return new SearcherOptions(
        null, null, Runtime.getRuntime().availableProcessors(), DEFAULT_CACHE_ENTRIES);
  }

  public SearcherOptions withBm25(Float k1, Float b) {
    return new SearcherOptions(k1, b, threads, cacheEntries);
  }

  public SearcherOptions withThreads(int threads) {
    return new SearcherOptions(k1, b, threads, cacheEntries);
  }

  public SearcherOptions withCacheEntries(int cacheEntries) {
    return new SearcherOptions(k1, b, threads, cacheEntries);
  }
}
