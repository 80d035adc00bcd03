package org.research4j.kernels.cpu;

import static org.research4j.kernels.cpu.SgemmMicroKernels.MR;
import static org.research4j.kernels.cpu.SgemmMicroKernels.S;
import static org.research4j.kernels.cpu.SgemmMicroKernels.VL;

/**
 * Row-major SGEMM on the CPU (see {@code Kernels#sgemm} for the contract): packed, cache-blocked,
 * register-blocked and multi-threaded, in the GotoBLAS/BLIS scheme.
 *
 * <pre>
 * for jc in steps of NC over n:               B slice kc x nc lives in L3 (shared by threads)
 *   for pc in steps of KC over k:
 *     tasks over rows (and columns, for small m) of C, run by all threads:
 *       for ic in steps of MC:
 *         pack alpha * op(A)[ic:ic+mc, pc:pc+kc] into 6-tall micro-panels   (block lives in L2)
 *         for each NR panel of B (packed by the first task that needs it), each 6-row panel of A:
 *           6 x NR micro-kernel: C tile = A panel * B panel (+ beta * C on the first pc)
 * </pre>
 *
 * <p>Parameters, and why:
 *
 * <ul>
 *   <li>MR x NR = 6 x 4VL (6 x 64 with AVX-512) where the ISA has 32 vector registers, 6 x 2VL with
 *       16 (AVX2): the largest tile whose accumulators, B vectors and broadcast fit in the register
 *       file (see {@link SgemmMicroKernels}). On the 2-core Zen 4 used for tuning, 6x64 beat 6x32,
 *       8x32, 12x32, 14x32, 8x48, 4x64, 4x80, 5x80, 4x96 and 3x128 (one thread, n = 1024): fewer
 *       broadcasts per multiply-add matter more than more rows.
 *   <li>KC = 512: each k step of the micro-kernel does 24 vector multiply-adds per 280 bytes loaded
 *       (4 vectors of B, 6 floats of A), so it stays compute-bound with both panels in L2, and a
 *       long k loop amortises the load and store of the C tile (once per KC). 256, 384 and 512
 *       measured within noise of each other; 128 lost 20%. k is cut into equal slices no longer
 *       than KC, so k = 600 runs as 2 x 300, not 512 + 88.
 *   <li>MC = 120: the packed A block (120 x 512 floats = 240 KiB) and the B micro-panel in use (512
 *       x 64 floats = 128 KiB, reused by all 20 A panels of the block) fit together in the 1 MiB
 *       L2. 72..288 measured within noise. These three are chosen per CPU when the class loads
 *       ({@link SgemmBlocking}: a tuner's choice for this CPU, else a rule on its L2 size), the
 *       values here being the 1 MiB L2's.
 *   <li>NC = 4096: B's packed slice (KC x NC = 8 MiB at most) stays within the shared L3; most
 *       products in this project have n <= 4096 and pack B once per KC slice.
 *   <li>Each KC slice is one fork/join: four tasks per thread over C, by rows (A packed once, B
 *       shared) while each task keeps four 6-row panels, else by columns too; work stealing
 *       balances tasks that run slow. B's panels are packed on demand by the first task to need one
 *       ({@link SgemmBSlice}), tasks starting at different panels, so packing is shared and needs
 *       no barrier. Below {@link #PARALLEL_WORK} multiply-adds one thread does it all: a fork/join
 *       costs tens of microseconds.
 *   <li>{@code m <= 16} (decoding a few sequences) or {@code n <= 16} go to {@link SgemmSkinny},
 *       which reads the big operand in place: packing would move all of it to use each element a
 *       few times; but from {@link #KEPT_MIN_M} rows on, a B kept packed with its buffer (below)
 *       takes the packed path instead.
 * </ul>
 *
 * <p>alpha is folded into the packed A; beta is applied by the micro-kernel on the first KC slice
 * (later slices accumulate), and {@code beta == 0} never reads C. Pack buffers are per thread and
 * reused across calls ({@link ThreadScratch}); through {@code CpuKernels}, a B used again at an
 * unchanged buffer version by products of up to {@link #KEEP_MAX_M} rows (decoding) stays packed
 * with its buffer instead ({@link #keptPack}).
 */
public final class CpuSgemm {
  /** Whether the ISA has 32 vector registers, for the 6 x 4VL micro-kernel. */
  private static final boolean WIDE = VL >= 16 || "aarch64".equals(System.getProperty("os.arch"));

  static final int NR = (WIDE ? 4 : 2) * VL;

  /**
   * The cache blocking in use, chosen for this CPU when the class loads ({@link SgemmBlocking}).
   */
  static final SgemmBlocking BLOCKING = SgemmBlocking.choose();

  static final int KC = BLOCKING.kc();
  static final int MC = BLOCKING.mc();
  static final int NC = BLOCKING.nc() / NR * NR;

  /** Below this many multiply-adds one thread does the whole product. */
  static final long PARALLEL_WORK = 1L << 21;

  private static final ThreadScratch A_PACK = new ThreadScratch();

  /** The calling thread's A block, packed once for every task of a product split by columns. */
  private static final ThreadScratch A_SHARED = new ThreadScratch();

  private static final ThreadScratch B_PACK = new ThreadScratch();
  private static final ThreadScratch EDGE = new ThreadScratch();

  private CpuSgemm() {}

  /** The blocking in use, for benchmark reports. */
  public static String describe() {
    return String.format(
        "%dx%d micro-kernel, %d-bit vectors, KC=%d MC=%d NC=%d (%s)",
        MR, NR, S.vectorBitSize(), KC, MC, NC, BLOCKING.source());
  }

  /**
   * {@code C = alpha * op(A) * op(B) + beta * C} on arrays, row-major, with the contract of {@code
   * Kernels#sgemm}; safe to call from several threads at once.
   */
  public static void sgemm(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float beta,
      float[] c,
      int cOff,
      int ldc) {
    sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, null);
  }

  /**
   * {@link #sgemm} with B's slices already made by {@link #keptPack} (null: packed into scratch for
   * this call only).
   */
  static void sgemm(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float beta,
      float[] c,
      int cOff,
      int ldc,
      SgemmBSlice[] kept) {
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException("sgemm: negative size m=" + m + " n=" + n + " k=" + k);
    }
    if (m == 0 || n == 0) return;
    if (k == 0 || alpha == 0f) {
      scale(m, n, beta, c, cOff, ldc);
      return;
    }
    boolean parallel = (long) m * n * k >= PARALLEL_WORK && Parallel.threads() > 1;
    if (m <= SgemmSkinny.SKINNY && m <= n && (kept == null || m <= KEPT_MIN_M - 1)) {
      SgemmSkinny.gemm(
          transB,
          m,
          n,
          k,
          alpha,
          a,
          aOff,
          transA ? 1 : lda,
          transA ? lda : 1,
          b,
          bOff,
          ldb,
          beta,
          c,
          cOff,
          ldc,
          1,
          parallel);
    } else if (n <= SgemmSkinny.SKINNY) {
      // The same on the transpose: C^T = op(B)^T op(A)^T, written down the columns of C.
      SgemmSkinny.gemm(
          !transA,
          n,
          m,
          k,
          alpha,
          b,
          bOff,
          transB ? ldb : 1,
          transB ? 1 : ldb,
          a,
          aOff,
          lda,
          beta,
          c,
          cOff,
          1,
          ldc,
          parallel);
    } else {
      blocked(
          WIDE,
          transA,
          transB,
          m,
          n,
          k,
          alpha,
          a,
          aOff,
          lda,
          b,
          bOff,
          ldb,
          beta,
          c,
          cOff,
          ldc,
          parallel ? Parallel.threads() : 1,
          kept);
    }
  }

  /**
   * Smallest m whose products keep B packed; a single row reads B in place ({@link SgemmSkinny}).
   * From two rows on, a B kept packed through the micro-kernel beat the dot products of the skinny
   * path on the benchmark model's decode steps (batch 2: 0.57 -> 0.47 ms per step, 4: 0.90 -> 0.60,
   * 8: 1.5 -> 1.0, 16: 3.7 -> 2.7; AMD EPYC Zen 4, 2 threads), which spend a horizontal sum per
   * output. {@code -Dresearch4j.keptMinM=17} restores the old split, for measuring.
   */
  static final int KEPT_MIN_M = Integer.getInteger("research4j.keptMinM", 2);

  /** Largest m whose products keep B packed with its buffer: decoding batches, not training. */
  static final int KEEP_MAX_M = 256;

  /**
   * op(B) packed whole for the blocked path, kept in its buffer ({@link CpuBuf#derived()}) with the
   * buffer's version when it was made, and the product shape it serves.
   */
  private record KeptPack(
      int version, boolean transB, int bOff, int ldb, int n, int k, SgemmBSlice[] slices) {
    boolean serves(int version, boolean transB, int bOff, int ldb, int n, int k) {
      return this.version == version
          && this.transB == transB
          && this.bOff == bOff
          && this.ldb == ldb
          && this.n == n
          && this.k == k;
    }
  }

  /**
   * The slices of op(B) kept with buffer {@code b} for a product of this shape, or null when the
   * product packs B into scratch as usual. A product of {@code KEPT_MIN_M <= m <= KEEP_MAX_M} (and
   * n > 16) keeps B packed from its second use at an unchanged buffer version on (the first only
   * notes the use, so weights used once per version, as in training, cost no memory); the pack is
   * dropped the moment the version moves, i.e. when anything may have written B. The slices pack
   * themselves on demand during the product, as scratch slices do, and stay packed. Call this
   * before handing out any array of the product that may be written.
   */
  static SgemmBSlice[] keptPack(CpuBuf b, boolean transB, int m, int n, int k, int bOff, int ldb) {
    if (m <= 0 || n <= 0 || k <= 0 || m > KEEP_MAX_M) return null;
    if ((m < KEPT_MIN_M && m <= n) || n <= SgemmSkinny.SKINNY) return null;
    int v = b.version();
    if (b.derived() instanceof KeptPack p && p.serves(v, transB, bOff, ldb, n, k)) {
      if (p.slices() != null) return p.slices();
      SgemmBSlice[] slices = slices(transB, b.floatsForReading(), bOff, ldb, n, k, NR);
      b.derived(new KeptPack(v, transB, bOff, ldb, n, k, slices));
      return slices;
    }
    b.derived(new KeptPack(v, transB, bOff, ldb, n, k, null));
    return null;
  }

  /** Every slice of op(B), each with a buffer of its own, in the order {@link #blocked} uses. */
  static SgemmBSlice[] slices(boolean transB, float[] b, int bOff, int ldb, int n, int k, int nr) {
    int ncMax = NC / nr * nr;
    int kcStep = Math.ceilDiv(k, Math.ceilDiv(k, KC));
    SgemmBSlice[] out = new SgemmBSlice[Math.ceilDiv(n, ncMax) * Math.ceilDiv(k, kcStep)];
    int s = 0;
    for (int jc = 0; jc < n; jc += ncMax) {
      int nc = Math.min(ncMax, n - jc);
      for (int pc = 0; pc < k; pc += kcStep) {
        int kc = Math.min(kcStep, k - pc);
        float[] buf = new float[kc * Math.ceilDiv(nc, nr) * nr];
        out[s++] = new SgemmBSlice(transB, b, bOff, ldb, pc, jc, kc, nc, nr, buf);
      }
    }
    return out;
  }

  /**
   * The packed path, whatever the shape, with a chosen micro-kernel width ({@code wide}: 6 x 4VL,
   * else 6 x 2VL), so the tests can run the narrow kernel that 16-register machines use.
   */
  static void blocked(
      boolean wide,
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float beta,
      float[] c,
      int cOff,
      int ldc,
      int threads) {
    blocked(
        wide, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc,
        threads, null);
  }

  /** {@link #blocked} over B's {@code kept} slices ({@link #slices}), or scratch when null. */
  static void blocked(
      boolean wide,
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float beta,
      float[] c,
      int cOff,
      int ldc,
      int threads,
      SgemmBSlice[] kept) {
    int nr = (wide ? 4 : 2) * VL;
    int ncMax = NC / nr * nr;
    int kcStep = Math.ceilDiv(k, Math.ceilDiv(k, KC));
    int rowPanels = Math.ceilDiv(m, MR);
    // Tasks, not threads: four per thread, so work stealing evens out a thread that was slowed
    // down (another process, a slower core) at the cost of a few more A-block packings.
    int tasks = threads == 1 ? 1 : 4 * threads;
    int tm = Math.min(tasks, Math.max(1, rowPanels / 4));
    float[] bPack =
        kept != null ? null : B_PACK.get(kcStep * Math.ceilDiv(Math.min(ncMax, n), nr) * nr);
    int sliceIndex = 0;
    for (int jc = 0; jc < n; jc += ncMax) {
      int nc = Math.min(ncMax, n - jc);
      int panels = Math.ceilDiv(nc, nr);
      int tn = Math.max(1, Math.min(panels, tasks / tm));
      int jc0 = jc;
      for (int pc = 0; pc < k; pc += kcStep) {
        int kc = Math.min(kcStep, k - pc);
        int pc0 = pc;
        float betaNow = pc == 0 ? beta : 1f;
        SgemmBSlice slice =
            kept != null
                ? kept[sliceIndex++]
                : new SgemmBSlice(transB, b, bOff, ldb, pc, jc, kc, nc, nr, bPack);
        // Every task covering all the rows (few rows, split by columns only): pack the A block
        // once here for all of them, instead of once per task.
        float[] aShared = null;
        if (tm == 1 && tn > 1 && m <= MC) {
          aShared = A_SHARED.get(Math.ceilDiv(m, MR) * MR * kc);
          SgemmPack.packA(transA, alpha, a, aOff, lda, 0, pc0, m, kc, aShared);
        }
        float[] aPacked = aShared;
        Parallel.RangeBody compute =
            (from, to) -> {
              for (int t = from; t < to; t++) {
                int i0 = share(rowPanels, t / tn, tm) * MR;
                int i1 = Math.min(m, share(rowPanels, t / tn + 1, tm) * MR);
                int q0 = share(panels, t % tn, tn);
                int q1 = share(panels, t % tn + 1, tn);
                // Tasks over different rows start at different panels, so they pack different
                // ones while they run side by side.
                int rotate = share(q1 - q0, t / tn, tm);
                if (i0 < i1 && q0 < q1) {
                  rows(
                      wide,
                      transA,
                      alpha,
                      a,
                      aOff,
                      lda,
                      i0,
                      i1,
                      pc0,
                      kc,
                      nc,
                      q0,
                      q1,
                      rotate,
                      nr,
                      slice,
                      betaNow,
                      c,
                      cOff + jc0,
                      ldc,
                      aPacked);
                }
              }
            };
        if (threads > 1) Parallel.forRange(tm * tn, 1, compute);
        else compute.run(0, 1);
      }
    }
  }

  /**
   * One task: rows [i0, i1) of C against B panels [q0, q1) of the packed slice, in MC-row blocks of
   * equal height (a multiple of MR).
   */
  private static void rows(
      boolean wide,
      boolean transA,
      float alpha,
      float[] a,
      int aOff,
      int lda,
      int i0,
      int i1,
      int pc,
      int kc,
      int nc,
      int q0,
      int q1,
      int rotate,
      int nr,
      SgemmBSlice slice,
      float beta,
      float[] c,
      int cBase,
      int ldc,
      float[] packed) {
    if (packed != null) {
      // Rows [0, m) packed already (m <= MC): one block.
      macroKernel(wide, i1, nc, kc, q0, q1, rotate, nr, packed, slice, beta, c, cBase, ldc);
      return;
    }
    int mcStep = Math.ceilDiv(Math.ceilDiv(i1 - i0, Math.ceilDiv(i1 - i0, MC)), MR) * MR;
    float[] aPack = A_PACK.get(mcStep * kc);
    for (int ic = i0; ic < i1; ic += mcStep) {
      int mc = Math.min(mcStep, i1 - ic);
      SgemmPack.packA(transA, alpha, a, aOff, lda, ic, pc, mc, kc, aPack);
      macroKernel(
          wide, mc, nc, kc, q0, q1, rotate, nr, aPack, slice, beta, c, cBase + ic * ldc, ldc);
    }
  }

  /** The start of part {@code i} of {@code parts} near-equal parts of {@code total}. */
  private static int share(int total, int i, int parts) {
    return (int) ((long) total * i / parts);
  }

  /** C = beta * C over an m x n window; beta == 0 writes zeros whatever C held. */
  static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
    for (int i = 0; i < m; i++) {
      int row = cOff + i * ldc;
      for (int j = 0; j < n; j++) c[row + j] = beta == 0f ? 0f : beta * c[row + j];
    }
  }

  /**
   * Runs the micro-kernel over every tile of B panels [q0, q1), starting {@code rotate} panels in,
   * and the packed A block. Edge tiles (fewer than MR rows or nr columns left) compute a full tile
   * into scratch and copy what fits.
   */
  private static void macroKernel(
      boolean wide,
      int mc,
      int nc,
      int kc,
      int q0,
      int q1,
      int rotate,
      int nr,
      float[] aPack,
      SgemmBSlice slice,
      float beta,
      float[] c,
      int cBase,
      int ldc) {
    float[] bPack = slice.buffer();
    for (int s = 0; s < q1 - q0; s++) {
      int q = q0 + (s + rotate) % (q1 - q0);
      int jr = q * nr;
      int w = Math.min(nr, nc - jr);
      int bi = slice.panel(q);
      for (int ir = 0; ir < mc; ir += MR) {
        int mr = Math.min(MR, mc - ir);
        int ci = cBase + ir * ldc + jr;
        if (mr == MR && w == nr) {
          tile(wide, kc, aPack, ir * kc, bPack, bi, c, ci, ldc, beta);
        } else {
          float[] edge = EDGE.get(MR * nr);
          tile(wide, kc, aPack, ir * kc, bPack, bi, edge, 0, nr, 0f);
          for (int r = 0; r < mr; r++) {
            for (int j = 0; j < w; j++) {
              int x = ci + r * ldc + j;
              float v = edge[r * nr + j];
              c[x] = beta == 0f ? v : v + beta * c[x];
            }
          }
        }
      }
    }
  }

  private static void tile(
      boolean wide,
      int kc,
      float[] a,
      int ai,
      float[] b,
      int bi,
      float[] c,
      int ci,
      int ldc,
      float beta) {
    if (wide) SgemmMicroKernels.kernel6x4(kc, a, ai, b, bi, c, ci, ldc, beta);
    else SgemmMicroKernels.kernel6x2(kc, a, ai, b, bi, c, ci, ldc, beta);
  }
}
