package org.research4j.kernels;

import java.util.function.Predicate;

/**
 * The argument and shape contract of every {@link Kernels} primitive, written once for every kernel
 * set: each method checks the arguments of the primitive of the same name and throws an {@link
 * IllegalArgumentException} that names the primitive, the argument and both sizes, so the same
 * misuse reads the same on the CPU and on OpenCL. A kernel set calls the check first, then runs on
 * buffers it knows are its own, of the right type and large enough.
 *
 * <p>The messages, for primitive {@code op} and argument {@code x}:
 *
 * <ul>
 *   <li>{@code op: n = -1 < 0} for a negative size;
 *   <li>{@code op: x is null}, {@code op: x is not a buffer of DEVICE but BUF}, {@code op: x was
 *       closed}, {@code op: x must be F32, got I32} for a buffer that cannot be used;
 *   <li>{@code op: x has 100 elements, rows*dim = 128} for a buffer shorter than the shape needs
 *       (the expression is the shape's, in the primitive's parameter names);
 *   <li>{@code op: x has 10 elements, x offset + n = 8 + 4 = 12} for a range that does not fit;
 *   <li>and the primitive's own rules (heads, head size, leading dimensions, step).
 * </ul>
 *
 * <p>What only the values inside buffers can break (start offsets, positions, token ids, targets)
 * is checked by {@link #attentionStarts}, {@link #cacheStarts}, {@link #positions}, {@link #ids}
 * and {@link #targets}, on host arrays: the CPU kernels call them on every call; the OpenCL kernels
 * would have to copy the buffer to the host first, and do not.
 */
public final class KernelContract {
  private final String device;
  private final Predicate<Buf> owns;
  private final Predicate<Buf> closed;

  /**
   * The contract of a kernel set on {@code device} (as named in messages), whose buffers are those
   * {@code owns} accepts, and of those the ones {@code closed} says were released.
   */
  public KernelContract(String device, Predicate<Buf> owns, Predicate<Buf> closed) {
    this.device = device;
    this.owns = owns;
    this.closed = closed;
  }

  // ---------------------------------------------------------------------------------------------
  // Memory.

  /** {@link Kernels#allocF32} and {@link Kernels#allocI32} ({@code op} names which). */
  public void alloc(String op, int n) {
    nonNegative(op, "n", n);
  }

  /** {@link Kernels#upload}: a host array of {@code srcLength} elements into {@code dst}. */
  public void upload(int srcLength, int srcOff, Buf dst, Buf.Type type, int dstOff, int n) {
    range("upload", "src", srcLength, srcOff, n);
    buffer("upload", "dst", dst, type, 0, "0");
    range("upload", "dst", dst.length(), dstOff, n);
  }

  /** {@link Kernels#download}: {@code src} into a host array of {@code dstLength} elements. */
  public void download(Buf src, Buf.Type type, int srcOff, int dstLength, int dstOff, int n) {
    buffer("download", "src", src, type, 0, "0");
    range("download", "src", src.length(), srcOff, n);
    range("download", "dst", dstLength, dstOff, n);
  }

  /** {@link Kernels#copy}. */
  public void copy(Buf src, int srcOff, Buf dst, int dstOff, int n) {
    usable("copy", "src", src);
    usable("copy", "dst", dst);
    if (src.type() != dst.type()) {
      throw new IllegalArgumentException(
          "copy: src is " + src.type() + " but dst is " + dst.type() + "; both must have one type");
    }
    range("copy", "src", src.length(), srcOff, n);
    range("copy", "dst", dst.length(), dstOff, n);
  }

  /** {@link Kernels#fill}. */
  public void fill(Buf x, int off, int n) {
    buffer("fill", "x", x, Buf.Type.F32, 0, "0");
    range("fill", "x", x.length(), off, n);
  }

  // ---------------------------------------------------------------------------------------------
  // Matrix multiply.

  /** {@link Kernels#sgemm}. */
  public void sgemm(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      Buf a,
      int aOff,
      int lda,
      Buf b,
      int bOff,
      int ldb,
      Buf c,
      int cOff,
      int ldc) {
    nonNegative("sgemm", "m", m);
    nonNegative("sgemm", "n", n);
    nonNegative("sgemm", "k", k);
    matrix("a", a, aOff, transA ? k : m, transA ? m : k, lda);
    matrix("b", b, bOff, transB ? n : k, transB ? k : n, ldb);
    matrix("c", c, cOff, m, n, ldc);
  }

  /** A {@code rows x cols} operand at {@code off} with row stride {@code ld} fits its buffer. */
  private void matrix(String arg, Buf buf, int off, int rows, int cols, int ld) {
    buffer("sgemm", arg, buf, Buf.Type.F32, 0, "0");
    if (off < 0) {
      throw new IllegalArgumentException("sgemm: " + arg + "Off = " + off + " is negative");
    }
    if (rows > 0 && ld < cols) {
      throw new IllegalArgumentException(
          "sgemm: ld"
              + arg
              + " = "
              + ld
              + ", the leading dimension of "
              + arg
              + ", is smaller than its "
              + cols
              + " columns");
    }
    long need = rows == 0 || cols == 0 ? 0 : off + (long) (rows - 1) * ld + cols;
    if (buf.length() < need) {
      throw new IllegalArgumentException(
          "sgemm: "
              + arg
              + " has "
              + buf.length()
              + " elements, "
              + arg
              + "Off + (rows-1)*ld"
              + arg
              + " + cols = "
              + need
              + " ("
              + rows
              + " x "
              + cols
              + ")");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Attention.

  /** {@link Kernels#attentionForward}; see also {@link #attentionStarts}. */
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
      int d) {
    attentionForward(q, k, v, out, lse, start, b, tq, tk, hq, hkv, d, false);
  }

  /**
   * {@link Kernels#attentionForward}; with {@code bf16Caches} (kernels whose {@link
   * Kernels#bf16Caches} is true) {@code k} and {@code v} may also both be BF16, for inference
   * ({@code lse == null}).
   */
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
      boolean bf16Caches) {
    String op = "attentionForward";
    heads(op, b, hq, hkv, d);
    nonNegative(op, "tq", tq);
    nonNegative(op, "tk", tk);
    long qn = (long) b * tq * hq * d;
    long kvn = (long) b * tk * hkv * d;
    buffer(op, "q", q, Buf.Type.F32, qn, "b*tq*hq*d");
    Buf.Type kvType = Buf.Type.F32;
    if (bf16Caches && k != null && k.type() == Buf.Type.BF16) {
      kvType = Buf.Type.BF16;
      if (lse != null) {
        throw new IllegalArgumentException(
            op + ": k and v are BF16 (a KV cache), which is for inference: lse must be null");
      }
    }
    buffer(op, "k", k, kvType, kvn, "b*tk*hkv*d");
    buffer(op, "v", v, kvType, kvn, "b*tk*hkv*d");
    buffer(op, "out", out, Buf.Type.F32, qn, "b*tq*hq*d");
    if (lse != null) buffer(op, "lse", lse, Buf.Type.F32, (long) b * hq * tq, "b*hq*tq");
    if (start != null) {
      buffer(op, "start", start, Buf.Type.I32, b, "b");
    } else if (b > 0) {
      attentionStart(0, 0, tq, tk);
    }
  }

  /** The start offsets of {@link Kernels#attentionForward}, read on the host. */
  public static void attentionStarts(int[] start, int b, int tq, int tk) {
    for (int s = 0; s < b; s++) attentionStart(s, start[s], tq, tk);
  }

  private static void attentionStart(int s, int p0, int tq, int tk) {
    if (p0 < 0 || p0 + tq > tk) {
      throw new IllegalArgumentException(
          "attentionForward: sequence "
              + s
              + " has start "
              + p0
              + " and tq = "
              + tq
              + ", so its last query sits at position "
              + (p0 + tq - 1)
              + ", but only tk = "
              + tk
              + " keys exist (need 0 <= start and start + tq <= tk)");
    }
  }

  /** {@link Kernels#attentionBackward}. */
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
      int d) {
    String op = "attentionBackward";
    heads(op, b, hq, hkv, d);
    nonNegative(op, "t", t);
    long qn = (long) b * t * hq * d;
    long kvn = (long) b * t * hkv * d;
    buffer(op, "q", q, Buf.Type.F32, qn, "b*t*hq*d");
    buffer(op, "k", k, Buf.Type.F32, kvn, "b*t*hkv*d");
    buffer(op, "v", v, Buf.Type.F32, kvn, "b*t*hkv*d");
    buffer(op, "out", out, Buf.Type.F32, qn, "b*t*hq*d");
    buffer(op, "lse", lse, Buf.Type.F32, (long) b * hq * t, "b*hq*t");
    buffer(op, "dOut", dOut, Buf.Type.F32, qn, "b*t*hq*d");
    buffer(op, "dq", dq, Buf.Type.F32, qn, "b*t*hq*d");
    buffer(op, "dk", dk, Buf.Type.F32, kvn, "b*t*hkv*d");
    buffer(op, "dv", dv, Buf.Type.F32, kvn, "b*t*hkv*d");
  }

  private static void heads(String op, int b, int hq, int hkv, int d) {
    nonNegative(op, "b", b);
    if (d < 1) throw new IllegalArgumentException(op + ": head size d = " + d + " must be >= 1");
    if (hq <= 0 || hkv <= 0 || hq % hkv != 0) {
      throw new IllegalArgumentException(
          op + ": hq = " + hq + " must be a positive multiple of hkv = " + hkv);
    }
  }

  /** {@link Kernels#writeCache}; see also {@link #cacheStarts}. */
  public void writeCache(Buf src, Buf cache, Buf start, int b, int tn, int tmax, int rowSize) {
    writeCache(src, cache, start, b, tn, tmax, rowSize, false);
  }

  /**
   * {@link Kernels#writeCache}; with {@code bf16Caches} the cache may also be BF16 (the values are
   * rounded to nearest even).
   */
  public void writeCache(
      Buf src, Buf cache, Buf start, int b, int tn, int tmax, int rowSize, boolean bf16Caches) {
    String op = "writeCache";
    nonNegative(op, "b", b);
    nonNegative(op, "tn", tn);
    nonNegative(op, "tmax", tmax);
    nonNegative(op, "rowSize", rowSize);
    buffer(op, "src", src, Buf.Type.F32, (long) b * tn * rowSize, "b*tn*rowSize");
    Buf.Type cacheType =
        bf16Caches && cache != null && cache.type() == Buf.Type.BF16 ? Buf.Type.BF16 : Buf.Type.F32;
    buffer(op, "cache", cache, cacheType, (long) b * tmax * rowSize, "b*tmax*rowSize");
    buffer(op, "start", start, Buf.Type.I32, b, "b");
  }

  /** The start rows of {@link Kernels#writeCache}, read on the host: {@code start + tn <= tmax}. */
  public static void cacheStarts(int[] start, int b, int tn, int tmax) {
    for (int s = 0; s < b; s++) {
      if (start[s] < 0 || start[s] + tn > tmax) {
        throw new IllegalArgumentException(
            "writeCache: sequence "
                + s
                + " writes rows "
                + start[s]
                + ".."
                + (start[s] + tn - 1)
                + " but the cache holds tmax = "
                + tmax
                + " rows");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Normalisation, position, activation, embedding.

  /** {@link Kernels#rmsnormForward}. */
  public void rmsnormForward(Buf x, Buf w, Buf y, Buf rstd, int rows, int dim) {
    String op = "rmsnormForward";
    nonNegative(op, "rows", rows);
    nonNegative(op, "dim", dim);
    long n = (long) rows * dim;
    buffer(op, "x", x, Buf.Type.F32, n, "rows*dim");
    buffer(op, "w", w, Buf.Type.F32, dim, "dim");
    buffer(op, "y", y, Buf.Type.F32, n, "rows*dim");
    buffer(op, "rstd", rstd, Buf.Type.F32, rows, "rows");
  }

  /** {@link Kernels#rmsnormBackward}. */
  public void rmsnormBackward(Buf x, Buf w, Buf rstd, Buf dy, Buf dx, Buf dw, int rows, int dim) {
    String op = "rmsnormBackward";
    nonNegative(op, "rows", rows);
    nonNegative(op, "dim", dim);
    long n = (long) rows * dim;
    buffer(op, "x", x, Buf.Type.F32, n, "rows*dim");
    buffer(op, "w", w, Buf.Type.F32, dim, "dim");
    buffer(op, "rstd", rstd, Buf.Type.F32, rows, "rows");
    buffer(op, "dy", dy, Buf.Type.F32, n, "rows*dim");
    buffer(op, "dx", dx, Buf.Type.F32, n, "rows*dim");
    buffer(op, "dw", dw, Buf.Type.F32, dim, "dim");
  }

  /** {@link Kernels#ropeForward}; see also {@link #positions}. */
  public void ropeForward(Buf x, Buf y, Buf pos, int n, int h, int d) {
    rope("ropeForward", "x", x, "y", y, pos, n, h, d);
  }

  /** {@link Kernels#ropeBackward}; see also {@link #positions}. */
  public void ropeBackward(Buf dy, Buf dx, Buf pos, int n, int h, int d) {
    rope("ropeBackward", "dy", dy, "dx", dx, pos, n, h, d);
  }

  private void rope(
      String op, String inName, Buf in, String outName, Buf out, Buf pos, int n, int h, int d) {
    nonNegative(op, "n", n);
    nonNegative(op, "h", h);
    if (d <= 0 || d % 2 != 0) {
      throw new IllegalArgumentException(
          op + ": head size d = " + d + " must be positive and even");
    }
    long size = (long) n * h * d;
    buffer(op, inName, in, Buf.Type.F32, size, "n*h*d");
    buffer(op, outName, out, Buf.Type.F32, size, "n*h*d");
    buffer(op, "pos", pos, Buf.Type.I32, n, "n");
  }

  /** The positions of {@code ropeForward} or {@code ropeBackward} ({@code op}), on the host. */
  public static void positions(String op, int[] pos, int n) {
    for (int i = 0; i < n; i++) {
      if (pos[i] < 0) {
        throw new IllegalArgumentException(op + ": pos[" + i + "] = " + pos[i] + " < 0");
      }
    }
  }

  /** {@link Kernels#swigluForward}. */
  public void swigluForward(Buf gate, Buf up, Buf y, int n) {
    String op = "swigluForward";
    nonNegative(op, "n", n);
    buffer(op, "gate", gate, Buf.Type.F32, n, "n");
    buffer(op, "up", up, Buf.Type.F32, n, "n");
    buffer(op, "y", y, Buf.Type.F32, n, "n");
  }

  /** {@link Kernels#swigluBackward}. */
  public void swigluBackward(Buf gate, Buf up, Buf dy, Buf dgate, Buf dup, int n) {
    String op = "swigluBackward";
    nonNegative(op, "n", n);
    buffer(op, "gate", gate, Buf.Type.F32, n, "n");
    buffer(op, "up", up, Buf.Type.F32, n, "n");
    buffer(op, "dy", dy, Buf.Type.F32, n, "n");
    buffer(op, "dgate", dgate, Buf.Type.F32, n, "n");
    buffer(op, "dup", dup, Buf.Type.F32, n, "n");
  }

  /** {@link Kernels#embeddingForward}; see also {@link #ids}. */
  public void embeddingForward(Buf table, Buf ids, Buf out, int n, int dim) {
    String op = "embeddingForward";
    nonNegative(op, "n", n);
    nonNegative(op, "dim", dim);
    buffer(op, "table", table, Buf.Type.F32, 0, "0");
    buffer(op, "ids", ids, Buf.Type.I32, n, "n");
    buffer(op, "out", out, Buf.Type.F32, (long) n * dim, "n*dim");
  }

  /** {@link Kernels#embeddingBackward}; see also {@link #ids}. */
  public void embeddingBackward(Buf dout, Buf ids, Buf dtable, int n, int dim) {
    String op = "embeddingBackward";
    nonNegative(op, "n", n);
    nonNegative(op, "dim", dim);
    buffer(op, "dout", dout, Buf.Type.F32, (long) n * dim, "n*dim");
    buffer(op, "ids", ids, Buf.Type.I32, n, "n");
    buffer(op, "dtable", dtable, Buf.Type.F32, 0, "0");
  }

  /** The ids of an embedding primitive ({@code op}), read on the host: rows of the table. */
  public static void ids(String op, int[] ids, int n, int vocab) {
    for (int i = 0; i < n; i++) {
      if (ids[i] < 0 || ids[i] >= vocab) {
        throw new IllegalArgumentException(
            op + ": ids[" + i + "] = " + ids[i] + " is outside the table's " + vocab + " rows");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Softmax family and losses.

  /** {@link Kernels#softmaxForward} and {@link Kernels#logSoftmaxForward} ({@code op}). */
  public void rowsForward(String op, Buf x, Buf y, int rows, int cols) {
    nonNegative(op, "rows", rows);
    nonNegative(op, "cols", cols);
    long n = (long) rows * cols;
    buffer(op, "x", x, Buf.Type.F32, n, "rows*cols");
    buffer(op, "y", y, Buf.Type.F32, n, "rows*cols");
  }

  /** {@link Kernels#softmaxBackward} and {@link Kernels#logSoftmaxBackward} ({@code op}). */
  public void rowsBackward(String op, Buf y, Buf dy, Buf dx, int rows, int cols) {
    nonNegative(op, "rows", rows);
    nonNegative(op, "cols", cols);
    long n = (long) rows * cols;
    buffer(op, "y", y, Buf.Type.F32, n, "rows*cols");
    buffer(op, "dy", dy, Buf.Type.F32, n, "rows*cols");
    buffer(op, "dx", dx, Buf.Type.F32, n, "rows*cols");
  }

  /** {@link Kernels#crossEntropyForward}; see also {@link #targets}. */
  public void crossEntropyForward(Buf logits, Buf targets, Buf loss, Buf lse, int rows, int v) {
    String op = "crossEntropyForward";
    nonNegative(op, "rows", rows);
    nonNegative(op, "v", v);
    buffer(op, "logits", logits, Buf.Type.F32, (long) rows * v, "rows*v");
    buffer(op, "targets", targets, Buf.Type.I32, rows, "rows");
    buffer(op, "loss", loss, Buf.Type.F32, rows, "rows");
    buffer(op, "lse", lse, Buf.Type.F32, rows, "rows");
  }

  /** {@link Kernels#crossEntropyBackward}; see also {@link #targets}. */
  public void crossEntropyBackward(
      Buf logits, Buf targets, Buf lse, Buf dloss, Buf dlogits, int rows, int v) {
    String op = "crossEntropyBackward";
    nonNegative(op, "rows", rows);
    nonNegative(op, "v", v);
    buffer(op, "logits", logits, Buf.Type.F32, (long) rows * v, "rows*v");
    buffer(op, "targets", targets, Buf.Type.I32, rows, "rows");
    buffer(op, "lse", lse, Buf.Type.F32, rows, "rows");
    buffer(op, "dloss", dloss, Buf.Type.F32, rows, "rows");
    buffer(op, "dlogits", dlogits, Buf.Type.F32, (long) rows * v, "rows*v");
  }

  /** The targets of a cross-entropy primitive ({@code op}), read on the host. */
  public static void targets(String op, int[] targets, int rows, int v, int ignoreIndex) {
    for (int r = 0; r < rows; r++) {
      int t = targets[r];
      if (t != ignoreIndex && (t < 0 || t >= v)) {
        throw new IllegalArgumentException(
            op
                + ": targets["
                + r
                + "] = "
                + t
                + " is neither in [0, v = "
                + v
                + ") nor the ignore index "
                + ignoreIndex);
      }
    }
  }

  /**
   * {@link Kernels#grpoLossForward} ({@code out} is {@code loss}, {@code out2} {@code kl}) and
   * {@link Kernels#grpoLossBackward} ({@code dloss}, {@code dlogp}); {@code op} names which.
   */
  public void grpoLoss(
      String op,
      Buf logp,
      Buf oldLogp,
      Buf refLogp,
      Buf adv,
      Buf weight,
      String outName,
      Buf out,
      String out2Name,
      Buf out2,
      int n) {
    nonNegative(op, "n", n);
    buffer(op, "logp", logp, Buf.Type.F32, n, "n");
    buffer(op, "oldLogp", oldLogp, Buf.Type.F32, n, "n");
    buffer(op, "refLogp", refLogp, Buf.Type.F32, n, "n");
    buffer(op, "adv", adv, Buf.Type.F32, n, "n");
    buffer(op, "weight", weight, Buf.Type.F32, n, "n");
    buffer(op, outName, out, Buf.Type.F32, n, "n");
    buffer(op, out2Name, out2, Buf.Type.F32, n, "n");
  }

  // ---------------------------------------------------------------------------------------------
  // Elementwise and reductions.

  /** {@link Kernels#add}, {@link Kernels#mul} and {@link Kernels#mulAcc} ({@code op}). */
  public void binary(String op, Buf a, Buf b, Buf out, int n) {
    nonNegative(op, "n", n);
    buffer(op, "a", a, Buf.Type.F32, n, "n");
    buffer(op, "b", b, Buf.Type.F32, n, "n");
    buffer(op, "out", out, Buf.Type.F32, n, "n");
  }

  /** {@link Kernels#axpy}. */
  public void axpy(Buf x, Buf y, int n) {
    nonNegative("axpy", "n", n);
    buffer("axpy", "x", x, Buf.Type.F32, n, "n");
    buffer("axpy", "y", y, Buf.Type.F32, n, "n");
  }

  /** {@code scale}, {@code sumSquares} and {@code countNonFinite} ({@code op}). */
  public void vector(String op, Buf x, int n) {
    nonNegative(op, "n", n);
    buffer(op, "x", x, Buf.Type.F32, n, "n");
  }

  /** {@code addBias} ({@code other} is {@code bias}) and {@code sumRowsAcc} ({@code out}). */
  public void columns(String op, Buf x, String otherName, Buf other, int rows, int cols) {
    nonNegative(op, "rows", rows);
    nonNegative(op, "cols", cols);
    buffer(op, "x", x, Buf.Type.F32, (long) rows * cols, "rows*cols");
    buffer(op, otherName, other, Buf.Type.F32, cols, "cols");
  }

  /** {@link Kernels#reduceSum}. */
  public void reduceSum(Buf x, Buf out, int n) {
    nonNegative("reduceSum", "n", n);
    buffer("reduceSum", "x", x, Buf.Type.F32, n, "n");
    buffer("reduceSum", "out", out, Buf.Type.F32, 1, "1");
  }

  /** {@link Kernels#reduceSumBackward}. */
  public void reduceSumBackward(Buf dout, Buf dx, int n) {
    nonNegative("reduceSumBackward", "n", n);
    buffer("reduceSumBackward", "dout", dout, Buf.Type.F32, 1, "1");
    buffer("reduceSumBackward", "dx", dx, Buf.Type.F32, n, "n");
  }

  // ---------------------------------------------------------------------------------------------
  // Optimiser.

  /** {@link Kernels#adamw}. */
  public void adamw(Buf p, Buf g, Buf m, Buf v, int n, int step) {
    nonNegative("adamw", "n", n);
    if (step < 1) throw new IllegalArgumentException("adamw: step = " + step + " must be >= 1");
    buffer("adamw", "p", p, Buf.Type.F32, n, "n");
    buffer("adamw", "g", g, Buf.Type.F32, n, "n");
    buffer("adamw", "m", m, Buf.Type.F32, n, "n");
    buffer("adamw", "v", v, Buf.Type.F32, n, "n");
  }

  // ---------------------------------------------------------------------------------------------
  // The checks every primitive is made of.

  /** {@code value >= 0}. */
  public static void nonNegative(String op, String name, int value) {
    if (value < 0) throw new IllegalArgumentException(op + ": " + name + " = " + value + " < 0");
  }

  /** {@code buf} is a buffer of this kernel set, not yet closed. */
  public void usable(String op, String name, Buf buf) {
    if (buf == null) throw new IllegalArgumentException(op + ": " + name + " is null");
    if (!owns.test(buf)) {
      throw new IllegalArgumentException(
          op + ": " + name + " is not a buffer of " + device + " but " + buf);
    }
    if (closed.test(buf)) throw new IllegalArgumentException(op + ": " + name + " was closed");
  }

  /**
   * {@code buf} is a usable buffer of {@code type} with at least {@code need} elements; {@code
   * expr} is how the primitive's parameters give {@code need}.
   */
  public void buffer(String op, String name, Buf buf, Buf.Type type, long need, String expr) {
    usable(op, name, buf);
    if (buf.type() != type) {
      throw new IllegalArgumentException(
          op + ": " + name + " must be " + type + ", got " + buf.type());
    }
    if (buf.length() < need) {
      throw new IllegalArgumentException(
          op + ": " + name + " has " + buf.length() + " elements, " + expr + " = " + need);
    }
  }

  /** Elements {@code [off, off + n)} of {@code name}, which has {@code length}, exist. */
  public static void range(String op, String name, int length, int off, int n) {
    if (off < 0 || n < 0 || (long) off + n > length) {
      throw new IllegalArgumentException(
          op
              + ": "
              + name
              + " has "
              + length
              + " elements, "
              + name
              + " offset + n = "
              + off
              + " + "
              + n
              + " = "
              + ((long) off + n));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Frozen int8 weights.

  /**
   * The weight operand of {@link Kernels#sgemmInt8}: {@code n} whole rows of an I8 {@code [rows,
   * cols]} matrix read from element {@code wOff}, which must start a group of {@code rowAlign} rows
   * (1, or the CPU's panel group of 4). Returns the first row.
   */
  public static int int8Rows(
      String op, int rows, int cols, int n, int k, int wOff, int ldw, int rowAlign) {
    String shape = "[" + rows + ", " + cols + "] int8 matrix";
    if (n == 0) return 0;
    if (k != cols || ldw != cols) {
      throw new IllegalArgumentException(
          op
              + ": w is a "
              + shape
              + ", read as whole rows (one scale a row): k and ldw must be "
              + cols
              + ", got k = "
              + k
              + ", ldw = "
              + ldw);
    }
    long group = (long) rowAlign * Math.max(cols, 1);
    if (wOff < 0 || wOff % group != 0) {
      throw new IllegalArgumentException(
          op
              + ": w is a "
              + shape
              + ": wOff = "
              + wOff
              + " must start "
              + (rowAlign == 1 ? "a row" : "a group of " + rowAlign + " rows")
              + " (a multiple of "
              + group
              + ")");
    }
    int row0 = cols == 0 ? 0 : wOff / cols;
    if ((long) row0 + n > rows) {
      throw new IllegalArgumentException(
          op
              + ": w is a "
              + shape
              + ", rows "
              + row0
              + " to "
              + ((long) row0 + n - 1)
              + " do not fit");
    }
    return row0;
  }

  /**
   * {@link Kernels#uploadInt8} and {@link Kernels#downloadInt8}: rows {@code [row0, row0 + rows)}
   * of a {@code [matrixRows, cols]} matrix, with host arrays of {@code qLength} values from {@code
   * qOff} and {@code scalesLength} scales from {@code scalesOff}.
   */
  public static void int8Copy(
      String op,
      int matrixRows,
      int cols,
      int row0,
      int rows,
      int qLength,
      int qOff,
      int scalesLength,
      int scalesOff) {
    nonNegative(op, "rows", rows);
    if (row0 < 0 || (long) row0 + rows > matrixRows) {
      throw new IllegalArgumentException(
          op
              + ": rows "
              + row0
              + " to "
              + ((long) row0 + rows - 1)
              + " are outside the matrix's "
              + matrixRows
              + " rows");
    }
    long values = (long) rows * cols;
    if (qOff < 0 || qOff + values > qLength) {
      throw new IllegalArgumentException(
          op
              + ": q has "
              + qLength
              + " values, qOff + rows*cols = "
              + qOff
              + " + "
              + values
              + " does not fit");
    }
    range(op, "scales", scalesLength, scalesOff, rows);
  }
}
