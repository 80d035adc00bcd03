package org.research4j.kernels.opencl;

import static org.jocl.CL.*;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.research4j.kernels.Buf;
import org.research4j.kernels.Kernels;

/**
 * The kernel set on one OpenCL device, through JOCL. Buffers live on the device ({@link ClBuf});
 * every primitive enqueues kernels on one in-order command queue and returns, so data crosses the
 * bus only in {@code upload}/{@code download} (and the few scalars of {@code sumSquares} and
 * {@code countNonFinite}). The kernels are the {@code .cl} resources of this package: {@code
 * ops.cl} (one program), {@code attention.cl} (one program per head dimension) and {@code
 * sgemm.cl} (one program per tiling, see {@link SgemmTuning}).
 *
 * <p>Arguments are checked on the host as the CPU kernels check them (buffer kinds and lengths
 * against the shapes) before anything is enqueued. Values inside device buffers (token ids,
 * targets, positions, KV-cache start offsets) are not: reading them would cost a round trip per
 * call. The kernels never read or write out of bounds on them instead: an out-of-range id or target
 * yields NaN (which {@code countNonFinite} finds), cache rows past the end are skipped and
 * attention never reads past {@code tk}. Any OpenCL error, at enqueue time or when a later {@code
 * sync}/{@code download} finds a failed kernel, throws {@link ClException}.
 *
 * <p>Because there is one in-order queue, a buffer closed while kernels that use it are still
 * queued can go back to the pool at once: whoever takes it next enqueues after them.
 */
public final class ClKernels implements Kernels {
  /** Work-group size of the row and reduction kernels; must equal RED_WG in ops.cl. */
  static final int RED_WG = 256;

  private static final int COL_X = 32;
  private static final int COL_Y = RED_WG / COL_X;
  private static final int ELEMENTWISE_WG = 64;
  /** Query (or key) rows per attention work-group, each held by a few lanes (attention.cl). */
  private static final int ATTENTION_ROWS = 32;
  /**
   * Most floats of a row one attention work-item keeps in registers on a GPU (of q, or of an
   * accumulator): a few such rows per work-item fit NVIDIA's 255 registers without spilling.
   */
  static final int ATTENTION_GPU_LANE_COLS = 32;
  /** Most work-items of an attention work-group. */
  private static final int ATTENTION_MAX_WG = 256;
  /**
   * Local memory an attention work-group may use: 48 KiB, what NVIDIA GPUs grant a work-group
   * (more only through CUDA's opt-in), and well inside the 64 KiB of AMD and Intel GPUs.
   */
  private static final long ATTENTION_LOCAL_BYTES = 48 * 1024;
  /** Most work-groups of a scalar reduction; each then sums n / (1024 * 256) elements. */
  private static final int MAX_PARTIALS = 1024;
  private static final String OPS = "ops.cl";
  private static final String ATTENTION = "attention.cl";
  private static final String SGEMM = "sgemm.cl";
  private static final String BF16 = "bf16.cl";

  private final ClDevice device;
  private final cl_context context;
  private final cl_command_queue queue;
  private final ClPrograms programs;
  private final ClBufferPool pool;
  private final Set<ClBuf> live = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Map<String, ClBuf> ropeTables = new HashMap<>();
  private final ClBuf noF32;
  private final ClBuf noI32;
  private SgemmTuning.Choice gemm;
  /** See {@link #attentionLaneColumns()}. */
  private int attentionLaneCols;
  private boolean closed;

  /** Opens {@code device} with the sgemm tiling of the tuning table. */
  public ClKernels(ClDevice device) {
    this.device = device;
    if (device.maxWorkGroupSize() < RED_WG) {
      throw new ClException(device.describe() + " allows work-groups of only "
          + device.maxWorkGroupSize() + " threads; the research4j OpenCL kernels need " + RED_WG);
    }
    CL.setExceptionsEnabled(true);
    try {
      context = clCreateContext(null, 1, new cl_device_id[] {device.id()}, null, null, null);
      queue = clCreateCommandQueue(context, device.id(), 0, null);
    } catch (CLException e) {
      throw new ClException("cannot open OpenCL device " + device.describe(), e);
    }
    programs = new ClPrograms(context, device);
    pool = new ClBufferPool(context, device);
    gemm = SgemmTuning.defaults(device);
    attentionLaneCols = device.isGpu() ? ATTENTION_GPU_LANE_COLS : Integer.MAX_VALUE;
    noF32 = allocF32(1);
    noI32 = allocI32(1);
  }

  public ClDevice device() {
    return device;
  }

  @Override
  public String description() {
    return "opencl: " + device.describe();
  }

  /** The sgemm tilings in use: one for large products, one for small ones. */
  public SgemmTuning.Choice gemmChoice() {
    return gemm;
  }

  /** Replaces the sgemm tilings (the autotuner's result, or a benchmark's). */
  public void useGemm(SgemmTuning.Choice choice) {
    for (GemmConfig c : List.of(choice.large(), choice.small())) {
      String problem = c.problemOn(device);
      if (problem != null) {
        throw new IllegalArgumentException("sgemm tiling " + c + " cannot run on "
            + device.describe() + ": " + problem);
      }
    }
    gemm = choice;
  }

  // ---------------------------------------------------------------------------------------------
  // Memory.

  @Override
  public ClBuf allocF32(int n) {
    return alloc(Buf.Type.F32, n);
  }

  @Override
  public ClBuf allocI32(int n) {
    return alloc(Buf.Type.I32, n);
  }

  private synchronized ClBuf alloc(Buf.Type type, int n) {
    open();
    if (n < 0) throw new IllegalArgumentException("alloc" + type + ": negative length " + n);
    long bytes = 4L * Math.max(n, 1);
    ClBuf buf = new ClBuf(this, pool.take(bytes, type + " buffer of " + n + " elements"),
        ClBufferPool.sizeClass(bytes), type, n);
    live.add(buf);
    if (n > 0) {
      try {
        clEnqueueFillBuffer(queue, buf.mem, Pointer.to(new int[] {0}), 4, 0, 4L * n, 0, null,
            null);
      } catch (CLException e) {
        throw fail("zero-filling a new buffer of " + n + " elements", e);
      }
    }
    return buf;
  }

  /** Called by {@link ClBuf#close} with this object's lock held. */
  void release(ClBuf buf) {
    if (closed || !live.remove(buf)) return;
    pool.give(buf.mem, buf.capacityBytes);
  }

  @Override
  public void upload(float[] src, int srcOff, Buf dst, int dstOff, int n) {
    write(Pointer.to(src), src.length, srcOff, dst, Buf.Type.F32, dstOff, n, "floats");
  }

  @Override
  public void upload(int[] src, int srcOff, Buf dst, int dstOff, int n) {
    write(Pointer.to(src), src.length, srcOff, dst, Buf.Type.I32, dstOff, n, "ints");
  }

  @Override
  public void download(Buf src, int srcOff, float[] dst, int dstOff, int n) {
    read(src, Buf.Type.F32, srcOff, Pointer.to(dst), dst.length, dstOff, n, "floats");
  }

  @Override
  public void download(Buf src, int srcOff, int[] dst, int dstOff, int n) {
    read(src, Buf.Type.I32, srcOff, Pointer.to(dst), dst.length, dstOff, n, "ints");
  }

  /** Blocking host-to-device copy of {@code n} 4-byte elements (floats and ints alike). */
  private void write(Pointer host, int hostLength, int hostOff, Buf dst, Buf.Type type, int dstOff,
      int n, String what) {
    ClBuf d = buf("upload", "dst", dst, type, 0);
    range("upload", hostLength, hostOff, n, d.length(), dstOff);
    if (n == 0) return;
    try {
      clEnqueueWriteBuffer(queue, d.mem, CL_TRUE, 4L * dstOff, 4L * n,
          host.withByteOffset(4L * hostOff), 0, null, null);
    } catch (CLException e) {
      throw fail("upload of " + n + " " + what, e);
    }
  }

  /** Blocking device-to-host copy; it also surfaces errors of kernels enqueued before it. */
  private void read(Buf src, Buf.Type type, int srcOff, Pointer host, int hostLength, int hostOff,
      int n, String what) {
    ClBuf s = buf("download", "src", src, type, 0);
    range("download", hostLength, hostOff, n, s.length(), srcOff);
    if (n == 0) return;
    try {
      clEnqueueReadBuffer(queue, s.mem, CL_TRUE, 4L * srcOff, 4L * n,
          host.withByteOffset(4L * hostOff), 0, null, null);
    } catch (CLException e) {
      throw fail("download of " + n + " " + what + " (or a kernel enqueued before it)", e);
    }
  }

  /** Checks a host array range {@code [hostOff, hostOff+n)} and a device range {@code [devOff, devOff+n)}. */
  private static void range(String op, int hostLen, int hostOff, int n, int devLen, int devOff) {
    if (n < 0 || hostOff < 0 || devOff < 0 || (long) hostOff + n > hostLen
        || (long) devOff + n > devLen) {
      throw new IllegalArgumentException(String.format(
          "%s: %d elements at host offset %d (array of %d) and device offset %d (buffer of %d)"
              + " do not fit", op, n, hostOff, hostLen, devOff, devLen));
    }
  }

  @Override
  public void copy(Buf src, int srcOff, Buf dst, int dstOff, int n) {
    ClBuf s = buf("copy", "src", src, src == null ? Buf.Type.F32 : src.type(), 0);
    ClBuf d = buf("copy", "dst", dst, s.type(), 0);
    if (n < 0 || srcOff < 0 || dstOff < 0 || (long) srcOff + n > s.length()
        || (long) dstOff + n > d.length()) {
      throw new IllegalArgumentException(String.format(
          "copy: %d elements from offset %d (buffer of %d) to offset %d (buffer of %d) do not fit",
          n, srcOff, s.length(), dstOff, d.length()));
    }
    if (n == 0 || (s == d && srcOff == dstOff)) return;
    try {
      if (s == d && Math.abs(srcOff - dstOff) < n) {
        // clEnqueueCopyBuffer refuses overlapping regions; go through a scratch buffer.
        try (ClBuf tmp = alloc(s.type(), n)) {
          clEnqueueCopyBuffer(queue, s.mem, tmp.mem, 4L * srcOff, 0, 4L * n, 0, null, null);
          clEnqueueCopyBuffer(queue, tmp.mem, d.mem, 0, 4L * dstOff, 4L * n, 0, null, null);
        }
      } else {
        clEnqueueCopyBuffer(queue, s.mem, d.mem, 4L * srcOff, 4L * dstOff, 4L * n, 0, null, null);
      }
    } catch (CLException e) {
      throw fail("copy of " + n + " elements", e);
    }
  }

  @Override
  public void fill(Buf x, int off, int n, float value) {
    ClBuf b = buf("fill", "x", x, Buf.Type.F32, 0);
    if (n < 0 || off < 0 || (long) off + n > b.length()) {
      throw new IllegalArgumentException(String.format(
          "fill: %d elements at offset %d do not fit a buffer of %d", n, off, b.length()));
    }
    if (n == 0) return;
    try {
      clEnqueueFillBuffer(queue, b.mem, Pointer.to(new float[] {value}), 4, 4L * off, 4L * n, 0,
          null, null);
    } catch (CLException e) {
      throw fail("fill of " + n + " floats", e);
    }
  }

  @Override
  public void sync() {
    open();
    try {
      clFinish(queue);
    } catch (CLException e) {
      throw fail("clFinish (a kernel enqueued earlier failed)", e);
    }
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    try {
      clFinish(queue);
    } finally {
      closed = true;
      for (ClBuf b : live) clReleaseMemObject(b.mem);
      live.clear();
      pool.close();
      programs.close();
      clReleaseCommandQueue(queue);
      clReleaseContext(context);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Matrix multiply.

  @Override
  public void sgemm(
      boolean transA, boolean transB, int m, int n, int k, float alpha, Buf a, int aOff, int lda,
      Buf b, int bOff, int ldb, float beta, Buf c, int cOff, int ldc) {
    sgemm(null, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
  }

  /** {@link #sgemm} with a given tiling, or the current choice when {@code config} is null. */
  void sgemm(
      GemmConfig config, boolean transA, boolean transB, int m, int n, int k, float alpha, Buf a,
      int aOff, int lda, Buf b, int bOff, int ldb, float beta, Buf c, int cOff, int ldc) {
    String op = "sgemm";
    dims(op, m, n, k);
    ClBuf ab = buf(op, "a", a, Buf.Type.F32, 0);
    ClBuf bb = buf(op, "b", b, Buf.Type.F32, 0);
    ClBuf cb = buf(op, "c", c, Buf.Type.F32, 0);
    matrix(op, "a", ab, aOff, lda, transA ? k : m, transA ? m : k);
    matrix(op, "b", bb, bOff, ldb, transB ? n : k, transB ? k : n);
    matrix(op, "c", cb, cOff, ldc, m, n);
    if (m == 0 || n == 0) return;
    GemmConfig g = config != null ? config : gemm.pick(m, n, device);
    String name = "sgemm_" + (transA ? "t" : "n") + (transB ? "t" : "n");
    long groupsN = (n + g.nwg() - 1) / g.nwg();
    long groupsM = (m + g.mwg() - 1) / g.mwg();
    launch(SGEMM, g.defines(), name,
        new long[] {groupsN * g.ndimc(), groupsM * g.mdimc()},
        new long[] {g.ndimc(), g.mdimc()},
        m, n, k, alpha, ab, aOff, lda, bb, bOff, ldb, beta, cb, cOff, ldc);
  }

  /** A {@code rows x cols} matrix at {@code off} with row stride {@code ld} must fit in {@code b}. */
  private static void matrix(String op, String name, ClBuf b, int off, int ld, int rows,
      int cols) {
    if (off < 0) throw new IllegalArgumentException(op + ": negative offset of " + name);
    if (ld < Math.max(1, cols)) {
      throw new IllegalArgumentException(String.format(
          "%s: leading dimension of %s is %d, smaller than its %d columns", op, name, ld, cols));
    }
    if (rows == 0 || cols == 0) return;
    long need = off + (long) (rows - 1) * ld + cols;
    if (need > b.length()) {
      throw new IllegalArgumentException(String.format(
          "%s: %s is %d x %d with offset %d and leading dimension %d, needs %d elements, the"
              + " buffer has %d", op, name, rows, cols, off, ld, need, b.length()));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Attention.

  @Override
  public void attentionForward(
      Buf q, Buf k, Buf v, Buf out, Buf lse, Buf start, int b, int tq, int tk, int hq, int hkv,
      int d, float scale) {
    String op = "attentionForward";
    attentionShape(op, b, tq, tk, hq, hkv, d);
    if (start == null && tq > tk) {
      throw new IllegalArgumentException(op + ": tq=" + tq + " > tk=" + tk
          + " without start offsets: the last queries would have no keys");
    }
    long qn = (long) b * tq * hq * d;
    long kn = (long) b * tk * hkv * d;
    ClBuf qb = buf(op, "q", q, Buf.Type.F32, qn);
    ClBuf kb = buf(op, "k", k, Buf.Type.F32, kn);
    ClBuf vb = buf(op, "v", v, Buf.Type.F32, kn);
    ClBuf ob = buf(op, "out", out, Buf.Type.F32, qn);
    ClBuf lb = lse == null ? noF32 : buf(op, "lse", lse, Buf.Type.F32, (long) b * hq * tq);
    ClBuf sb = start == null ? noI32 : buf(op, "start", start, Buf.Type.I32, b);
    if (b == 0 || tq == 0) return;
    AttentionPlan plan = attentionPlan(d);
    launch(ATTENTION, plan.options(), "attention_forward", plan.global(tq, hq, b), plan.local(),
        qb, kb, vb, ob, lb, sb, lse == null ? 0 : 1, start == null ? 0 : 1, tq, tk, hq, hkv,
        scale);
  }

  @Override
  public void attentionBackward(
      Buf q, Buf k, Buf v, Buf out, Buf lse, Buf dOut, Buf dq, Buf dk, Buf dv, int b, int t,
      int hq, int hkv, int d, float scale) {
    String op = "attentionBackward";
    attentionShape(op, b, t, t, hq, hkv, d);
    long qn = (long) b * t * hq * d;
    long kn = (long) b * t * hkv * d;
    ClBuf qb = buf(op, "q", q, Buf.Type.F32, qn);
    ClBuf kb = buf(op, "k", k, Buf.Type.F32, kn);
    ClBuf vb = buf(op, "v", v, Buf.Type.F32, kn);
    ClBuf ob = buf(op, "out", out, Buf.Type.F32, qn);
    ClBuf lb = buf(op, "lse", lse, Buf.Type.F32, (long) b * hq * t);
    ClBuf gob = buf(op, "dOut", dOut, Buf.Type.F32, qn);
    ClBuf dqb = buf(op, "dq", dq, Buf.Type.F32, qn);
    ClBuf dkb = buf(op, "dk", dk, Buf.Type.F32, kn);
    ClBuf dvb = buf(op, "dv", dv, Buf.Type.F32, kn);
    if (b == 0 || t == 0) return;
    AttentionPlan plan = attentionPlan(d);
    try (ClBuf delta = allocF32(Math.toIntExact((long) b * hq * t))) {
      launch(ATTENTION, plan.options(), "attention_backward_delta",
          new long[] {roundUp(t, ELEMENTWISE_WG), hq, b}, new long[] {ELEMENTWISE_WG, 1, 1},
          ob, gob, delta, t, hq);
      launch(ATTENTION, plan.options(), "attention_backward_dq", plan.global(t, hq, b),
          plan.local(), qb, kb, vb, lb, gob, delta, dqb, t, hq, hkv, scale);
      launch(ATTENTION, plan.options(), "attention_backward_dkdv", plan.global(t, hkv, b),
          plan.local(), qb, kb, vb, lb, gob, delta, dkb, dvb, t, hq, hkv, scale);
    }
  }

  private static void attentionShape(String op, int b, int tq, int tk, int hq, int hkv, int d) {
    dims(op, b, tq, tk, hq, hkv, d);
    if (hq == 0 || hkv == 0 || d == 0 || hq % hkv != 0) {
      throw new IllegalArgumentException(String.format(
          "%s: need hq %% hkv == 0 with hq, hkv, d > 0; got hq=%d hkv=%d d=%d", op, hq, hkv, d));
    }
  }

  /**
   * How attention.cl runs at head dimension {@code d}: {@code split} lanes share each row so that
   * none holds more than {@link #attentionLaneColumns()} floats of it (GPU, d = 128: 4 lanes),
   * {@code rows} rows per work-group, and key tiles of {@code bk} rows, the largest power of two up
   * to 32 whose local memory in the backward (q and dOut tiles, their lse and delta, two partial
   * dot products per lane and tile row) fits the device and {@link #ATTENTION_LOCAL_BYTES}.
   */
  private record AttentionPlan(int d, int split, int rows, int bk) {
    String options() {
      return "-D HEAD_DIM=" + d + " -D SPLIT=" + split + " -D ROWS=" + rows + " -D BK=" + bk;
    }

    long[] local() {
      return new long[] {(long) rows * split, 1, 1};
    }

    /** One work-group per {@code rows} rows of {@code t}, by head and sequence. */
    long[] global(int t, int heads, int b) {
      return new long[] {((long) t + rows - 1) / rows * rows * split, heads, b};
    }
  }

  /**
   * The most floats of a head row one attention work-item holds: {@value
   * #ATTENTION_GPU_LANE_COLS} on GPUs, a whole row on CPU devices, where splitting rows across
   * work-items only defeats the compiler's vectorisation across them (PoCL, d = 64: forward 2.5x,
   * decode 6x slower).
   */
  public int attentionLaneColumns() {
    return attentionLaneCols;
  }

  /** Replaces {@link #attentionLaneColumns()} (tests, and benchmarks comparing the layouts). */
  public void useAttentionLaneColumns(int cols) {
    if (cols < 1) {
      throw new IllegalArgumentException("attention lane columns must be >= 1, got " + cols);
    }
    attentionLaneCols = cols;
  }

  private AttentionPlan attentionPlan(int d) {
    int split = Math.min(ATTENTION_MAX_WG, Math.ceilDiv(d, attentionLaneCols));
    int rows = Math.min(ATTENTION_ROWS, ATTENTION_MAX_WG / split);
    long budget = Math.min(ATTENTION_LOCAL_BYTES, device.localMemSize());
    long wg = (long) rows * split;
    int bk = 32;
    while (bk > 1 && 4L * bk * (2L * d + 2 + 2 * wg) > budget) bk /= 2;
    return new AttentionPlan(d, split, rows, bk);
  }

  @Override
  public void writeCache(Buf src, Buf cache, Buf start, int b, int tn, int tmax, int rowSize) {
    String op = "writeCache";
    dims(op, b, tn, tmax, rowSize);
    ClBuf sb = buf(op, "src", src, Buf.Type.F32, (long) b * tn * rowSize);
    ClBuf cb = buf(op, "cache", cache, Buf.Type.F32, (long) b * tmax * rowSize);
    ClBuf st = buf(op, "start", start, Buf.Type.I32, b);
    if (b == 0 || tn == 0 || rowSize == 0) return;
    launch(OPS, "", "write_cache", new long[] {roundUp(rowSize, ELEMENTWISE_WG), tn, b},
        new long[] {ELEMENTWISE_WG, 1, 1}, sb, cb, st, b, tn, tmax, rowSize);
  }

  // ---------------------------------------------------------------------------------------------
  // Normalisation, position, activation, embedding.

  @Override
  public void rmsnormForward(Buf x, Buf w, Buf y, Buf rstd, int rows, int dim, float eps) {
    String op = "rmsnormForward";
    dims(op, rows, dim);
    long n = (long) rows * dim;
    ClBuf xb = buf(op, "x", x, Buf.Type.F32, n);
    ClBuf wb = buf(op, "w", w, Buf.Type.F32, dim);
    ClBuf yb = buf(op, "y", y, Buf.Type.F32, n);
    ClBuf rb = buf(op, "rstd", rstd, Buf.Type.F32, rows);
    launchRows("rmsnorm_forward", rows, xb, wb, yb, rb, dim, eps);
  }

  @Override
  public void rmsnormBackward(Buf x, Buf w, Buf rstd, Buf dy, Buf dx, Buf dw, int rows, int dim) {
    String op = "rmsnormBackward";
    dims(op, rows, dim);
    long n = (long) rows * dim;
    ClBuf xb = buf(op, "x", x, Buf.Type.F32, n);
    ClBuf wb = buf(op, "w", w, Buf.Type.F32, dim);
    ClBuf rb = buf(op, "rstd", rstd, Buf.Type.F32, rows);
    ClBuf dyb = buf(op, "dy", dy, Buf.Type.F32, n);
    ClBuf dxb = buf(op, "dx", dx, Buf.Type.F32, n);
    ClBuf dwb = buf(op, "dw", dw, Buf.Type.F32, dim);
    launchRows("rmsnorm_backward_dx", rows, xb, wb, rb, dyb, dxb, dim);
    launchCols("rmsnorm_backward_dw", dim, xb, rb, dyb, dwb, rows, dim);
  }

  @Override
  public void ropeForward(Buf x, Buf y, Buf pos, int n, int h, int d, float theta) {
    rope("ropeForward", "rope_forward", x, y, pos, n, h, d, theta);
  }

  @Override
  public void ropeBackward(Buf dy, Buf dx, Buf pos, int n, int h, int d, float theta) {
    rope("ropeBackward", "rope_backward", dy, dx, pos, n, h, d, theta);
  }

  private void rope(String op, String kernel, Buf in, Buf outBuf, Buf pos, int n, int h, int d,
      float theta) {
    dims(op, n, h, d);
    if (d % 2 != 0) throw new IllegalArgumentException(op + ": head dimension d=" + d + " is odd");
    long len = (long) n * h * d;
    ClBuf ib = buf(op, "input", in, Buf.Type.F32, len);
    ClBuf ob = buf(op, "output", outBuf, Buf.Type.F32, len);
    ClBuf pb = buf(op, "pos", pos, Buf.Type.I32, n);
    if (len == 0) return;
    launch1d(kernel, (long) n * h * (d / 2), ib, ob, pb, ropeTable(d, theta), n, h, d);
  }

  /**
   * The inverse frequencies of RoPE for head dimension {@code d}, uploaded once per (d, theta).
   * Computed as Hugging Face does, in float32: {@code 1 / theta^(float(2j) / d)}.
   */
  private synchronized ClBuf ropeTable(int d, float theta) {
    String key = d + "/" + Float.floatToIntBits(theta);
    ClBuf t = ropeTables.get(key);
    if (t == null) {
      float[] inv = new float[d / 2];
      for (int j = 0; j < d / 2; j++) {
        float exponent = (float) (2 * j) / (float) d;
        inv[j] = 1.0f / (float) Math.pow(theta, exponent);
      }
      t = allocF32(inv.length);
      upload(inv, 0, t, 0, inv.length);
      ropeTables.put(key, t);
    }
    return t;
  }

  @Override
  public void swigluForward(Buf gate, Buf up, Buf y, int n) {
    String op = "swigluForward";
    dims(op, n);
    launch1d("swiglu_forward", n, buf(op, "gate", gate, Buf.Type.F32, n),
        buf(op, "up", up, Buf.Type.F32, n), buf(op, "y", y, Buf.Type.F32, n), n);
  }

  @Override
  public void swigluBackward(Buf gate, Buf up, Buf dy, Buf dgate, Buf dup, int n) {
    String op = "swigluBackward";
    dims(op, n);
    launch1d("swiglu_backward", n, buf(op, "gate", gate, Buf.Type.F32, n),
        buf(op, "up", up, Buf.Type.F32, n), buf(op, "dy", dy, Buf.Type.F32, n),
        buf(op, "dgate", dgate, Buf.Type.F32, n), buf(op, "dup", dup, Buf.Type.F32, n), n);
  }

  @Override
  public void embeddingForward(Buf table, Buf ids, Buf out, int n, int dim) {
    String op = "embeddingForward";
    dims(op, n, dim);
    ClBuf tb = buf(op, "table", table, Buf.Type.F32, dim);
    ClBuf ib = buf(op, "ids", ids, Buf.Type.I32, n);
    ClBuf ob = buf(op, "out", out, Buf.Type.F32, (long) n * dim);
    if (dim == 0) return;
    launch1d("embedding_forward", (long) n * dim, tb, ib, ob, n, dim, tb.length() / dim);
  }

  @Override
  public void embeddingBackward(Buf dout, Buf ids, Buf dtable, int n, int dim) {
    String op = "embeddingBackward";
    dims(op, n, dim);
    ClBuf db = buf(op, "dout", dout, Buf.Type.F32, (long) n * dim);
    ClBuf ib = buf(op, "ids", ids, Buf.Type.I32, n);
    ClBuf tb = buf(op, "dtable", dtable, Buf.Type.F32, dim);
    if (dim == 0 || n == 0) return;
    launch1d("embedding_backward", dim, db, ib, tb, n, dim, tb.length() / dim);
  }

  // ---------------------------------------------------------------------------------------------
  // Softmax family and losses.

  @Override
  public void softmaxForward(Buf x, Buf y, int rows, int cols) {
    rowOp("softmaxForward", "softmax_forward", x, y, rows, cols, "x", "y");
  }

  @Override
  public void softmaxBackward(Buf y, Buf dy, Buf dx, int rows, int cols) {
    rowOp("softmaxBackward", "softmax_backward", y, dy, dx, rows, cols);
  }

  @Override
  public void logSoftmaxForward(Buf x, Buf y, int rows, int cols) {
    rowOp("logSoftmaxForward", "log_softmax_forward", x, y, rows, cols, "x", "y");
  }

  @Override
  public void logSoftmaxBackward(Buf y, Buf dy, Buf dx, int rows, int cols) {
    rowOp("logSoftmaxBackward", "log_softmax_backward", y, dy, dx, rows, cols);
  }

  private void rowOp(String op, String kernel, Buf x, Buf y, int rows, int cols, String xn,
      String yn) {
    dims(op, rows, cols);
    long n = (long) rows * cols;
    launchRows(kernel, rows, buf(op, xn, x, Buf.Type.F32, n), buf(op, yn, y, Buf.Type.F32, n),
        cols);
  }

  private void rowOp(String op, String kernel, Buf y, Buf dy, Buf dx, int rows, int cols) {
    dims(op, rows, cols);
    long n = (long) rows * cols;
    launchRows(kernel, rows, buf(op, "y", y, Buf.Type.F32, n), buf(op, "dy", dy, Buf.Type.F32, n),
        buf(op, "dx", dx, Buf.Type.F32, n), cols);
  }

  @Override
  public void crossEntropyForward(
      Buf logits, Buf targets, Buf loss, Buf lse, int rows, int v, int ignoreIndex) {
    String op = "crossEntropyForward";
    dims(op, rows, v);
    launchRows("cross_entropy_forward", rows,
        buf(op, "logits", logits, Buf.Type.F32, (long) rows * v),
        buf(op, "targets", targets, Buf.Type.I32, rows),
        buf(op, "loss", loss, Buf.Type.F32, rows),
        buf(op, "lse", lse, Buf.Type.F32, rows), v, ignoreIndex);
  }

  @Override
  public void crossEntropyBackward(
      Buf logits, Buf targets, Buf lse, Buf dloss, Buf dlogits, int rows, int v,
      int ignoreIndex) {
    String op = "crossEntropyBackward";
    dims(op, rows, v);
    long n = (long) rows * v;
    ClBuf lg = buf(op, "logits", logits, Buf.Type.F32, n);
    ClBuf tg = buf(op, "targets", targets, Buf.Type.I32, rows);
    ClBuf ls = buf(op, "lse", lse, Buf.Type.F32, rows);
    ClBuf dl = buf(op, "dloss", dloss, Buf.Type.F32, rows);
    ClBuf dg = buf(op, "dlogits", dlogits, Buf.Type.F32, n);
    if (n == 0) return;
    launch(OPS, "", "cross_entropy_backward", new long[] {roundUp(v, RED_WG), rows},
        new long[] {RED_WG, 1}, lg, tg, ls, dl, dg, rows, v, ignoreIndex);
  }

  @Override
  public void grpoLossForward(
      Buf logp, Buf oldLogp, Buf refLogp, Buf adv, Buf weight, Buf loss, Buf kl, int n,
      float epsLow, float epsHigh, float beta) {
    String op = "grpoLossForward";
    dims(op, n);
    launch1d("grpo_loss_forward", n, buf(op, "logp", logp, Buf.Type.F32, n),
        buf(op, "oldLogp", oldLogp, Buf.Type.F32, n),
        buf(op, "refLogp", refLogp, Buf.Type.F32, n), buf(op, "adv", adv, Buf.Type.F32, n),
        buf(op, "weight", weight, Buf.Type.F32, n), buf(op, "loss", loss, Buf.Type.F32, n),
        buf(op, "kl", kl, Buf.Type.F32, n), n, epsLow, epsHigh, beta);
  }

  @Override
  public void grpoLossBackward(
      Buf logp, Buf oldLogp, Buf refLogp, Buf adv, Buf weight, Buf dloss, Buf dlogp, int n,
      float epsLow, float epsHigh, float beta) {
    String op = "grpoLossBackward";
    dims(op, n);
    launch1d("grpo_loss_backward", n, buf(op, "logp", logp, Buf.Type.F32, n),
        buf(op, "oldLogp", oldLogp, Buf.Type.F32, n),
        buf(op, "refLogp", refLogp, Buf.Type.F32, n), buf(op, "adv", adv, Buf.Type.F32, n),
        buf(op, "weight", weight, Buf.Type.F32, n), buf(op, "dloss", dloss, Buf.Type.F32, n),
        buf(op, "dlogp", dlogp, Buf.Type.F32, n), n, epsLow, epsHigh, beta);
  }

  // ---------------------------------------------------------------------------------------------
  // Elementwise and reductions.

  @Override
  public void add(Buf a, Buf b, Buf out, int n) {
    binary("add", "add", a, b, out, n);
  }

  @Override
  public void mul(Buf a, Buf b, Buf out, int n) {
    binary("mul", "mul", a, b, out, n);
  }

  @Override
  public void mulAcc(Buf a, Buf b, Buf out, int n) {
    binary("mulAcc", "mul_acc", a, b, out, n);
  }

  private void binary(String op, String kernel, Buf a, Buf b, Buf out, int n) {
    dims(op, n);
    launch1d(kernel, n, buf(op, "a", a, Buf.Type.F32, n), buf(op, "b", b, Buf.Type.F32, n),
        buf(op, "out", out, Buf.Type.F32, n), n);
  }

  @Override
  public void axpy(float alpha, Buf x, Buf y, int n) {
    dims("axpy", n);
    launch1d("axpy", n, alpha, buf("axpy", "x", x, Buf.Type.F32, n),
        buf("axpy", "y", y, Buf.Type.F32, n), n);
  }

  @Override
  public void scale(Buf x, float alpha, int n) {
    dims("scale", n);
    launch1d("scale", n, buf("scale", "x", x, Buf.Type.F32, n), alpha, n);
  }

  @Override
  public void addBias(Buf x, Buf bias, int rows, int cols) {
    String op = "addBias";
    dims(op, rows, cols);
    launch1d("add_bias", (long) rows * cols,
        buf(op, "x", x, Buf.Type.F32, (long) rows * cols),
        buf(op, "bias", bias, Buf.Type.F32, cols), rows, cols);
  }

  @Override
  public void sumRowsAcc(Buf x, Buf out, int rows, int cols) {
    String op = "sumRowsAcc";
    dims(op, rows, cols);
    launchCols("sum_rows_acc", cols, buf(op, "x", x, Buf.Type.F32, (long) rows * cols),
        buf(op, "out", out, Buf.Type.F32, cols), rows, cols);
  }

  @Override
  public void reduceSum(Buf x, Buf out, int n) {
    String op = "reduceSum";
    dims(op, n);
    ClBuf xb = buf(op, "x", x, Buf.Type.F32, n);
    ClBuf ob = buf(op, "out", out, Buf.Type.F32, 1);
    int groups = partialGroups(n);
    try (ClBuf partial = allocF32(groups)) {
      launch(OPS, "", "sum_partial", new long[] {(long) groups * RED_WG}, new long[] {RED_WG},
          xb, n, partial);
      launch(OPS, "", "sum_final", new long[] {RED_WG}, new long[] {RED_WG}, partial, groups, ob);
    }
  }

  @Override
  public void reduceSumBackward(Buf dout, Buf dx, int n) {
    String op = "reduceSumBackward";
    dims(op, n);
    launch1d("reduce_sum_backward", n, buf(op, "dout", dout, Buf.Type.F32, 1),
        buf(op, "dx", dx, Buf.Type.F32, n), n);
  }

  /**
   * Partial sums of squares per work-group on the device, in float with compensated per-thread
   * sums; the at most {@value #MAX_PARTIALS} partials are added on the host in double.
   */
  @Override
  public double sumSquares(Buf x, int n) {
    dims("sumSquares", n);
    ClBuf xb = buf("sumSquares", "x", x, Buf.Type.F32, n);
    int groups = partialGroups(n);
    float[] partials = new float[groups];
    try (ClBuf partial = allocF32(groups)) {
      launch(OPS, "", "sum_squares_partial", new long[] {(long) groups * RED_WG},
          new long[] {RED_WG}, xb, n, partial);
      download(partial, 0, partials, 0, groups);
    }
    double sum = 0;
    for (float p : partials) sum += p;
    return sum;
  }

  @Override
  public int countNonFinite(Buf x, int n) {
    dims("countNonFinite", n);
    ClBuf xb = buf("countNonFinite", "x", x, Buf.Type.F32, n);
    int groups = partialGroups(n);
    int[] partials = new int[groups];
    try (ClBuf partial = allocI32(groups)) {
      launch(OPS, "", "count_nonfinite_partial", new long[] {(long) groups * RED_WG},
          new long[] {RED_WG}, xb, n, partial);
      download(partial, 0, partials, 0, groups);
    }
    int count = 0;
    for (int p : partials) count += p;
    return count;
  }

  private static int partialGroups(int n) {
    return (int) Math.max(1, Math.min(MAX_PARTIALS, ((long) n + RED_WG - 1) / RED_WG));
  }

  // ---------------------------------------------------------------------------------------------
  // Optimiser.

  @Override
  public void adamw(
      Buf p, Buf g, Buf m, Buf v, int n, float lr, float beta1, float beta2, float eps,
      float weightDecay, float gradScale, int step) {
    String op = "adamw";
    dims(op, n);
    if (step < 1) throw new IllegalArgumentException("adamw: step must be >= 1, got " + step);
    // Bias corrections in double on the host, as torch.optim.AdamW computes them in Python.
    double bc1 = 1 - Math.pow(beta1, step);
    double bc2 = 1 - Math.pow(beta2, step);
    launch1d("adamw", n, buf(op, "p", p, Buf.Type.F32, n), buf(op, "g", g, Buf.Type.F32, n),
        buf(op, "m", m, Buf.Type.F32, n), buf(op, "v", v, Buf.Type.F32, n), n, beta1, beta2, eps,
        gradScale, (float) (1.0 - (double) lr * weightDecay), (float) (lr / bc1),
        (float) Math.sqrt(bc2));
  }

  // ---------------------------------------------------------------------------------------------
  // Launching.

  private void launch1d(String kernel, long n, Object... args) {
    if (n == 0) return;
    launch(OPS, "", kernel, new long[] {roundUp(n, ELEMENTWISE_WG)}, new long[] {ELEMENTWISE_WG},
        args);
  }

  /** One work-group of {@link #RED_WG} threads per row. */
  private void launchRows(String kernel, int rows, Object... args) {
    if (rows == 0) return;
    launch(OPS, "", kernel, new long[] {(long) rows * RED_WG}, new long[] {RED_WG}, args);
  }

  /** Work-groups of {@code COL_X x COL_Y} threads, one per {@code COL_X} columns. */
  private void launchCols(String kernel, int cols, Object... args) {
    if (cols == 0) return;
    launch(OPS, "", kernel, new long[] {roundUp(cols, COL_X), COL_Y}, new long[] {COL_X, COL_Y},
        args);
  }

  /**
   * Sets the arguments of kernel {@code name} of {@code file} (built with {@code options}) and
   * enqueues it. Arguments are {@link ClBuf}, {@link Integer} or {@link Float}, in the kernel's
   * order. Setting arguments and enqueueing happen under this object's lock: a cl_kernel's
   * arguments are shared state.
   */
  synchronized void launch(String file, String options, String name, long[] global, long[] local,
      Object... args) {
    open();
    cl_kernel kernel = programs.kernel(file, options, name);
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case ClBuf b -> clSetKernelArg(kernel, i, Sizeof.cl_mem, Pointer.to(b.mem));
          case Integer v -> clSetKernelArg(kernel, i, Sizeof.cl_int, Pointer.to(new int[] {v}));
          case Float v -> clSetKernelArg(kernel, i, Sizeof.cl_float, Pointer.to(new float[] {v}));
          default -> throw new IllegalArgumentException(
              "kernel " + name + ": unsupported argument " + i + ": " + args[i]);
        }
      }
      clEnqueueNDRangeKernel(queue, kernel, global.length, null, global, local, 0, null, null);
    } catch (CLException e) {
      throw fail("kernel " + name + " of " + file + " (global " + Arrays.toString(global)
          + ", local " + Arrays.toString(local) + ")", e);
    }
  }

  cl_context context() {
    return context;
  }

  /** The program builder of this device. */
  ClPrograms programs() {
    return programs;
  }

  private ClException fail(String what, CLException e) {
    return new ClException("OpenCL error in " + what + " on " + device.describe(), e);
  }

  private void open() {
    if (closed) throw new IllegalStateException("OpenCL kernels on " + device.describe()
        + " were closed");
  }

  private static long roundUp(long n, long m) {
    return (n + m - 1) / m * m;
  }

  // ---------------------------------------------------------------------------------------------
  // Frozen bfloat16 weights (bf16.cl): 2-byte elements, read widened to float32.

  @Override
  public synchronized ClBuf allocBf16(int n) {
    open();
    if (n < 0) throw new IllegalArgumentException("allocBf16: negative length " + n);
    long bytes = 2L * Math.max(n, 2);
    ClBuf buf = new ClBuf(this, pool.take(bytes, "BF16 buffer of " + n + " elements"),
        ClBufferPool.sizeClass(bytes), Buf.Type.BF16, n);
    live.add(buf);
    if (n > 0) {
      try {
        clEnqueueFillBuffer(queue, buf.mem, Pointer.to(new short[] {0}), 2, 0, 2L * n, 0, null,
            null);
      } catch (CLException e) {
        throw fail("zero-filling a new BF16 buffer of " + n + " elements", e);
      }
    }
    return buf;
  }

  @Override
  public void uploadBf16(short[] src, int srcOff, Buf dst, int dstOff, int n) {
    ClBuf d = buf("uploadBf16", "dst", dst, Buf.Type.BF16, 0);
    range("uploadBf16", src.length, srcOff, n, d.length(), dstOff);
    if (n == 0) return;
    try {
      clEnqueueWriteBuffer(queue, d.mem, CL_TRUE, 2L * dstOff, 2L * n,
          Pointer.to(src).withByteOffset(2L * srcOff), 0, null, null);
    } catch (CLException e) {
      throw fail("upload of " + n + " bfloat16 values", e);
    }
  }

  @Override
  public void downloadBf16(Buf src, int srcOff, short[] dst, int dstOff, int n) {
    ClBuf s = buf("downloadBf16", "src", src, Buf.Type.BF16, 0);
    range("downloadBf16", dst.length, dstOff, n, s.length(), srcOff);
    if (n == 0) return;
    try {
      clEnqueueReadBuffer(queue, s.mem, CL_TRUE, 2L * srcOff, 2L * n,
          Pointer.to(dst).withByteOffset(2L * dstOff), 0, null, null);
    } catch (CLException e) {
      throw fail("download of " + n + " bfloat16 values (or a kernel enqueued before it)", e);
    }
  }

  @Override
  public void sgemmBf16(int m, int n, int k, float alpha, Buf a, int aOff, int lda, Buf w,
      int wOff, int ldw, float beta, Buf c, int cOff, int ldc) {
    String op = "sgemmBf16";
    dims(op, m, n, k);
    ClBuf ab = buf(op, "a", a, Buf.Type.F32, 0);
    ClBuf wb = buf(op, "w", w, Buf.Type.BF16, 0);
    ClBuf cb = buf(op, "c", c, Buf.Type.F32, 0);
    matrix(op, "a", ab, aOff, lda, m, k);
    matrix(op, "w", wb, wOff, ldw, n, k);
    matrix(op, "c", cb, cOff, ldc, m, n);
    if (m == 0 || n == 0) return;
    int ts = 16;
    launch(BF16, "", "sgemm_bf16", new long[] {roundUp(n, ts), roundUp(m, ts)},
        new long[] {ts, ts}, m, n, k, alpha, ab, aOff, lda, wb, wOff, ldw, beta, cb, cOff, ldc);
  }

  @Override
  public void embeddingForwardBf16(Buf table, Buf ids, Buf out, int n, int dim) {
    String op = "embeddingForwardBf16";
    dims(op, n, dim);
    ClBuf tb = buf(op, "table", table, Buf.Type.BF16, dim);
    ClBuf ib = buf(op, "ids", ids, Buf.Type.I32, n);
    ClBuf ob = buf(op, "out", out, Buf.Type.F32, (long) n * dim);
    if (dim == 0 || n == 0) return;
    launch(BF16, "", "embedding_forward_bf16", new long[] {roundUp((long) n * dim, ELEMENTWISE_WG)},
        new long[] {ELEMENTWISE_WG}, tb, ib, ob, n, dim, tb.length() / dim);
  }

  // ---------------------------------------------------------------------------------------------
  // Argument checks.

  private static void dims(String op, int... dims) {
    for (int d : dims) {
      if (d < 0) {
        throw new IllegalArgumentException(op + ": negative dimension in "
            + Arrays.toString(dims));
      }
    }
  }

  /**
   * {@code b} as a buffer of this device of {@code type} with at least {@code need} elements,
   * or an {@link IllegalArgumentException} naming the primitive and the argument.
   */
  private ClBuf buf(String op, String name, Buf b, Buf.Type type, long need) {
    if (b == null) throw new IllegalArgumentException(op + ": " + name + " is null");
    if (!(b instanceof ClBuf c) || c.owner != this) {
      throw new IllegalArgumentException(op + ": " + name + " is not a buffer of "
          + description() + " but " + b);
    }
    if (c.isClosed()) throw new IllegalArgumentException(op + ": " + name + " was closed");
    if (c.type() != type) {
      throw new IllegalArgumentException(op + ": " + name + " must be " + type + ", got "
          + c.type());
    }
    if (c.length() < need) {
      throw new IllegalArgumentException(String.format(
          "%s: %s has %d elements, the shape needs %d", op, name, c.length(), need));
    }
    return c;
  }
}
