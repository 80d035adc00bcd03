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
import org.research4j.kernels.KernelContract;
import org.research4j.kernels.Kernels;

/**
 * The kernel set on one OpenCL device, through JOCL. Buffers live on the device ({@link ClBuf});
 * every primitive enqueues kernels on one in-order command queue and returns, so data crosses the
 * bus only in {@code upload}/{@code download} (and the few scalars of {@code sumSquares} and {@code
 * countNonFinite}). The kernels are the {@code .cl} resources of this package: {@code ops.cl} (one
 * program), {@code attention.cl} (one program per head dimension) and {@code sgemm.cl} (one program
 * per tiling, see {@link SgemmTuning}).
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
   * Local memory an attention work-group may use: 48 KiB, what NVIDIA GPUs grant a work-group (more
   * only through CUDA's opt-in), and well inside the 64 KiB of AMD and Intel GPUs.
   */
  private static final long ATTENTION_LOCAL_BYTES = 48 * 1024;

  /** Most work-groups of a scalar reduction; each then sums n / (1024 * 256) elements. */
  private static final int MAX_PARTIALS = 1024;

  private static final String OPS = "ops.cl";
  private static final String ATTENTION = "attention.cl";
  private static final String SGEMM = "sgemm.cl";
  private static final String BF16 = "bf16.cl";
  private static final String INT8 = "int8.cl";

  private final ClDevice device;
  private final cl_context context;
  private final cl_command_queue queue;
  private final ClPrograms programs;
  private final ClBufferPool pool;
  private final Set<ClBuf> live = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Map<String, ClBuf> ropeTables = new HashMap<>();
  private final KernelContract contract;
  private final ClBuf noF32;
  private final ClBuf noI32;
  private SgemmTuning.Choice gemm;

  /** See {@link #attentionLaneColumns()}. */
  private int attentionLaneCols;

  private boolean closed;

  /** Opens {@code device} with the sgemm tiling of the tuning table. */
  public ClKernels(ClDevice device) {
    this.device = device;
    this.contract =
        new KernelContract(
            description(),
            b -> b instanceof ClBuf c && c.owner == this,
            b -> ((ClBuf) b).isClosed());
    if (device.maxWorkGroupSize() < RED_WG) {
      throw new ClException(
          device.describe()
              + " allows work-groups of only "
              + device.maxWorkGroupSize()
              + " threads; the research4j OpenCL kernels need "
              + RED_WG);
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
        throw new IllegalArgumentException(
            "sgemm tiling " + c + " cannot run on " + device.describe() + ": " + problem);
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
    contract.alloc("alloc" + type, n);
    long bytes = 4L * Math.max(n, 1);
    ClBuf buf =
        new ClBuf(
            this,
            pool.take(bytes, type + " buffer of " + n + " elements"),
            ClBufferPool.sizeClass(bytes),
            type,
            n);
    live.add(buf);
    if (n > 0) {
      try {
        clEnqueueFillBuffer(queue, buf.mem, Pointer.to(new int[] {0}), 4, 0, 4L * n, 0, null, null);
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
  private void write(
      Pointer host,
      int hostLength,
      int hostOff,
      Buf dst,
      Buf.Type type,
      int dstOff,
      int n,
      String what) {
    contract.upload(hostLength, hostOff, dst, type, dstOff, n);
    ClBuf d = cl(dst);
    if (n == 0) return;
    try {
      clEnqueueWriteBuffer(
          queue,
          d.mem,
          CL_TRUE,
          4L * dstOff,
          4L * n,
          host.withByteOffset(4L * hostOff),
          0,
          null,
          null);
    } catch (CLException e) {
      throw fail("upload of " + n + " " + what, e);
    }
  }

  /** Blocking device-to-host copy; it also surfaces errors of kernels enqueued before it. */
  private void read(
      Buf src,
      Buf.Type type,
      int srcOff,
      Pointer host,
      int hostLength,
      int hostOff,
      int n,
      String what) {
    contract.download(src, type, srcOff, hostLength, hostOff, n);
    ClBuf s = cl(src);
    if (n == 0) return;
    try {
      clEnqueueReadBuffer(
          queue,
          s.mem,
          CL_TRUE,
          4L * srcOff,
          4L * n,
          host.withByteOffset(4L * hostOff),
          0,
          null,
          null);
    } catch (CLException e) {
      throw fail("download of " + n + " " + what + " (or a kernel enqueued before it)", e);
    }
  }

  @Override
  public void copy(Buf src, int srcOff, Buf dst, int dstOff, int n) {
    contract.copy(src, srcOff, dst, dstOff, n);
    ClBuf s = cl(src);
    ClBuf d = cl(dst);
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
    contract.fill(x, off, n);
    ClBuf b = cl(x);
    if (n == 0) return;
    try {
      clEnqueueFillBuffer(
          queue, b.mem, Pointer.to(new float[] {value}), 4, 4L * off, 4L * n, 0, null, null);
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
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      Buf a,
      int aOff,
      int lda,
      Buf b,
      int bOff,
      int ldb,
      float beta,
      Buf c,
      int cOff,
      int ldc) {
    sgemm(null, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
  }

  /** {@link #sgemm} with a given tiling, or the current choice when {@code config} is null. */
  void sgemm(
      GemmConfig config,
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      Buf a,
      int aOff,
      int lda,
      Buf b,
      int bOff,
      int ldb,
      float beta,
      Buf c,
      int cOff,
      int ldc) {
    contract.sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    ClBuf ab = cl(a);
    ClBuf bb = cl(b);
    ClBuf cb = cl(c);
    if (m == 0 || n == 0) return;
    GemmConfig g = config != null ? config : gemm.pick(m, n, device);
    String name = "sgemm_" + (transA ? "t" : "n") + (transB ? "t" : "n");
    long groupsN = (n + g.nwg() - 1) / g.nwg();
    long groupsM = (m + g.mwg() - 1) / g.mwg();
    launch(
        SGEMM,
        g.defines(),
        name,
        new long[] {groupsN * g.ndimc(), groupsM * g.mdimc()},
        new long[] {g.ndimc(), g.mdimc()},
        m,
        n,
        k,
        alpha,
        ab,
        aOff,
        lda,
        bb,
        bOff,
        ldb,
        beta,
        cb,
        cOff,
        ldc);
  }

  // ---------------------------------------------------------------------------------------------
  // Attention.

  @Override
  public void attentionForward(
      Buf q,
      Buf k,
      Buf v,
      Buf out,
      Buf lse,
      Buf start,
      int b,
      int tq,
      int tk,
      int hq,
      int hkv,
      int d,
      float scale) {
    contract.attentionForward(q, k, v, out, lse, start, b, tq, tk, hq, hkv, d);
    ClBuf qb = cl(q);
    ClBuf kb = cl(k);
    ClBuf vb = cl(v);
    ClBuf ob = cl(out);
    ClBuf lb = lse == null ? noF32 : cl(lse);
    ClBuf sb = start == null ? noI32 : cl(start);
    if (b == 0 || tq == 0) return;
    AttentionPlan plan = attentionPlan(d);
    launch(
        ATTENTION,
        plan.options(),
        "attention_forward",
        plan.global(tq, hq, b),
        plan.local(),
        qb,
        kb,
        vb,
        ob,
        lb,
        sb,
        lse == null ? 0 : 1,
        start == null ? 0 : 1,
        tq,
        tk,
        hq,
        hkv,
        scale);
  }

  @Override
  public void attentionBackward(
      Buf q,
      Buf k,
      Buf v,
      Buf out,
      Buf lse,
      Buf dOut,
      Buf dq,
      Buf dk,
      Buf dv,
      int b,
      int t,
      int hq,
      int hkv,
      int d,
      float scale) {
    contract.attentionBackward(q, k, v, out, lse, dOut, dq, dk, dv, b, t, hq, hkv, d);
    ClBuf qb = cl(q);
    ClBuf kb = cl(k);
    ClBuf vb = cl(v);
    ClBuf ob = cl(out);
    ClBuf lb = cl(lse);
    ClBuf gob = cl(dOut);
    ClBuf dqb = cl(dq);
    ClBuf dkb = cl(dk);
    ClBuf dvb = cl(dv);
    if (b == 0 || t == 0) return;
    AttentionPlan plan = attentionPlan(d);
    try (ClBuf delta = allocF32(Math.toIntExact((long) b * hq * t))) {
      launch(
          ATTENTION,
          plan.options(),
          "attention_backward_delta",
          new long[] {roundUp(t, ELEMENTWISE_WG), hq, b},
          new long[] {ELEMENTWISE_WG, 1, 1},
          ob,
          gob,
          delta,
          t,
          hq);
      launch(
          ATTENTION,
          plan.options(),
          "attention_backward_dq",
          plan.global(t, hq, b),
          plan.local(),
          qb,
          kb,
          vb,
          lb,
          gob,
          delta,
          dqb,
          t,
          hq,
          hkv,
          scale);
      launch(
          ATTENTION,
          plan.options(),
          "attention_backward_dkdv",
          plan.global(t, hkv, b),
          plan.local(),
          qb,
          kb,
          vb,
          lb,
          gob,
          delta,
          dkb,
          dvb,
          t,
          hq,
          hkv,
          scale);
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
   * The most floats of a head row one attention work-item holds: {@value #ATTENTION_GPU_LANE_COLS}
   * on GPUs, a whole row on CPU devices, where splitting rows across work-items only defeats the
   * compiler's vectorisation across them (PoCL, d = 64: forward 2.5x, decode 6x slower).
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
    contract.writeCache(src, cache, start, b, tn, tmax, rowSize);
    ClBuf sb = cl(src);
    ClBuf cb = cl(cache);
    ClBuf st = cl(start);
    if (b == 0 || tn == 0 || rowSize == 0) return;
    launch(
        OPS,
        "",
        "write_cache",
        new long[] {roundUp(rowSize, ELEMENTWISE_WG), tn, b},
        new long[] {ELEMENTWISE_WG, 1, 1},
        sb,
        cb,
        st,
        b,
        tn,
        tmax,
        rowSize);
  }

  // ---------------------------------------------------------------------------------------------
  // Normalisation, position, activation, embedding.

  @Override
  public void rmsnormForward(Buf x, Buf w, Buf y, Buf rstd, int rows, int dim, float eps) {
    contract.rmsnormForward(x, w, y, rstd, rows, dim);
    ClBuf xb = cl(x);
    ClBuf wb = cl(w);
    ClBuf yb = cl(y);
    ClBuf rb = cl(rstd);
    launchRows("rmsnorm_forward", rows, xb, wb, yb, rb, dim, eps);
  }

  @Override
  public void rmsnormBackward(Buf x, Buf w, Buf rstd, Buf dy, Buf dx, Buf dw, int rows, int dim) {
    contract.rmsnormBackward(x, w, rstd, dy, dx, dw, rows, dim);
    ClBuf xb = cl(x);
    ClBuf wb = cl(w);
    ClBuf rb = cl(rstd);
    ClBuf dyb = cl(dy);
    ClBuf dxb = cl(dx);
    ClBuf dwb = cl(dw);
    launchRows("rmsnorm_backward_dx", rows, xb, wb, rb, dyb, dxb, dim);
    launchCols("rmsnorm_backward_dw", dim, xb, rb, dyb, dwb, rows, dim);
  }

  @Override
  public void ropeForward(Buf x, Buf y, Buf pos, int n, int h, int d, float theta) {
    contract.ropeForward(x, y, pos, n, h, d);
    rope("rope_forward", x, y, pos, n, h, d, theta);
  }

  @Override
  public void ropeBackward(Buf dy, Buf dx, Buf pos, int n, int h, int d, float theta) {
    contract.ropeBackward(dy, dx, pos, n, h, d);
    rope("rope_backward", dy, dx, pos, n, h, d, theta);
  }

  private void rope(String kernel, Buf in, Buf outBuf, Buf pos, int n, int h, int d, float theta) {
    long len = (long) n * h * d;
    ClBuf ib = cl(in);
    ClBuf ob = cl(outBuf);
    ClBuf pb = cl(pos);
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
    contract.swigluForward(gate, up, y, n);
    launch1d("swiglu_forward", n, cl(gate), cl(up), cl(y), n);
  }

  @Override
  public void swigluBackward(Buf gate, Buf up, Buf dy, Buf dgate, Buf dup, int n) {
    contract.swigluBackward(gate, up, dy, dgate, dup, n);
    launch1d("swiglu_backward", n, cl(gate), cl(up), cl(dy), cl(dgate), cl(dup), n);
  }

  @Override
  public void embeddingForward(Buf table, Buf ids, Buf out, int n, int dim) {
    contract.embeddingForward(table, ids, out, n, dim);
    ClBuf tb = cl(table);
    ClBuf ib = cl(ids);
    ClBuf ob = cl(out);
    if (dim == 0) return;
    launch1d("embedding_forward", (long) n * dim, tb, ib, ob, n, dim, tb.length() / dim);
  }

  @Override
  public void embeddingBackward(Buf dout, Buf ids, Buf dtable, int n, int dim) {
    contract.embeddingBackward(dout, ids, dtable, n, dim);
    ClBuf db = cl(dout);
    ClBuf ib = cl(ids);
    ClBuf tb = cl(dtable);
    if (dim == 0 || n == 0) return;
    launch1d("embedding_backward", dim, db, ib, tb, n, dim, tb.length() / dim);
  }

  // ---------------------------------------------------------------------------------------------
  // Softmax family and losses.

  @Override
  public void softmaxForward(Buf x, Buf y, int rows, int cols) {
    contract.rowsForward("softmaxForward", x, y, rows, cols);
    launchRows("softmax_forward", rows, cl(x), cl(y), cols);
  }

  @Override
  public void softmaxBackward(Buf y, Buf dy, Buf dx, int rows, int cols) {
    contract.rowsBackward("softmaxBackward", y, dy, dx, rows, cols);
    launchRows("softmax_backward", rows, cl(y), cl(dy), cl(dx), cols);
  }

  @Override
  public void logSoftmaxForward(Buf x, Buf y, int rows, int cols) {
    contract.rowsForward("logSoftmaxForward", x, y, rows, cols);
    launchRows("log_softmax_forward", rows, cl(x), cl(y), cols);
  }

  @Override
  public void logSoftmaxBackward(Buf y, Buf dy, Buf dx, int rows, int cols) {
    contract.rowsBackward("logSoftmaxBackward", y, dy, dx, rows, cols);
    launchRows("log_softmax_backward", rows, cl(y), cl(dy), cl(dx), cols);
  }

  @Override
  public void crossEntropyForward(
      Buf logits, Buf targets, Buf loss, Buf lse, int rows, int v, int ignoreIndex) {
    contract.crossEntropyForward(logits, targets, loss, lse, rows, v);
    launchRows(
        "cross_entropy_forward", rows, cl(logits), cl(targets), cl(loss), cl(lse), v, ignoreIndex);
  }

  @Override
  public void crossEntropyBackward(
      Buf logits, Buf targets, Buf lse, Buf dloss, Buf dlogits, int rows, int v, int ignoreIndex) {
    contract.crossEntropyBackward(logits, targets, lse, dloss, dlogits, rows, v);
    long n = (long) rows * v;
    ClBuf lg = cl(logits);
    ClBuf tg = cl(targets);
    ClBuf ls = cl(lse);
    ClBuf dl = cl(dloss);
    ClBuf dg = cl(dlogits);
    if (n == 0) return;
    launch(
        OPS,
        "",
        "cross_entropy_backward",
        new long[] {roundUp(v, RED_WG), rows},
        new long[] {RED_WG, 1},
        lg,
        tg,
        ls,
        dl,
        dg,
        rows,
        v,
        ignoreIndex);
  }

  @Override
  public void grpoLossForward(
      Buf logp,
      Buf oldLogp,
      Buf refLogp,
      Buf adv,
      Buf weight,
      Buf loss,
      Buf kl,
      int n,
      float epsLow,
      float epsHigh,
      float beta) {
    contract.grpoLoss(
        "grpoLossForward", logp, oldLogp, refLogp, adv, weight, "loss", loss, "kl", kl, n);
    launch1d(
        "grpo_loss_forward",
        n,
        cl(logp),
        cl(oldLogp),
        cl(refLogp),
        cl(adv),
        cl(weight),
        cl(loss),
        cl(kl),
        n,
        epsLow,
        epsHigh,
        beta);
  }

  @Override
  public void grpoLossBackward(
      Buf logp,
      Buf oldLogp,
      Buf refLogp,
      Buf adv,
      Buf weight,
      Buf dloss,
      Buf dlogp,
      int n,
      float epsLow,
      float epsHigh,
      float beta) {
    contract.grpoLoss(
        "grpoLossBackward", logp, oldLogp, refLogp, adv, weight, "dloss", dloss, "dlogp", dlogp, n);
    launch1d(
        "grpo_loss_backward",
        n,
        cl(logp),
        cl(oldLogp),
        cl(refLogp),
        cl(adv),
        cl(weight),
        cl(dloss),
        cl(dlogp),
        n,
        epsLow,
        epsHigh,
        beta);
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
    contract.binary(op, a, b, out, n);
    launch1d(kernel, n, cl(a), cl(b), cl(out), n);
  }

  @Override
  public void axpy(float alpha, Buf x, Buf y, int n) {
    contract.axpy(x, y, n);
    launch1d("axpy", n, alpha, cl(x), cl(y), n);
  }

  @Override
  public void scale(Buf x, float alpha, int n) {
    contract.vector("scale", x, n);
    launch1d("scale", n, cl(x), alpha, n);
  }

  @Override
  public void addBias(Buf x, Buf bias, int rows, int cols) {
    contract.columns("addBias", x, "bias", bias, rows, cols);
    launch1d("add_bias", (long) rows * cols, cl(x), cl(bias), rows, cols);
  }

  @Override
  public void sumRowsAcc(Buf x, Buf out, int rows, int cols) {
    contract.columns("sumRowsAcc", x, "out", out, rows, cols);
    launchCols("sum_rows_acc", cols, cl(x), cl(out), rows, cols);
  }

  @Override
  public void reduceSum(Buf x, Buf out, int n) {
    contract.reduceSum(x, out, n);
    ClBuf xb = cl(x);
    ClBuf ob = cl(out);
    int groups = partialGroups(n);
    try (ClBuf partial = allocF32(groups)) {
      launch(
          OPS,
          "",
          "sum_partial",
          new long[] {(long) groups * RED_WG},
          new long[] {RED_WG},
          xb,
          n,
          partial);
      launch(OPS, "", "sum_final", new long[] {RED_WG}, new long[] {RED_WG}, partial, groups, ob);
    }
  }

  @Override
  public void reduceSumBackward(Buf dout, Buf dx, int n) {
    contract.reduceSumBackward(dout, dx, n);
    launch1d("reduce_sum_backward", n, cl(dout), cl(dx), n);
  }

  /**
   * Partial sums of squares per work-group on the device, in float with compensated per-thread
   * sums; the at most {@value #MAX_PARTIALS} partials are added on the host in double.
   */
  @Override
  public double sumSquares(Buf x, int n) {
    contract.vector("sumSquares", x, n);
    ClBuf xb = cl(x);
    int groups = partialGroups(n);
    float[] partials = new float[groups];
    try (ClBuf partial = allocF32(groups)) {
      launch(
          OPS,
          "",
          "sum_squares_partial",
          new long[] {(long) groups * RED_WG},
          new long[] {RED_WG},
          xb,
          n,
          partial);
      download(partial, 0, partials, 0, groups);
    }
    double sum = 0;
    for (float p : partials) sum += p;
    return sum;
  }

  @Override
  public int countNonFinite(Buf x, int n) {
    contract.vector("countNonFinite", x, n);
    ClBuf xb = cl(x);
    int groups = partialGroups(n);
    int[] partials = new int[groups];
    try (ClBuf partial = allocI32(groups)) {
      launch(
          OPS,
          "",
          "count_nonfinite_partial",
          new long[] {(long) groups * RED_WG},
          new long[] {RED_WG},
          xb,
          n,
          partial);
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
      Buf p,
      Buf g,
      Buf m,
      Buf v,
      int n,
      float lr,
      float beta1,
      float beta2,
      float eps,
      float weightDecay,
      float gradScale,
      int step) {
    contract.adamw(p, g, m, v, n, step);
    // Bias corrections in double on the host, as torch.optim.AdamW computes them in Python.
    double bc1 = 1 - Math.pow(beta1, step);
    double bc2 = 1 - Math.pow(beta2, step);
    launch1d(
        "adamw",
        n,
        cl(p),
        cl(g),
        cl(m),
        cl(v),
        n,
        beta1,
        beta2,
        eps,
        gradScale,
        (float) (1.0 - (double) lr * weightDecay),
        (float) (lr / bc1),
        (float) Math.sqrt(bc2));
  }

  // ---------------------------------------------------------------------------------------------
  // Launching.

  private void launch1d(String kernel, long n, Object... args) {
    if (n == 0) return;
    launch(
        OPS,
        "",
        kernel,
        new long[] {roundUp(n, ELEMENTWISE_WG)},
        new long[] {ELEMENTWISE_WG},
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
    launch(
        OPS, "", kernel, new long[] {roundUp(cols, COL_X), COL_Y}, new long[] {COL_X, COL_Y}, args);
  }

  /**
   * Sets the arguments of kernel {@code name} of {@code file} (built with {@code options}) and
   * enqueues it. Arguments are {@link ClBuf}, {@link Integer} or {@link Float}, in the kernel's
   * order. Setting arguments and enqueueing happen under this object's lock: a cl_kernel's
   * arguments are shared state.
   */
  synchronized void launch(
      String file, String options, String name, long[] global, long[] local, Object... args) {
    open();
    cl_kernel kernel = programs.kernel(file, options, name);
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case ClBuf b -> clSetKernelArg(kernel, i, Sizeof.cl_mem, Pointer.to(b.mem));
          case Integer v -> clSetKernelArg(kernel, i, Sizeof.cl_int, Pointer.to(new int[] {v}));
          case Float v -> clSetKernelArg(kernel, i, Sizeof.cl_float, Pointer.to(new float[] {v}));
          default ->
              throw new IllegalArgumentException(
                  "kernel " + name + ": unsupported argument " + i + ": " + args[i]);
        }
      }
      clEnqueueNDRangeKernel(queue, kernel, global.length, null, global, local, 0, null, null);
    } catch (CLException e) {
      throw fail(
          "kernel "
              + name
              + " of "
              + file
              + " (global "
              + Arrays.toString(global)
              + ", local "
              + Arrays.toString(local)
              + ")",
          e);
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
    if (closed)
      throw new IllegalStateException("OpenCL kernels on " + device.describe() + " were closed");
  }

  private static long roundUp(long n, long m) {
    return (n + m - 1) / m * m;
  }

  // ---------------------------------------------------------------------------------------------
  // Frozen bfloat16 weights (bf16.cl): 2-byte elements, read widened to float32.

  @Override
  public synchronized ClBuf allocBf16(int n) {
    open();
    contract.alloc("allocBf16", n);
    long bytes = 2L * Math.max(n, 2);
    ClBuf buf =
        new ClBuf(
            this,
            pool.take(bytes, "BF16 buffer of " + n + " elements"),
            ClBufferPool.sizeClass(bytes),
            Buf.Type.BF16,
            n);
    live.add(buf);
    if (n > 0) {
      try {
        clEnqueueFillBuffer(
            queue, buf.mem, Pointer.to(new short[] {0}), 2, 0, 2L * n, 0, null, null);
      } catch (CLException e) {
        throw fail("zero-filling a new BF16 buffer of " + n + " elements", e);
      }
    }
    return buf;
  }

  @Override
  public void uploadBf16(short[] src, int srcOff, Buf dst, int dstOff, int n) {
    String op = "uploadBf16";
    KernelContract.range(op, "src", src.length, srcOff, n);
    contract.buffer(op, "dst", dst, Buf.Type.BF16, 0, "0");
    KernelContract.range(op, "dst", dst.length(), dstOff, n);
    ClBuf d = cl(dst);
    if (n == 0) return;
    try {
      clEnqueueWriteBuffer(
          queue,
          d.mem,
          CL_TRUE,
          2L * dstOff,
          2L * n,
          Pointer.to(src).withByteOffset(2L * srcOff),
          0,
          null,
          null);
    } catch (CLException e) {
      throw fail("upload of " + n + " bfloat16 values", e);
    }
  }

  @Override
  public void downloadBf16(Buf src, int srcOff, short[] dst, int dstOff, int n) {
    String op = "downloadBf16";
    contract.buffer(op, "src", src, Buf.Type.BF16, 0, "0");
    KernelContract.range(op, "src", src.length(), srcOff, n);
    KernelContract.range(op, "dst", dst.length, dstOff, n);
    ClBuf s = cl(src);
    if (n == 0) return;
    try {
      clEnqueueReadBuffer(
          queue,
          s.mem,
          CL_TRUE,
          2L * srcOff,
          2L * n,
          Pointer.to(dst).withByteOffset(2L * dstOff),
          0,
          null,
          null);
    } catch (CLException e) {
      throw fail("download of " + n + " bfloat16 values (or a kernel enqueued before it)", e);
    }
  }

  @Override
  public void sgemmBf16(
      int m,
      int n,
      int k,
      float alpha,
      Buf a,
      int aOff,
      int lda,
      Buf w,
      int wOff,
      int ldw,
      float beta,
      Buf c,
      int cOff,
      int ldc) {
    String op = "sgemmBf16";
    KernelContract.nonNegative(op, "m", m);
    KernelContract.nonNegative(op, "n", n);
    KernelContract.nonNegative(op, "k", k);
    ClBuf ab = matrix(op, "a", a, Buf.Type.F32, aOff, lda, m, k);
    ClBuf wb = matrix(op, "w", w, Buf.Type.BF16, wOff, ldw, n, k);
    ClBuf cb = matrix(op, "c", c, Buf.Type.F32, cOff, ldc, m, n);
    if (m == 0 || n == 0) return;
    int ts = 16;
    launch(
        BF16,
        "",
        "sgemm_bf16",
        new long[] {roundUp(n, ts), roundUp(m, ts)},
        new long[] {ts, ts},
        m,
        n,
        k,
        alpha,
        ab,
        aOff,
        lda,
        wb,
        wOff,
        ldw,
        beta,
        cb,
        cOff,
        ldc);
  }

  @Override
  public void embeddingForwardBf16(Buf table, Buf ids, Buf out, int n, int dim) {
    String op = "embeddingForwardBf16";
    KernelContract.nonNegative(op, "n", n);
    KernelContract.nonNegative(op, "dim", dim);
    contract.buffer(op, "table", table, Buf.Type.BF16, dim, "dim");
    contract.buffer(op, "ids", ids, Buf.Type.I32, n, "n");
    contract.buffer(op, "out", out, Buf.Type.F32, (long) n * dim, "n*dim");
    ClBuf tb = cl(table);
    ClBuf ib = cl(ids);
    ClBuf ob = cl(out);
    if (dim == 0 || n == 0) return;
    launch(
        BF16,
        "",
        "embedding_forward_bf16",
        new long[] {roundUp((long) n * dim, ELEMENTWISE_WG)},
        new long[] {ELEMENTWISE_WG},
        tb,
        ib,
        ob,
        n,
        dim,
        tb.length() / dim);
  }

  // ---------------------------------------------------------------------------------------------
  // Frozen int8 weights (int8.cl): one byte a weight and a float32 scale a row, in one cl_mem
  // (values row-major, padded to 4 bytes, then the scales; see ClBuf).

  @Override
  public synchronized ClBuf allocInt8Matrix(int rows, int cols) {
    open();
    KernelContract.nonNegative("allocInt8Matrix", "rows", rows);
    KernelContract.nonNegative("allocInt8Matrix", "cols", cols);
    int n = Math.multiplyExact(rows, cols);
    long bytes = Math.max(4L, roundUp(n, 4) + 4L * rows);
    ClBuf buf =
        new ClBuf(
            this,
            pool.take(bytes, "I8 matrix [" + rows + ", " + cols + "]"),
            ClBufferPool.sizeClass(bytes),
            Buf.Type.I8,
            n,
            rows,
            cols);
    live.add(buf);
    try {
      clEnqueueFillBuffer(queue, buf.mem, Pointer.to(new int[] {0}), 4, 0, bytes, 0, null, null);
    } catch (CLException e) {
      throw fail("zero-filling a new I8 matrix [" + rows + ", " + cols + "]", e);
    }
    return buf;
  }

  @Override
  public void uploadInt8(
      byte[] q, int qOff, float[] scales, int scalesOff, Buf dst, int row0, int rows) {
    String op = "uploadInt8";
    contract.buffer(op, "dst", dst, Buf.Type.I8, 0, "0");
    ClBuf d = cl(dst);
    KernelContract.int8Copy(
        op, d.rows, d.cols, row0, rows, q.length, qOff, scales.length, scalesOff);
    if (rows == 0) return;
    long values = (long) rows * d.cols;
    try {
      if (values > 0) {
        clEnqueueWriteBuffer(
            queue,
            d.mem,
            CL_TRUE,
            (long) row0 * d.cols,
            values,
            Pointer.to(q).withByteOffset(qOff),
            0,
            null,
            null);
      }
      clEnqueueWriteBuffer(
          queue,
          d.mem,
          CL_TRUE,
          4L * (d.scaleBase() + row0),
          4L * rows,
          Pointer.to(scales).withByteOffset(4L * scalesOff),
          0,
          null,
          null);
    } catch (CLException e) {
      throw fail("upload of " + rows + " int8 rows", e);
    }
  }

  @Override
  public void downloadInt8(
      Buf src, int row0, int rows, byte[] q, int qOff, float[] scales, int scalesOff) {
    String op = "downloadInt8";
    contract.buffer(op, "src", src, Buf.Type.I8, 0, "0");
    ClBuf s = cl(src);
    KernelContract.int8Copy(
        op, s.rows, s.cols, row0, rows, q.length, qOff, scales.length, scalesOff);
    if (rows == 0) return;
    long values = (long) rows * s.cols;
    try {
      if (values > 0) {
        clEnqueueReadBuffer(
            queue,
            s.mem,
            CL_TRUE,
            (long) row0 * s.cols,
            values,
            Pointer.to(q).withByteOffset(qOff),
            0,
            null,
            null);
      }
      clEnqueueReadBuffer(
          queue,
          s.mem,
          CL_TRUE,
          4L * (s.scaleBase() + row0),
          4L * rows,
          Pointer.to(scales).withByteOffset(4L * scalesOff),
          0,
          null,
          null);
    } catch (CLException e) {
      throw fail("download of " + rows + " int8 rows (or a kernel enqueued before it)", e);
    }
  }

  @Override
  public void sgemmInt8(
      int m,
      int n,
      int k,
      float alpha,
      Buf a,
      int aOff,
      int lda,
      Buf w,
      int wOff,
      int ldw,
      float beta,
      Buf c,
      int cOff,
      int ldc) {
    String op = "sgemmInt8";
    KernelContract.nonNegative(op, "m", m);
    KernelContract.nonNegative(op, "n", n);
    KernelContract.nonNegative(op, "k", k);
    ClBuf ab = matrix(op, "a", a, Buf.Type.F32, aOff, lda, m, k);
    contract.buffer(op, "w", w, Buf.Type.I8, 0, "0");
    ClBuf wb = cl(w);
    int row0 = KernelContract.int8Rows(op, wb.rows, wb.cols, n, k, wOff, ldw, 1);
    ClBuf cb = matrix(op, "c", c, Buf.Type.F32, cOff, ldc, m, n);
    if (m == 0 || n == 0) return;
    int ts = 16;
    launch(
        INT8,
        "",
        "sgemm_int8",
        new long[] {roundUp(n, ts), roundUp(m, ts)},
        new long[] {ts, ts},
        m,
        n,
        k,
        alpha,
        ab,
        aOff,
        lda,
        wb,
        wOff,
        Math.max(ldw, 1),
        wb,
        wb.scaleBase() + row0,
        beta,
        cb,
        cOff,
        ldc);
  }

  @Override
  public void embeddingForwardInt8(Buf table, Buf ids, Buf out, int n, int dim) {
    String op = "embeddingForwardInt8";
    KernelContract.nonNegative(op, "n", n);
    KernelContract.nonNegative(op, "dim", dim);
    contract.buffer(op, "table", table, Buf.Type.I8, 0, "0");
    ClBuf tb = cl(table);
    if (dim != tb.cols) {
      throw new IllegalArgumentException(
          op + ": table is a [" + tb.rows + ", " + tb.cols + "] matrix, dim = " + dim);
    }
    contract.buffer(op, "ids", ids, Buf.Type.I32, n, "n");
    contract.buffer(op, "out", out, Buf.Type.F32, (long) n * dim, "n*dim");
    ClBuf ib = cl(ids);
    ClBuf ob = cl(out);
    if (dim == 0 || n == 0) return;
    launch(
        INT8,
        "",
        "embedding_forward_int8",
        new long[] {roundUp((long) n * dim, ELEMENTWISE_WG)},
        new long[] {ELEMENTWISE_WG},
        tb,
        tb,
        tb.scaleBase(),
        ib,
        ob,
        n,
        dim,
        tb.rows);
  }

  /**
   * A {@code rows x cols} operand of {@link #sgemmBf16} at {@code off} with row stride {@code ld}:
   * a usable buffer of {@code type} (the contract's check) that the window fits.
   */
  private ClBuf matrix(
      String op, String name, Buf b, Buf.Type type, int off, int ld, int rows, int cols) {
    contract.buffer(op, name, b, type, 0, "0");
    if (off < 0) throw new IllegalArgumentException(op + ": negative offset of " + name);
    if (ld < Math.max(1, cols)) {
      throw new IllegalArgumentException(
          String.format(
              "%s: leading dimension of %s is %d, smaller than its %d columns",
              op, name, ld, cols));
    }
    if (rows > 0 && cols > 0) {
      long need = off + (long) (rows - 1) * ld + cols;
      if (need > b.length()) {
        throw new IllegalArgumentException(
            String.format(
                "%s: %s is %d x %d with offset %d and leading dimension %d, needs %d elements, the"
                    + " buffer has %d",
                op, name, rows, cols, off, ld, need, b.length()));
      }
    }
    return cl(b);
  }

  // ---------------------------------------------------------------------------------------------
  // Arguments: checked by the contract every kernel set shares ({@link KernelContract}).

  /** A buffer the contract accepted as one of this device's. */
  private static ClBuf cl(Buf b) {
    return (ClBuf) b;
  }
}
