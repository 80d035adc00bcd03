package org.research4j.kernels.cpu;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * One {@code kc x nc} slice of op(B) for {@link CpuSgemm}, packed panel by panel on demand: the
 * first task that needs panel q packs it, the others use it. Packing thus overlaps with the
 * multiply-adds and needs no fork/join of its own (the pass over a slice costs one, not two), and a
 * thread held up by the machine's other load holds up no one but the tasks that wait for the one
 * panel it is packing.
 */
final class SgemmBSlice {
  private static final int FREE = 0;
  private static final int PACKING = 1;
  private static final int READY = 2;

  private final boolean transB;
  private final float[] b;
  private final int bOff;
  private final int ldb;
  private final int pc;
  private final int jc;
  private final int kc;
  private final int nc;
  private final int nr;
  private final float[] buf;
  private final AtomicIntegerArray state;

  /** Slice {@code op(B)[pc : pc+kc, jc : jc+nc]} in nr-wide panels of {@code buf}. */
  SgemmBSlice(
      boolean transB,
      float[] b,
      int bOff,
      int ldb,
      int pc,
      int jc,
      int kc,
      int nc,
      int nr,
      float[] buf) {
    this.transB = transB;
    this.b = b;
    this.bOff = bOff;
    this.ldb = ldb;
    this.pc = pc;
    this.jc = jc;
    this.kc = kc;
    this.nc = nc;
    this.nr = nr;
    this.buf = buf;
    this.state = new AtomicIntegerArray(Math.ceilDiv(nc, nr));
  }

  float[] buffer() {
    return buf;
  }

  /**
   * The offset of panel q in {@link #buffer}, packed before this returns: by this thread if no one
   * has started it, else after waiting for the thread that did (which is running, not queued, so
   * the wait is one panel's packing).
   */
  int panel(int q) {
    int s = state.getAcquire(q);
    if (s != READY) {
      if (s == FREE && state.compareAndSet(q, FREE, PACKING)) {
        int j0 = q * nr;
        SgemmPack.packB(
            transB, b, bOff, ldb, pc, jc + j0, kc, Math.min(nr, nc - j0), nr, buf, j0 * kc);
        state.setRelease(q, READY);
      } else {
        for (int spins = 0; state.getAcquire(q) != READY; spins++) {
          if (spins < 1000) Thread.onSpinWait();
          else Thread.yield();
        }
      }
    }
    return q * nr * kc;
  }
}
