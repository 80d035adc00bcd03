/**
 * Lucene BM25 over a FlashRAG corpus: the English analysis chain (Anserini's default), the
 * multi-threaded, atomic index build, the memory-mapped document store that holds passage text
 * outside Lucene, and the thread-safe {@link org.research4j.search.index.Searcher} that the rollout
 * engine and the HTTP server share.
 *
 * <p>An index is a directory: {@code lucene/} (the inverted index, one segment sorted by corpus
 * order after a default build), {@code docstore.dat} and {@code docstore.idx} (the passages), and
 * {@code index.json}, written last. A build happens in a hidden sibling directory that is renamed
 * into place only when complete, so a directory without {@code index.json} is never opened.
 */
package org.research4j.search.index;
