package org.research4j.benchmarks.search;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.research4j.search.index.Searcher;
import org.research4j.search.index.SearcherOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Queries per second of CPU time, next to wall-clock queries per second, for {@code --threads}
 * threads searching one shared {@link Searcher} (cache off) with the world's questions.
 *
 * <p>Why: on a machine other jobs are loading, JMH's wall-clock throughput measures the share of
 * the cores this process got, not the searcher. Each thread's own CPU time ({@link
 * ThreadMXBean#getCurrentThreadCpuTime}) counts only the time it ran, so queries per CPU-second per
 * thread is what one fully available core would sustain, and {@code threads × that} what the same
 * number of free cores would (searches share nothing but the read-only index, so they scale with
 * cores until memory bandwidth says otherwise). It is an estimate that complements, and does not
 * replace, the JMH figures.
 */
@Command(name = "search-cpu-rate", mixinStandardHelpOptions = true)
public final class SearchCpuRate implements Callable<Integer> {
  @Option(
      names = "--world",
      defaultValue = "",
      description = "World directory; empty: the default world.")
  String world;

  @Option(names = "--threads", defaultValue = "1")
  int threads;

  @Option(names = "--warmup", defaultValue = "20", description = "Seconds before measuring.")
  int warmup;

  @Option(names = "--seconds", defaultValue = "30", description = "Measured seconds.")
  int seconds;

  @Option(names = "-k", defaultValue = "5")
  int k;

  public static void main(String[] args) {
    System.exit(new CommandLine(new SearchCpuRate()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    BenchmarkWorld w = BenchmarkWorld.open(world);
    List<String> queries = w.questions();
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    try (Searcher searcher =
        Searcher.open(w.index, SearcherOptions.defaults().withCacheEntries(0))) {
      long start = System.nanoTime();
      long measureFrom = start + warmup * 1_000_000_000L;
      long end = measureFrom + seconds * 1_000_000_000L;
      long[] counts = new long[threads];
      long[] cpu = new long[threads];
      CountDownLatch done = new CountDownLatch(threads);
      for (int t = 0; t < threads; t++) {
        int id = t;
        Thread.ofPlatform()
            .name("searcher-" + t)
            .start(
                () -> {
                  int next = id * 7919 % queries.size();
                  long n = 0;
                  long cpu0 = -1;
                  for (long now = System.nanoTime(); now < end; now = System.nanoTime()) {
                    if (cpu0 < 0 && now >= measureFrom) {
                      cpu0 = mx.getCurrentThreadCpuTime();
                      n = 0;
                    }
                    searcher.search(queries.get(next), k);
                    next = next + 1 == queries.size() ? 0 : next + 1;
                    n++;
                  }
                  counts[id] = n;
                  cpu[id] = mx.getCurrentThreadCpuTime() - cpu0;
                  done.countDown();
                });
      }
      done.await();
      long total = 0;
      long cpuNanos = 0;
      for (int t = 0; t < threads; t++) {
        total += counts[t];
        cpuNanos += cpu[t];
      }
      double perCpuSecond = total / (cpuNanos / 1e9);
      System.out.printf(
          Locale.ROOT,
          "{\"world\": \"%s\", \"passages\": %d, \"threads\": %d, \"k\": %d, \"seconds\": %d,"
              + " \"queries\": %d, \"wall_qps\": %.0f, \"cpu_seconds\": %.1f,"
              + " \"qps_per_cpu_second\": %.0f, \"qps_if_threads_had_free_cores\": %.0f}%n",
          world,
          searcher.size(),
          threads,
          k,
          seconds,
          total,
          total / (double) seconds,
          cpuNanos / 1e9,
          perCpuSecond,
          perCpuSecond * threads);
    } finally {
      w.discard();
    }
    return 0;
  }
}
