/**
 * Benchmarks of the search environment: {@link org.research4j.benchmarks.search.SearchBenchmark}
 * (JMH, BM25 queries per second in-process), {@link org.research4j.benchmarks.search.SearchCpuRate}
 * (queries per second of CPU time, an estimate that other jobs on a shared machine distort less
 * than wall-clock throughput) and {@link org.research4j.benchmarks.search.RetrievalLoadTest} (an
 * HTTP load client holding hundreds of keep-alive connections to the retrieval server, bounded in
 * time and in requests). {@code BenchmarkWorld} supplies the world and index they search: a given
 * directory, or the default world generated into a temporary one.
 */
package org.research4j.benchmarks.search;
