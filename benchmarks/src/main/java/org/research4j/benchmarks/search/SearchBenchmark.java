package org.research4j.benchmarks.search;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.research4j.search.index.Hit;
import org.research4j.search.index.Searcher;
import org.research4j.search.index.SearcherOptions;

/**
 * BM25 top-k queries per second through the in-process {@link Searcher}, with the query cache off
 * so that every operation is a real Lucene search. The queries are the world's questions, cycled;
 * each JMH thread starts at its own offset.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar SearchBenchmark.single -t 1
 * java -jar benchmarks/target/benchmarks.jar SearchBenchmark.single -t 2
 * java -jar benchmarks/target/benchmarks.jar SearchBenchmark -p world=/tmp/world1m
 * </pre>
 *
 * {@code single} is one query per operation on the caller's thread (scale it with JMH's {@code
 * -t}); {@code batch64} is the rollout engine's call, 64 queries shared out among the searcher's
 * threads (all processors), reported per query.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "--add-modules",
      "jdk.incubator.vector",
      "--enable-native-access=ALL-UNNAMED",
      "-Xms2g",
      "-Xmx4g"
    })
@State(Scope.Benchmark)
public class SearchBenchmark {
  /** A world directory (with index/ or its corpus to build one); empty: the default world. */
  @Param({""})
  public String world;

  @Param({"5"})
  public int k;

  private BenchmarkWorld source;
  private Searcher searcher;
  private List<String> queries;
  private final AtomicInteger offsets = new AtomicInteger();

  @Setup(Level.Trial)
  public void open() throws IOException {
    source = BenchmarkWorld.open(world);
    queries = source.questions();
    searcher = Searcher.open(source.index, SearcherOptions.defaults().withCacheEntries(0));
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    searcher.close();
    source.discard();
  }

  /** Where each benchmark thread is in the query list. */
  @State(Scope.Thread)
  public static class Cursor {
    int next;

    @Setup(Level.Trial)
    public void start(SearchBenchmark b) {
      next = b.offsets.getAndIncrement() * 7919 % b.queries.size();
    }

    String query(List<String> queries) {
      String q = queries.get(next);
      next = next + 1 == queries.size() ? 0 : next + 1;
      return q;
    }

    List<String> batch(List<String> queries, int n) {
      if (next + n > queries.size()) {
        next = 0;
      }
      List<String> b = queries.subList(next, next + n);
      next += n;
      return b;
    }
  }

  @Benchmark
  public List<Hit> single(Cursor cursor) {
    return searcher.search(cursor.query(queries), k);
  }

  @Benchmark
  @OperationsPerInvocation(64)
  public List<List<Hit>> batch64(Cursor cursor) {
    return searcher.search(cursor.batch(queries, 64), k);
  }
}
