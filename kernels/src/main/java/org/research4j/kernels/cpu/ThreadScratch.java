package org.research4j.kernels.cpu;

/**
 * A float array per thread that grows to the largest size asked for and is then reused, so hot
 * kernels allocate nothing per call. Whoever calls {@link #get} owns the array until it returns to
 * its caller; a kernel must not hand it to code that may ask the same scratch again on the same
 * thread.
 */
final class ThreadScratch {
  private final ThreadLocal<float[][]> holder = ThreadLocal.withInitial(() -> new float[1][0]);

  /** This thread's array, at least {@code size} long; old contents are unspecified. */
  float[] get(int size) {
    float[][] h = holder.get();
    if (h[0].length < size) h[0] = new float[size];
    return h[0];
  }
}
