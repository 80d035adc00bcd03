/**
 * Benchmarks of the search environment: {@link org.research4j.benchmarks.search.SearchBenchmark}
 * (JMH, BM25 queries per second in-process) and
 * {@link org.research4j.benchmarks.search.RetrievalLoadTest} (an HTTP load client holding hundreds
 * of keep-alive connections to the retrieval server, bounded in time and in requests).
 */
package org.research4j.benchmarks.search;
