package org.research4j.search.index;

import it.unimi.dsi.fastutil.objects.Object2IntLinkedOpenHashMap;
import it.unimi.dsi.fastutil.objects.Object2IntMap;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TopScoreDocCollectorManager;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.IOUtils;
import org.research4j.search.flashrag.Passage;

/**
 * BM25 search over one index, shared by every thread of a process: the rollout engine's batches and
 * the HTTP server's requests go through the same instance.
 *
 * <p>A query is analysed like the passages and becomes a disjunction of its distinct terms, each
 * boosted by how often it occurs in the query: Anserini's bag-of-words query. Lucene's {@link
 * IndexSearcher} is thread-safe; the only shared mutable state here is the query cache, which locks
 * per shard.
 */
public final class Searcher implements AutoCloseable {
  /**
   * Distinct query terms kept; the rest are dropped rather than failing the search, because a
   * policy in training can emit a runaway query and should get passages, not an exception.
   */
  public static final int MAX_QUERY_TERMS = IndexSearcher.getMaxClauseCount();

  private final Path dir;
  private final IndexMeta meta;
  private final FSDirectory luceneDir;
  private final DirectoryReader reader;
  private final IndexSearcher searcher;
  private final DocStore store;
  private final int[] docToOrdinal;
  private final PassageAnalyzer analyzer = new PassageAnalyzer();
  private final QueryCache cache;
  private final BM25Similarity similarity;
  private final int threads;
  private final ExecutorService pool;

  private Searcher(
      Path dir,
      IndexMeta meta,
      FSDirectory luceneDir,
      DirectoryReader reader,
      DocStore store,
      SearcherOptions options)
      throws IOException {
    this.dir = dir;
    this.meta = meta;
    this.luceneDir = luceneDir;
    this.reader = reader;
    this.store = store;
    float k1 = options.k1() != null ? options.k1() : meta.k1();
    float b = options.b() != null ? options.b() : meta.b();
    IndexOptions.checkBm25(k1, b);
    this.similarity = new BM25Similarity(k1, b);
    this.searcher = new IndexSearcher(reader);
    searcher.setSimilarity(similarity);
    searcher.setQueryCache(null);
    this.docToOrdinal = ordinals(reader, dir);
    this.cache = new QueryCache(options.cacheEntries());
    this.threads = options.threads();
    this.pool =
        threads > 1
            ? Executors.newFixedThreadPool(
                threads - 1, Thread.ofPlatform().name("search-", 0).daemon().factory())
            : null;
  }

  public static Searcher open(Path dir) throws IOException {
    return open(dir, SearcherOptions.defaults());
  }

  /**
   * Opens an index for searching.
   *
   * @throws Index.IncompleteIndexException if the directory is not a finished build
   */
  public static Searcher open(Path dir, SearcherOptions options) throws IOException {
    IndexMeta meta = Index.check(dir);
    DocStore store = DocStore.open(dir);
    FSDirectory luceneDir = null;
    DirectoryReader reader = null;
    try {
      luceneDir = FSDirectory.open(dir.resolve(Index.LUCENE_DIR));
      reader = DirectoryReader.open(luceneDir);
      if (reader.numDocs() != store.size() || store.size() != meta.passages()) {
        throw new IOException(
            dir
                + " is inconsistent: "
                + meta.passages()
                + " passages in "
                + Index.META_FILE
                + ", "
                + reader.numDocs()
                + " in Lucene, "
                + store.size()
                + " in the document store; rebuild it");
      }
      return new Searcher(dir, meta, luceneDir, reader, store, options);
    } catch (IOException | RuntimeException e) {
      IOUtils.closeWhileHandlingException(reader, luceneDir, store);
      throw e;
    }
  }

  /** Lucene doc id to corpus ordinal; the identity after a default (sorted, merged) build. */
  private static int[] ordinals(DirectoryReader reader, Path dir) throws IOException {
    int[] map = new int[reader.maxDoc()];
    for (LeafReaderContext leaf : reader.leaves()) {
      NumericDocValues values = leaf.reader().getNumericDocValues(Index.ORDINAL_FIELD);
      if (values == null) {
        throw new IOException(dir + ": a segment lacks passage ordinals; rebuild the index");
      }
      for (int doc = values.nextDoc();
          doc != NumericDocValues.NO_MORE_DOCS;
          doc = values.nextDoc()) {
        map[leaf.docBase + doc] = (int) values.longValue();
      }
    }
    return map;
  }

  /** The top {@code k} passages for one query, best first; empty when no term matches. */
  public List<Hit> search(String query, int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, got " + k);
    }
    List<Hit> cached = cache.get(query, k);
    if (cached != null) {
      return cached;
    }
    List<Hit> hits = searchUncached(query, k);
    cache.put(query, k, hits);
    return hits;
  }

  /**
   * The top {@code k} passages for each query of a batch, in the batch's order. The queries are
   * shared out among the searcher's threads and the caller's.
   */
  public List<List<Hit>> search(List<String> queries, int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, got " + k);
    }
    int n = queries.size();
    @SuppressWarnings("unchecked")
    List<Hit>[] results = new List[n];
    int helpers = pool == null ? 0 : Math.min(threads, n) - 1;
    if (helpers <= 0) {
      for (int i = 0; i < n; i++) {
        results[i] = search(queries.get(i), k);
      }
      return List.of(results);
    }
    AtomicInteger next = new AtomicInteger();
    Runnable work =
        () -> {
          for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
            results[i] = search(queries.get(i), k);
          }
        };
    List<Future<?>> running = new ArrayList<>(helpers);
    for (int h = 0; h < helpers; h++) {
      running.add(pool.submit(work));
    }
    work.run();
    for (Future<?> f : running) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while searching", e);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RuntimeException re) {
          throw re;
        }
        throw new IllegalStateException("a search thread failed", e.getCause());
      }
    }
    return List.of(results);
  }

  private List<Hit> searchUncached(String text, int k) {
    Query query = query(text);
    if (query == null) {
      return List.of();
    }
    try {
      TopDocs top = searcher.search(query, new TopScoreDocCollectorManager(k, null, k));
      Hit[] hits = new Hit[top.scoreDocs.length];
      for (int i = 0; i < hits.length; i++) {
        ScoreDoc sd = top.scoreDocs[i];
        hits[i] = Hit.of(store.get(docToOrdinal[sd.doc]), sd.score);
      }
      return List.of(hits);
    } catch (IOException e) {
      throw new UncheckedIOException("searching " + dir + " failed: " + e.getMessage(), e);
    }
  }

  /** Anserini's bag of words: one SHOULD clause per distinct term, boosted by its count. */
  Query query(String text) {
    Object2IntLinkedOpenHashMap<String> counts = new Object2IntLinkedOpenHashMap<>();
    try (TokenStream ts = analyzer.tokenStream(Index.CONTENTS_FIELD, text)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) {
        String t = term.toString();
        if (counts.size() < MAX_QUERY_TERMS || counts.containsKey(t)) {
          counts.addTo(t, 1);
        }
      }
      ts.end();
    } catch (IOException e) {
      throw new UncheckedIOException("analysing a query cannot fail; Lucene said: " + e, e);
    }
    if (counts.isEmpty()) {
      return null;
    }
    BooleanQuery.Builder q = new BooleanQuery.Builder();
    for (Object2IntMap.Entry<String> e : counts.object2IntEntrySet()) {
      Query clause = new TermQuery(new Term(Index.CONTENTS_FIELD, e.getKey()));
      if (e.getIntValue() > 1) {
        clause = new BoostQuery(clause, e.getIntValue());
      }
      q.add(clause, BooleanClause.Occur.SHOULD);
    }
    return q.build();
  }

  /** The passage with this id, looked up in the document store. */
  public Optional<Passage> passage(String id) {
    int ordinal = store.ordinal(id);
    return ordinal < 0 ? Optional.empty() : Optional.of(store.get(ordinal));
  }

  /** Passages in the index. */
  public int size() {
    return store.size();
  }

  public IndexMeta meta() {
    return meta;
  }

  /** The BM25 k1 in use (the index's unless overridden). */
  public float k1() {
    return similarity.getK1();
  }

  /** The BM25 b in use (the index's unless overridden). */
  public float b() {
    return similarity.getB();
  }

  /** Lucene segments; one after a default build. */
  int segments() {
    return reader.leaves().size();
  }

  public CacheStats cacheStats() {
    return cache.stats();
  }

  @Override
  public void close() throws IOException {
    if (pool != null) {
      pool.shutdownNow();
    }
    IOUtils.close(reader, luceneDir, store);
  }
}
