package org.research4j.tensor;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.research4j.kernels.Buf;
import org.research4j.kernels.Kernels;

/**
 * Device buffers kept for reuse, so that a training loop whose shapes repeat allocates nothing
 * after its first step (device allocation on OpenCL is slow and fragments memory).
 *
 * <p>Requests are rounded up to a size class: powers of two split into four steps, so at most a
 * quarter of a buffer is slack while batches of varying length (GRPO responses) still land on a few
 * classes instead of one class per length. Kernels take explicit element counts, so a buffer longer
 * than its tensor is harmless.
 *
 * <p>Idle buffers are capped ({@link #DEFAULT_IDLE_LIMIT}): a loop whose shapes keep changing (GRPO
 * updates on responses of every length) would otherwise keep its peak use of every size class it
 * ever touched, and run out of memory though each step fits. A buffer released past the cap is
 * freed instead of kept.
 */
final class BufferPool implements AutoCloseable {
  private static final int MIN_CLASS = 64;

  /** Idle elements kept at most: a quarter of the JVM's heap, in 4-byte elements. */
  static final long DEFAULT_IDLE_LIMIT = Runtime.getRuntime().maxMemory() / 16;

  private final Kernels kernels;
  private final long idleLimit;
  private final Map<Long, ArrayDeque<Buf>> free = new HashMap<>();
  private long allocations;
  private long idle;

  BufferPool(Kernels kernels) {
    this(kernels, DEFAULT_IDLE_LIMIT);
  }

  BufferPool(Kernels kernels, long idleLimit) {
    this.kernels = kernels;
    this.idleLimit = idleLimit;
  }

  /** A buffer of at least {@code n} elements; its contents are whatever its last user left. */
  Buf acquire(Buf.Type type, int n) {
    int size = sizeClass(n);
    ArrayDeque<Buf> q = free.get(key(type, size));
    Buf b = q == null ? null : q.pollLast();
    if (b != null) {
      idle -= b.length();
      return b;
    }
    allocations++;
    return type == Buf.Type.F32 ? kernels.allocF32(size) : kernels.allocI32(size);
  }

  void release(Buf b) {
    if (idle + b.length() > idleLimit) {
      b.close();
      return;
    }
    idle += b.length();
    free.computeIfAbsent(key(b.type(), b.length()), x -> new ArrayDeque<>()).addLast(b);
  }

  /** Device allocations made so far (a loop in steady state should not add to this). */
  long allocations() {
    return allocations;
  }

  /** Frees every idle buffer (buffers still lent out are the borrowers' to return). */
  @Override
  public void close() {
    for (ArrayDeque<Buf> q : free.values()) q.forEach(Buf::close);
    free.clear();
    idle = 0;
  }

  static int sizeClass(int n) {
    if (n <= MIN_CLASS) return MIN_CLASS;
    int hi = Integer.highestOneBit(n);
    if (hi == n) return n;
    long step = hi >> 2;
    long size = (n + step - 1) / step * step;
    return size > Integer.MAX_VALUE - 8 ? n : (int) size;
  }

  private static long key(Buf.Type type, int size) {
    return ((long) size << 1) | (type == Buf.Type.I32 ? 1 : 0);
  }
}
