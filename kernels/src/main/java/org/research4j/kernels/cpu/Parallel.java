package org.research4j.kernels.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * The CPU kernels' thread pool and parallel-for. One pool for the process, sized by the system
 * property {@code research4j.threads} or the environment variable {@code RESEARCH4J_THREADS}, else
 * the number of available processors.
 */
public final class Parallel {
  private static final int THREADS = configuredThreads();
  private static final ForkJoinPool POOL = new ForkJoinPool(THREADS);

  private Parallel() {}

  /** Number of worker threads the CPU kernels use. */
  public static int threads() {
    return THREADS;
  }

  /** A body over the half-open task range {@code [from, to)}. */
  @FunctionalInterface
  public interface RangeBody {
    void run(int from, int to);
  }

  /**
   * Runs {@code body} over {@code [0, n)} split into contiguous chunks, in parallel when the work
   * is worth it. {@code grain} is the smallest chunk worth a task of its own (tasks are cheap but
   * not free: a few microseconds each).
   */
  public static void forRange(int n, int grain, RangeBody body) {
    if (n <= 0) return;
    int g = Math.max(1, grain);
    if (THREADS == 1 || n <= g || inWorker()) {
      body.run(0, n);
      return;
    }
    int chunks = Math.min((n + g - 1) / g, THREADS * 4);
    POOL.invoke(new Chunk(body, n, chunks, 0, chunks));
  }

  private static boolean inWorker() {
    return Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread w
        && w.getPool() == POOL;
  }

  private static final class Chunk extends RecursiveAction {
    private final RangeBody body;
    private final int n;
    private final int chunks;
    private final int lo;
    private final int hi;

    Chunk(RangeBody body, int n, int chunks, int lo, int hi) {
      this.body = body;
      this.n = n;
      this.chunks = chunks;
      this.lo = lo;
      this.hi = hi;
    }

    @Override
    protected void compute() {
      if (hi - lo == 1) {
        int from = (int) ((long) n * lo / chunks);
        int to = (int) ((long) n * hi / chunks);
        body.run(from, to);
        return;
      }
      int mid = (lo + hi) >>> 1;
      invokeAll(new Chunk(body, n, chunks, lo, mid), new Chunk(body, n, chunks, mid, hi));
    }
  }

  private static int configuredThreads() {
    String v = System.getProperty("research4j.threads", System.getenv("RESEARCH4J_THREADS"));
    if (v == null || v.isBlank()) return Runtime.getRuntime().availableProcessors();
    try {
      int t = Integer.parseInt(v.trim());
      if (t < 1) throw new NumberFormatException();
      return t;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "research4j.threads / RESEARCH4J_THREADS must be a positive integer, got '" + v + "'");
    }
  }
}
