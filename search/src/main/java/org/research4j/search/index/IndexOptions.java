package org.research4j.search.index;

import org.research4j.search.flashrag.OnMalformed;

/**
 * How to build an index.
 *
 * @param threads indexing threads; Lucene gives each its own in-memory segment
 * @param k1 BM25 term-frequency saturation, recorded in {@code index.json} as the default for
 *     searching (Lucene's norms do not depend on it, so a searcher may override it)
 * @param b BM25 length normalisation, recorded the same way
 * @param forceMerge merge to one segment at the end: slower to build, faster to search, and with
 *     the index sorted by corpus order it makes Lucene's doc ids equal passage ordinals so that
 *     ties in score break the same way on every build
 * @param ramBufferMb memory for buffered documents before a flush, shared by all threads
 * @param onMalformed what to do with a corpus line that cannot be read, or a repeated id
 * @param overwrite replace an existing index at the target
 */
public record IndexOptions(
    int threads,
    float k1,
    float b,
    boolean forceMerge,
    double ramBufferMb,
    OnMalformed onMalformed,
    boolean overwrite) {

  /** Anserini's BM25 defaults for passage retrieval (k1 = 0.9, b = 0.4). */
  public static final float DEFAULT_K1 = 0.9f;

  public static final float DEFAULT_B = 0.4f;

  public IndexOptions {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    checkBm25(k1, b);
    if (!(ramBufferMb > 0)) {
      throw new IllegalArgumentException("ramBufferMb must be positive, got " + ramBufferMb);
    }
  }

  public static IndexOptions defaults() {
    return new IndexOptions(
        Runtime.getRuntime().availableProcessors(),
        DEFAULT_K1,
        DEFAULT_B,
        true,
        256,
        OnMalformed.FAIL,
        false);
  }

  public IndexOptions withThreads(int threads) {
    return new IndexOptions(threads, k1, b, forceMerge, ramBufferMb, onMalformed, overwrite);
  }

  public IndexOptions withBm25(float k1, float b) {
    return new IndexOptions(threads, k1, b, forceMerge, ramBufferMb, onMalformed, overwrite);
  }

  public IndexOptions withForceMerge(boolean forceMerge) {
    return new IndexOptions(threads, k1, b, forceMerge, ramBufferMb, onMalformed, overwrite);
  }

  public IndexOptions withOnMalformed(OnMalformed onMalformed) {
    return new IndexOptions(threads, k1, b, forceMerge, ramBufferMb, onMalformed, overwrite);
  }

  public IndexOptions withOverwrite(boolean overwrite) {
    return new IndexOptions(threads, k1, b, forceMerge, ramBufferMb, onMalformed, overwrite);
  }

  static void checkBm25(float k1, float b) {
    if (!(k1 >= 0) || !Float.isFinite(k1)) {
      throw new IllegalArgumentException("BM25 k1 must be finite and >= 0, got " + k1);
    }
    if (!(b >= 0 && b <= 1)) {
      throw new IllegalArgumentException("BM25 b must lie in [0, 1], got " + b);
    }
  }
}
